//! Reading back the files of a stored copy (`submission.tar.gz`, written by
//! `ReportDir::store_copy`), for reviewers' pages and for similarity across a round.

use std::io::Read;
use std::path::Path;

use crate::path_error::{AtPath, PathError};

/// One file of the submission.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Its path inside the submission, `/`-separated.
    pub path: String,
    pub bytes: u64,
    /// The content, when at most the size asked for.
    pub content: Option<Vec<u8>>,
}

/// The files of the stored copy at `path`, in path order, with the content of those of at most
/// `content_bytes`.
pub fn read(path: &Path, content_bytes: u64) -> Result<Vec<StoredFile>, PathError> {
    let file = std::fs::File::open(path).at("opening", path)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = Vec::new();
    for entry in archive.entries().at("reading", path)? {
        let mut entry = entry.at("reading", path)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().at("reading", path)?.to_string_lossy().into_owned();
        let Some(inside) = name.strip_prefix("submission/") else {
            continue;
        };
        let bytes = entry.size();
        let content = if bytes <= content_bytes {
            let mut content = Vec::with_capacity(bytes as usize);
            entry.read_to_end(&mut content).at("reading", path)?;
            Some(content)
        } else {
            None
        };
        files.push(StoredFile {
            path: inside.to_string(),
            bytes,
            content,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
