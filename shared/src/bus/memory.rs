//! The in-process bus: one bounded queue per (topic, consumer group). At-most-once by nature —
//! it lives and dies with the process, which is why consumers flush in a drain hook. With an
//! overflow folder ([`MemoryBus::with_overflow`]), a full queue spills to a file there
//! ([`super::spill`]) instead of refusing the event.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};

use super::spill::Spill;
use super::{Delivery, Event, PublishError};

type Receiver = Arc<Mutex<mpsc::Receiver<Event>>>;
/// Per topic: each consumer group's name, its queue's sending end and its shared receiver.
type Groups = HashMap<String, Vec<Group>>;

/// One consumer group of a topic: its name, both ends of its queue and its overflow file.
struct Group {
    name: String,
    sender: mpsc::Sender<Event>,
    receiver: Receiver,
    spill: Option<Arc<Spill>>,
}

impl Group {
    /// Queues the event without waiting; a full queue spills to the overflow file, if any.
    fn offer(&self, event: Event) -> Result<(), PublishError> {
        let Some(spill) = &self.spill else {
            return self.sender.try_send(event).map_err(refusal);
        };
        // While anything waits in the file, later events queue behind it there: the consumer
        // empties the queue first, then the file, so the order holds.
        if spill.pending() > 0 {
            return spilled(spill, &event);
        }
        match self.sender.try_send(event) {
            Err(mpsc::error::TrySendError::Full(event)) => spilled(spill, &event),
            other => other.map_err(refusal),
        }
    }
}

fn spilled(spill: &Spill, event: &Event) -> Result<(), PublishError> {
    if spill.push(event) {
        Ok(())
    } else {
        Err(PublishError::Full)
    }
}

fn refusal(err: mpsc::error::TrySendError<Event>) -> PublishError {
    match err {
        mpsc::error::TrySendError::Full(_) => PublishError::Full,
        mpsc::error::TrySendError::Closed(_) => PublishError::Closed,
    }
}

/// Where full queues spill, and how much the files may hold per consumer group.
#[derive(Clone)]
struct Overflow {
    dir: PathBuf,
    max_bytes: u64,
}

#[derive(Clone)]
pub struct MemoryBus {
    capacity: usize,
    overflow: Option<Overflow>,
    groups: Arc<RwLock<Groups>>,
    /// Set by [`MemoryBus::persist_queues`]: consumers no longer read the overflow files.
    closing: Arc<AtomicBool>,
}

impl MemoryBus {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            overflow: None,
            groups: Arc::default(),
            closing: Arc::default(),
        }
    }

    /// Full queues spill to files in `dir`, up to `max_bytes` per consumer group, rather than
    /// refusing events; files a stopped process left there are delivered after subscribing.
    pub fn with_overflow(mut self, dir: PathBuf, max_bytes: u64) -> Self {
        self.overflow = (max_bytes > 0).then_some(Overflow { dir, max_bytes });
        self
    }

    pub(super) fn publish(&self, event: Event) -> Result<(), PublishError> {
        let groups = self.read_groups();
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

    fn read_groups(&self) -> std::sync::RwLockReadGuard<'_, Groups> {
        self.groups
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Events queued and not yet taken by their consumers, over every topic and group.
    pub(super) fn backlog(&self) -> usize {
        let groups = self.read_groups();
        groups
            .values()
            .flatten()
            .map(|g| {
                let queued = g.sender.max_capacity() - g.sender.capacity();
                queued + g.spill.as_ref().map_or(0, |s| s.pending())
            })
            .sum()
    }

    /// Writes the overflow files' buffers out (at shutdown: the next start delivers them).
    pub(super) fn flush_overflow(&self) {
        let groups = self.read_groups();
        for spill in groups.values().flatten().filter_map(|g| g.spill.as_ref()) {
            spill.flush();
        }
    }

    /// Moves what waits in the queues into the overflow files (at shutdown) for the next start,
    /// and stops this process's consumers from reading the files: their drains write only what
    /// they already hold. (Reading on would delete a file whose last events could still be
    /// unwritten when the shutdown budget runs out.) Events queued behind a burst that is already
    /// in a file land after it: only their order changes. Returns how many were moved.
    pub(super) async fn persist_queues(&self) -> usize {
        if self.overflow.is_none() {
            return 0;
        }
        self.closing.store(true, Ordering::Relaxed);
        let groups: Vec<(Receiver, Arc<Spill>)> = {
            let groups = self.read_groups();
            groups
                .values()
                .flatten()
                .filter_map(|g| Some((g.receiver.clone(), g.spill.clone()?)))
                .collect()
        };
        let mut moved = 0;
        for (receiver, spill) in groups {
            let mut events = Vec::new();
            {
                let mut receiver = receiver.lock().await;
                while let Ok(event) = receiver.try_recv() {
                    events.push(event);
                }
            }
            if events.is_empty() {
                continue;
            }
            let written = tokio::task::spawn_blocking(move || {
                let written = events.iter().filter(|event| spill.push(event)).count();
                spill.flush();
                if written < events.len() {
                    tracing::warn!(
                        lost = events.len() - written,
                        "the overflow file is full: queued events lost at shutdown"
                    );
                }
                written
            })
            .await
            .unwrap_or(0);
            moved += written;
        }
        moved
    }

    pub(super) fn subscribe(&self, topic: &str, group: &str) -> MemorySubscription {
        let mut groups = self
            .groups
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let subscribers = groups.entry(topic.to_owned()).or_default();
        let (receiver, spill) = if let Some(existing) = subscribers.iter().find(|g| g.name == group)
        {
            (existing.receiver.clone(), existing.spill.clone())
        } else {
            let (sender, receiver) = mpsc::channel(self.capacity);
            let receiver = Arc::new(Mutex::new(receiver));
            let spill = self
                .overflow
                .as_ref()
                .map(|o| Arc::new(Spill::open(&o.dir, topic, group, o.max_bytes)));
            subscribers.push(Group {
                name: group.to_owned(),
                sender,
                receiver: receiver.clone(),
                spill: spill.clone(),
            });
            (receiver, spill)
        };
        MemorySubscription {
            receiver,
            spill,
            closing: self.closing.clone(),
        }
    }
}

pub struct MemorySubscription {
    receiver: Receiver,
    spill: Option<Arc<Spill>>,
    closing: Arc<AtomicBool>,
}

impl MemorySubscription {
    pub(super) async fn next_batch(&mut self, max: usize, wait: Duration) -> Vec<Delivery> {
        let max = max.max(1);
        let mut receiver = self.receiver.lock().await;
        let mut events = Vec::new();
        let closing = self.closing.load(Ordering::Relaxed);
        if let Some(spill) = self.spill.as_ref().filter(|s| s.pending() > 0 && !closing) {
            // The queue holds the older events: it first, then the file (read off the workers).
            while events.len() < max
                && let Ok(event) = receiver.try_recv()
            {
                events.push(event);
            }
            if events.is_empty() {
                let spill = spill.clone();
                events = tokio::task::spawn_blocking(move || spill.take(max))
                    .await
                    .unwrap_or_default();
            }
        }
        if events.is_empty() {
            // A timeout just means nothing arrived in time: an empty batch.
            let _ = tokio::time::timeout(wait, receiver.recv_many(&mut events, max)).await;
        }
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
