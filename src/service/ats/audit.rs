//! The audit of an integration: every call the ATS made to assay and every attempt assay made
//! to reach the ATS, with its outcome.

use sqlx::Row;

use crate::service::clock::{now, random_id};
use crate::service::db::{Database, DbError};

/// Longest outcome kept: what an ATS sends back is cut, never stored whole.
const MAX_OUTCOME_CHARS: usize = 2000;

/// One line of the audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub direction: String,
    pub call: String,
    pub interview_id: Option<String>,
    pub status: Option<u16>,
    pub outcome: String,
    pub at: String,
}

/// Which way a call went.
#[derive(Debug, Clone, Copy)]
pub enum Direction {
    /// The ATS called assay.
    In,
    /// Assay called the ATS.
    Out,
}

impl Database {
    /// Records one call; a failure to record is logged, never the caller's failure.
    pub async fn audit(
        &self,
        integration_id: &str,
        direction: Direction,
        call: &str,
        interview_id: Option<&str>,
        status: Option<u16>,
        outcome: &str,
    ) {
        if let Err(error) = self
            .try_audit(integration_id, direction, call, interview_id, status, outcome)
            .await
        {
            tracing::error!("recording an ATS call ({call}) in the audit: {error}");
        }
    }

    async fn try_audit(
        &self,
        integration_id: &str,
        direction: Direction,
        call: &str,
        interview_id: Option<&str>,
        status: Option<u16>,
        outcome: &str,
    ) -> Result<(), DbError> {
        let id = random_id("a_").map_err(|e| DbError::Corrupt(format!("no randomness from the OS: {e}")))?;
        let outcome: String = crate::text::plain(outcome).chars().take(MAX_OUTCOME_CHARS).collect();
        sqlx::query(
            "INSERT INTO ats_audit (id, integration_id, direction, call, interview_id, status, outcome, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(integration_id)
        .bind(match direction {
            Direction::In => "in",
            Direction::Out => "out",
        })
        .bind(call)
        .bind(interview_id)
        .bind(status.map(i64::from))
        .bind(outcome)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest `limit` entries of an integration, oldest first.
    pub async fn audit_of(&self, integration_id: &str, limit: i64) -> Result<Vec<Entry>, DbError> {
        let rows = sqlx::query(
            "SELECT direction, call, interview_id, status, outcome, at FROM ats_audit \
             WHERE integration_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(integration_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut entries = rows
            .iter()
            .map(|row| {
                Ok(Entry {
                    direction: row.try_get("direction")?,
                    call: row.try_get("call")?,
                    interview_id: row.try_get("interview_id")?,
                    status: row.try_get::<Option<i64>, _>("status")?.map(|s| s as u16),
                    outcome: row.try_get("outcome")?,
                    at: row.try_get("at")?,
                })
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        entries.reverse();
        Ok(entries)
    }
}
