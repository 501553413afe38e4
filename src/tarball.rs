//! Host folders and files written into tar streams the way assay hands files to containers:
//! sorted, owned by the candidate user, modes masked, timestamps zeroed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::path_error::{AtPath, PathError};

/// Writes a tar of `dir`'s files under `prefix/` (e.g. `workspace/`), owned by the candidate.
pub fn tar_folder(builder: &mut tar::Builder<impl Write>, dir: &Path, prefix: &str) -> Result<u64, PathError> {
    let mut bytes = 0;
    append_dir_entry(builder, prefix).at("writing a tar of", dir)?;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<Result<_, _>>())
        .at("reading", dir)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type().at("reading", &entry.path())?;
        if kind.is_dir() {
            bytes += tar_folder(builder, &entry.path(), &name)?;
        } else if kind.is_file() {
            bytes += tar_file(builder, &entry.path(), &name)?;
        }
    }
    Ok(bytes)
}

/// Appends one host file as `name`.
pub fn tar_file(builder: &mut tar::Builder<impl Write>, path: &Path, name: &str) -> Result<u64, PathError> {
    let metadata = std::fs::metadata(path).at("reading", path)?;
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(metadata.len());
    header.set_mode(masked_mode(mode_of(&metadata)));
    header.set_uid(1000);
    header.set_gid(1000);
    header.set_mtime(0);
    let file = File::open(path).at("reading", path)?;
    builder
        .append_data(&mut header, name, file)
        .at("writing a tar of", path)?;
    Ok(metadata.len())
}

fn append_dir_entry(builder: &mut tar::Builder<impl Write>, name: &str) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o755);
    header.set_uid(1000);
    header.set_gid(1000);
    header.set_mtime(0);
    builder.append_data(&mut header, format!("{name}/"), std::io::empty())?;
    Ok(())
}

/// No setuid, setgid or sticky bits and no group/world write: 0755 if executable, else 0644.
pub fn masked_mode(mode: u32) -> u32 {
    if mode & 0o111 != 0 { 0o755 } else { 0o644 }
}

#[cfg(unix)]
pub fn mode_of(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode()
}

#[cfg(not(unix))]
pub fn mode_of(_metadata: &std::fs::Metadata) -> u32 {
    0o644
}

/// Starts a tar file at `path`.
pub fn create(path: &Path) -> Result<tar::Builder<BufWriter<File>>, PathError> {
    let file = File::create(path).at("creating", path)?;
    Ok(tar::Builder::new(BufWriter::new(file)))
}
