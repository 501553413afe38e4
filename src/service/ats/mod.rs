//! Applicant tracking systems: Greenhouse and Ashby call assay to list tests and start them for
//! a candidate (an invite each), and assay tells them how each one stands until it is graded.
//!
//! An integration is added with `assay ats add`: a random key the ATS sends as HTTP Basic user
//! (kept as its sha256, compared in constant time), what assay sends back (sealed), and which
//! ATS test id is which assignment. Every call in and every attempt out is in `ats_audit`.

pub mod ashby;
pub mod audit;
pub mod basic_auth;
pub mod deliver;
pub mod greenhouse;
pub mod inbound;
pub mod interviews;
pub mod outcome;
pub mod sealed;
pub mod status;

use std::collections::BTreeMap;

use sqlx::Row;

use super::clock::{now, random_id};
use super::db::{Database, DbError};

/// Largest body an ATS may send: a candidate's record, never a file.
const MAX_BODY: usize = 64 * 1024;

/// The routes the ATSs call.
pub fn router() -> axum::Router<std::sync::Arc<super::Service>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/ats/greenhouse/list_tests", get(greenhouse::list_tests))
        .route("/ats/greenhouse/send_test", post(greenhouse::send_test))
        .route("/ats/greenhouse/test_status", get(greenhouse::test_status))
        .route("/ats/greenhouse/response_error", post(greenhouse::response_error))
        .route("/ats/ashby/assessment.list", post(ashby::list))
        .route("/ats/ashby/assessment.start", post(ashby::start))
        .route("/ats/ashby/assessment.cancel", post(ashby::cancel))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

/// Which ATS an integration speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Greenhouse,
    Ashby,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Greenhouse => "greenhouse",
            Kind::Ashby => "ashby",
        }
    }

    fn parse(text: &str) -> Result<Kind, DbError> {
        match text {
            "greenhouse" => Ok(Kind::Greenhouse),
            "ashby" => Ok(Kind::Ashby),
            other => Err(DbError::Corrupt(format!("{other:?} is not an ATS"))),
        }
    }
}

/// Ashby's API, where `assessment.update` goes unless an integration says otherwise.
pub const ASHBY_API: &str = "https://api.ashbyhq.com";

/// An integration as recorded (its secrets stay in the database).
#[derive(Debug, Clone)]
pub struct Integration {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    /// Ashby: the API's base URL. Greenhouse: the one origin callbacks may go to, if set.
    pub api_url: Option<String>,
    /// How long a candidate's link stays open.
    pub link_lifetime: std::time::Duration,
    pub created_at: String,
    /// ATS test id → assignment id; empty means every served assignment under its own id.
    pub tests: BTreeMap<String, String>,
}

impl Integration {
    /// The tests it offers among the served assignments: (test id, assignment id).
    pub fn offered<'a>(&'a self, served: impl Iterator<Item = &'a String>) -> Vec<(String, String)> {
        let served: Vec<&String> = served.collect();
        if self.tests.is_empty() {
            return served.into_iter().map(|a| (a.clone(), a.clone())).collect();
        }
        self.tests
            .iter()
            .filter(|(_, assignment)| served.contains(assignment))
            .map(|(test, assignment)| (test.clone(), assignment.clone()))
            .collect()
    }
}

/// What adding an integration needs.
pub struct NewIntegration<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub key_hash: &'a str,
    pub outbound_sealed: &'a str,
    pub api_url: Option<&'a str>,
    pub link_lifetime: std::time::Duration,
    pub tests: &'a BTreeMap<String, String>,
}

pub(super) fn no_randomness(error: getrandom::Error) -> DbError {
    DbError::Corrupt(format!("no randomness from the OS: {error}"))
}

impl Database {
    /// Adds an integration; None when a live one has this name (or this key) already.
    pub async fn add_integration(&self, new: &NewIntegration<'_>) -> Result<Option<String>, DbError> {
        let id = random_id("ats_").map_err(no_randomness)?;
        let mut transaction = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO ats_integrations (id, kind, name, key_hash, outbound_sealed, api_url, link_seconds, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(new.kind.as_str())
        .bind(new.name)
        .bind(new.key_hash)
        .bind(new.outbound_sealed)
        .bind(new.api_url)
        .bind(new.link_lifetime.as_secs() as i64)
        .bind(now())
        .execute(&mut *transaction)
        .await;
        match inserted {
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => return Ok(None),
            other => other?,
        };
        for (test, assignment) in new.tests {
            sqlx::query("INSERT INTO ats_tests (integration_id, test_id, assignment) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(test)
                .bind(assignment)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(Some(id))
    }

    /// Every live integration, by name.
    pub async fn integrations(&self) -> Result<Vec<Integration>, DbError> {
        let rows = sqlx::query(
            "SELECT id, kind, name, api_url, link_seconds, created_at FROM ats_integrations \
             WHERE removed_at IS NULL ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        let tests = sqlx::query("SELECT integration_id, test_id, assignment FROM ats_tests ORDER BY test_id")
            .fetch_all(self.pool())
            .await?;
        let mut integrations = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let mut offered = BTreeMap::new();
            for test in &tests {
                if test.try_get::<String, _>("integration_id")? == id {
                    offered.insert(test.try_get("test_id")?, test.try_get("assignment")?);
                }
            }
            integrations.push(Integration {
                kind: Kind::parse(row.try_get::<String, _>("kind")?.as_str())?,
                name: row.try_get("name")?,
                api_url: row.try_get("api_url")?,
                link_lifetime: std::time::Duration::from_secs(row.try_get::<i64, _>("link_seconds")?.max(1) as u64),
                created_at: row.try_get("created_at")?,
                tests: offered,
                id,
            });
        }
        Ok(integrations)
    }

    /// The live integration of `kind` whose key hashes to `key_hash`. Every candidate is
    /// compared, in constant time, so the answer's timing tells nothing about the key.
    pub async fn integration_by_key(&self, kind: Kind, key_hash: &str) -> Result<Option<Integration>, DbError> {
        let rows = sqlx::query("SELECT id, key_hash FROM ats_integrations WHERE kind = $1 AND removed_at IS NULL")
            .bind(kind.as_str())
            .fetch_all(self.pool())
            .await?;
        let mut found = None;
        for row in rows {
            let hash: String = row.try_get("key_hash")?;
            if super::sessions::same_secret(&hash, key_hash) {
                found = Some(row.try_get::<String, _>("id")?);
            }
        }
        let Some(id) = found else { return Ok(None) };
        Ok(self.integrations().await?.into_iter().find(|i| i.id == id))
    }

    /// The sealed secret assay sends to this integration's ATS.
    pub async fn outbound_sealed(&self, integration_id: &str) -> Result<String, DbError> {
        let row = sqlx::query("SELECT outbound_sealed FROM ats_integrations WHERE id = $1")
            .bind(integration_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("outbound_sealed")?)
    }

    /// Stops an integration: its key no longer works, nothing more is sent. False when there
    /// is no live one of that name.
    pub async fn remove_integration(&self, name: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE ats_integrations SET removed_at = $1, name = id || ':' || name WHERE name = $2 AND removed_at IS NULL",
        )
        .bind(now())
        .bind(name)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(tests: &[(&str, &str)]) -> Integration {
        Integration {
            id: "ats_1".into(),
            kind: Kind::Greenhouse,
            name: "acme".into(),
            api_url: None,
            link_lifetime: std::time::Duration::from_secs(3600),
            created_at: String::new(),
            tests: tests.iter().map(|(t, a)| (t.to_string(), a.to_string())).collect(),
        }
    }

    #[test]
    fn without_a_mapping_every_served_assignment_is_offered_under_its_id() {
        let served = ["digits".to_string(), "sleep".to_string()];
        assert_eq!(
            integration(&[]).offered(served.iter()),
            vec![("digits".into(), "digits".into()), ("sleep".into(), "sleep".into())]
        );
    }

    #[test]
    fn a_mapping_offers_only_its_tests_whose_assignment_is_served() {
        let served = ["digits".to_string()];
        assert_eq!(
            integration(&[("101", "digits"), ("102", "gone")]).offered(served.iter()),
            vec![("101".into(), "digits".into())]
        );
    }
}
