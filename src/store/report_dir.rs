//! One submission's folder in OUT: `OUT/<first 16 hex digits of its sha256>/`, holding its
//! report in every rendering, its logs, outputs, stored copy and the names it came under.
//! Every path of that layout is spelled here and nowhere else.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Lock, StoreError, names, write_atomically};
use crate::intake::Submission;
use crate::model::Report;
use crate::path_error::{AtPath, PathError};
use crate::spec::OutputRef;

/// Held while a report folder is graded or written, by every process grading into OUT.
const LOCK_FILE: &str = ".lock";
const REPORT_JSON: &str = "report.json";
/// The submission kept beside its report, so it can be regraded exactly as it was graded.
const STORED_COPY: &str = "submission.tar.gz";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDir {
    path: PathBuf,
}

impl ReportDir {
    /// The folder of the submission with this sha256 in `out`.
    pub fn in_out(out: &Path, sha256: &str) -> ReportDir {
        ReportDir {
            path: out.join(Self::folder_name(sha256)),
        }
    }

    /// A folder of OUT as found on disk.
    pub fn at(path: PathBuf) -> ReportDir {
        ReportDir { path }
    }

    /// The folder that holds `report_json` (a path to a report.json).
    pub fn holding(report_json: &Path) -> ReportDir {
        let path = report_json
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        ReportDir {
            path: path.to_path_buf(),
        }
    }

    /// The folder's name: the first 16 hex digits of the submission's sha256.
    pub fn folder_name(sha256: &str) -> &str {
        &sha256[..sha256.len().min(16)]
    }

    /// `HASH/report.json`, relative to OUT, as the round's summary links it.
    pub fn relative_report(sha256: &str) -> String {
        format!("{}/{REPORT_JSON}", Self::folder_name(sha256))
    }

    /// `HASH/report.html`, relative to OUT.
    pub fn relative_page(sha256: &str) -> String {
        format!("{}/report.html", Self::folder_name(sha256))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn report_json(&self) -> PathBuf {
        self.path.join(REPORT_JSON)
    }

    pub fn logs(&self) -> PathBuf {
        self.path.join("logs")
    }

    /// The submission as it was graded, for `assay regrade`.
    pub fn stored_copy(&self) -> PathBuf {
        self.path.join(STORED_COPY)
    }

    /// Makes the folder and takes its lock; blocks the thread while another grader holds it.
    pub fn lock(&self) -> Result<Lock, PathError> {
        self.create()?;
        Lock::acquire(&self.path.join(LOCK_FILE))
    }

    /// `lock` without blocking the async runtime's threads.
    pub async fn lock_async(&self) -> Result<Lock, PathError> {
        self.create()?;
        Lock::acquire_async(&self.path.join(LOCK_FILE)).await
    }

    fn create(&self) -> Result<(), PathError> {
        std::fs::create_dir_all(&self.path).at("creating", &self.path)
    }

    /// The report.json in the folder, when there is one that parses.
    pub fn read_report(&self) -> Option<Report> {
        let text = std::fs::read_to_string(self.report_json()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes every rendering of the report (report.json, report.md, report.html, junit.xml,
    /// feedback.md), each whole.
    pub fn write_report(&self, report: &Report) -> Result<(), StoreError> {
        self.create()?;
        for (name, text) in crate::report::render_all(report)? {
            write_atomically(&self.path.join(name), text.as_bytes())?;
        }
        Ok(())
    }

    /// Writes a file beside the report (an export for another grader), whole.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), PathError> {
        write_atomically(&self.path.join(name), bytes)
    }

    /// Keeps the declared outputs beside the report (`outputs/PHASE/PATH`), so reviewers and
    /// authors can recompute any metric from exactly what was scored.
    pub fn save_outputs(&self, outputs: &HashMap<OutputRef, PathBuf>) -> Result<(), PathError> {
        let dir = self.path.join("outputs");
        for (reference, host) in outputs {
            let target = dir.join(&reference.phase).join(reference.path.trim_start_matches('/'));
            let parent = target.parent().unwrap_or(&dir);
            std::fs::create_dir_all(parent).at("creating", parent)?;
            let temp = tempfile::Builder::new()
                .prefix(".assay-write-")
                .tempfile_in(parent)
                .at("saving an output to", &target)?;
            std::fs::copy(host, temp.path())
                .and_then(|_| super::readable(temp.as_file()))
                .at("saving an output to", &target)?;
            temp.persist(&target)
                .map_err(|e| e.error)
                .at("saving an output to", &target)?;
        }
        Ok(())
    }

    /// Keeps the unpacked submission as a tar.gz, wrapped in one folder so that intake of the
    /// copy yields the same files and so the same hash.
    pub fn store_copy(&self, submission: &Submission) -> Result<(), PathError> {
        let path = self.stored_copy();
        // Written beside the target and renamed, so a reader never finds half a copy.
        let temp = tempfile::Builder::new()
            .prefix(".assay-write-")
            .tempfile_in(&self.path)
            .at("creating", &path)?;
        let file: &std::fs::File = temp.as_file();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
        crate::tarball::tar_folder(&mut builder, &submission.root, "submission")?;
        builder
            .into_inner()
            .and_then(|gzip| gzip.finish())
            .and_then(|_| super::readable(temp.as_file()))
            .at("writing", &path)?;
        temp.persist(&path).map_err(|e| e.error).at("writing", &path)?;
        Ok(())
    }

    /// Records a name the folder's files came under.
    pub fn record_name(&self, name: &str) -> Result<(), StoreError> {
        names::record(&self.path, name)
    }

    /// Every name the folder's files came under, in the order they came.
    pub fn names(&self) -> Vec<String> {
        names::read(&self.path)
    }

    /// True when this folder is the one a report of `sha256` belongs in.
    pub fn is_named_for(&self, sha256: &str) -> bool {
        let folder = self.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) && folder == Self::folder_name(sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_the_hash_prefix() {
        let sha = "0123456789abcdef".repeat(4);
        let dir = ReportDir::in_out(Path::new("out"), &sha);
        assert_eq!(dir.path(), Path::new("out/0123456789abcdef"));
        assert_eq!(dir.report_json(), Path::new("out/0123456789abcdef/report.json"));
        assert_eq!(ReportDir::relative_report(&sha), "0123456789abcdef/report.json");
        assert!(dir.is_named_for(&sha));
        assert!(!dir.is_named_for(&sha[..63]));
        assert!(!ReportDir::in_out(Path::new("out"), &"f".repeat(64)).is_named_for(&sha));
        assert_eq!(ReportDir::holding(Path::new("report.json")).path(), Path::new("."));
    }
}
