//! Invites: a link for one candidate and one assignment, `/invite/<id>.<signature>`, signed
//! with the server's key (so ids cannot be guessed into links), expiring, and used up by the
//! one upload it accepts.

use std::path::Path;

use hmac::{KeyInit, Mac};
use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError};
use crate::path_error::{AtPath, PathError};

/// Longest life an invite may be given.
pub const MAX_HOURS: u64 = 24 * 90;

/// An invite as recorded.
#[derive(Debug, Clone)]
pub struct Invite {
    pub id: String,
    pub assignment: String,
    pub candidate: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub submission_id: Option<String>,
}

impl Invite {
    pub fn expired(&self) -> bool {
        self.expires_at.as_str() <= now().as_str()
    }
}

/// The server's signing key, `DATA/invite.key`: made (random, mode 0600) on first use.
pub fn key(data: &Path) -> Result<Vec<u8>, PathError> {
    let path = data.join("invite.key");
    match std::fs::read(&path) {
        Ok(key) if key.len() >= 32 => return Ok(key),
        Ok(_) | Err(_) => {}
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| std::io::Error::other(e.to_string()))
        .at("making a key for", &path)?;
    let text = hex::encode(key);
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .at("creating", &path)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .at("writing", &path)?;
    }
    Ok(text.into_bytes())
}

fn mac(key: &[u8], id: &str) -> hmac::Hmac<sha2::Sha256> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac
}

/// The link's last part: the id and its signature.
pub fn link_token(key: &[u8], id: &str) -> String {
    format!("{id}.{}", hex::encode(mac(key, id).finalize().into_bytes()))
}

/// The invite id a link names, when its signature holds (compared in constant time).
pub fn verify(key: &[u8], token: &str) -> Option<String> {
    let (id, signature) = token.split_once('.')?;
    let signature = hex::decode(signature).ok()?;
    mac(key, id).verify_slice(&signature).ok()?;
    Some(id.to_string())
}

impl Database {
    pub async fn insert_invite(&self, invite: &Invite) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO invites (id, assignment, candidate, email, external_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&invite.id)
        .bind(&invite.assignment)
        .bind(&invite.candidate)
        .bind(&invite.email)
        .bind(&invite.external_id)
        .bind(&invite.expires_at)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn invite(&self, id: &str) -> Result<Option<Invite>, DbError> {
        let row = sqlx::query(
            "SELECT id, assignment, candidate, email, external_id, expires_at, used_at, submission_id \
             FROM invites WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Invite {
            id: row.try_get("id")?,
            assignment: row.try_get("assignment")?,
            candidate: row.try_get("candidate")?,
            email: row.try_get("email")?,
            external_id: row.try_get("external_id")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
            submission_id: row.try_get("submission_id")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_hold_only_with_their_signature() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = link_token(key, "i_1");
        assert_eq!(verify(key, &token).as_deref(), Some("i_1"));
        assert_eq!(verify(key, &token.replace("i_1", "i_2")), None);
        assert_eq!(verify(b"another key of thirty-two bytes!", &token), None);
        assert_eq!(verify(key, "i_1"), None);
        assert_eq!(verify(key, "i_1.zz"), None);
    }

    #[test]
    fn the_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = key(dir.path()).unwrap();
        assert_eq!(key(dir.path()).unwrap(), first);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join("invite.key")).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }
}
