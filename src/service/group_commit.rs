//! Group commit for SQLite: SQLite has one writer at a time and each commit waits for its sync,
//! so uploads recorded one by one queue behind each other's syncs. One task records them
//! instead: it takes every upload waiting at that moment, records each in a savepoint of one
//! transaction (so one failing leaves the others), commits once, and then answers each. An
//! upload is still answered only after the commit that holds it is synced.

use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

use super::clock::now;
use super::db::{Database, DbError, Inserted, NewSubmission, insert_on};
use super::outbox::Event;

/// Most uploads one commit takes.
const BATCH: usize = 128;

/// An upload to record, owned so it can wait in the channel.
struct Job {
    id: String,
    assignment: String,
    candidate: String,
    email: Option<String>,
    external_id: Option<String>,
    idempotency_key: Option<String>,
    upload: String,
    upload_bytes: i64,
    invite: Option<String>,
    image_id: Option<String>,
    event: Event,
    answer: oneshot::Sender<Result<Inserted, DbError>>,
}

impl Job {
    fn new_submission(&self) -> NewSubmission<'_> {
        NewSubmission {
            id: &self.id,
            assignment: &self.assignment,
            candidate: &self.candidate,
            email: self.email.as_deref(),
            external_id: self.external_id.as_deref(),
            idempotency_key: self.idempotency_key.as_deref(),
            upload: &self.upload,
            upload_bytes: self.upload_bytes,
            invite: self.invite.as_deref(),
            image_id: self.image_id.as_deref(),
        }
    }
}

/// The handle uploads are sent through; the task ends when the last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(db: Database) -> Writer {
        let (jobs, waiting) = mpsc::channel(BATCH * 4);
        tokio::spawn(write(db, waiting));
        Writer { jobs }
    }

    /// Records one upload as `Database::insert_submission` does; answers once the commit
    /// holding it is synced.
    pub async fn insert(&self, db: &Database, new: &NewSubmission<'_>, event: &Event) -> Result<Inserted, DbError> {
        if let Some(key) = new.idempotency_key
            && let Some(first) = db.by_idempotency_key(key).await?
        {
            return Ok(Inserted::Repeat(first));
        }
        let (answer, answered) = oneshot::channel();
        let job = Job {
            id: new.id.to_string(),
            assignment: new.assignment.to_string(),
            candidate: new.candidate.to_string(),
            email: new.email.map(str::to_string),
            external_id: new.external_id.map(str::to_string),
            idempotency_key: new.idempotency_key.map(str::to_string),
            upload: new.upload.to_string(),
            upload_bytes: new.upload_bytes,
            invite: new.invite.map(str::to_string),
            image_id: new.image_id.map(str::to_string),
            event: Event {
                name: event.name,
                data: event.data.clone(),
            },
            answer,
        };
        let gone = || DbError::Corrupt("the database's writer has stopped".to_string());
        self.jobs.send(job).await.map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }
}

async fn write(db: Database, mut waiting: mpsc::Receiver<Job>) {
    while let Some(first) = waiting.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match waiting.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit(&db, &batch).await {
            Ok(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    let _ = job.answer.send(answer);
                }
            }
            Err(error) => {
                tracing::error!("recording {} upload(s): {error}", batch.len());
                for job in batch {
                    let _ = job.answer.send(Err(DbError::Sql(sqlx::Error::Protocol(format!(
                        "the commit failed: {error}"
                    )))));
                }
            }
        }
    }
}

/// Records every job of the batch in one transaction; each answer says what became of its job.
async fn commit(db: &Database, batch: &[Job]) -> Result<Vec<Result<Inserted, DbError>>, sqlx::Error> {
    let mut transaction = db.pool().begin().await?;
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let new = job.new_submission();
        let mut savepoint = (*transaction).begin().await?;
        match insert_on(&mut savepoint, &new, &job.event, &now()).await {
            Ok(Inserted::New(submission)) => {
                savepoint.commit().await?;
                answers.push(Ok(Inserted::New(submission)));
            }
            Ok(other) => {
                savepoint.rollback().await?;
                answers.push(Ok(other));
            }
            Err(error) => {
                savepoint.rollback().await?;
                answers.push(Err(error));
            }
        }
    }
    transaction.commit().await?;
    // A repeated idempotency key (one in this very batch, or one recorded since the caller
    // looked) is a unique violation: the answer is the first submission, now committed.
    let mut resolved = Vec::with_capacity(answers.len());
    for (job, answer) in batch.iter().zip(answers) {
        resolved.push(match answer {
            Ok(inserted) => Ok(inserted),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() && job.idempotency_key.is_some() => {
                repeat(db, job).await
            }
            Err(error) => Err(error.into()),
        });
    }
    Ok(resolved)
}

async fn repeat(db: &Database, job: &Job) -> Result<Inserted, DbError> {
    let key = job.idempotency_key.as_deref().unwrap_or_default();
    db.by_idempotency_key(key)
        .await?
        .map(Inserted::Repeat)
        .ok_or_else(|| DbError::Corrupt(format!("idempotency key {key:?} is taken but not found")))
}
