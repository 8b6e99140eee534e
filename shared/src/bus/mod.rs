//! The event bus between services. Producers [`EventBus::publish`] without ever waiting (the
//! scan path depends on that); consumers read batches through a [`Subscription`] and acknowledge
//! them after their work is committed.
//!
//! Two implementations behind one type: in-process bounded channels (all-in-one mode) and Redis
//! Streams with consumer groups (when `REDIS_URL` is set), which survive a consumer crash:
//! unacknowledged entries are delivered again, to the restarted consumer or to another one.
//! Every event carries an id so a redelivery can be recognised and counted once.

mod dead_letter;
mod memory;
mod payload;
mod redis_streams;
mod spill;
mod topic;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use payload::Payload;

pub use dead_letter::DeadLetter;
pub use memory::MemoryBus;
pub use redis_streams::RedisBus;
pub use topic::{Topic, consume, consume_in_every_instance, delete_with_account};

use crate::error::Error;
use crate::shutdown::Shutdown;

/// Topic names as strings, for code that still handles events untyped (qr, until it moves to
/// the typed topics) and for raw subscriptions over several topics. The topics themselves, with
/// their payload types, are in [`crate::events`].
pub mod topics {
    use crate::events;

    pub const QR_SCANNED: &str = events::QR_SCANNED.name();
    pub const QR_CHANGED: &str = events::QR_CHANGED.name();
    pub const MICROSITE_VIEWED: &str = events::MICROSITE_VIEWED.name();
    pub const MICROSITE_CLICKED: &str = events::MICROSITE_CLICKED.name();
    pub const MICROSITE_CHANGED: &str = events::MICROSITE_CHANGED.name();
    pub const USER_DELETED: &str = events::USER_DELETED.name();
    pub const USER_DISABLED: &str = events::USER_DISABLED.name();
    pub const USER_ENABLED: &str = events::USER_ENABLED.name();
    pub const QR_BLOCKLIST_CHANGED: &str = events::QR_BLOCKLIST_CHANGED.name();
    pub const SESSION_REVOKED: &str = events::SESSION_REVOKED.name();
    pub const USER_SIGNED_UP: &str = events::USER_SIGNED_UP.name();
    pub const USER_ACTIVE: &str = events::USER_ACTIVE.name();
    pub const QR_CREATED: &str = events::QR_CREATED.name();
    pub const MICROSITE_PUBLISHED: &str = events::MICROSITE_PUBLISHED.name();
    pub const FEEDBACK_SENT: &str = events::FEEDBACK_SENT.name();
    pub const PRICING_INTEREST: &str = events::PRICING_INTEREST.name();
    pub const INTERVIEW_ANSWERED: &str = events::INTERVIEW_ANSWERED.name();
    pub const WAITLIST_SIZE: &str = events::WAITLIST_SIZE.name();
    pub const NAMES_CHANGED: &str = events::NAMES_CHANGED.name();
    /// The product lifecycle topics the founder's console is built from.
    pub const PRODUCT: [&str; 8] = [
        USER_SIGNED_UP,
        USER_ACTIVE,
        QR_CREATED,
        MICROSITE_PUBLISHED,
        FEEDBACK_SENT,
        PRICING_INTEREST,
        INTERVIEW_ANSWERED,
        WAITLIST_SIZE,
    ];
    pub const DEAD_LETTER: &str = events::DEAD_LETTER.name();
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub topic: String,
    /// Milliseconds since the Unix epoch.
    pub occurred_at: i64,
    pub payload: Payload,
    /// Set on a replayed dead letter: only this consumer group handles it; the others
    /// acknowledge and skip it (they handled it the first time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_group: Option<String>,
}

impl Event {
    pub fn new(topic: &str, payload: impl Serialize) -> Self {
        Self::carrying(topic, Payload::of(&payload))
    }

    pub fn carrying(topic: &str, payload: Payload) -> Self {
        Self {
            id: crate::ids::new_id(),
            topic: topic.to_owned(),
            occurred_at: crate::ids::now_ms(),
            payload,
            only_group: None,
        }
    }
}

/// How often a consumer tries one event before giving up on it and handing it to the
/// dead-letter topic (`DLQ_MAX_ATTEMPTS`), and the pause before the first retry (doubled each
/// time, at most [`MAX_RETRY_PAUSE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_pause: Duration,
}

/// Retries happen in place (the consumer waits), so pauses stay short: a dependency that is down
/// for longer is what dead letters and their replay are for.
pub const MAX_RETRY_PAUSE: Duration = Duration::from_secs(2);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_pause: Duration::from_millis(100),
        }
    }
}

impl RetryPolicy {
    fn pause_after(self, attempt: u32) -> Duration {
        self.first_pause
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(MAX_RETRY_PAUSE)
    }
}

/// Why an event could not be queued. The producer decides what that means (the scan path logs
/// it and still answers the redirect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("the event queue is full")]
    Full,
    #[error("the event bus is shut down")]
    Closed,
}

/// One delivered event and what is needed to acknowledge it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Event,
    /// How many times this event has been delivered (1 on first delivery).
    pub attempts: u32,
    receipt: Option<String>,
}

#[derive(Clone)]
pub struct EventBus {
    transport: Transport,
    retry: RetryPolicy,
}

#[derive(Clone)]
enum Transport {
    Memory(MemoryBus),
    Redis(RedisBus),
}

impl EventBus {
    /// In-process bus; `capacity` bounds each consumer group's queue.
    pub fn memory(capacity: usize) -> Self {
        Self::over(Transport::Memory(MemoryBus::new(capacity)))
    }

    /// In-process bus whose full queues spill to files in `dir` (up to `max_bytes` per consumer
    /// group) rather than refusing events: a burst is delivered late instead of lost.
    pub fn memory_with_overflow(capacity: usize, dir: PathBuf, max_bytes: u64) -> Self {
        Self::over(Transport::Memory(
            MemoryBus::new(capacity).with_overflow(dir, max_bytes),
        ))
    }

    /// Redis Streams bus. A background task writes published events; it flushes on shutdown.
    pub async fn redis(
        target: &crate::context::RedisTarget,
        shutdown: &Shutdown,
    ) -> Result<Self, Error> {
        Ok(Self::over(Transport::Redis(
            RedisBus::connect(target, shutdown).await?,
        )))
    }

    fn over(transport: Transport) -> Self {
        Self {
            transport,
            retry: RetryPolicy::default(),
        }
    }

    /// The same bus with consumers (of [`spawn_consumer`]) retrying and dead-lettering by
    /// `retry`.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// Queues an event for every consumer group of its topic. Never waits. (Typed topics publish
    /// with [`EventBus::emit`].)
    pub fn publish(&self, event: Event) -> Result<(), PublishError> {
        let result = match &self.transport {
            Transport::Memory(bus) => bus.publish(event),
            Transport::Redis(bus) => bus.publish(event),
        };
        match &result {
            Ok(()) => metrics::counter!("bus_published_total").increment(1),
            Err(err) => {
                metrics::counter!("bus_publish_failed_total", "reason" => err.to_string())
                    .increment(1);
            }
        }
        result
    }

    /// Joins consumer `group` on `topic` as `consumer`. Groups each get every event; consumers
    /// within a group share them.
    pub async fn subscribe(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
    ) -> Result<Subscription, Error> {
        Ok(match &self.transport {
            Transport::Memory(bus) => Subscription::Memory(bus.subscribe(topic, group)),
            Transport::Redis(bus) => {
                Subscription::Redis(Box::new(bus.subscribe(topic, group, consumer).await?))
            }
        })
    }

    /// In-process only: events queued and not yet taken by a consumer (`None` for Redis, whose
    /// backlog lives in the streams). The demo seed waits on it before draining.
    pub fn backlog(&self) -> Option<usize> {
        match &self.transport {
            Transport::Memory(bus) => Some(bus.backlog()),
            Transport::Redis(_) => None,
        }
    }

    /// Whether events reach other processes (Redis), not just this one.
    pub fn is_shared(&self) -> bool {
        matches!(self.transport, Transport::Redis(_))
    }

    /// At shutdown: in-process queues with an overflow folder move what they hold into their
    /// files, so a stop that cannot drain everything in time loses none of it (the next start
    /// delivers it). Returns how many events moved; 0 for Redis, whose streams keep them anyway.
    pub async fn persist_queues(&self) -> usize {
        match &self.transport {
            Transport::Memory(bus) => bus.persist_queues().await,
            Transport::Redis(_) => 0,
        }
    }

    /// Waits (up to `budget`) until everything published has been handed to the transport.
    pub async fn flush(&self, budget: Duration) -> bool {
        match &self.transport {
            Transport::Memory(bus) => {
                bus.flush_overflow();
                true
            }
            Transport::Redis(bus) => bus.flush(budget).await,
        }
    }
}

/// What a consumer's handler answers about one event: `bool` (`false` is a failure whose cause
/// the handler logged itself) or `Result<(), String>` (the reason is kept with the dead letter).
/// One trait, so one consumer loop serves both kinds of handler.
pub trait Handled {
    fn into_outcome(self) -> Result<(), String>;
}

impl Handled for bool {
    fn into_outcome(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("the handler reported a failure (its log has the cause)".to_owned())
        }
    }
}

impl Handled for Result<(), String> {
    fn into_outcome(self) -> Result<(), String> {
        self
    }
}

/// Runs `handle` on every event of `topic` (as `consumer` in `group`) in a background task until
/// shutdown. Events `handle` succeeds on are acknowledged; a failure is retried in place by the
/// bus's [`RetryPolicy`] and, when every attempt failed, handed to the dead-letter topic (and
/// acknowledged) so one poison event never stalls the group.
pub async fn spawn_consumer<F, Fut>(
    bus: &EventBus,
    topic: &str,
    group: &str,
    consumer: &str,
    shutdown: &Shutdown,
    handle: F,
) -> Result<(), Error>
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output: Handled> + Send,
{
    let mut subscription = bus.subscribe(topic, group, consumer).await?;
    let stop = shutdown.clone();
    let topic = topic.to_owned();
    let group = group.to_owned();
    let bus = bus.clone();
    tokio::spawn(async move {
        while !stop.is_triggered() {
            let batch = match subscription.next_batch(256, Duration::from_secs(1)).await {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(%err, %topic, "event feed failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut done = Vec::with_capacity(batch.len());
            for delivery in batch {
                if deliver(&bus, &group, &delivery, &handle, &stop).await {
                    done.push(delivery);
                }
            }
            if let Err(err) = subscription.ack(&done).await {
                tracing::warn!(%err, %topic, "acknowledging events failed; they will come again");
            }
        }
    });
    Ok(())
}

/// Handles one delivery with retries; true when it may be acknowledged (handled, skipped, or
/// safely handed to the dead-letter topic).
async fn deliver<F, Fut>(
    bus: &EventBus,
    group: &str,
    delivery: &Delivery,
    handle: &F,
    stop: &Shutdown,
) -> bool
where
    F: Fn(Event) -> Fut,
    Fut: std::future::Future<Output: Handled>,
{
    let event = &delivery.event;
    if event
        .only_group
        .as_deref()
        .is_some_and(|only| only != group)
    {
        return true; // a replay meant for another group
    }
    let policy = bus.retry;
    let mut attempt = delivery.attempts.max(1);
    loop {
        let error = match handle(event.clone()).await.into_outcome() {
            Ok(()) => return true,
            Err(error) => error,
        };
        if attempt >= policy.max_attempts.max(1) {
            return dead_letter(bus, group, event, error, attempt);
        }
        if stop.is_triggered() {
            return false; // shutting down: leave it pending (Redis) for the next start
        }
        tokio::time::sleep(policy.pause_after(attempt)).await;
        attempt += 1;
    }
}

/// Hands a given-up event to the dead-letter topic. A dead letter itself is never
/// dead-lettered (that would loop): it stays unacknowledged and is logged.
fn dead_letter(bus: &EventBus, group: &str, event: &Event, error: String, attempts: u32) -> bool {
    metrics::counter!("bus_dead_letters_total", "topic" => event.topic.clone()).increment(1);
    if event.topic == topics::DEAD_LETTER {
        tracing::error!(event_id = %event.id, %error, "a dead letter could not be stored");
        return false;
    }
    tracing::warn!(event_id = %event.id, topic = %event.topic, %group, attempts, %error,
        "event failed every attempt: moved to the dead letters");
    let letter = DeadLetter {
        event: event.clone(),
        group: group.to_owned(),
        error,
        attempts,
        failed_at: crate::ids::now_ms(),
    };
    match bus.emit(crate::events::DEAD_LETTER, letter) {
        Ok(()) => true,
        Err(err) => {
            tracing::error!(%err, event_id = %event.id, "cannot queue the dead letter; the event stays pending");
            false
        }
    }
}

pub enum Subscription {
    Memory(memory::MemorySubscription),
    // Boxed: it holds a client and a connection, the in-process one a receiver.
    Redis(Box<redis_streams::RedisSubscription>),
}

impl Subscription {
    /// Up to `max` events; waits at most `wait` for the first one. Empty means nothing arrived.
    pub async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, Error> {
        match self {
            Subscription::Memory(s) => Ok(s.next_batch(max, wait).await),
            Subscription::Redis(s) => s.next_batch(max, wait).await,
        }
    }

    /// Acknowledges processed deliveries; unacknowledged ones are delivered again (Redis).
    pub async fn ack(&mut self, deliveries: &[Delivery]) -> Result<(), Error> {
        match self {
            Subscription::Memory(_) => Ok(()),
            Subscription::Redis(s) => s.ack(deliveries).await,
        }
    }
}
