//! Reviewers' browser sessions: a reviewer logs in with a review or admin token once, and
//! gets a random session cookie (HttpOnly, SameSite=Strict) whose sha256 the database keeps,
//! with the CSRF token every form of the session must carry.

use std::time::{Duration, SystemTime};

use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError};

/// The session cookie's name.
pub const COOKIE: &str = "assay_session";

/// How long a session lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub reviewer: String,
    pub admin: bool,
    pub csrf: String,
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of one cookie in a `Cookie` header.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

impl Database {
    /// Starts a session; the caller gives the cookie's value, only its hash is kept.
    pub async fn start_session(&self, value: &str, reviewer: &str, scope: &str, csrf: &str) -> Result<(), DbError> {
        let expires = humantime::format_rfc3339_micros(SystemTime::now() + LIFETIME).to_string();
        sqlx::query(
            "INSERT INTO sessions (hash, reviewer, scope, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(crate::sha256::of_bytes(value.as_bytes()))
        .bind(reviewer)
        .bind(scope)
        .bind(csrf)
        .bind(now())
        .bind(expires)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live session a cookie's value names.
    pub async fn session(&self, value: &str) -> Result<Option<Session>, DbError> {
        let row = sqlx::query("SELECT reviewer, scope, csrf FROM sessions WHERE hash = $1 AND expires_at > $2")
            .bind(crate::sha256::of_bytes(value.as_bytes()))
            .bind(now())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let scope: String = row.try_get("scope")?;
        Ok(Some(Session {
            reviewer: row.try_get("reviewer")?,
            admin: scope == "admin",
            csrf: row.try_get("csrf")?,
        }))
    }

    pub async fn end_session(&self, value: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE hash = $1 OR expires_at <= $2")
            .bind(crate::sha256::of_bytes(value.as_bytes()))
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("cookie", "a=1; assay_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, "assay"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
