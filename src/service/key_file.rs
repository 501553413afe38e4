//! The server's own keys, one file each in the data folder: 256 random bits as hex, made with
//! mode 0600 on first use and read back after.

use std::path::Path;

use crate::path_error::{AtPath, PathError};

/// The key in `DATA/name`, made when there is none.
pub fn load_or_make(data: &Path, name: &str) -> Result<Vec<u8>, PathError> {
    let path = data.join(name);
    match std::fs::read(&path) {
        Ok(key) if key.len() >= 32 => return Ok(key),
        Ok(_) | Err(_) => {}
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| std::io::Error::other(e.to_string()))
        .at("making a key for", &path)?;
    let text = hex::encode(key);
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .at("creating", &path)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .at("writing", &path)?;
    }
    Ok(text.into_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = super::load_or_make(dir.path(), "test.key").unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(super::load_or_make(dir.path(), "test.key").unwrap(), first);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join("test.key")).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }
}
