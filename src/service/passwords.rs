//! Reviewers' passwords: argon2id hashes (salted, in PHC strings), never the passwords. A
//! login checks the password against the stored hash, or against a stand-in when the name is
//! unknown, so the answer takes as long either way.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError};

/// Shortest password accepted.
pub const MIN_CHARS: usize = 12;

/// The PHC string of a password, with a random salt.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` is the one `phc` was made from; `None` checks against a stand-in and
/// is always false.
pub fn verify(password: &str, phc: Option<&str>) -> bool {
    // A hash of a random password, made once: an unknown name costs the same as a known one.
    static STAND_IN: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash(&super::clock::random_secret().unwrap_or_default()).unwrap_or_default());
    let known = phc.is_some();
    let Ok(parsed) = PasswordHash::new(phc.unwrap_or(STAND_IN.as_str())) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
}

impl Database {
    /// Sets (or replaces) a reviewer's password hash and scope.
    pub async fn set_password(&self, reviewer: &str, scope: &str, hash: &str) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO passwords (reviewer, scope, hash, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (reviewer) DO UPDATE SET scope = $2, hash = $3, updated_at = $4",
        )
        .bind(reviewer)
        .bind(scope)
        .bind(hash)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A reviewer's scope and password hash.
    pub async fn password(&self, reviewer: &str) -> Result<Option<(String, String)>, DbError> {
        let row = sqlx::query("SELECT scope, hash FROM passwords WHERE reviewer = $1")
            .bind(reviewer)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("scope")?, r.try_get("hash")?)))
            .transpose()?)
    }

    /// Removes a reviewer's password; false when they had none. Their sessions end too.
    pub async fn remove_password(&self, reviewer: &str) -> Result<bool, DbError> {
        let mut transaction = self.pool().begin().await?;
        let done = sqlx::query("DELETE FROM passwords WHERE reviewer = $1")
            .bind(reviewer)
            .execute(&mut *transaction)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE reviewer = $1")
            .bind(reviewer)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_password_verifies_and_only_its_hash_is_kept() {
        let phc = super::hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(super::verify("correct horse battery", Some(&phc)));
        assert!(!super::verify("correct horse batterY", Some(&phc)));
        assert!(!super::verify("correct horse battery", None));
        assert!(!super::verify("x", Some("not a hash")));
    }
}
