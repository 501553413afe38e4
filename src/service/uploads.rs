//! Uploads kept as received, as `DATA/uploads/ID-NAME`: written to a temp file, synced, and
//! renamed into place (then the folder synced), so an accepted upload survives a crash. One
//! flat folder: a folder per upload cost an inode and a sync more, measurably.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::path_error::{AtPath, PathError};

/// Why an upload was not kept.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error(transparent)]
    Io(#[from] PathError),
}

/// An upload being written; dropped unfinished, it leaves nothing behind.
pub struct Upload {
    temp: tempfile::NamedTempFile,
    bytes: u64,
    limit: u64,
}

impl Upload {
    pub fn start(uploads: &Path, limit: u64) -> Result<Upload, UploadError> {
        std::fs::create_dir_all(uploads).at("creating", uploads)?;
        let temp = tempfile::Builder::new()
            .prefix(".upload-")
            .tempfile_in(uploads)
            .at("writing an upload in", uploads)?;
        Ok(Upload { temp, bytes: 0, limit })
    }

    /// Appends a chunk; refuses to go past the limit.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        let path = self.temp.path().to_path_buf();
        self.temp.write_all(chunk).at("writing", &path)?;
        Ok(())
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Syncs the upload and moves it to `uploads/ID-NAME`; returns its path.
    pub fn keep(self, uploads: &Path, id: &str, name: &str) -> Result<PathBuf, UploadError> {
        let target = uploads.join(kept_name(id, name));
        self.temp.as_file().sync_all().at("syncing", &target)?;
        self.temp.persist(&target).map_err(|e| e.error).at("keeping", &target)?;
        std::fs::File::open(uploads)
            .and_then(|f| f.sync_all())
            .at("syncing", uploads)?;
        Ok(target)
    }
}

/// The file an upload is kept as: its id, a dash, and its safe name.
fn kept_name(id: &str, name: &str) -> String {
    format!("{id}-{name}")
}

/// The name an upload came under, from the path it is kept at (`uploads/ID-NAME`, or
/// `uploads/ID/NAME` as servers before kept them).
pub fn original_name(id: &str, kept: &Path) -> Option<String> {
    let file = kept.file_name()?.to_string_lossy().into_owned();
    Some(file.strip_prefix(&format!("{id}-")).map(str::to_string).unwrap_or(file))
}

/// The name a candidate's archive is kept under: its last path part, without control
/// characters or separators, at most 100 characters; `submission` when nothing is left.
pub fn safe_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    // Plain text (no escapes, controls or direction overrides) on one line.
    let kept: String = crate::text::plain(last)
        .chars()
        .filter(|c| !matches!(c, '\n' | '\t'))
        .take(100)
        .collect();
    let kept = kept.trim().trim_start_matches('.').to_string();
    if kept.is_empty() {
        "submission".to_string()
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("work.zip"), "work.zip");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\x\\y.tar.gz"), "y.tar.gz");
        assert_eq!(safe_name("a\u{0}b\u{202e}c\n"), "abc");
        assert_eq!(safe_name(".."), "submission");
        assert_eq!(safe_name(""), "submission");
        assert_eq!(safe_name(&"x".repeat(500)).len(), 100);
    }

    #[test]
    fn an_upload_past_its_limit_is_refused_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut upload = Upload::start(dir.path(), 10).unwrap();
        upload.write(b"12345").unwrap();
        assert!(matches!(
            upload.write(b"678901"),
            Err(UploadError::TooLarge { limit: 10 })
        ));
        drop(upload);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut upload = Upload::start(dir.path(), 10).unwrap();
        upload.write(b"hello").unwrap();
        let kept = upload.keep(dir.path(), "id1", "a.zip").unwrap();
        assert_eq!(kept, dir.path().join("id1-a.zip"));
        assert_eq!(std::fs::read(&kept).unwrap(), b"hello");
        assert_eq!(original_name("id1", &kept).as_deref(), Some("a.zip"));
        assert_eq!(
            original_name("id1", Path::new("uploads/id1/b.zip")).as_deref(),
            Some("b.zip")
        );
    }
}
