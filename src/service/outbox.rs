//! The outbox: an event is written in the same transaction as the change that caused it, one
//! row per webhook that wants it, for `webhooks` to deliver.

use sqlx::{AnyConnection, Row};

use super::clock::{now, random_id};

/// Something that happened, to be told to the webhooks that want it.
pub struct Event {
    pub name: &'static str,
    /// What the event is about (the submission, as the API shows it).
    pub data: serde_json::Value,
}

/// Writes one outbox row per live webhook that wants `event`, on `connection` (inside the
/// transaction of the change that caused it).
pub async fn enqueue(connection: &mut AnyConnection, event: &Event) -> Result<(), sqlx::Error> {
    let hooks = sqlx::query("SELECT id, events FROM webhooks WHERE removed_at IS NULL")
        .fetch_all(&mut *connection)
        .await?;
    for hook in hooks {
        let events: String = hook.try_get("events")?;
        if !events.split(',').any(|e| e == event.name) {
            continue;
        }
        let webhook_id: String = hook.try_get("id")?;
        let id = random_id("e_").map_err(|e| sqlx::Error::Protocol(format!("no randomness from the OS: {e}")))?;
        let created_at = now();
        let body = serde_json::json!({
            "event": event.name,
            "event_id": id,
            "created_at": created_at,
            "data": event.data,
        });
        sqlx::query(
            "INSERT INTO outbox (id, webhook_id, event, body, state, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)",
        )
        .bind(&id)
        .bind(&webhook_id)
        .bind(event.name)
        .bind(body.to_string())
        .bind(&created_at)
        .bind(&created_at)
        .bind(&created_at)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}
