//! sha256 of a file, read as a stream: an output may be as large as a candidate's writable area.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The file's sha256 in hex, and its size in bytes.
pub fn of_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok((hex::encode(hasher.finalize()), bytes)),
            Ok(n) => {
                hasher.update(&buffer[..n]);
                bytes += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The sha256 of some bytes, in hex.
pub fn of_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_and_bytes_hash_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 200_000]).unwrap();
        let (hex, bytes) = super::of_file(&path).unwrap();
        assert_eq!((hex, bytes), (super::of_bytes(&[7u8; 200_000]), 200_000));
        assert_eq!(
            super::of_bytes(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
