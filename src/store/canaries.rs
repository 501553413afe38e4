//! The canary grades of a round, kept in `OUT/canary/`: one JSON file each, written whole,
//! so grading sessions in other processes add theirs without a lock.

use std::path::Path;

use crate::path_error::AtPath;
use crate::round::conditions::Canary;

use super::{StoreError, write_atomically};

const FOLDER: &str = "canary";
/// A canary record larger than this is not one assay wrote.
const MAX_BYTES: u64 = 1024 * 1024;

/// Keeps `canary` in the round's folder.
pub fn record(out: &Path, canary: &Canary) -> Result<(), StoreError> {
    let folder = out.join(FOLDER);
    std::fs::create_dir_all(&folder).at("creating", &folder)?;
    let stamp: String = canary
        .finished_at
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let unique =
        crate::sha256::of_bytes(format!("{stamp}{}{:?}", std::process::id(), std::time::SystemTime::now()).as_bytes());
    let path = folder.join(format!("{stamp}-{}-{}.json", canary.moment, &unique[..8]));
    let json = serde_json::to_vec_pretty(canary).map_err(crate::report::RenderError::from)?;
    write_atomically(&path, &json)?;
    Ok(())
}

/// Every canary of the round, oldest first, and each file left out with why.
pub fn read(out: &Path) -> (Vec<Canary>, Vec<String>) {
    let folder = out.join(FOLDER);
    let mut canaries = Vec::new();
    let mut left_out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return (canaries, left_out);
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let parsed = std::fs::metadata(&path)
            .map_err(|e| e.to_string())
            .and_then(|m| {
                if m.len() > MAX_BYTES {
                    Err("too large".to_string())
                } else {
                    Ok(())
                }
            })
            .and_then(|_| std::fs::read(&path).map_err(|e| e.to_string()))
            .and_then(|bytes| serde_json::from_slice::<Canary>(&bytes).map_err(|e| e.to_string()));
        match parsed {
            Ok(canary) => canaries.push(canary),
            Err(why) => left_out.push(format!(
                "{} is not a canary record assay can read ({why})",
                path.display()
            )),
        }
    }
    canaries.sort_by(|a, b| a.finished_at.cmp(&b.finished_at));
    (canaries, left_out)
}
