//! Read-modify-write files and folders under an exclusive lock, so concurrent graders lose and
//! tear nothing.

use std::fs::File;
use std::path::Path;

use crate::path_error::{AtPath, PathError};

/// An exclusive lock on a file, held until dropped (flock: released by the kernel also when
/// the process dies, so a killed grader never leaves a folder locked).
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Waits for the lock on `path` (created if missing). Blocks the thread: call it from
    /// blocking code or `spawn_blocking`.
    pub fn acquire(path: &Path) -> Result<Lock, PathError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .at("opening the lock file", path)?;
        loop {
            // SAFETY: flock on a file descriptor this function owns.
            let result = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
            if result == 0 {
                return Ok(Lock { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error).at("locking", path);
            }
        }
    }

    /// `acquire` without blocking the async runtime's threads.
    pub async fn acquire_async(path: &Path) -> Result<Lock, PathError> {
        let owned = path.to_path_buf();
        tokio::task::spawn_blocking(move || Lock::acquire(&owned))
            .await
            .map_err(std::io::Error::other)
            .at("waiting for the lock", path)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
