//! The service's records: submissions (the queue) and API tokens, in SQLite by default or
//! PostgreSQL, through one set of migrations and one set of queries (`sqlx`'s Any driver).
//! Placeholders are `$1`, `$2`... in order of first use, which both databases read.

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Row};

use super::clock::now;
use super::outbox::{Event, enqueue};

/// Why a database call failed; never the candidate's fault.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the database schema could not be brought up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database holds a value assay does not know: {0}")]
    Corrupt(String),
}

/// Where a submission is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Grading,
    Graded,
    InvalidSubmission,
    HarnessError,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Grading => "grading",
            Status::Graded => "graded",
            Status::InvalidSubmission => "invalid_submission",
            Status::HarnessError => "harness_error",
        }
    }

    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::Grading,
        Status::Graded,
        Status::InvalidSubmission,
        Status::HarnessError,
    ];

    /// A final status: the submission has its report.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Graded | Status::InvalidSubmission | Status::HarnessError)
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(text: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a status"))
    }
}

/// A submission as the database keeps it.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub seq: i64,
    pub assignment: String,
    pub candidate: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub upload: String,
    pub upload_bytes: i64,
    pub status: Status,
    pub attempts: i64,
    pub verdict: Option<String>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub sha256: Option<String>,
    pub summary: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The grade's reproducibility status, once graded.
    pub reproducibility: Option<String>,
    /// The hidden test groups, JSON `[{"name": ..., "passed": ...}]`, once graded.
    pub test_groups: Option<String>,
    /// Raised by every claim: a result is written only with the token of its claim.
    pub lease_token: i64,
    /// Grades lost to the infrastructure (a worker or server gone); never the candidate's.
    pub lost_attempts: i64,
    /// The folder of the grade that stands, under the data folder (older records: none, and
    /// the report is found by the hash of the files).
    pub report_dir: Option<String>,
    /// The sandbox image the job must be graded with, as the server knew it.
    pub image_id: Option<String>,
}

/// What an upload brings.
pub struct NewSubmission<'a> {
    pub id: &'a str,
    pub assignment: &'a str,
    pub candidate: &'a str,
    pub email: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub upload: &'a str,
    pub upload_bytes: i64,
    /// The invite this upload uses up, when it came through one.
    pub invite: Option<&'a str>,
    /// The sandbox image it must be graded with (the server's, for its assignment).
    pub image_id: Option<&'a str>,
}

/// What recording an upload did.
pub enum Inserted {
    /// Queued.
    New(Submission),
    /// Its idempotency key was used before: the first submission, nothing added.
    Repeat(Submission),
    /// Its invite was used or expired meanwhile: nothing added.
    InviteSpent,
}

/// How a grade ended, as the queue records it.
pub struct Finished<'a> {
    pub status: Status,
    pub verdict: &'a str,
    pub score: Option<(f64, f64)>,
    pub sha256: &'a str,
    pub summary: &'a str,
    pub reproducibility: &'a str,
    /// JSON `[{"name": ..., "passed": ...}]`.
    pub test_groups: String,
    /// The grade's folder, under the data folder.
    pub report_dir: &'a str,
}

/// A token's record; the token itself is never stored.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Filters of the submissions list, and where the last page ended.
#[derive(Debug, Default)]
pub struct ListFilter<'a> {
    pub assignment: Option<&'a str>,
    pub status: Option<Status>,
    /// Created at or after this RFC 3339 time.
    pub since: Option<&'a str>,
    /// Only submissions uploaded after this one (`seq`).
    pub after: Option<i64>,
    pub limit: i64,
}

#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
}

impl Database {
    /// For the other record keepers of the service (webhooks).
    pub(super) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// `SELECT <every submission column> FROM submissions` and the rest, as one literal.
macro_rules! select_submissions {
    ($rest:literal) => {
        concat!(
            "SELECT id, seq, assignment, candidate, email, external_id, upload, upload_bytes, status, ",
            "attempts, verdict, score, max_score, sha256, summary, created_at, updated_at, reproducibility, ",
            "test_groups, lease_token, lost_attempts, report_dir, image_id FROM submissions ",
            $rest
        )
    };
}

impl Database {
    /// The SQLite database in `dir` (made when missing), in WAL mode with full syncs.
    pub async fn open_in(dir: &Path) -> Result<Database, DbError> {
        let url = format!("sqlite://{}?mode=rwc", dir.join("assay.db").display());
        Database::open(&url).await
    }

    /// A database by URL: `sqlite://PATH?mode=rwc` or `postgres://...`. The schema is
    /// migrated to the newest version.
    pub async fn open(url: &str) -> Result<Database, DbError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 16 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL lets readers go on while one writer commits; FULL syncs every
                        // commit, so an accepted upload survives a power cut.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            sqlx::query(pragma).execute(&mut *connection).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        sqlx::migrate!("src/service/migrations").run(&pool).await?;
        Ok(Database { pool })
    }

    /// Records an upload as queued. With an idempotency key already used, nothing is added
    /// and the first submission is returned with `false`.
    /// `event` is recorded for the webhooks in the same transaction as the submission.
    /// Each call commits on its own; `group_commit::Writer` records many at once on SQLite.
    pub async fn insert_submission(&self, new: &NewSubmission<'_>, event: &Event) -> Result<Inserted, DbError> {
        if let Some(key) = new.idempotency_key
            && let Some(first) = self.by_idempotency_key(key).await?
        {
            return Ok(Inserted::Repeat(first));
        }
        for _ in 0..20 {
            let mut transaction = self.pool.begin().await?;
            match insert_on(&mut transaction, new, event, &now()).await {
                Ok(Inserted::New(submission)) => {
                    transaction.commit().await?;
                    return Ok(Inserted::New(submission));
                }
                Ok(other) => {
                    transaction.rollback().await?;
                    return Ok(other);
                }
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                    transaction.rollback().await?;
                    // A concurrent upload took the same key or the same place in the queue.
                    if let Some(key) = new.idempotency_key
                        && let Some(first) = self.by_idempotency_key(key).await?
                    {
                        return Ok(Inserted::Repeat(first));
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(DbError::Corrupt("no place in the queue after 20 tries".into()))
    }

    /// The submission recorded with this idempotency key.
    pub async fn by_idempotency_key(&self, key: &str) -> Result<Option<Submission>, DbError> {
        let row = sqlx::query(select_submissions!("WHERE idempotency_key = $1"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| submission(&r)).transpose()
    }

    /// Whether this is an embedded SQLite database (one writer at a time).
    pub fn is_sqlite(&self) -> bool {
        self.pool.connect_options().database_url.scheme() == "sqlite"
    }

    pub async fn get(&self, id: &str) -> Result<Option<Submission>, DbError> {
        let row = sqlx::query(select_submissions!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| submission(&r)).transpose()
    }

    /// Submissions in upload order, filtered, at most `limit`.
    pub async fn list(&self, filter: &ListFilter<'_>) -> Result<Vec<Submission>, DbError> {
        let mut sql = select_submissions!("WHERE seq > $1").to_string();
        let mut next = 2;
        let mut clause = |column: &str, present: bool| {
            if present {
                sql.push_str(&format!(" AND {column} ${next}"));
                next += 1;
            }
        };
        clause("assignment =", filter.assignment.is_some());
        clause("status =", filter.status.is_some());
        clause("created_at >=", filter.since.is_some());
        sql.push_str(&format!(" ORDER BY seq LIMIT ${next}"));
        // Only this function's own column names and placeholders are added to the text.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(filter.after.unwrap_or(0));
        if let Some(assignment) = filter.assignment {
            query = query.bind(assignment);
        }
        if let Some(status) = filter.status {
            query = query.bind(status.as_str());
        }
        if let Some(since) = filter.since {
            query = query.bind(since);
        }
        let rows = query.bind(filter.limit).fetch_all(&self.pool).await?;
        rows.iter().map(submission).collect()
    }

    /// Every submission to one assignment, in upload order: a round.
    pub async fn round(&self, assignment: &str) -> Result<Vec<Submission>, DbError> {
        let rows = sqlx::query(select_submissions!("WHERE assignment = $1 ORDER BY seq"))
            .bind(assignment)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(submission).collect()
    }

    /// How many queued submissions were uploaded before this one.
    pub async fn queue_position(&self, seq: i64) -> Result<i64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS ahead FROM submissions WHERE status = 'queued' AND seq < $1")
            .bind(seq)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("ahead")?)
    }

    /// Submissions per status, for the metrics page.
    pub async fn count_by_status(&self) -> Result<Vec<(Status, i64)>, DbError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM submissions GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                let status = status.parse().map_err(DbError::Corrupt)?;
                Ok((status, row.try_get::<i64, _>("n")?))
            })
            .collect()
    }

    pub async fn insert_token(&self, id: &str, name: &str, scope: &str, hash: &str) -> Result<(), DbError> {
        sqlx::query("INSERT INTO tokens (id, name, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(name)
            .bind(scope)
            .bind(hash)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Who holds the live token with this hash (its name, or its id when it has none) and its
    /// scope.
    pub async fn token_identity(&self, hash: &str) -> Result<Option<(String, String)>, DbError> {
        let row = sqlx::query("SELECT id, name, scope FROM tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((holder(&row)?, row.try_get("scope")?)))
    }

    /// The scope of the live token with this hash.
    pub async fn token_scope(&self, hash: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT scope FROM tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("scope")).transpose()?)
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, DbError> {
        let rows = sqlx::query("SELECT id, name, scope, created_at, revoked_at FROM tokens ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(TokenRecord {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    scope: row.try_get("scope")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a token by id; false when there is no live token with that id.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Records one upload on `connection`, inside a transaction the caller commits, or rolls back
/// unless the answer is `Inserted::New`.
pub(super) async fn insert_on(
    connection: &mut AnyConnection,
    new: &NewSubmission<'_>,
    event: &Event,
    now: &str,
) -> Result<Inserted, sqlx::Error> {
    let seq: i64 = sqlx::query(
        "INSERT INTO submissions (id, seq, assignment, candidate, email, external_id, idempotency_key, \
         upload, upload_bytes, status, created_at, updated_at, image_id) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM submissions), $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11) \
         RETURNING seq",
    )
    .bind(new.id)
    .bind(new.assignment)
    .bind(new.candidate)
    .bind(new.email)
    .bind(new.external_id)
    .bind(new.idempotency_key)
    .bind(new.upload)
    .bind(new.upload_bytes)
    .bind(now)
    .bind(now)
    .bind(new.image_id)
    .fetch_one(&mut *connection)
    .await?
    .try_get("seq")?;
    if let Some(invite) = new.invite {
        let used = sqlx::query(
            "UPDATE invites SET used_at = $1, submission_id = $2 WHERE id = $3 AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > $4",
        )
        .bind(now)
        .bind(new.id)
        .bind(invite)
        .bind(now)
        .execute(&mut *connection)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(Inserted::InviteSpent);
        }
    }
    enqueue(connection, event).await?;
    Ok(Inserted::New(Submission {
        id: new.id.to_string(),
        seq,
        assignment: new.assignment.to_string(),
        candidate: new.candidate.to_string(),
        email: new.email.map(str::to_string),
        external_id: new.external_id.map(str::to_string),
        upload: new.upload.to_string(),
        upload_bytes: new.upload_bytes,
        status: Status::Queued,
        attempts: 0,
        verdict: None,
        score: None,
        max_score: None,
        sha256: None,
        summary: None,
        created_at: now.to_string(),
        updated_at: now.to_string(),
        reproducibility: None,
        test_groups: None,
        lease_token: 0,
        lost_attempts: 0,
        report_dir: None,
        image_id: new.image_id.map(str::to_string),
    }))
}

/// A token's holder as reviews name them: its name, or its id when it was given none.
pub(super) fn holder(row: &AnyRow) -> Result<String, DbError> {
    let name: String = row.try_get("name")?;
    Ok(if name.is_empty() { row.try_get("id")? } else { name })
}

pub(super) fn submission(row: &AnyRow) -> Result<Submission, DbError> {
    let status: String = row.try_get("status")?;
    Ok(Submission {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        assignment: row.try_get("assignment")?,
        candidate: row.try_get("candidate")?,
        email: row.try_get("email")?,
        external_id: row.try_get("external_id")?,
        upload: row.try_get("upload")?,
        upload_bytes: row.try_get("upload_bytes")?,
        status: status.parse().map_err(DbError::Corrupt)?,
        attempts: row.try_get("attempts")?,
        verdict: row.try_get("verdict")?,
        score: row.try_get("score")?,
        max_score: row.try_get("max_score")?,
        sha256: row.try_get("sha256")?,
        summary: row.try_get("summary")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        reproducibility: row.try_get("reproducibility")?,
        test_groups: row.try_get("test_groups")?,
        lease_token: row.try_get("lease_token")?,
        lost_attempts: row.try_get("lost_attempts")?,
        report_dir: row.try_get("report_dir")?,
        image_id: row.try_get("image_id")?,
    })
}
