//! Typed topics: a [`Topic<T>`] is a topic's name together with its payload type, so a publisher
//! cannot send the wrong payload and a consumer receives it decoded. The topics themselves are
//! declared next to their payloads, in [`crate::events`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Event, EventBus, Handled, Payload, PublishError, spawn_consumer};
use crate::error::Error;
use crate::shutdown::Shutdown;

/// A topic whose events carry a `T`.
pub struct Topic<T> {
    name: &'static str,
    // `fn() -> T`: a topic neither owns a `T` nor cares whether `T` is `Send`.
    payload: PhantomData<fn() -> T>,
}

// By hand: derived impls would require `T: Clone`, which payloads need not be.
impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Topic<T> {}

impl<T> fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({})", self.name)
    }
}

impl<T> Topic<T> {
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            payload: PhantomData,
        }
    }

    pub const fn name(self) -> &'static str {
        self.name
    }

    /// Whether `event` was published on this topic.
    pub fn is_of(self, event: &Event) -> bool {
        event.topic == self.name
    }
}

impl<T: Serialize + Send + Sync + 'static> Topic<T> {
    /// A new event of this topic carrying `payload` itself (publish it with
    /// [`EventBus::publish`], e.g. after backdating its `occurred_at`; [`EventBus::emit`] does
    /// both at once). It is encoded only if it leaves the process.
    pub fn event(self, payload: T) -> Event {
        Event::carrying(self.name, Payload::value(payload))
    }
}

impl<T: DeserializeOwned + Clone + 'static> Topic<T> {
    /// `None` for an event of another topic; else its payload: a copy of the value when it was
    /// published in this process, else decoded from its JSON text.
    pub fn decode(self, event: &Event) -> Option<Result<T, serde_json::Error>> {
        self.is_of(event).then(|| event.payload.read())
    }

    /// The payload of `event` when it is of this topic and readable (an unreadable one is
    /// logged).
    pub fn payload(self, event: &Event) -> Option<T> {
        self.decode(event)?
            .inspect_err(|err| {
                tracing::warn!(event_id = %event.id, topic = self.name, %err, "an unreadable event payload");
            })
            .ok()
    }
}

impl EventBus {
    /// Publishes `payload` on `topic`. Never waits.
    pub fn emit<T: Serialize + Send + Sync + 'static>(
        &self,
        topic: Topic<T>,
        payload: T,
    ) -> Result<(), PublishError> {
        self.publish(topic.event(payload))
    }
}

/// [`super::spawn_consumer`] for one typed topic: `handle` gets the decoded payload and answers
/// as any consumer does ([`Handled`]). An event whose payload cannot be read is logged and
/// acknowledged — retrying cannot make it readable.
pub async fn consume<T, F, Fut>(
    bus: &EventBus,
    topic: Topic<T>,
    group: &str,
    consumer: &str,
    shutdown: &Shutdown,
    handle: F,
) -> Result<(), Error>
where
    T: DeserializeOwned + Clone + Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output: Handled> + Send,
{
    spawn_consumer(bus, topic.name(), group, consumer, shutdown, move |event| {
        let payload = topic.payload(&event);
        let handled = payload.map(&handle);
        async move {
            match handled {
                Some(handled) => handled.await.into_outcome(),
                None => Ok(()), // unreadable: logged by `payload`
            }
        }
    })
    .await
}

/// [`consume`] in a consumer group of this process's own (`{name}-` and a new id), for what every
/// instance keeps in memory (cached codes and pages, approved hosts, moderation): each instance
/// must see every event, not a share of them.
pub async fn consume_in_every_instance<T, F, Fut>(
    bus: &EventBus,
    topic: Topic<T>,
    name: &str,
    shutdown: &Shutdown,
    handle: F,
) -> Result<(), Error>
where
    T: DeserializeOwned + Clone + Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output: Handled> + Send,
{
    let instance = format!("{name}-{}", crate::ids::new_id());
    consume(bus, topic, &instance, &instance, shutdown, handle).await
}

/// A service's share of deleting an account: when `user.deleted` arrives, `delete` removes what
/// the service keeps of that user and answers how many of `what` (e.g. "codes") went. A failure
/// is retried (the event stays unacknowledged), so the data goes once the database is back.
pub async fn delete_with_account<F, Fut, E>(
    bus: &EventBus,
    service: &str,
    what: &'static str,
    shutdown: &Shutdown,
    delete: F,
) -> Result<(), Error>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, E>> + Send,
    E: fmt::Display,
{
    let consumer = format!("{service}-1");
    consume(
        bus,
        crate::events::USER_DELETED,
        service,
        &consumer,
        shutdown,
        move |user| {
            let deleted = delete(user.user_id);
            async move {
                match deleted.await {
                    Ok(n) => {
                        tracing::info!(rows = n, what, "deleted a deleted account's data");
                        true
                    }
                    Err(err) => {
                        tracing::warn!(%err, what, "could not delete a deleted account's data yet");
                        false
                    }
                }
            }
        },
    )
    .await
}
