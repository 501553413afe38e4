//! Writing files others read: whole or not at all (temp file + rename in the same folder).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::path_error::{AtPath, PathError};

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PathError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".assay-write-")
        .tempfile_in(dir)
        .at("writing", path)?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_data())
        .and_then(|()| readable(temp.as_file()))
        .at("writing", path)?;
    temp.persist(path).map_err(|e| e.error).at("writing", path)?;
    Ok(())
}

/// Mode 0644, as files written in place would get: a temp file starts at 0600, and reviewers
/// on a shared machine read these files.
pub fn readable(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
