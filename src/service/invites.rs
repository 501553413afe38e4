//! Invites: a link for one candidate and one assignment, `/invite/<id>.<signature>`, signed
//! with the server's key (so ids cannot be guessed into links), expiring, and used up by the
//! one upload it accepts.

use std::path::Path;

use hmac::{KeyInit, Mac};
use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError};
use crate::path_error::PathError;

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
    /// When the candidate first opened the link.
    pub opened_at: Option<String>,
    /// When an ATS cancelled it; the link takes no upload after.
    pub cancelled_at: Option<String>,
}

impl Invite {
    pub fn expired(&self) -> bool {
        self.expires_at.as_str() <= now().as_str()
    }
}

/// The server's signing key, `DATA/invite.key`: made (random, mode 0600) on first use.
pub fn key(data: &Path) -> Result<Vec<u8>, PathError> {
    super::key_file::load_or_make(data, "invite.key")
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

/// Records an invite on `connection` (inside the caller's transaction).
pub async fn insert_on(connection: &mut sqlx::AnyConnection, invite: &Invite) -> Result<(), sqlx::Error> {
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
    .execute(connection)
    .await?;
    Ok(())
}

/// An invite from a row of `SELECT_INVITE`.
pub fn from_row(row: &sqlx::any::AnyRow) -> Result<Invite, sqlx::Error> {
    Ok(Invite {
        id: row.try_get("id")?,
        assignment: row.try_get("assignment")?,
        candidate: row.try_get("candidate")?,
        email: row.try_get("email")?,
        external_id: row.try_get("external_id")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        submission_id: row.try_get("submission_id")?,
        opened_at: row.try_get("opened_at")?,
        cancelled_at: row.try_get("cancelled_at")?,
    })
}

/// `SELECT <every column from_row reads> FROM invites v` and the rest, as one literal.
macro_rules! select_invites {
    ($rest:expr) => {
        concat!(
            "SELECT v.id AS id, v.assignment AS assignment, v.candidate AS candidate, v.email AS email, ",
            "v.external_id AS external_id, v.expires_at AS expires_at, v.used_at AS used_at, ",
            "v.submission_id AS submission_id, v.opened_at AS opened_at, v.cancelled_at AS cancelled_at",
            $rest
        )
    };
}
pub(crate) use select_invites;

impl Database {
    pub async fn insert_invite(&self, invite: &Invite) -> Result<(), DbError> {
        let mut connection = self.pool().acquire().await?;
        insert_on(&mut connection, invite).await?;
        Ok(())
    }

    /// Notes that the candidate opened the link; true the first time only.
    pub async fn mark_opened(&self, id: &str) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE invites SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn invite(&self, id: &str) -> Result<Option<Invite>, DbError> {
        let row = sqlx::query(select_invites!(" FROM invites v WHERE v.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| from_row(&row)).transpose()?)
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
}
