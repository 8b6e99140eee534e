//! **dlq-processor**, the part that keeps dead letters. The real service watches every consumer
//! group of the bus, keeps the events they gave up on with the reason, alerts when the pile
//! grows, and lets an operator inspect, replay or drop them — across all services, with retention
//! and per-topic policies.
//!
//! Stand-in: [`shared::bus::spawn_consumer`] retries an event in place (`DLQ_MAX_ATTEMPTS`,
//! default 5) and then publishes a [`DeadLetter`] on [`DEAD_LETTER`] and moves on. The
//! processor ([`start`]) consumes that topic into the `web_dead_letters` table of the web database
//! (the process that serves the founder's console; the letters travel by the bus, so in split
//! mode no other service needs that database). Capture always runs — a poison event is never
//! silently lost; the `dlq-processor` flag turns on the founder's API to list, replay and drop
//! them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shared::bus::{DeadLetter, Event, EventBus, consume};
use shared::error::Error;
use shared::events::DEAD_LETTER;
use shared::future::BoxFuture;
use shared::shutdown::Shutdown;
use sqlx::AnyPool;

/// A stored dead letter as the founder's API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredLetter {
    pub id: String,
    pub topic: String,
    pub group: String,
    pub error: String,
    pub attempts: u32,
    pub failed_at: i64,
    /// The event as it was published (id, topic, payload).
    #[schema(value_type = Object)]
    pub event: Event,
}

/// The boundary: where dead letters are kept.
pub trait DeadLetterStore: Send + Sync + 'static {
    /// Keeps a letter; the same event failing again for the same group updates its entry.
    fn put<'a>(&'a self, letter: &'a DeadLetter) -> BoxFuture<'a, Result<(), Error>>;
    /// Newest first, at most `limit`.
    fn list(&self, limit: u32) -> BoxFuture<'_, Result<Vec<StoredLetter>, Error>>;
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredLetter>, Error>>;
    /// False when there was no such letter.
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, Error>>;
}

/// The stand-in store: `web_dead_letters` in the web database (`migrations/web/`).
pub struct SqlDeadLetters {
    pool: AnyPool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    topic: String,
    group_name: String,
    event: String,
    error: String,
    attempts: i64,
    failed_at: i64,
}

impl Row {
    fn into_letter(self) -> Result<StoredLetter, Error> {
        Ok(StoredLetter {
            event: serde_json::from_str(&self.event)
                .map_err(|e| Error::Bus(format!("a stored dead letter is unreadable: {e}")))?,
            id: self.id,
            topic: self.topic,
            group: self.group_name,
            error: self.error,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            failed_at: self.failed_at,
        })
    }
}

const COLUMNS: &str = "id, topic, group_name, event, error, attempts, failed_at";

impl SqlDeadLetters {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }
}

impl DeadLetterStore for SqlDeadLetters {
    fn put<'a>(&'a self, letter: &'a DeadLetter) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let event = serde_json::to_string(&letter.event)
                .map_err(|e| Error::Bus(format!("cannot encode a dead letter: {e}")))?;
            sqlx::query(
                "INSERT INTO web_dead_letters \
                 (id, event_id, topic, group_name, event, error, attempts, failed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (event_id, group_name) DO UPDATE SET error = excluded.error, \
                 attempts = web_dead_letters.attempts + excluded.attempts, failed_at = excluded.failed_at",
            )
            .bind(shared::ids::new_id())
            .bind(&letter.event.id)
            .bind(&letter.event.topic)
            .bind(&letter.group)
            .bind(event)
            .bind(&letter.error)
            .bind(i64::from(letter.attempts))
            .bind(letter.failed_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn list(&self, limit: u32) -> BoxFuture<'_, Result<Vec<StoredLetter>, Error>> {
        Box::pin(async move {
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM web_dead_letters ORDER BY failed_at DESC, id DESC LIMIT $1"
            )))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(Row::into_letter).collect()
        })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredLetter>, Error>> {
        Box::pin(async move {
            let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM web_dead_letters WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            row.map(Row::into_letter).transpose()
        })
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM web_dead_letters WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }
}

/// The consumer group that stores dead letters.
pub const GROUP: &str = "dlq";

/// Starts the processor: every dead letter on the bus goes into `store`. A store failure is
/// retried (the dead-letter topic itself is never dead-lettered).
pub async fn start(
    bus: &EventBus,
    store: Arc<dyn DeadLetterStore>,
    shutdown: &Shutdown,
) -> Result<(), Error> {
    start_in_group(bus, store, GROUP, shutdown).await
}

/// [`start`] as consumer group `group` (tests sharing one Redis use a group each, so each sees
/// every letter).
pub async fn start_in_group(
    bus: &EventBus,
    store: Arc<dyn DeadLetterStore>,
    group: &str,
    shutdown: &Shutdown,
) -> Result<(), Error> {
    consume(bus, DEAD_LETTER, group, "dlq-1", shutdown, move |letter| {
        let store = store.clone();
        async move { store.put(&letter).await.map_err(|e| e.to_string()) }
    })
    .await
}

/// Why a replay did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("no such dead letter")]
    NotFound,
    #[error("the event bus refused the replay: {0}")]
    Bus(#[from] shared::bus::PublishError),
    #[error(transparent)]
    Store(#[from] Error),
}

/// Publishes the letter's event again, for its group only, and forgets the letter. If it fails
/// again it comes back as a new letter.
pub async fn replay(
    bus: &EventBus,
    store: &dyn DeadLetterStore,
    id: &str,
) -> Result<StoredLetter, ReplayError> {
    let letter = store.get(id).await?.ok_or(ReplayError::NotFound)?;
    let mut event = letter.event.clone();
    event.only_group = Some(letter.group.clone());
    bus.publish(event)?;
    store.delete(id).await?;
    tracing::info!(event_id = %letter.event.id, group = %letter.group, "dead letter replayed");
    Ok(letter)
}
