//! The names one submission's files came under. Reports are keyed by the files' hash, so
//! two candidates who sent the same files share a report; `names.json` beside it keeps every
//! name, so a round lists each candidate and can flag the copies.

use std::path::Path;

use super::StoreError;

pub const FILE: &str = "names.json";

/// The names recorded in a report folder, in the order they came; empty when none are.
pub fn read(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(FILE))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Adds `name` to the folder's names (once), replacing the file whole. Under a lock: graders
/// in other processes may add names to the same folder at the same time.
pub fn record(dir: &Path, name: &str) -> Result<(), StoreError> {
    let _lock = super::Lock::acquire(&dir.join(LOCK))?;
    let mut names = read(dir);
    if names.iter().any(|n| n == name) {
        return Ok(());
    }
    names.push(name.to_string());
    let json = serde_json::to_vec_pretty(&names).unwrap_or_default();
    Ok(super::write_atomically(&dir.join(FILE), &json)?)
}

/// The lock guarding `names.json`.
const LOCK: &str = ".names.lock";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        record(dir.path(), "bob").unwrap();
        record(dir.path(), "alice\nsmith").unwrap();
        record(dir.path(), "bob").unwrap();
        assert_eq!(read(dir.path()), ["bob", "alice\nsmith"]);
    }
}
