//! Secrets assay must send back to an ATS, kept sealed at rest: XChaCha20-Poly1305 with the
//! server's `DATA/ats.key`, so a copy of the database alone gives none of them away.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::path_error::PathError;

/// The sealing key: `DATA/ats.key`, made on first use.
pub fn key(data: &Path) -> Result<Vec<u8>, PathError> {
    crate::service::key_file::load_or_make(data, "ats.key")
}

fn cipher(key: &[u8]) -> Result<XChaCha20Poly1305, String> {
    let bytes = hex::decode(key).map_err(|_| "the ATS key file is not hex".to_string())?;
    XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| "the ATS key file does not hold 32 bytes".to_string())
}

/// `secret` sealed: a random nonce and the ciphertext, as hex.
pub fn seal(key: &[u8], secret: &str) -> Result<String, String> {
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut nonce).map_err(|e| format!("no randomness from the OS: {e}"))?;
    let sealed = cipher(key)?
        .encrypt(&XNonce::from(nonce), secret.as_bytes())
        .map_err(|_| "sealing failed".to_string())?;
    Ok(format!("{}{}", hex::encode(nonce), hex::encode(sealed)))
}

/// The secret `sealed` holds, when it was sealed with `key` and is whole.
pub fn open(key: &[u8], sealed: &str) -> Result<String, String> {
    let bytes = hex::decode(sealed).map_err(|_| "a sealed secret is not hex".to_string())?;
    if bytes.len() < 24 + 16 {
        return Err("a sealed secret is too short".into());
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().expect("split at 24");
    let plain = cipher(key)?.decrypt(&XNonce::from(nonce), ciphertext).map_err(|_| {
        "a sealed secret does not open with DATA/ats.key (another server's key, or altered)".to_string()
    })?;
    String::from_utf8(plain).map_err(|_| "a sealed secret is not text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_unaltered() {
        let sealed = seal(KEY, "gh_secret").unwrap();
        assert!(!sealed.contains(&hex::encode("gh_secret")));
        assert_ne!(sealed, seal(KEY, "gh_secret").unwrap(), "each seal has its own nonce");
        assert_eq!(open(KEY, &sealed).unwrap(), "gh_secret");
        let other = b"ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        assert!(open(other, &sealed).is_err());
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert!(open(KEY, &String::from_utf8(altered).unwrap()).is_err());
        assert!(open(KEY, "zz").is_err());
        assert!(open(KEY, "00").is_err());
    }
}
