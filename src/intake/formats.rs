//! Reading the three submission formats (zip, tar or tar.gz, folder) into an `Unpacker`.
//! Entries are only ever created by the unpacker; nothing in an archive is followed.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::IntakeError;
use super::rejection::Rejection;
use super::unpacker::Unpacker;

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;

pub fn unpack_zip(path: &Path, out: &mut Unpacker, max_entries: u64, max_bytes: u64) -> Result<(), IntakeError> {
    let mut file = File::open(path)?;
    // The central directory's own count: the zip reader keeps one entry per name, so a name
    // repeated 200,000 times would otherwise count once.
    let listed = super::zip_count::central_directory_entries(&mut file)
        .map_err(|e| Rejection::new(format!("not a readable zip archive: {e}")))?;
    if listed > max_entries {
        return Err(Rejection::new(format!(
            "the archive lists {listed} entries, more than the limit of {max_entries}"
        ))
        .into());
    }
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| Rejection::new(format!("not a readable zip archive: {e}")))?;
    if archive.len() as u64 != listed {
        return Err(Rejection::new(format!(
            "the archive lists {listed} entries under {} distinct names: a name appears more than once",
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

/// Zero padding allowed after a tar's end-of-archive block (tools pad to their record size).
const MAX_TRAILING_PADDING: u64 = 1 << 20;

pub fn unpack_tar(reader: impl Read, out: &mut Unpacker) -> Result<(), IntakeError> {
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
            // Metadata for the whole archive (git archive writes one): nothing to unpack.
            XGlobalHeader => {}
            other => {
                return Err(Unpacker::refuse(&name, unsupported_entry(other.as_byte())));
            }
        }
    }
    trailing_padding(archive.into_inner())
}

/// Why a tar entry type is not accepted, in words.
fn unsupported_entry(kind: u8) -> String {
    let what = match kind {
        b'V' => "a volume label",
        b'S' => "a sparse file",
        b'M' => "the continuation of a multi-volume archive",
        b'N' => "an old GNU long-name entry",
        _ => "an entry type assay does not know",
    };
    let shown = if kind.is_ascii_graphic() {
        format!("'{}'", kind as char)
    } else {
        format!("{kind}")
    };
    format!("unsupported tar entry type {shown} ({what}; only files and folders are accepted)")
}

/// After the end-of-archive block only zero padding may follow. Tools disagree on what a
/// stream that goes on holds, so the files graded could differ from the files a reviewer
/// unpacks: such an archive is refused.
fn trailing_padding(mut rest: impl Read) -> Result<(), IntakeError> {
    let mut buffer = [0u8; 16 * 1024];
    let mut total = 0u64;
    loop {
        let n = match rest.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Rejection::new(format!("corrupt archive after the end of the tar: {e}")).into()),
        };
        if buffer[..n].iter().any(|&b| b != 0) {
            return Err(Rejection::new(
                "the tar stream goes on after its end-of-archive marker; archive tools disagree on what such a file holds, so it is refused (pack it again with tar)",
            )
            .into());
        }
        total += n as u64;
        if total > MAX_TRAILING_PADDING {
            return Err(Rejection::new(format!(
                "more than {} of padding after the end of the tar archive",
                crate::units::format_size(MAX_TRAILING_PADDING)
            ))
            .into());
        }
    }
}

/// Copies a folder through the same checks; links and special files are refused, not followed.
pub fn unpack_folder(root: &Path, out: &mut Unpacker, max_depth: usize) -> Result<(), IntakeError> {
    copy_folder(root, "", out, 0, max_depth)
}

fn copy_folder(
    root: &Path,
    prefix: &str,
    out: &mut Unpacker,
    depth: usize,
    max_depth: usize,
) -> Result<(), IntakeError> {
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
