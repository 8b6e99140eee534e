//! SMTP delivery for the email stand-in (`shared::future::email`). Its own crate because
//! `lettre` and its TLS stack are heavy and only the process that sends needs them; `shared`
//! (compiled by everything) keeps just the trait and the outbox.
//!
//! [`start`] runs a background sender when the `email` feature is on and `SMTP_URL` is set: it
//! polls the outbox, takes each due message with a lease (two instances never send one message
//! twice), sends it, and marks it sent — or records the error and retries later with exponential
//! backoff, giving up after `shared::future::email::MAX_ATTEMPTS`.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use shared::config::Settings;
use shared::features::Feature;
use shared::future::email::{Outbox, Queued};
use shared::shutdown::Shutdown;

/// How the sender paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// Pause between looks at the outbox when it is empty.
    pub poll: Duration,
    /// Wait before the first retry of a failed message; doubled per attempt, at most an hour.
    pub first_retry: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            first_retry: Duration::from_secs(30),
        }
    }
}

/// Starts delivery if it is configured. Off unless the `email` feature is on; with the feature
/// on, `SMTP_URL` is required (a start-up error names it) — otherwise nothing would ever leave.
pub fn start(
    outbox: Outbox,
    settings: &Settings,
    shutdown: &Shutdown,
    pacing: Pacing,
) -> Result<bool, shared::Error> {
    start_with(
        outbox,
        settings.features.is_enabled(Feature::Email),
        settings.smtp_url.as_deref(),
        &settings.smtp_from,
        shutdown,
        pacing,
    )
}

/// [`start`] from the individual settings: whether the `email` feature is on, `SMTP_URL` and
/// `SMTP_FROM`. True when a sender was started.
pub fn start_with(
    outbox: Outbox,
    enabled: bool,
    smtp_url: Option<&str>,
    from: &str,
    shutdown: &Shutdown,
    pacing: Pacing,
) -> Result<bool, shared::Error> {
    let url = smtp_url.filter(|u| !u.is_empty());
    if !enabled {
        if url.is_some() {
            tracing::warn!(
                "SMTP_URL is set but FEATURES does not include email: the outbox is kept, not delivered"
            );
        }
        return Ok(false);
    }
    let url = url.ok_or_else(|| {
        shared::Error::Config("SMTP_URL: required when FEATURES includes email".into())
    })?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| {
            shared::Error::Config(format!(
                "SMTP_URL: not usable ({e}) ({})",
                shared::config::redact_url(url)
            ))
        })?
        .build();
    let from: Mailbox = from
        .parse()
        .map_err(|e| shared::Error::Config(format!("SMTP_FROM: not an address: {e}")))?;
    tokio::spawn(run(outbox, transport, from, shutdown.clone(), pacing));
    tracing::info!("email delivery over SMTP is on");
    Ok(true)
}

async fn run(
    outbox: Outbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    shutdown: Shutdown,
    pacing: Pacing,
) {
    while !shutdown.is_triggered() {
        let due = match outbox.due(20).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(%err, "cannot read the email outbox; retrying");
                Vec::new()
            }
        };
        let idle = due.is_empty();
        for message in due {
            if shutdown.is_triggered() {
                break;
            }
            if let Err(err) = deliver(&outbox, &transport, &from, &message, pacing).await {
                tracing::warn!(%err, outbox_id = %message.id, "email outbox bookkeeping failed");
            }
        }
        if idle {
            tokio::select! {
                () = tokio::time::sleep(pacing.poll) => {}
                () = shutdown.triggered() => {}
            }
        }
    }
}

async fn deliver(
    outbox: &Outbox,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    message: &Queued,
    pacing: Pacing,
) -> Result<(), shared::Error> {
    if !outbox.claim(&message.id).await? {
        return Ok(()); // another sender has it
    }
    match send(transport, from, message).await {
        Ok(()) => {
            outbox.mark_sent(&message.id).await?;
            tracing::info!(outbox_id = %message.id, "email delivered");
        }
        Err(error) => {
            let attempt = u32::try_from(message.attempts).unwrap_or(u32::MAX);
            let wait = pacing
                .first_retry
                .saturating_mul(1 << attempt.min(16))
                .min(Duration::from_secs(3600));
            tracing::warn!(outbox_id = %message.id, %error, retry_in_s = wait.as_secs(), "email delivery failed");
            let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            outbox.mark_failed(&message.id, &error, wait_ms).await?;
        }
    }
    Ok(())
}

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    message: &Queued,
) -> Result<(), String> {
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| format!("bad recipient: {e}"))?;
    let email = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&message.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| format!("cannot build the message: {e}"))?;
    transport
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
