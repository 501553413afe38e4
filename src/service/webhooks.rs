//! Webhooks: each event (`submission.received`, `grading.finished`, `review.completed`) is
//! written to an outbox in the same transaction as the change that caused it, then POSTed to
//! every webhook that wants it, signed, and retried with exponential backoff and jitter until
//! delivered or out of attempts. Every attempt is recorded; a restart resumes what is pending.
//!
//! A delivery carries `X-Assay-Event`, `X-Assay-Delivery` (the event id, the same on every
//! attempt) and `X-Assay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` keyed
//! with the webhook's secret.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hmac::{KeyInit, Mac};
use sqlx::Row;

use super::clock::{now, random_id};
use super::db::{Database, DbError};

/// The events a webhook may ask for.
pub const EVENTS: [&str; 4] = [
    "submission.received",
    "grading.finished",
    "review.completed",
    "invite.created",
];

/// Deliveries of one event before it is given up on.
pub const MAX_ATTEMPTS: i64 = 12;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// A webhook as `assay webhook list` shows it.
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
}

impl Database {
    /// Adds a webhook; returns its id.
    pub async fn add_webhook(&self, url: &str, secret: &str, events: &[String]) -> Result<String, DbError> {
        let id = random_id("w_").map_err(|e| DbError::Corrupt(format!("no randomness from the OS: {e}")))?;
        sqlx::query("INSERT INTO webhooks (id, url, secret, events, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(url)
            .bind(secret)
            .bind(events.join(","))
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(id)
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, DbError> {
        let rows = sqlx::query(
            "SELECT id, url, events, created_at FROM webhooks WHERE removed_at IS NULL ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let events: String = row.try_get("events")?;
                Ok(Webhook {
                    id: row.try_get("id")?,
                    url: row.try_get("url")?,
                    events: events.split(',').map(str::to_string).collect(),
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Stops a webhook; what it still had pending is not sent. False when there is none.
    pub async fn remove_webhook(&self, id: &str) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE webhooks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Pending deliveries whose time has come, oldest first.
    async fn due(&self, limit: i64) -> Result<Vec<Due>, DbError> {
        let rows = sqlx::query(
            "SELECT o.id AS id, o.event AS event, o.body AS body, o.attempts AS attempts, w.url AS url, w.secret AS secret \
             FROM outbox o JOIN webhooks w ON w.id = o.webhook_id \
             WHERE o.state = 'pending' AND o.next_attempt_at <= $1 AND w.removed_at IS NULL \
             ORDER BY o.next_attempt_at, o.id LIMIT $2",
        )
        .bind(now())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Due {
                    id: row.try_get("id")?,
                    event: row.try_get("event")?,
                    body: row.try_get("body")?,
                    attempts: row.try_get("attempts")?,
                    url: row.try_get("url")?,
                    secret: row.try_get("secret")?,
                })
            })
            .collect()
    }

    /// Records one attempt, and what comes next: delivered, another try at `retry_at`, or given up.
    async fn record_attempt(
        &self,
        due: &Due,
        status: Option<u16>,
        error: Option<&str>,
        retry_at: Option<String>,
    ) -> Result<(), DbError> {
        let attempt = due.attempts + 1;
        let mut transaction = self.pool().begin().await?;
        sqlx::query("INSERT INTO webhook_attempts (event_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5)")
            .bind(&due.id)
            .bind(attempt)
            .bind(now())
            .bind(status.map(i64::from))
            .bind(error)
            .execute(&mut *transaction)
            .await?;
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        let (state, next) = match (delivered, retry_at) {
            (true, _) => ("delivered", now()),
            (false, Some(at)) => ("pending", at),
            (false, None) => ("failed", now()),
        };
        sqlx::query("UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, updated_at = $4 WHERE id = $5")
            .bind(state)
            .bind(attempt)
            .bind(next)
            .bind(now())
            .bind(&due.id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// A delivery whose time has come.
struct Due {
    id: String,
    event: String,
    body: String,
    attempts: i64,
    url: String,
    secret: String,
}

/// `t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with the webhook's secret.
pub fn signature(secret: &str, unix: u64, body: &str) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{unix}.{body}").as_bytes());
    format!("t={unix},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempt + 1`: `base` doubled per attempt, at most an hour, with up
/// to a fifth taken off or added at random so receivers are not hit in lockstep.
pub fn backoff(base: Duration, attempt: i64, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.clamp(0, 20) as u32);
    let capped = doubled.min(MAX_BACKOFF);
    capped.mul_f64(1.0 + 0.2 * jitter.clamp(-1.0, 1.0))
}

/// The client assay calls other systems with (webhook receivers, ATSs): ten seconds a call,
/// and no redirects followed, since a receiver answers for itself.
pub fn outbound_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Delivers due events until the process ends; `base` is the first retry's wait.
pub async fn deliver(db: Database, wake: Arc<tokio::sync::Notify>, base: Duration) {
    let client = match outbound_client() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!("webhooks are off: no HTTP client ({error})");
            return;
        }
    };
    loop {
        let due = match db.due(50).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!("reading the webhook outbox: {error}");
                Vec::new()
            }
        };
        for delivery in &due {
            let (status, error) = attempt(&client, delivery).await;
            let retry_at = (delivery.attempts + 1 < MAX_ATTEMPTS).then(|| {
                let wait = backoff(base, delivery.attempts, random_unit());
                humantime::format_rfc3339_micros(SystemTime::now() + wait).to_string()
            });
            if let Err(e) = db.record_attempt(delivery, status, error.as_deref(), retry_at).await {
                tracing::error!("recording a webhook attempt: {e}");
            }
        }
        if due.is_empty() {
            let _ = tokio::time::timeout(base.min(Duration::from_secs(1)), wake.notified()).await;
        }
    }
}

async fn attempt(client: &reqwest::Client, due: &Due) -> (Option<u16>, Option<String>) {
    let unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let sent = client
        .post(&due.url)
        .header("content-type", "application/json")
        .header("x-assay-event", &due.event)
        .header("x-assay-delivery", &due.id)
        .header("x-assay-signature", signature(&due.secret, unix, &due.body))
        .body(due.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(response) => (
            Some(response.status().as_u16()),
            Some(format!("the receiver answered {}", response.status())),
        ),
        Err(error) => (None, Some(format!("{error}"))),
    }
}

/// A random number in -1..1, for jitter.
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.0;
    }
    (u64::from_le_bytes(bytes) as f64 / u64::MAX as f64) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_over_time_dot_body() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), RFC 4231 style check.
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        let signed = signature("s3cret", 1700000000, "{}");
        assert!(signed.starts_with("t=1700000000,v1="), "{signed}");
        assert_ne!(signed, signature("other", 1700000000, "{}"));
        assert_ne!(signed, signature("s3cret", 1700000001, "{}"));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour_with_a_fifth_of_jitter() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 0, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(base, 3, 0.0), Duration::from_secs(16));
        assert_eq!(backoff(base, 30, 0.0), MAX_BACKOFF);
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs_f64(4.8));
        assert_eq!(backoff(base, 1, -1.0), Duration::from_secs_f64(3.2));
    }
}
