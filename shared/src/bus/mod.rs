//! The event bus between services. Producers [`EventBus::publish`] without ever waiting (the
//! scan path depends on that); consumers read batches through a [`Subscription`] and acknowledge
//! them after their work is committed.
//!
//! Two implementations behind one type: in-process bounded channels (all-in-one mode) and Redis
//! Streams with consumer groups (when `REDIS_URL` is set), which survive a consumer crash:
//! unacknowledged entries are delivered again, to the restarted consumer or to another one.
//! Every event carries an id so a redelivery can be recognised and counted once.

mod memory;
mod redis_streams;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use memory::MemoryBus;
pub use redis_streams::RedisBus;

use crate::error::Error;
use crate::shutdown::Shutdown;

/// Topic names. Payloads are defined by the producing service.
pub mod topics {
    pub const QR_SCANNED: &str = "qr.scanned";
    pub const QR_CHANGED: &str = "qr.changed";
    pub const MICROSITE_VIEWED: &str = "microsite.viewed";
    pub const MICROSITE_CLICKED: &str = "microsite.clicked";
    pub const MICROSITE_CHANGED: &str = "microsite.changed";
    pub const USER_DELETED: &str = "user.deleted";
    /// `{"sid"}`: a session ended before its access tokens expire (logout, password change,
    /// refresh-token reuse). Every process that verifies tokens adds it to its revoked list.
    pub const SESSION_REVOKED: &str = "auth.session_revoked";
    pub const USER_SIGNED_UP: &str = "user.signed_up";
    pub const USER_ACTIVE: &str = "user.active";
    pub const QR_CREATED: &str = "qr.created";
    pub const MICROSITE_PUBLISHED: &str = "microsite.published";
    pub const FEEDBACK_SENT: &str = "beta.feedback";
    pub const PRICING_INTEREST: &str = "beta.pricing_interest";
    pub const INTERVIEW_ANSWERED: &str = "beta.interview";
    pub const WAITLIST_SIZE: &str = "beta.waitlist";
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub topic: String,
    /// Milliseconds since the Unix epoch.
    pub occurred_at: i64,
    pub payload: serde_json::Value,
}

impl Event {
    pub fn new(topic: &str, payload: impl Serialize) -> Self {
        Self {
            id: crate::ids::new_id(),
            topic: topic.to_owned(),
            occurred_at: crate::ids::now_ms(),
            payload: serde_json::to_value(payload).unwrap_or_default(),
        }
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
pub enum EventBus {
    Memory(MemoryBus),
    Redis(RedisBus),
}

impl EventBus {
    /// In-process bus; `capacity` bounds each consumer group's queue.
    pub fn memory(capacity: usize) -> Self {
        EventBus::Memory(MemoryBus::new(capacity))
    }

    /// Redis Streams bus. A background task writes published events; it flushes on shutdown.
    pub async fn redis(url: &str, shutdown: &Shutdown) -> Result<Self, Error> {
        Ok(EventBus::Redis(RedisBus::connect(url, shutdown).await?))
    }

    /// Queues an event for every consumer group of its topic. Never waits.
    pub fn publish(&self, event: Event) -> Result<(), PublishError> {
        let result = match self {
            EventBus::Memory(bus) => bus.publish(event),
            EventBus::Redis(bus) => bus.publish(event),
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
        Ok(match self {
            EventBus::Memory(bus) => Subscription::Memory(bus.subscribe(topic, group)),
            EventBus::Redis(bus) => {
                Subscription::Redis(bus.subscribe(topic, group, consumer).await?)
            }
        })
    }

    /// In-process only: events queued and not yet taken by a consumer (`None` for Redis, whose
    /// backlog lives in the streams). The demo seed waits on it before draining.
    pub fn backlog(&self) -> Option<usize> {
        match self {
            EventBus::Memory(bus) => Some(bus.backlog()),
            EventBus::Redis(_) => None,
        }
    }

    /// Whether events reach other processes (Redis), not just this one.
    pub fn is_shared(&self) -> bool {
        matches!(self, EventBus::Redis(_))
    }

    /// Waits (up to `budget`) until everything published has been handed to the transport.
    pub async fn flush(&self, budget: Duration) -> bool {
        match self {
            EventBus::Memory(_) => true,
            EventBus::Redis(bus) => bus.flush(budget).await,
        }
    }
}

/// Runs `handle` on every event of `topic` (as `consumer` in `group`) in a background task until
/// shutdown. Events `handle` returns `true` for are acknowledged; the others stay pending and are
/// delivered again (Redis), which is the retry for a handler whose dependency is briefly down.
pub async fn spawn_consumer<F, Fut>(
    bus: &EventBus,
    topic: &str,
    group: &str,
    consumer: &str,
    shutdown: &Shutdown,
    handle: F,
) -> Result<(), Error>
where
    F: Fn(Event) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let mut subscription = bus.subscribe(topic, group, consumer).await?;
    let stop = shutdown.clone();
    let topic = topic.to_owned();
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
                if handle(delivery.event.clone()).await {
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

pub enum Subscription {
    Memory(memory::MemorySubscription),
    Redis(redis_streams::RedisSubscription),
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
