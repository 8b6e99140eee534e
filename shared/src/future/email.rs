//! **email.** The real service sends every transactional and digest email (verification,
//! password reset, weekly insights, invites) through a provider, with templates, bounces and
//! complaints fed back, unsubscribe handling and per-domain sending reputation.
//!
//! Stand-in: [`Outbox`] keeps each message in `email_outbox` (in the auth database, its only
//! sender today; its own `email_` prefix so it moves out with the service) and logs one line
//! *without* the recipient or the body — bodies hold single-use links that are as good as a
//! password. When the `email` flag is on and `SMTP_URL` is set, the `email` crate's sender
//! drains the outbox over SMTP with retries; with the flag off the outbox still fills and
//! nothing is delivered.

use sqlx::AnyPool;

use super::BoxFuture;
use crate::error::Error;

/// One message to one recipient, plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The boundary the core services call: queue a message. Delivery is the email service's
/// business; callers only learn the message id.
pub trait Email: Send + Sync + 'static {
    fn queue<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String, Error>>;
}

/// A message waiting in the outbox, as the sender sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Queued {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

/// After this many failed deliveries a message is given up (`failed_at` set, kept for a look).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a sender holds a message it is delivering, so two senders never send it twice.
const LEASE_MS: i64 = 60_000;

/// The outbox table, `email_outbox`.
#[derive(Clone)]
pub struct Outbox {
    pool: AnyPool,
}

impl Outbox {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Bodies sent to `recipient`, oldest first (tests and support).
    pub async fn bodies_for(&self, recipient: &str) -> Result<Vec<String>, Error> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT body FROM email_outbox WHERE recipient = $1 ORDER BY created_at, id",
        )
        .bind(recipient)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(b,)| b).collect())
    }

    /// Messages due for (another) delivery attempt, oldest first.
    pub async fn due(&self, limit: u32) -> Result<Vec<Queued>, Error> {
        let now = crate::ids::now_ms();
        Ok(sqlx::query_as(
            "SELECT id, recipient, subject, body, attempts FROM email_outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until < $1) \
             ORDER BY created_at, id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes a message for delivery; false when another sender has it.
    pub async fn claim(&self, id: &str) -> Result<bool, Error> {
        let now = crate::ids::now_ms();
        let done = sqlx::query(
            "UPDATE email_outbox SET claimed_until = $1 WHERE id = $2 AND sent_at IS NULL \
             AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(now + LEASE_MS)
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mark_sent(&self, id: &str) -> Result<(), Error> {
        sqlx::query(
            "UPDATE email_outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL \
             WHERE id = $2",
        )
        .bind(crate::ids::now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: tried again after `retry_in_ms`, or given up after
    /// [`MAX_ATTEMPTS`].
    pub async fn mark_failed(&self, id: &str, error: &str, retry_in_ms: i64) -> Result<(), Error> {
        let now = crate::ids::now_ms();
        sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = $2, claimed_until = NULL, \
             failed_at = CASE WHEN attempts + 1 >= $3 THEN $4 ELSE NULL END WHERE id = $5",
        )
        .bind(error.chars().take(500).collect::<String>())
        .bind(now + retry_in_ms)
        .bind(MAX_ATTEMPTS)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `(sent_at, attempts, last_error)` of one message (tests, support).
    pub async fn status(
        &self,
        id: &str,
    ) -> Result<Option<(Option<i64>, i64, Option<String>)>, Error> {
        Ok(
            sqlx::query_as("SELECT sent_at, attempts, last_error FROM email_outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

impl Email for Outbox {
    fn queue<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let id = crate::ids::new_id();
            let now = crate::ids::now_ms();
            sqlx::query(
                "INSERT INTO email_outbox \
                 (id, recipient, subject, body, created_at, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $5)",
            )
            .bind(&id)
            .bind(&message.to)
            .bind(&message.subject)
            .bind(&message.body)
            .bind(now)
            .execute(&self.pool)
            .await?;
            // No recipient and no body: the body carries single-use links.
            tracing::info!(outbox_id = %id, subject = %message.subject, "email queued in the outbox");
            Ok(id)
        })
    }
}
