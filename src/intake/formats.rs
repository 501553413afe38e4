//! Reading the three submission formats (zip, tar or tar.gz, folder) into an `Unpacker`.
//! Entries are only ever created by the unpacker; nothing in an archive is followed.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::rejection::{Rejection, UnpackError};
use super::unpacker::Unpacker;

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

pub fn unpack_zip(path: &Path, out: &mut Unpacker, max_entries: u64, max_bytes: u64) -> Result<(), UnpackError> {
    let file = File::open(path)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| Rejection::new(format!("not a readable zip archive: {e}")))?;
    if archive.len() as u64 > max_entries {
        return Err(Rejection::new(format!(
            "the archive lists {} entries, more than the limit of {max_entries}",
            archive.len()
        ))
        .into());
    }
    // Sizes in the central directory can lie, so bytes are counted while decompressing too;
    // but an archive that admits to being too large is refused before any work.
    let declared: u64 = (0..archive.len())
        .filter_map(|i| archive.by_index_raw(i).ok().map(|e| e.size()))
        .fold(0u64, |total, size| total.saturating_add(size));
    if declared > max_bytes {
        return Err(Rejection::new(format!(
            "the archive declares {} unpacked, more than the limit of {}",
            crate::units::format_size(declared),
            crate::units::format_size(max_bytes)
        ))
        .into());
    }
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| Rejection::new(format!("entry #{index} cannot be read: {e}")))?;
        let name = entry.name_raw().to_vec();
        let mode = entry.unix_mode();
        let kind = mode.map(|m| m & S_IFMT).filter(|k| *k != 0);
        if entry.is_symlink() {
            return Err(Unpacker::refuse(&name, "symbolic link (links are not accepted)"));
        }
        if entry.is_dir() {
            if kind.is_some_and(|k| k != S_IFDIR) {
                return Err(Unpacker::refuse(
                    &name,
                    "special file (only files and folders are accepted)",
                ));
            }
            out.dir(&name)?;
        } else {
            if kind.is_some_and(|k| k != S_IFREG) {
                return Err(Unpacker::refuse(
                    &name,
                    "special file (only files and folders are accepted)",
                ));
            }
            out.file(&name, mode.unwrap_or(0o644), &mut entry)?;
        }
    }
    Ok(())
}

pub fn unpack_tar(reader: impl Read, out: &mut Unpacker) -> Result<(), UnpackError> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| Rejection::new(format!("not a readable tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Rejection::new(format!("corrupt tar archive: {e}")))?;
        let name = entry.path_bytes().into_owned();
        let mode = entry.header().mode().unwrap_or(0o644);
        use tar::EntryType::*;
        match entry.header().entry_type() {
            Regular | Continuous => out.file(&name, mode, &mut entry)?,
            Directory => out.dir(&name)?,
            Symlink => {
                return Err(Unpacker::refuse(&name, "symbolic link (links are not accepted)"));
            }
            Link => {
                return Err(Unpacker::refuse(&name, "hard link (links are not accepted)"));
            }
            Char | Block | Fifo => {
                return Err(Unpacker::refuse(
                    &name,
                    "device or fifo (only files and folders are accepted)",
                ));
            }
            other => {
                return Err(Unpacker::refuse(&name, format!("unsupported entry type {other:?}")));
            }
        }
    }
    Ok(())
}

/// Copies a folder through the same checks; links and special files are refused, not followed.
pub fn unpack_folder(root: &Path, out: &mut Unpacker, max_depth: usize) -> Result<(), UnpackError> {
    copy_folder(root, "", out, 0, max_depth)
}

fn copy_folder(
    root: &Path,
    prefix: &str,
    out: &mut Unpacker,
    depth: usize,
    max_depth: usize,
) -> Result<(), UnpackError> {
    let dir = if prefix.is_empty() {
        root.to_path_buf()
    } else {
        root.join(prefix)
    };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| Rejection::new(format!("cannot read folder {}: {e}", dir.display())))?
        .collect::<Result<_, _>>()?;
    names.sort_by_key(|e| e.file_name());
    for entry in names {
        let file_name = entry.file_name();
        let name = match file_name.to_str() {
            Some(n) => format!("{prefix}{n}"),
            None => {
                return Err(Rejection::entry(
                    format!("{prefix}{}", file_name.to_string_lossy()),
                    "the name is not valid UTF-8",
                )
                .into());
            }
        };
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            return Err(Unpacker::refuse(
                name.as_bytes(),
                "symbolic link (links are not accepted)",
            ));
        } else if kind.is_dir() {
            if depth + 1 > max_depth {
                return Err(Unpacker::refuse(
                    name.as_bytes(),
                    format!("nested deeper than the limit of {max_depth}"),
                ));
            }
            out.dir(name.as_bytes())?;
            copy_folder(root, &format!("{name}/"), out, depth + 1, max_depth)?;
        } else if kind.is_file() {
            let mut file = File::open(entry.path())?;
            out.file(name.as_bytes(), crate::tarball::mode_of(&entry.metadata()?), &mut file)?;
        } else {
            return Err(Unpacker::refuse(
                name.as_bytes(),
                "device, fifo or socket (only files and folders are accepted)",
            ));
        }
    }
    Ok(())
}
