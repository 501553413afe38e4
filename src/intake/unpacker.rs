//! Writes checked entries into the submission folder: every archive format and a plain
//! folder go through the same checks, so the same rules hold whatever the candidate sent.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::IntakeError;
use super::rejection::Rejection;
use crate::spec::IntakeLimits;

pub struct Unpacker<'a> {
    root: PathBuf,
    limits: &'a IntakeLimits,
    entries: u64,
    bytes: u64,
    seen: HashSet<PathBuf>,
}

impl<'a> Unpacker<'a> {
    pub fn new(root: &Path, limits: &'a IntakeLimits) -> Self {
        Unpacker {
            root: root.to_path_buf(),
            limits,
            entries: 0,
            bytes: 0,
            seen: HashSet::new(),
        }
    }

    /// Refuses the whole submission because of one entry.
    pub fn refuse(name: &[u8], reason: impl Into<String>) -> IntakeError {
        Rejection::entry(String::from_utf8_lossy(name), reason).into()
    }

    /// Checks an entry's name and counts it; returns the path inside the submission.
    fn admit(&mut self, name: &[u8]) -> Result<PathBuf, IntakeError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(Self::refuse(
                name,
                format!("more than {} entries (the limit)", self.limits.max_entries),
            ));
        }
        let text = std::str::from_utf8(name).map_err(|_| Self::refuse(name, "the name is not valid UTF-8"))?;
        if text.starts_with('/') {
            return Err(Self::refuse(name, "absolute path"));
        }
        if text.contains('\\') {
            return Err(Self::refuse(name, "backslash in the name (only '/' separates folders)"));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(Self::refuse(name, format!("control character {c:?} in the name")));
        }
        let mut relative = PathBuf::new();
        for part in text.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." {
                return Err(Self::refuse(name, "'..' in the path leads outside the submission"));
            }
            if part.len() > self.limits.max_name_length {
                return Err(Self::refuse(
                    name,
                    format!(
                        "a name of {} bytes is longer than the limit of {}",
                        part.len(),
                        self.limits.max_name_length
                    ),
                ));
            }
            if part.contains(':') && cfg!(windows) {
                return Err(Self::refuse(name, "':' in the name"));
            }
            relative.push(part);
        }
        let depth = relative.components().count();
        if depth == 0 {
            return Err(Self::refuse(name, "empty path"));
        }
        if depth > self.limits.max_depth {
            return Err(Self::refuse(
                name,
                format!(
                    "nested {depth} deep, deeper than the limit of {}",
                    self.limits.max_depth
                ),
            ));
        }
        if relative.as_os_str().len() > MAX_PATH_BYTES {
            return Err(Self::refuse(
                name,
                format!(
                    "a path of {} bytes is longer than the limit of {MAX_PATH_BYTES}",
                    relative.as_os_str().len()
                ),
            ));
        }
        Ok(relative)
    }

    pub fn dir(&mut self, name: &[u8]) -> Result<(), IntakeError> {
        let relative = self.admit(name)?;
        if let Some(file) = relative.ancestors().find(|a| self.seen.contains(*a)) {
            return Err(Self::refuse(
                name,
                format!("a folder inside {}, a file already unpacked", file.display()),
            ));
        }
        let target = self.root.join(&relative);
        std::fs::create_dir_all(&target).map_err(|e| entry_error(name, e))?;
        Ok(())
    }

    /// Unpacks one regular file, counting bytes as they are decompressed.
    pub fn file(&mut self, name: &[u8], mode: u32, content: &mut dyn Read) -> Result<(), IntakeError> {
        let relative = self.admit(name)?;
        if !self.seen.insert(relative.clone()) {
            return Err(Self::refuse(name, "the same path appears twice"));
        }
        if let Some(file) = relative.ancestors().skip(1).find(|a| self.seen.contains(*a)) {
            return Err(Self::refuse(
                name,
                format!("a parent folder has the name of the file {}", file.display()),
            ));
        }
        let target = self.root.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| entry_error(name, e))?;
        }
        if target.is_dir() {
            return Err(Self::refuse(name, "a file with the name of a folder already unpacked"));
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| entry_error(name, e))?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match content.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Self::refuse(name, format!("cannot be read: {e} (corrupt archive?)")));
                }
            };
            self.bytes += n as u64;
            if self.bytes > self.limits.max_bytes {
                return Err(Self::refuse(
                    name,
                    format!(
                        "the submission unpacks to more than {} (the limit)",
                        crate::units::format_size(self.limits.max_bytes)
                    ),
                ));
            }
            file.write_all(&buffer[..n])?;
        }
        set_mode(&target, crate::tarball::masked_mode(mode))?;
        Ok(())
    }
}

/// The longest path inside a submission: well under PATH_MAX (4,096) wherever it is unpacked.
const MAX_PATH_BYTES: usize = 3072;

/// A file system error caused by an entry's name or kind is the archive's fault (a refusal);
/// anything else (a full disk, no permission on our temp folder) is the harness's.
fn entry_error(name: &[u8], error: std::io::Error) -> IntakeError {
    let cause = match error.raw_os_error() {
        Some(libc::ENAMETOOLONG) => Some("the path is too long to unpack"),
        Some(libc::ENOTDIR) => Some("a parent folder is a file"),
        Some(libc::EEXIST) => Some("the same path appears twice"),
        Some(libc::EISDIR) => Some("a file with the name of a folder"),
        Some(libc::ELOOP) => Some("the path loops"),
        _ => None,
    };
    match cause {
        Some(reason) => Unpacker::refuse(name, reason),
        None => IntakeError::Harness(anyhow::Error::new(error).context(format!(
            "unpacking entry {}",
            crate::text::quoted(&String::from_utf8_lossy(name), 200)
        ))),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}
