//! The workers grading from one queue, wherever they run: each records itself, its engine and
//! its load, and beats every few seconds; `assay workers` lists them.

use sqlx::Row;

use super::clock::now;
use super::db::{Database, DbError};

/// How often a worker records that it is alive.
pub const BEAT: std::time::Duration = std::time::Duration::from_secs(5);

/// A worker as `assay workers` shows it.
#[derive(Debug, Clone)]
pub struct WorkerRecord {
    pub id: String,
    pub name: String,
    pub engine: String,
    pub concurrency: i64,
    pub load: i64,
    pub started_at: String,
    pub heartbeat_at: String,
}

impl Database {
    /// Records a worker as it starts.
    pub async fn register_worker(&self, id: &str, name: &str, engine: &str, concurrency: usize) -> Result<(), DbError> {
        let at = now();
        sqlx::query(
            "INSERT INTO workers (id, name, engine, concurrency, load, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(engine)
        .bind(concurrency as i64)
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records that a worker is alive and holds `load` grades.
    pub async fn worker_beat(&self, id: &str, load: usize) -> Result<(), DbError> {
        sqlx::query("UPDATE workers SET heartbeat_at = $1, load = $2 WHERE id = $3")
            .bind(now())
            .bind(load as i64)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every worker that ever registered, the latest beat first.
    pub async fn workers(&self) -> Result<Vec<WorkerRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT id, name, engine, concurrency, load, started_at, heartbeat_at FROM workers \
             ORDER BY heartbeat_at DESC, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WorkerRecord {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    engine: row.try_get("engine")?,
                    concurrency: row.try_get("concurrency")?,
                    load: row.try_get("load")?,
                    started_at: row.try_get("started_at")?,
                    heartbeat_at: row.try_get("heartbeat_at")?,
                })
            })
            .collect()
    }
}
