//! The in-process bus: one bounded queue per (topic, consumer group). At-most-once by nature —
//! it lives and dies with the process, which is why consumers flush in a drain hook.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};

use super::{Delivery, Event, PublishError};

type Receiver = Arc<Mutex<mpsc::Receiver<Event>>>;
/// Per topic: each consumer group's name, its queue's sending end and its shared receiver.
type Groups = HashMap<String, Vec<Group>>;

/// One consumer group of a topic: its name and both ends of its queue.
struct Group {
    name: String,
    sender: mpsc::Sender<Event>,
    receiver: Receiver,
}

impl Group {
    /// Queues the event without waiting.
    fn offer(&self, event: Event) -> Result<(), PublishError> {
        self.sender.try_send(event).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => PublishError::Full,
            mpsc::error::TrySendError::Closed(_) => PublishError::Closed,
        })
    }
}

#[derive(Clone)]
pub struct MemoryBus {
    capacity: usize,
    groups: Arc<RwLock<Groups>>,
}

impl MemoryBus {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            groups: Arc::default(),
        }
    }

    pub(super) fn publish(&self, event: Event) -> Result<(), PublishError> {
        let groups = self
            .groups
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((last, others)) = groups.get(&event.topic).and_then(|g| g.split_last()) else {
            return Ok(()); // nobody listens to this topic in this process
        };
        // The other groups get copies and the last one the event itself: with one group (every
        // topic in all-in-one mode but `user.*`) nothing is copied on the scan path. Every group
        // is offered the event even when an earlier one refused it.
        let mut result = Ok(());
        for group in others {
            result = result.and(group.offer(event.clone()));
        }
        result.and(last.offer(event))
    }

    /// Events queued and not yet taken by their consumers, over every topic and group.
    pub(super) fn backlog(&self) -> usize {
        let groups = self
            .groups
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        groups
            .values()
            .flatten()
            .map(|g| g.sender.max_capacity() - g.sender.capacity())
            .sum()
    }

    pub(super) fn subscribe(&self, topic: &str, group: &str) -> MemorySubscription {
        let mut groups = self
            .groups
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let subscribers = groups.entry(topic.to_owned()).or_default();
        let receiver = match subscribers.iter().find(|g| g.name == group) {
            Some(existing) => existing.receiver.clone(),
            None => {
                let (sender, receiver) = mpsc::channel(self.capacity);
                let receiver = Arc::new(Mutex::new(receiver));
                subscribers.push(Group {
                    name: group.to_owned(),
                    sender,
                    receiver: receiver.clone(),
                });
                receiver
            }
        };
        MemorySubscription { receiver }
    }
}

pub struct MemorySubscription {
    receiver: Receiver,
}

impl MemorySubscription {
    pub(super) async fn next_batch(&mut self, max: usize, wait: Duration) -> Vec<Delivery> {
        let mut receiver = self.receiver.lock().await;
        let mut events = Vec::new();
        // A timeout just means nothing arrived in time: an empty batch.
        let _ = tokio::time::timeout(wait, receiver.recv_many(&mut events, max.max(1))).await;
        events
            .into_iter()
            .map(|event| Delivery {
                event,
                attempts: 1,
                receipt: None,
            })
            .collect()
    }
}
