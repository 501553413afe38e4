//! Interviews: one test sent to one candidate by an ATS, each with its own invite. Starting
//! one twice for the same candidate and test gives the first back while it is live.

use sqlx::Row;

use super::status::{self, Facts, Status};
use super::{Integration, Kind, no_randomness};
use crate::service::clock::{now, random_id};
use crate::service::db::{Database, DbError, Status as Grading};
use crate::service::invites::{self, Invite};
use crate::service::outbox::{self, Event};

/// What starting an interview needs.
pub struct NewInterview<'a> {
    pub integration: &'a Integration,
    pub test_id: &'a str,
    /// The invite, not yet recorded (its id is taken only when a new interview is made).
    pub invite: Invite,
    /// The candidate as the ATS sent them.
    pub candidate_json: String,
    /// Greenhouse's `url`, for the PATCH when done.
    pub callback_url: Option<String>,
    /// Names this candidate and test for this integration (see `live_key`).
    pub live_key: String,
    /// The candidate's link for an invite id, for the `invite.created` event.
    pub link: &'a (dyn Fn(&str) -> String + Sync),
}

/// What `start` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    New {
        interview_id: String,
        invite_id: String,
    },
    /// A live interview for this candidate and test: nothing made.
    Existing {
        interview_id: String,
        invite_id: String,
    },
}

impl Started {
    pub fn interview_id(&self) -> &str {
        match self {
            Started::New { interview_id, .. } | Started::Existing { interview_id, .. } => interview_id,
        }
    }
}

/// What identifies "the same candidate and test" for an integration: the parts, each
/// length-prefixed so no two lists of parts give the same key.
pub fn live_key(integration_id: &str, test_id: &str, candidate: &[&str]) -> String {
    let mut key = String::new();
    for part in [integration_id, test_id].iter().chain(candidate) {
        key.push_str(&format!("{}:{part};", part.len()));
    }
    crate::sha256::of_bytes(key.as_bytes())
}

/// An interview and how it stands.
#[derive(Debug, Clone)]
pub struct Interview {
    pub id: String,
    pub integration_id: String,
    pub kind: Kind,
    pub test_id: String,
    pub invite: Invite,
    pub callback_url: Option<String>,
    pub cancelled_at: Option<String>,
    pub reported: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    /// The grading status of the submission that came through the invite.
    pub grading: Option<Grading>,
}

impl Interview {
    pub fn status(&self) -> Status {
        status::of(&Facts {
            cancelled: self.cancelled_at.is_some(),
            opened: self.invite.opened_at.is_some(),
            expired: self.invite.expired(),
            grading: self.grading,
        })
    }
}

/// What `cancel` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Cancelled {
    Now,
    Already,
    NoSuchInterview,
}

/// `SELECT` an interview with its integration's kind, its invite and its grading status,
/// and the rest, as one literal.
macro_rules! select_interviews {
    ($rest:literal) => {
        invites::select_invites!(concat!(
            ", i.id AS interview_id, i.integration_id AS integration_id, a.kind AS kind, ",
            "i.test_id AS test_id, i.callback_url AS callback_url, i.cancelled_at AS interview_cancelled_at, ",
            "i.reported AS reported, i.attempts AS attempts, i.next_attempt_at AS next_attempt_at, ",
            "s.status AS grading FROM ats_interviews i JOIN ats_integrations a ON a.id = i.integration_id ",
            "JOIN invites v ON v.id = i.invite_id LEFT JOIN submissions s ON s.id = v.submission_id ",
            $rest
        ))
    };
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

impl Database {
    /// Starts an interview, or finds the live one for the same candidate and test. The invite,
    /// the interview and the `invite.created` event are recorded in one transaction.
    pub async fn start_interview(&self, new: &NewInterview<'_>) -> Result<Started, DbError> {
        for _ in 0..5 {
            match self.try_start(new).await {
                Err(DbError::Sql(error)) if is_unique_violation(&error) => continue,
                other => return other,
            }
        }
        Err(DbError::Corrupt("starting an interview collided five times".into()))
    }

    async fn try_start(&self, new: &NewInterview<'_>) -> Result<Started, DbError> {
        let mut transaction = self.pool().begin().await?;
        // Write first: on SQLite the transaction then holds the write lock from the start (a
        // read turned into a write would fail at once when another writer is there).
        sqlx::query("UPDATE ats_interviews SET live_key = live_key WHERE live_key = $1")
            .bind(&new.live_key)
            .execute(&mut *transaction)
            .await?;
        let found = sqlx::query(invites::select_invites!(
            ", i.id AS interview_id, i.cancelled_at AS interview_cancelled_at \
             FROM ats_interviews i JOIN invites v ON v.id = i.invite_id WHERE i.live_key = $1"
        ))
        .bind(&new.live_key)
        .fetch_optional(&mut *transaction)
        .await?;
        if let Some(row) = found {
            let interview_id: String = row.try_get("interview_id")?;
            let cancelled: Option<String> = row.try_get("interview_cancelled_at")?;
            let invite = invites::from_row(&row)?;
            let ended = cancelled.is_some() || (invite.used_at.is_none() && invite.expired());
            if !ended {
                if let Some(url) = &new.callback_url {
                    // The ATS asked again: the newest place to tell it is where it listens now.
                    sqlx::query("UPDATE ats_interviews SET callback_url = $1 WHERE id = $2")
                        .bind(url)
                        .bind(&interview_id)
                        .execute(&mut *transaction)
                        .await?;
                }
                transaction.commit().await?;
                return Ok(Started::Existing {
                    interview_id,
                    invite_id: invite.id,
                });
            }
            sqlx::query("UPDATE ats_interviews SET live_key = NULL WHERE id = $1")
                .bind(&interview_id)
                .execute(&mut *transaction)
                .await?;
        }
        let prefix = match new.integration.kind {
            Kind::Greenhouse => "gh_",
            Kind::Ashby => "ab_",
        };
        let interview_id = random_id(prefix).map_err(no_randomness)?;
        let mut invite = new.invite.clone();
        invite.id = random_id("i_").map_err(no_randomness)?;
        invites::insert_on(&mut transaction, &invite).await?;
        let at = now();
        sqlx::query(
            "INSERT INTO ats_interviews (id, integration_id, test_id, invite_id, candidate, callback_url, live_key, \
             reported, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'invited', 0, $8, $9)",
        )
        .bind(&interview_id)
        .bind(&new.integration.id)
        .bind(new.test_id)
        .bind(&invite.id)
        .bind(&new.candidate_json)
        .bind(&new.callback_url)
        .bind(&new.live_key)
        .bind(&at)
        .bind(&at)
        .execute(&mut *transaction)
        .await?;
        let event = Event {
            name: "invite.created",
            data: serde_json::json!({
                "invite_id": invite.id,
                "assignment": invite.assignment,
                "candidate": invite.candidate,
                "email": invite.email,
                "external_id": invite.external_id,
                "url": (new.link)(&invite.id),
                "expires_at": invite.expires_at,
                "ats": {
                    "kind": new.integration.kind.as_str(),
                    "integration": new.integration.name,
                    "test_id": new.test_id,
                    "interview_id": interview_id,
                },
            }),
        };
        outbox::enqueue(&mut transaction, &event).await?;
        transaction.commit().await?;
        Ok(Started::New {
            interview_id,
            invite_id: invite.id,
        })
    }

    /// Cancels an interview of this integration: its link takes no upload after, and nothing
    /// more is told to the ATS.
    pub async fn cancel_interview(&self, integration_id: &str, id: &str) -> Result<Cancelled, DbError> {
        let mut transaction = self.pool().begin().await?;
        let at = now();
        let cancelled = sqlx::query(
            "UPDATE ats_interviews SET cancelled_at = $1, live_key = NULL, reported = 'cancelled', settled_at = $1 \
             WHERE id = $2 AND integration_id = $3 AND cancelled_at IS NULL",
        )
        .bind(&at)
        .bind(id)
        .bind(integration_id)
        .execute(&mut *transaction)
        .await?;
        let row = sqlx::query("SELECT invite_id FROM ats_interviews WHERE id = $1 AND integration_id = $2")
            .bind(id)
            .bind(integration_id)
            .fetch_optional(&mut *transaction)
            .await?;
        let Some(row) = row else {
            return Ok(Cancelled::NoSuchInterview);
        };
        if cancelled.rows_affected() == 0 {
            return Ok(Cancelled::Already);
        }
        sqlx::query("UPDATE invites SET cancelled_at = $1 WHERE id = $2 AND cancelled_at IS NULL")
            .bind(&at)
            .bind(row.try_get::<String, _>("invite_id")?)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Cancelled::Now)
    }

    /// One interview of this integration, with its invite and submission.
    pub async fn interview(&self, integration_id: &str, id: &str) -> Result<Option<Interview>, DbError> {
        let row = sqlx::query(select_interviews!("WHERE i.id = $1 AND i.integration_id = $2"))
            .bind(id)
            .bind(integration_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| interview_of(&row)).transpose()
    }

    /// The interviews of an integration, newest first.
    pub async fn interviews_of(&self, integration_id: &str, limit: i64) -> Result<Vec<Interview>, DbError> {
        let rows = sqlx::query(select_interviews!(
            "WHERE i.integration_id = $1 ORDER BY i.created_at DESC, i.id LIMIT $2"
        ))
        .bind(integration_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(interview_of).collect()
    }

    /// Interviews there may be something to tell about, whose next try is due, of live
    /// integrations: a page of `limit` with ids after `after` ("" for the first), in id order.
    /// Most have nothing new to tell and stay due, so callers page through them all.
    pub async fn interviews_due(&self, after: &str, limit: i64) -> Result<Vec<Interview>, DbError> {
        let rows = sqlx::query(select_interviews!(
            "WHERE i.settled_at IS NULL AND i.next_attempt_at <= $1 AND a.removed_at IS NULL AND i.id > $2 \
             ORDER BY i.id LIMIT $3"
        ))
        .bind(now())
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(interview_of).collect()
    }
}

fn interview_of(row: &sqlx::any::AnyRow) -> Result<Interview, DbError> {
    let grading: Option<String> = row.try_get("grading")?;
    Ok(Interview {
        id: row.try_get("interview_id")?,
        integration_id: row.try_get("integration_id")?,
        kind: Kind::parse(row.try_get::<String, _>("kind")?.as_str())?,
        test_id: row.try_get("test_id")?,
        callback_url: row.try_get("callback_url")?,
        cancelled_at: row.try_get("interview_cancelled_at")?,
        reported: row.try_get("reported")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        invite: invites::from_row(row)?,
        grading: grading.map(|g| g.parse()).transpose().map_err(DbError::Corrupt)?,
    })
}

impl Database {
    /// Takes an interview's next try for this process: moves its time to `lease_until` if no
    /// other process moved it since it was read. False when another took it.
    pub async fn claim_interview(&self, interview: &Interview, lease_until: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE ats_interviews SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND settled_at IS NULL",
        )
        .bind(lease_until)
        .bind(&interview.id)
        .bind(&interview.next_attempt_at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that the ATS now knows `status`; a final status settles the interview.
    pub async fn reported(&self, id: &str, status: Status) -> Result<(), DbError> {
        let at = now();
        sqlx::query(
            "UPDATE ats_interviews SET reported = $1, attempts = 0, next_attempt_at = $2, \
             settled_at = CASE WHEN $3 THEN $2 ELSE NULL END, \
             live_key = CASE WHEN $4 THEN NULL ELSE live_key END WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(&at)
        .bind(status.is_final())
        .bind(matches!(status, Status::Expired | Status::Cancelled))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failed try: the next at `retry_at`, or none (given up: settled).
    pub async fn report_failed(&self, id: &str, attempts: i64, retry_at: Option<String>) -> Result<(), DbError> {
        let at = now();
        sqlx::query(
            "UPDATE ats_interviews SET attempts = $1, next_attempt_at = $2, \
             settled_at = CASE WHEN $3 THEN NULL ELSE $4 END WHERE id = $5",
        )
        .bind(attempts)
        .bind(retry_at.clone().unwrap_or_else(|| at.clone()))
        .bind(retry_at.is_some())
        .bind(&at)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn live_keys_tell_their_parts_apart() {
        let key = |parts: &[&str]| super::live_key("ats_1", "101", parts);
        assert_eq!(key(&["a@x.org"]), key(&["a@x.org"]));
        assert_ne!(key(&["a@x.org"]), key(&["b@x.org"]));
        assert_ne!(key(&["a:b", "c"]), key(&["a", "b:c"]));
        assert_ne!(
            super::live_key("ats_1", "10", &["1a"]),
            super::live_key("ats_1", "101", &["a"])
        );
    }
}
