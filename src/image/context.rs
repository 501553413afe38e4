//! A sandbox image's build context: the folder as a deterministic tar and its content hash.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The files of a build folder, in a fixed order, with a hash of their paths, modes and bytes.
pub struct BuildContext {
    pub tar: Vec<u8>,
    pub sha256: String,
}

impl BuildContext {
    /// Reads `dir` (regular files and folders only; symlinks are refused).
    pub fn from_dir(dir: &Path) -> anyhow::Result<Self> {
        let mut files = Vec::new();
        collect(dir, PathBuf::new(), &mut files)?;
        files.sort();
        let mut hasher = Sha256::new();
        let mut builder = tar::Builder::new(Vec::new());
        for relative in &files {
            let full = dir.join(relative);
            let bytes = std::fs::read(&full).with_context(|| format!("reading {}", full.display()))?;
            let executable = crate::tarball::mode_of(&std::fs::metadata(&full)?) & 0o111 != 0;
            let name = relative.to_string_lossy().replace('\\', "/");
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update([executable as u8]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(if executable { 0o755 } else { 0o644 });
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, &name, bytes.as_slice())?;
        }
        Ok(BuildContext {
            tar: builder.into_inner()?,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

fn collect(root: &Path, relative: PathBuf, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let dir = root.join(&relative);
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = relative.join(entry.file_name());
        if kind.is_dir() {
            collect(root, path, files)?;
        } else if kind.is_file() {
            files.push(path);
        } else {
            anyhow::bail!(
                "{} is neither a file nor a folder; build folders hold plain files only",
                root.join(path).display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_follows_content_not_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM debian:bookworm-slim\n").unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/a.txt"), "a").unwrap();
        let first = BuildContext::from_dir(dir.path()).unwrap();
        let again = BuildContext::from_dir(dir.path()).unwrap();
        assert_eq!(first.sha256, again.sha256);
        assert_eq!(first.tar, again.tar);
        std::fs::write(dir.path().join("etc/a.txt"), "b").unwrap();
        let changed = BuildContext::from_dir(dir.path()).unwrap();
        assert_ne!(first.sha256, changed.sha256);
    }
}
