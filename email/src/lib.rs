//! The email stand-in: its boundary and outbox ([`outbox`]), the weekly insights message
//! ([`insights`]) and SMTP delivery. Its own crate because `lettre` and its TLS stack are heavy
//! and `shared` is compiled by everything; auth queues through [`Outbox`], web reads it for the
//! founder's Outbox page.
//!
//! [`start`] runs a background sender whenever `SMTP_URL` is set (`FEATURES=email` is an older
//! way of asking for it and still accepted): it polls the outbox, takes each due message with a
//! lease (two instances never send one message twice), sends it as text plus HTML, and marks it
//! sent — or records the error and retries later with exponential backoff. A permanent failure
//! (a 5xx answer, an address that cannot be parsed) is given up at once, and a message that
//! exhausts [`MAX_ATTEMPTS`] is given up too; either way it gets `failed_at` and a dead letter
//! (topic `email.undeliverable`) so the founder's dead-letter list shows it.

pub mod insights;
pub mod outbox;

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;
use shared::bus::{DeadLetter, EventBus, Topic};
use shared::config::Settings;
use shared::events::DEAD_LETTER;
use shared::features::Feature;
use shared::shutdown::Shutdown;

use outbox::Queued;
pub use outbox::{Email, MAX_ATTEMPTS, Message, Outbox};

/// The topic of the (never published) event a dead email letter describes.
pub const UNDELIVERABLE: Topic<Undeliverable> = Topic::new("email.undeliverable");

/// What a dead email letter says: the outbox row and the subject, never the recipient or the
/// body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undeliverable {
    pub outbox_id: String,
    pub subject: String,
}
/// The "consumer group" a dead email letter is filed under.
const GROUP: &str = "email-sender";

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

/// Starts delivery if it is configured: on whenever `SMTP_URL` is set. `FEATURES=email` without
/// `SMTP_URL` is a start-up error naming it — the operator asked for email that could never
/// leave. Dead letters go to `bus` (the dead-letter processor stores them).
pub fn start(
    outbox: Outbox,
    settings: &Settings,
    shutdown: &Shutdown,
    pacing: Pacing,
    bus: Option<EventBus>,
) -> Result<bool, shared::Error> {
    start_with(
        outbox,
        settings.features.is_enabled(Feature::Email),
        settings.smtp_url.as_deref(),
        &settings.smtp_from,
        shutdown,
        pacing,
        bus,
    )
}

/// [`start`] from the individual settings: whether `FEATURES` names `email`, `SMTP_URL` and
/// `SMTP_FROM`. True when a sender was started.
pub fn start_with(
    outbox: Outbox,
    flag_on: bool,
    smtp_url: Option<&str>,
    from: &str,
    shutdown: &Shutdown,
    pacing: Pacing,
    bus: Option<EventBus>,
) -> Result<bool, shared::Error> {
    let url = smtp_url.map(str::trim).filter(|u| !u.is_empty());
    let Some(url) = url else {
        if flag_on {
            return Err(shared::Error::Config(
                "SMTP_URL: required when FEATURES includes email".into(),
            ));
        }
        tracing::info!("SMTP_URL is not set: email is kept in the outbox, not delivered");
        return Ok(false);
    };
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
    let sender = Sender {
        outbox,
        transport,
        from,
        pacing,
        bus,
    };
    tokio::spawn(run(sender, shutdown.clone()));
    tracing::info!("email delivery over SMTP is on");
    Ok(true)
}

struct Sender {
    outbox: Outbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    pacing: Pacing,
    bus: Option<EventBus>,
}

/// Why one delivery failed: worth another try later, or never.
enum Failure {
    Temporary(String),
    Permanent(String),
}

async fn run(sender: Sender, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        let due = match sender.outbox.due(20).await {
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
            if let Err(err) = sender.deliver(&message).await {
                tracing::warn!(%err, outbox_id = %message.id, "email outbox bookkeeping failed");
            }
        }
        if idle {
            tokio::select! {
                () = tokio::time::sleep(sender.pacing.poll) => {}
                () = shutdown.triggered() => {}
            }
        }
    }
}

impl Sender {
    async fn deliver(&self, message: &Queued) -> Result<(), shared::Error> {
        if !self.outbox.claim(&message.id).await? {
            return Ok(()); // another sender has it
        }
        match self.send(message).await {
            Ok(()) => {
                self.outbox.mark_sent(&message.id).await?;
                tracing::info!(outbox_id = %message.id, "email delivered");
            }
            Err(Failure::Permanent(error)) => {
                self.outbox.mark_dead(&message.id, &error).await?;
                self.dead_letter(message, error, message.attempts + 1);
            }
            Err(Failure::Temporary(error)) => {
                let attempt = u32::try_from(message.attempts).unwrap_or(u32::MAX);
                let wait = self
                    .pacing
                    .first_retry
                    .saturating_mul(1 << attempt.min(16))
                    .min(Duration::from_hours(1));
                tracing::warn!(outbox_id = %message.id, %error, retry_in_s = wait.as_secs(), "email delivery failed");
                let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                self.outbox
                    .mark_failed(&message.id, &error, wait_ms)
                    .await?;
                if message.attempts + 1 >= MAX_ATTEMPTS {
                    self.dead_letter(message, error, message.attempts + 1);
                }
            }
        }
        Ok(())
    }

    /// Files a given-up message with the dead letters. The letter names the outbox row and the
    /// subject, never the recipient or the body (its links are as good as a password).
    fn dead_letter(&self, message: &Queued, error: String, attempts: i64) {
        tracing::warn!(outbox_id = %message.id, %error, "email given up: moved to the dead letters");
        metrics::counter!("email_dead_letters_total").increment(1);
        let Some(bus) = &self.bus else { return };
        let letter = DeadLetter {
            event: UNDELIVERABLE.event(Undeliverable {
                outbox_id: message.id.clone(),
                subject: message.subject.clone(),
            }),
            group: GROUP.into(),
            error,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            failed_at: shared::ids::now_ms(),
        };
        if let Err(err) = bus.emit(DEAD_LETTER, letter) {
            tracing::error!(%err, outbox_id = %message.id, "cannot record the email dead letter");
        }
    }

    async fn send(&self, message: &Queued) -> Result<(), Failure> {
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| Failure::Permanent(format!("bad recipient: {e}")))?;
        let builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject);
        let email = match &message.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(message.body.clone()))
                    .singlepart(SinglePart::html(html.clone())),
            ),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(message.body.clone()),
        }
        .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                Failure::Permanent(e.to_string())
            } else {
                Failure::Temporary(e.to_string())
            }
        })
    }
}
