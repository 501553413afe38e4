//! The submission kept beside its report, so it can be regraded exactly as it was graded.

use std::fs::File;
use std::path::Path;

use anyhow::Context;

use super::Submission;

/// File name of the stored copy inside a report folder.
pub const STORED_COPY: &str = "submission.tar.gz";

/// Writes the unpacked submission as a tar.gz, wrapped in one folder so that intake of the
/// copy yields the same files and so the same hash.
pub fn store_copy(submission: &Submission, path: &Path) -> anyhow::Result<()> {
    // Written beside the target and renamed, so a reader never finds half a copy.
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".assay-write-")
        .tempfile_in(dir)
        .with_context(|| format!("creating {}", path.display()))?;
    let file: &File = temp.as_file();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
    crate::tarball::tar_folder(&mut builder, &submission.root, "submission")?;
    builder.into_inner()?.finish()?;
    crate::store::readable(temp.as_file())?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
