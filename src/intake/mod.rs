//! Intake: a candidate's zip, tar.gz or folder, unpacked safely into a fresh temp folder.

mod digest;
mod error;
mod formats;
mod rejection;
mod unpacker;
mod zip_count;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use digest::{Tally, digest};
pub use error::IntakeError;
pub use rejection::Rejection;

use crate::spec::IntakeLimits;
use unpacker::Unpacker;

/// A submission unpacked and checked, ready to grade.
#[derive(Debug)]
pub struct Submission {
    /// The file or folder name the candidate's work arrived as.
    pub name: String,
    pub sha256: String,
    pub tally: Tally,
    /// Owns the unpacked files; removed when the submission is dropped.
    _dir: tempfile::TempDir,
    /// The submission's top folder inside the temp dir.
    pub root: PathBuf,
}

/// Unpacks `path`, or says why not: refused (the submission's fault) or the harness failed.
pub fn intake(path: &Path, limits: &IntakeLimits) -> Result<Submission, IntakeError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let dir = crate::temp_dirs::owned("submission")
        .context("making a temp folder for the submission")
        .map_err(IntakeError::Harness)?;
    let files = dir.path().join("files");
    std::fs::create_dir(&files)?;
    let mut unpacker = Unpacker::new(&files, limits);
    match unpack(path, &mut unpacker, limits) {
        Ok(()) => {}
        Err(IntakeError::Harness(e)) => {
            return Err(IntakeError::Harness(e.context(format!("unpacking {}", path.display()))));
        }
        Err(refused) => return Err(refused),
    }
    let root = single_top_folder(&files)?.unwrap_or(files);
    let (sha256, tally) = digest(&root)
        .context("hashing the submission")
        .map_err(IntakeError::Harness)?;
    if tally.files == 0 {
        return Err(Rejection::new("the submission holds no files").into());
    }
    Ok(Submission {
        name,
        sha256,
        tally,
        _dir: dir,
        root,
    })
}

fn unpack(path: &Path, unpacker: &mut Unpacker, limits: &IntakeLimits) -> Result<(), IntakeError> {
    // The path the user named is followed when it is a link; links inside it never are.
    let metadata =
        std::fs::metadata(path).map_err(|e| Rejection::new(format!("cannot read {}: {e}", path.display())))?;
    if metadata.is_dir() {
        return formats::unpack_folder(path, unpacker, limits.max_depth);
    }
    if !metadata.is_file() {
        return Err(Rejection::new(format!("{} is not a file or a folder", path.display())).into());
    }
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(path)?.read(&mut magic)?;
    match &magic[..read] {
        [b'P', b'K', ..] => formats::unpack_zip(path, unpacker, limits.max_entries, limits.max_bytes),
        [0x1f, 0x8b, ..] => {
            // Every gzip member: parallel compressors write one tar stream as many members.
            let file = std::io::BufReader::new(std::fs::File::open(path)?);
            formats::unpack_tar(flate2::read::MultiGzDecoder::new(file), unpacker)
        }
        _ if is_tar(path)? => formats::unpack_tar(std::io::BufReader::new(std::fs::File::open(path)?), unpacker),
        _ => Err(Rejection::new(format!(
            "{} is not a zip, tar.gz, tar or folder",
            path.file_name().unwrap_or_default().to_string_lossy()
        ))
        .into()),
    }
}

/// A plain tar has "ustar" at offset 257.
fn is_tar(path: &Path) -> std::io::Result<bool> {
    let mut header = [0u8; 262];
    let mut file = std::fs::File::open(path)?;
    let read = file.read(&mut header)?;
    Ok(read == 262 && &header[257..262] == b"ustar")
}

/// Archives often wrap everything in one folder; that folder is then the submission.
fn single_top_folder(root: &Path) -> std::io::Result<Option<PathBuf>> {
    let entries: Vec<_> = std::fs::read_dir(root)?.collect::<Result<_, _>>()?;
    match entries.as_slice() {
        [only] if only.file_type()?.is_dir() => Ok(Some(only.path())),
        _ => Ok(None),
    }
}
