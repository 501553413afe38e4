//! Paths a spec names inside the assignment folder, and the hidden labels: resolved, never
//! followed out of the folder, and kept out of every phase.

use super::*;

impl Checker<'_> {
    /// A path of the assignment that must exist, resolved to where it really is inside the
    /// assignment folder: a link that leads out, or a name for a file that lives elsewhere
    /// inside (an alias of `hidden/`), is resolved, never taken at its word.
    pub(super) fn assignment_file(&mut self, value: &str, path: &KeyPath, kind: PathKind) -> Option<PathBuf> {
        match resolve(self.real_dir, self.dir, value, kind) {
            Ok(real) => Some(real),
            Err(message) => {
                self.fail(path, message);
                None
            }
        }
    }

    /// Every labels file, resolved, with the sha256 of its content; unresolvable ones are
    /// reported where they are declared.
    pub(super) fn labels(&mut self, raw: &RawSpec) -> Vec<LabelsFile> {
        let declared = raw
            .metrics
            .iter()
            .filter_map(|m| m.labels.as_ref())
            .chain(raw.scorers.iter().map(|s| &s.labels));
        let mut labels: Vec<LabelsFile> = Vec::new();
        for value in declared {
            let Ok(relative) = resolve(self.real_dir, self.dir, value, PathKind::File) else {
                continue;
            };
            if labels.iter().any(|l| l.relative == relative) {
                continue;
            }
            if let Ok(sha256) = crate::sha256::of_file(&self.real_dir.join(&relative)).map(|(hex, _)| hex) {
                labels.push(LabelsFile { relative, sha256 });
            }
        }
        labels
    }
}

/// What a spec path must name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PathKind {
    /// A regular file (labels).
    File,
    /// A regular file or a folder of them (inputs, scorer files).
    Any,
}

/// A labels file: where it really is in the assignment, and its content's hash.
pub(super) struct LabelsFile {
    pub(super) relative: PathBuf,
    pub(super) sha256: String,
}

/// Resolves `value` to its real path relative to the assignment folder `real_dir` (`dir` as
/// written, for messages). Refuses what leaves the folder, what does not exist, what is not of
/// `kind`, and a folder holding links or special files, which are never followed.
pub(super) fn resolve(real_dir: &Path, dir: &Path, value: &str, kind: PathKind) -> Result<PathBuf, String> {
    let relative = PathBuf::from(value);
    let inside = relative.components().all(|c| matches!(c, Component::Normal(_)));
    if value.is_empty() || !inside {
        return Err(format!(
            "{value:?} must be a relative path inside the assignment folder"
        ));
    }
    let real = match std::fs::canonicalize(real_dir.join(&relative)) {
        Ok(real) => real,
        Err(_) if std::fs::symlink_metadata(real_dir.join(&relative)).is_ok() => {
            return Err(format!("{value:?} is a link that leads nowhere"));
        }
        Err(_) => return Err(format!("{value} does not exist in {}", dir.display())),
    };
    let Ok(real_relative) = real.strip_prefix(real_dir) else {
        return Err(format!(
            "{value:?} leads outside the assignment folder (to {}); links out are never followed",
            real.display()
        ));
    };
    let metadata = std::fs::metadata(&real).map_err(|e| format!("{value:?} cannot be read: {e}"))?;
    match kind {
        PathKind::File if !metadata.is_file() => {
            return Err(format!("{value:?} must be a regular file"));
        }
        PathKind::Any if !metadata.is_file() && !metadata.is_dir() => {
            return Err(format!("{value:?} must be a regular file or a folder"));
        }
        _ => {}
    }
    if metadata.is_dir() {
        only_files_and_folders(&real, real_dir)?;
    }
    Ok(real_relative.to_path_buf())
}

/// Everything under `folder` is a regular file or a folder: a link inside an input would
/// carry whatever it points at into the container.
pub(super) fn only_files_and_folders(folder: &Path, real_dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{} cannot be read: {e}", folder.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{} cannot be read: {e}", folder.display()))?;
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let path = entry.path();
        let shown = path.strip_prefix(real_dir).unwrap_or(&path).display().to_string();
        if kind.is_dir() {
            only_files_and_folders(&path, real_dir)?;
        } else if kind.is_symlink() {
            return Err(format!(
                "{shown} is a link; links in inputs are never followed, copy the file instead"
            ));
        } else if !kind.is_file() {
            return Err(format!("{shown} is not a regular file or a folder"));
        }
    }
    Ok(())
}

/// The first file under `input` whose content equals a labels file, with that labels file.
pub(super) fn copy_of_labels(input: &Path, labels: &[LabelsFile]) -> Result<Option<(PathBuf, PathBuf)>, String> {
    if labels.is_empty() {
        return Ok(None);
    }
    if input.is_file() {
        let (sha256, _) =
            crate::sha256::of_file(input).map_err(|e| format!("{} cannot be read: {e}", input.display()))?;
        return Ok(labels
            .iter()
            .find(|l| l.sha256 == sha256)
            .map(|l| (input.to_path_buf(), l.relative.clone())));
    }
    let mut entries: Vec<_> = std::fs::read_dir(input)
        .map_err(|e| format!("{} cannot be read: {e}", input.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if let Some(found) = copy_of_labels(&entry.path(), labels)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}
