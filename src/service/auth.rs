//! API tokens: random, shown once, stored as their sha256, each with one scope. A request
//! names its token as `Authorization: Bearer TOKEN`.

use std::str::FromStr;

use axum::http::HeaderMap;

use super::db::{Database, DbError};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// Upload submissions and follow their status.
    Submit,
    /// Read assignments, submissions and reports.
    Read,
    /// Read, and score rubrics.
    Review,
    /// Everything.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Submit => "submit",
            Scope::Read => "read",
            Scope::Review => "review",
            Scope::Admin => "admin",
        }
    }

    /// Whether a token of this scope may make a request that needs `need`.
    pub fn allows(self, need: Need) -> bool {
        matches!(
            (self, need),
            (Scope::Admin, _)
                | (Scope::Submit, Need::Submit | Need::Status)
                | (Scope::Read | Scope::Review, Need::Read | Need::Status)
        )
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Scope, String> {
        [Scope::Submit, Scope::Read, Scope::Review, Scope::Admin]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a scope"))
    }
}

/// What a request needs its token to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Upload a submission.
    Submit,
    /// Follow one submission's status (a submit token may, to wait for its verdict).
    Status,
    /// Read assignments, lists and reports.
    Read,
}

/// Why a request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one assay does not know (401).
    Unauthenticated,
    /// A known token whose scope does not allow this (403).
    Forbidden(Scope),
}

/// A new random token: `assay_` and 64 hex digits (256 bits from the OS).
pub fn new_token() -> Result<String, getrandom::Error> {
    Ok(format!("assay_{}", super::clock::random_secret()?))
}

/// What the database keeps of a token.
pub fn hash(token: &str) -> String {
    crate::sha256::of_bytes(token.as_bytes())
}

/// The request's token, checked: known, live, and of a scope that allows `need`. Gives the
/// token's scope and hash.
pub async fn check(
    db: &Database,
    headers: &HeaderMap,
    need: Need,
) -> Result<Result<(Scope, String), Refusal>, DbError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 200) else {
        return Ok(Err(Refusal::Unauthenticated));
    };
    let hash = hash(token);
    let Some(scope) = db.token_scope(&hash).await? else {
        return Ok(Err(Refusal::Unauthenticated));
    };
    let scope: Scope = scope.parse().map_err(DbError::Corrupt)?;
    Ok(if scope.allows(need) {
        Ok((scope, hash))
    } else {
        Err(Refusal::Forbidden(scope))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_allow_what_they_say() {
        assert!(Scope::Admin.allows(Need::Submit));
        assert!(Scope::Submit.allows(Need::Submit) && Scope::Submit.allows(Need::Status));
        assert!(!Scope::Submit.allows(Need::Read));
        assert!(Scope::Read.allows(Need::Read) && !Scope::Read.allows(Need::Submit));
        assert!(Scope::Review.allows(Need::Read) && !Scope::Review.allows(Need::Submit));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), "assay_".len() + 64);
        assert_eq!(hash(&a).len(), 64);
        assert!(!hash(&a).contains(&a[6..]));
    }
}
