//! The submission's identity: sha256 over a normalised listing of paths and contents,
//! the same whether the files came as a zip, a tar.gz or a folder.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Counts of what a submission holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub files: u64,
    pub bytes: u64,
}

/// Hashes every regular file under `root` (sorted by path; folders and modes do not count).
pub fn digest(root: &Path) -> std::io::Result<(String, Tally)> {
    let mut files = Vec::new();
    list(root, String::new(), &mut files)?;
    files.sort();
    let mut listing = Sha256::new();
    let mut tally = Tally::default();
    for relative in files {
        let mut file = std::fs::File::open(root.join(&relative))?;
        let mut content = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            content.update(&buffer[..n]);
        }
        listing.update(format!("{}\0{}\0{}\n", relative, size, hex::encode(content.finalize())));
        tally.files += 1;
        tally.bytes += size;
    }
    Ok((hex::encode(listing.finalize()), tally))
}

fn list(root: &Path, prefix: String, files: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root.join(&prefix))? {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list(root, format!("{name}/"), files)?;
        } else if kind.is_file() {
            files.push(name);
        }
    }
    Ok(())
}
