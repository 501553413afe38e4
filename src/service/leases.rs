//! Grades under leases: a worker claims a queued submission for a while and renews the claim
//! as it grades; a claim that runs out (the worker died, paused or lost the network) puts the
//! grade back in the queue as lost to the infrastructure, never counted against the candidate.
//! Each claim raises the submission's lease token, and a result is recorded only with the token
//! of its own claim (fencing): a late result from a lost claim is refused.
//!
//! On PostgreSQL a claim is one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)`;
//! SQLite has one writer, so a plain compare-and-set does.

use std::time::{Duration, SystemTime};

use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError, Finished, Submission};
use super::outbox::{Event, enqueue};

/// How a claim ended, as `grade_attempts` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A verdict was recorded.
    Graded,
    /// Put back in the queue (the harness failed, or the assignment is not served there).
    Requeued,
    /// The lease ran out, or the server restarted, with the grade unfinished.
    Lost,
    /// Its result came after the lease was lost, and was not recorded.
    Refused,
    /// This worker's engine holds another image than the one the job names: not graded here.
    WrongImage,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::Graded => "graded",
            Ending::Requeued => "requeued",
            Ending::Lost => "lost",
            Ending::Refused => "refused",
            Ending::WrongImage => "wrong_image",
        }
    }
}

fn at(after: Duration) -> String {
    humantime::format_rfc3339_micros(SystemTime::now() + after).to_string()
}

impl Database {
    /// Takes the oldest queued submission for `worker` for `lease`, or none. Only one caller
    /// can take it; the submission comes back with its new lease token.
    pub async fn claim_next(&self, worker: &str, lease: Duration) -> Result<Option<Submission>, DbError> {
        let claimed = if self.is_sqlite() {
            self.claim_on_sqlite(worker, lease).await?
        } else {
            let row = sqlx::query(
                "UPDATE submissions SET status = 'grading', attempts = attempts + 1, lease_token = lease_token + 1, \
                 lease_expires_at = $1, worker_id = $2, updated_at = $3 \
                 WHERE id = (SELECT id FROM submissions WHERE status = 'queued' AND (retry_at IS NULL OR retry_at <= $3) \
                 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
            )
            .bind(at(lease))
            .bind(worker)
            .bind(now())
            .fetch_optional(self.pool())
            .await?;
            row.map(|r| r.try_get::<String, _>("id")).transpose()?
        };
        let Some(id) = claimed else { return Ok(None) };
        let Some(submission) = self.get(&id).await? else {
            return Err(DbError::Corrupt(format!("claimed submission {id} is gone")));
        };
        sqlx::query(
            "INSERT INTO grade_attempts (submission_id, lease_token, worker_id, started_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(submission.lease_token)
        .bind(worker)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(Some(submission))
    }

    async fn claim_on_sqlite(&self, worker: &str, lease: Duration) -> Result<Option<String>, DbError> {
        loop {
            let row = sqlx::query(
                "SELECT id FROM submissions WHERE status = 'queued' AND (retry_at IS NULL OR retry_at <= $1) \
                 ORDER BY seq LIMIT 1",
            )
            .bind(now())
            .fetch_optional(self.pool())
            .await?;
            let Some(row) = row else { return Ok(None) };
            let id: String = row.try_get("id")?;
            let claimed = sqlx::query(
                "UPDATE submissions SET status = 'grading', attempts = attempts + 1, lease_token = lease_token + 1, \
                 lease_expires_at = $1, worker_id = $2, updated_at = $3 WHERE id = $4 AND status = 'queued'",
            )
            .bind(at(lease))
            .bind(worker)
            .bind(now())
            .bind(&id)
            .execute(self.pool())
            .await?;
            // Another worker may have taken it between the two statements: look again.
            if claimed.rows_affected() == 1 {
                return Ok(Some(id));
            }
        }
    }

    /// Renews a claim for another `lease`. False when it is no longer this claim's (it ran out
    /// and was put back, or another worker holds it now).
    pub async fn renew(&self, id: &str, token: i64, lease: Duration) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE submissions SET lease_expires_at = $1 WHERE id = $2 AND lease_token = $3 AND status = 'grading'",
        )
        .bind(at(lease))
        .bind(id)
        .bind(token)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a grade's end, and `event` for the webhooks, in one transaction, if the claim
    /// `token` still holds the submission. False (nothing recorded) when it does not.
    pub async fn finish(&self, id: &str, token: i64, finished: &Finished<'_>, event: &Event) -> Result<bool, DbError> {
        let mut transaction = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE submissions SET status = $1, verdict = $2, score = $3, max_score = $4, sha256 = $5, \
             summary = $6, updated_at = $7, reproducibility = $9, test_groups = $10, lease_expires_at = NULL, \
             report_dir = $12 WHERE id = $8 AND lease_token = $11 AND status = 'grading'",
        )
        .bind(finished.status.as_str())
        .bind(finished.verdict)
        .bind(finished.score.map(|s| s.0))
        .bind(finished.score.map(|s| s.1))
        .bind(finished.sha256)
        .bind(finished.summary)
        .bind(now())
        .bind(id)
        .bind(finished.reproducibility)
        .bind(&finished.test_groups)
        .bind(token)
        .bind(finished.report_dir)
        .execute(&mut *transaction)
        .await?;
        if done.rows_affected() == 0 {
            transaction.rollback().await?;
            self.ended(id, token, Ending::Refused).await?;
            return Ok(false);
        }
        enqueue(&mut transaction, event).await?;
        transaction.commit().await?;
        self.ended(id, token, Ending::Graded).await?;
        Ok(true)
    }

    /// Puts a claimed submission back in the queue (the harness failed; it is graded again),
    /// not to be taken before `wait` has passed. False when the claim no longer holds it.
    pub async fn requeue(&self, id: &str, token: i64, wait: Duration) -> Result<bool, DbError> {
        self.put_back_claim(id, token, wait, 0, Ending::Requeued).await
    }

    /// Hands a claimed submission back uncounted because this worker's sandbox image is not the
    /// one the job names; a worker with the right one takes it (this one after `wait`).
    pub async fn refuse_image(&self, id: &str, token: i64, wait: Duration) -> Result<bool, DbError> {
        self.put_back_claim(id, token, wait, 1, Ending::WrongImage).await
    }

    /// Hands a claimed submission back uncounted: this worker cannot grade it (its assignment
    /// is not served here); another may, after `wait`.
    pub async fn hand_back(&self, id: &str, token: i64, wait: Duration) -> Result<bool, DbError> {
        self.put_back_claim(id, token, wait, 1, Ending::Requeued).await
    }

    async fn put_back_claim(
        &self,
        id: &str,
        token: i64,
        wait: Duration,
        uncount: i64,
        ending: Ending,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE submissions SET status = 'queued', updated_at = $1, retry_at = $2, lease_expires_at = NULL, \
             attempts = attempts - $5 WHERE id = $3 AND lease_token = $4 AND status = 'grading'",
        )
        .bind(now())
        .bind(at(wait))
        .bind(id)
        .bind(token)
        .bind(uncount)
        .execute(self.pool())
        .await?;
        let held = done.rows_affected() == 1;
        self.ended(id, token, if held { ending } else { Ending::Refused })
            .await?;
        Ok(held)
    }

    /// Grades whose lease ran out go back in the queue, their attempt lost to the
    /// infrastructure (not counted). Returns their ids.
    pub async fn reap_expired(&self) -> Result<Vec<String>, DbError> {
        self.put_back("SELECT id, lease_token FROM submissions WHERE status = 'grading' AND lease_expires_at < $1")
            .await
    }

    /// After a restart of the one process that grades (SQLite): every grade that was running
    /// goes back in the queue, lost to the infrastructure. Returns how many.
    pub async fn requeue_interrupted(&self) -> Result<u64, DbError> {
        let all = "SELECT id, lease_token FROM submissions WHERE status = 'grading' AND $1 <> ''";
        Ok(self.put_back(all).await?.len() as u64)
    }

    /// Puts back the grades `select` names (it takes the time as `$1`).
    async fn put_back(&self, select: &'static str) -> Result<Vec<String>, DbError> {
        let lost = sqlx::query(select).bind(now()).fetch_all(self.pool()).await?;
        let mut ids = Vec::new();
        for row in lost {
            let id: String = row.try_get("id")?;
            let token: i64 = row.try_get("lease_token")?;
            // Only if no one renewed or ended it since it was read.
            let done = sqlx::query(
                "UPDATE submissions SET status = 'queued', attempts = attempts - 1, lost_attempts = lost_attempts + 1, \
                 lease_expires_at = NULL, updated_at = $1 WHERE id = $2 AND lease_token = $3 AND status = 'grading'",
            )
            .bind(now())
            .bind(&id)
            .bind(token)
            .execute(self.pool())
            .await?;
            if done.rows_affected() == 1 {
                self.ended(&id, token, Ending::Lost).await?;
                ids.push(id);
            }
        }
        Ok(ids)
    }

    async fn ended(&self, id: &str, token: i64, ending: Ending) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE grade_attempts SET ended_at = $1, outcome = $2 WHERE submission_id = $3 AND lease_token = $4",
        )
        .bind(now())
        .bind(ending.as_str())
        .bind(id)
        .bind(token)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every claim of a submission: (lease token, worker, outcome), oldest first.
    pub async fn attempts_of(&self, id: &str) -> Result<Vec<(i64, String, Option<String>)>, DbError> {
        let rows = sqlx::query(
            "SELECT lease_token, worker_id, outcome FROM grade_attempts WHERE submission_id = $1 ORDER BY lease_token",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("lease_token")?,
                    r.try_get("worker_id")?,
                    r.try_get("outcome")?,
                ))
            })
            .collect()
    }
}
