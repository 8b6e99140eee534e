//! **email.** The real service sends every transactional and digest email (verification,
//! password reset, weekly insights, invites) through a provider, with templates, bounces and
//! complaints fed back, unsubscribe handling and per-domain sending reputation.
//!
//! Stand-in: [`Outbox`] keeps each message in `auth_email_outbox` (in the auth database: auth
//! is its only writer, so the table takes auth's prefix) and logs one line *without* the
//! recipient or the body — bodies hold single-use links that are as good as a password. Whenever
//! `SMTP_URL` is set, this crate's sender ([`crate::start`]) drains the outbox over SMTP with
//! retries; permanent failures are given up at once and recorded as dead letters. Without
//! `SMTP_URL` the outbox still fills and nothing is delivered (the founder's Outbox page and
//! `scanpage email outbox` show the links to hand over).

use shared::error::Error;
use shared::future::BoxFuture;
use sqlx::AnyPool;

/// One message to one recipient: plain text, and optionally an HTML alternative of the same
/// content (sent as `multipart/alternative`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
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
    pub html: Option<String>,
    pub attempts: i64,
}

/// Where a message stands, as the founder's Outbox page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Sent,
    Retrying,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sent => "sent",
            State::Retrying => "retrying",
            State::Failed => "failed",
        }
    }
}

/// One outbox row for the founder's Outbox page and the CLI (the body included: founders hand
/// its link over when email is off).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub failed_at: Option<i64>,
}

impl Listed {
    pub fn state(&self) -> State {
        match (self.sent_at, self.failed_at, self.attempts) {
            (Some(_), _, _) => State::Sent,
            (None, Some(_), _) => State::Failed,
            (None, None, 0) => State::Queued,
            (None, None, _) => State::Retrying,
        }
    }

    /// The first link in the body (the one the message is about), if any.
    pub fn link(&self) -> Option<&str> {
        let start = self
            .body
            .find("http://")
            .or_else(|| self.body.find("https://"))?;
        self.body[start..].split_whitespace().next()
    }
}

/// After this many failed deliveries a message is given up (`failed_at` set, kept for a look).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a sender holds a message it is delivering, so two senders never send it twice.
const LEASE_MS: i64 = 60_000;

/// The outbox table, `auth_email_outbox`.
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
            "SELECT body FROM auth_email_outbox WHERE recipient = $1 ORDER BY created_at, id",
        )
        .bind(recipient)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(b,)| b).collect())
    }

    /// Messages due for (another) delivery attempt, oldest first.
    pub async fn due(&self, limit: u32) -> Result<Vec<Queued>, Error> {
        let now = shared::ids::now_ms();
        Ok(sqlx::query_as(
            "SELECT id, recipient, subject, body, html, attempts FROM auth_email_outbox \
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
        let now = shared::ids::now_ms();
        let done = sqlx::query(
            "UPDATE auth_email_outbox SET claimed_until = $1 WHERE id = $2 AND sent_at IS NULL \
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
            "UPDATE auth_email_outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL \
             WHERE id = $2",
        )
        .bind(shared::ids::now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: tried again after `retry_in_ms`, or given up after
    /// [`MAX_ATTEMPTS`].
    pub async fn mark_failed(&self, id: &str, error: &str, retry_in_ms: i64) -> Result<(), Error> {
        let now = shared::ids::now_ms();
        sqlx::query(
            "UPDATE auth_email_outbox SET attempts = attempts + 1, last_error = $1, \
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

    /// Gives a message up at once (a permanent failure: the server refused the recipient or the
    /// message, 5xx): it is never tried again.
    pub async fn mark_dead(&self, id: &str, error: &str) -> Result<(), Error> {
        let now = shared::ids::now_ms();
        sqlx::query(
            "UPDATE auth_email_outbox SET attempts = attempts + 1, last_error = $1, \
             claimed_until = NULL, failed_at = $2 WHERE id = $3",
        )
        .bind(error.chars().take(500).collect::<String>())
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` messages, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<Listed>, Error> {
        Ok(sqlx::query_as(
            "SELECT id, recipient, subject, body, created_at, sent_at, attempts, last_error, \
             failed_at FROM auth_email_outbox ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// `failed_at` of one message: set when it was given up (tests, support).
    pub async fn failed_at(&self, id: &str) -> Result<Option<i64>, Error> {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT failed_at FROM auth_email_outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(at,)| at))
    }

    /// `(sent_at, attempts, last_error)` of one message (tests, support).
    pub async fn status(
        &self,
        id: &str,
    ) -> Result<Option<(Option<i64>, i64, Option<String>)>, Error> {
        Ok(sqlx::query_as(
            "SELECT sent_at, attempts, last_error FROM auth_email_outbox WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl Email for Outbox {
    fn queue<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<String, Error>> {
        Box::pin(async move {
            let id = shared::ids::new_id();
            let now = shared::ids::now_ms();
            sqlx::query(
                "INSERT INTO auth_email_outbox \
                 (id, recipient, subject, body, html, created_at, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $6)",
            )
            .bind(&id)
            .bind(&message.to)
            .bind(&message.subject)
            .bind(&message.body)
            .bind(message.html.as_deref())
            .bind(now)
            .execute(&self.pool)
            .await?;
            // No recipient and no body: the body carries single-use links.
            tracing::info!(outbox_id = %id, subject = %message.subject, "email queued in the outbox");
            Ok(id)
        })
    }
}
