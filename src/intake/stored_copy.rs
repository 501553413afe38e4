//! The submission kept beside its report, so it can be regraded exactly as it was graded.

use std::fs::File;
use std::path::Path;

use anyhow::Context;

use super::Submission;
use super::unpacker::masked_mode;

/// File name of the stored copy inside a report folder.
pub const STORED_COPY: &str = "submission.tar.gz";

/// Writes the unpacked submission as a tar.gz, wrapped in one folder so that intake of the
/// copy yields the same files and so the same hash.
pub fn store_copy(submission: &Submission, path: &Path) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
    append(&mut builder, &submission.root, "submission")?;
    builder.into_inner()?.finish()?;
    Ok(())
}

fn append(builder: &mut tar::Builder<impl std::io::Write>, dir: &Path, prefix: &str) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let metadata = entry.metadata()?;
        if metadata.is_dir() {
            append(builder, &entry.path(), &name)?;
        } else if metadata.is_file() {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(metadata.len());
            header.set_mode(masked_mode(mode_of(&metadata)));
            header.set_mtime(0);
            builder.append_data(&mut header, &name, File::open(entry.path())?)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode()
}

#[cfg(not(unix))]
fn mode_of(_metadata: &std::fs::Metadata) -> u32 {
    0o644
}
