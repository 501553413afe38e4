//! Writing files others read: whole or not at all (temp file + rename in the same folder), and
//! read-modify-write files under an exclusive lock, so concurrent graders lose and tear nothing.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".assay-write-")
        .tempfile_in(dir)
        .with_context(|| format!("writing {}", path.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_data())
        .and_then(|()| readable(temp.as_file()))
        .with_context(|| format!("writing {}", path.display()))?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Mode 0644, as files written in place would get: a temp file starts at 0600, and reviewers
/// on a shared machine read these files.
pub fn readable(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

/// An exclusive lock on a file, held until dropped (flock: released by the kernel also when
/// the process dies, so a killed grader never leaves a folder locked).
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Waits for the lock on `path` (created if missing). Blocks the thread: call it from
    /// blocking code or `spawn_blocking`.
    pub fn acquire(path: &Path) -> anyhow::Result<Lock> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        loop {
            // SAFETY: flock on a file descriptor this function owns.
            let result = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
            if result == 0 {
                return Ok(Lock { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error).with_context(|| format!("locking {}", path.display()));
            }
        }
    }

    /// `acquire` without blocking the async runtime's threads.
    pub async fn acquire_async(path: &Path) -> anyhow::Result<Lock> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || Lock::acquire(&path))
            .await
            .context("waiting for a lock")?
    }
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

    #[test]
    fn a_lock_excludes_another_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let first = Lock::acquire(&path).unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let waiting = {
            let path = path.clone();
            std::thread::spawn(move || {
                let _second = Lock::acquire(&path).unwrap();
                sender.send(()).unwrap();
            })
        };
        assert!(receiver.recv_timeout(std::time::Duration::from_millis(200)).is_err());
        drop(first);
        receiver.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        waiting.join().unwrap();
    }
}
