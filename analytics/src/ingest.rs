//! Ingestion: one writer task per database reads `qr.scanned`, `microsite.viewed` and
//! `microsite.clicked` (consumer group `analytics`), classifies, writes many events per
//! transaction and acknowledges only after the commit. `user.deleted` removes a user's data.
//!
//! **Bounded buffer.** Events read from the bus wait in the writer's buffer until committed. When
//! the database is unavailable the writer retries with backoff (50 ms doubling to 5 s) and keeps
//! reading until `max_buffered` events wait; then it stops reading. Past that bound nothing is
//! dropped by analytics: with Redis the events stay in the stream (trimmed at ~1,000,000 entries
//! per topic by the bus) and are read when the database is back; in-process, the bus's own queue
//! (capacity set by the binary, 100,000) fills next, then its overflow file in the data folder
//! (`BUS_OVERFLOW_MAX_MB`, 256 by default), and only then does the producer's `publish` answer
//! `Full`, which the scan path logs and counts (`bus_publish_failed_total`) without failing the
//! redirect. Memory use is therefore bounded by `max_buffered` events here plus the bus queue.
//!
//! **Shutdown.** A drain hook asks the writer to read what is left on the bus, flush it and stop.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shared::bus::{Delivery, EventBus, Subscription};
use shared::db::Db;
use shared::events::{MICROSITE_CLICKED, MICROSITE_VIEWED, QR_SCANNED, USER_DELETED};
use shared::shutdown::Shutdown;
use tokio::sync::{mpsc, oneshot};

use crate::classify::Classifier;
use crate::classify::visitor::day_of;
use crate::hit::Hit;
use crate::store;

/// The topics recorded as events.
pub const RECORDED_TOPICS: [&str; 3] = [
    QR_SCANNED.name(),
    MICROSITE_VIEWED.name(),
    MICROSITE_CLICKED.name(),
];

#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// Consumer group on the bus.
    pub group: String,
    /// This process's name within the group; stable across restarts so a restarted consumer
    /// picks up what it had read but not acknowledged.
    pub consumer: String,
    /// Events per transaction, at most. Under light load a batch is whatever arrived within
    /// `flush_interval`; under heavy load it is whatever piled up while the previous batch was
    /// being written, up to this. Large batches are what keep up with a burst: every event adds
    /// to rollup rows of its code (hour, day, seven breakdowns), and a batch pays for each such
    /// row once however many of its events share it.
    pub batch_size: usize,
    /// A partial batch is written after waiting this long (bounds the scan → API delay).
    pub flush_interval: Duration,
    /// The most events held in memory while the database is unavailable.
    pub max_buffered: usize,
    /// How long one bus read waits for the first event.
    pub poll_wait: Duration,
    /// How long after a UTC day ends its salt still serves late deliveries.
    pub salt_grace: Duration,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            group: "analytics".into(),
            consumer: "analytics".into(),
            batch_size: 20_000,
            flush_interval: Duration::from_millis(250),
            max_buffered: 50_000,
            poll_wait: Duration::from_millis(200),
            salt_grace: Duration::from_hours(1),
        }
    }
}

/// Live counters of the writer (also exported as metrics).
#[derive(Debug, Default)]
pub struct IngestStats {
    pub buffered: AtomicUsize,
    pub written: AtomicU64,
    pub write_failures: AtomicU64,
    /// Time spent classifying and in database writes (nanoseconds), to see where time goes.
    pub classify_nanos: AtomicU64,
    pub write_nanos: AtomicU64,
}

/// A running writer: ask it to drain, read its counters.
#[derive(Clone)]
pub struct Ingestor {
    drain: mpsc::Sender<oneshot::Sender<()>>,
    task: tokio::task::AbortHandle,
    pub stats: Arc<IngestStats>,
}

impl Ingestor {
    /// Subscribes, spawns the writer and registers its drain hook on `shutdown`.
    pub async fn start(
        db: Db,
        bus: &EventBus,
        classifier: Arc<Classifier>,
        config: IngestConfig,
        shutdown: &Shutdown,
    ) -> Result<Ingestor, shared::Error> {
        let mut subscriptions = Vec::with_capacity(RECORDED_TOPICS.len());
        for topic in RECORDED_TOPICS {
            subscriptions.push(
                bus.subscribe(topic, &config.group, &config.consumer)
                    .await?,
            );
        }
        let deletions = bus
            .subscribe(USER_DELETED.name(), &config.group, &config.consumer)
            .await?;
        let stats = Arc::new(IngestStats::default());
        let (drain, drain_requests) = mpsc::channel(1);
        let writer = Writer {
            db,
            subscriptions,
            deletions,
            pending_deletions: Vec::new(),
            classifier,
            buffer: Vec::new(),
            oldest: None,
            salts: HashMap::new(),
            retry_at: None,
            backoff: MIN_BACKOFF,
            stats: stats.clone(),
            config,
        };
        let task = tokio::spawn(writer.run(drain_requests)).abort_handle();
        let ingestor = Ingestor { drain, task, stats };
        let hook = ingestor.clone();
        shutdown.on_drain(
            "analytics ingestion",
            move || async move { hook.drain().await },
        );
        Ok(ingestor)
    }

    /// Stops the writer at once, without writing or acknowledging what it holds: what SIGKILL
    /// does to a process (tests use it to prove nothing is lost or double-counted).
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Reads what is left on the bus, writes everything buffered and stops the writer. Returns
    /// when done (the shutdown's budget bounds how long that may take).
    pub async fn drain(&self) {
        let (done, finished) = oneshot::channel();
        if self.drain.send(done).await.is_ok() {
            let _ = finished.await;
        }
    }
}

const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

struct Writer {
    db: Db,
    subscriptions: Vec<Subscription>,
    deletions: Subscription,
    pending_deletions: Vec<Delivery>,
    classifier: Arc<Classifier>,
    /// Read but not yet committed: (index of the subscription, delivery).
    buffer: Vec<(usize, Delivery)>,
    oldest: Option<Instant>,
    salts: HashMap<i64, String>,
    /// While the database is failing, the next write attempt waits until then.
    retry_at: Option<Instant>,
    backoff: Duration,
    stats: Arc<IngestStats>,
    config: IngestConfig,
}

impl Writer {
    async fn run(mut self, mut drain_requests: mpsc::Receiver<oneshot::Sender<()>>) {
        loop {
            match drain_requests.try_recv() {
                Ok(reply) => {
                    self.drain().await;
                    let _ = reply.send(());
                    return;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    // Every handle is gone (a test dropped it): finish what we hold and stop.
                    self.drain().await;
                    return;
                }
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            let wait = self.next_wait();
            let read = self.fill(wait).await;
            self.read_deletions().await;
            if self.due() {
                self.flush().await;
            } else if read == 0 && self.buffer.len() >= self.config.max_buffered {
                // Full and waiting for the database: sleep until the next attempt.
                tokio::time::sleep(self.until_retry().min(self.config.poll_wait)).await;
            }
            self.apply_deletions().await;
        }
    }

    /// How long the next bus read may block without delaying a due write.
    fn next_wait(&self) -> Duration {
        if self.buffer.is_empty() {
            return self.config.poll_wait;
        }
        let flush_in = self
            .oldest
            .map_or(Duration::ZERO, |t| {
                self.config.flush_interval.saturating_sub(t.elapsed())
            })
            .max(self.until_retry());
        flush_in.min(self.config.poll_wait)
    }

    fn until_retry(&self) -> Duration {
        self.retry_at.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        })
    }

    fn due(&self) -> bool {
        if self.buffer.is_empty() || self.until_retry() > Duration::ZERO {
            return false;
        }
        self.buffer.len() >= self.config.batch_size
            || self
                .oldest
                .is_some_and(|t| t.elapsed() >= self.config.flush_interval)
    }

    /// Reads from every subscription while there is room; the first read may wait.
    async fn fill(&mut self, first_wait: Duration) -> usize {
        let mut read = 0;
        for index in 0..self.subscriptions.len() {
            let room = self
                .config
                .max_buffered
                .saturating_sub(self.buffer.len())
                .min(self.config.batch_size);
            if room == 0 {
                break;
            }
            let wait = if index == 0 {
                first_wait
            } else {
                Duration::ZERO
            };
            match self.subscriptions[index].next_batch(room, wait).await {
                Ok(deliveries) => {
                    read += deliveries.len();
                    if !deliveries.is_empty() && self.oldest.is_none() {
                        self.oldest = Some(Instant::now());
                    }
                    self.buffer
                        .extend(deliveries.into_iter().map(|d| (index, d)));
                }
                Err(err) => {
                    tracing::warn!(%err, "analytics: cannot read from the event bus; retrying");
                    tokio::time::sleep(self.config.poll_wait).await;
                }
            }
        }
        self.stats
            .buffered
            .store(self.buffer.len(), Ordering::Relaxed);
        metrics::gauge!("analytics_buffered_events").set(self.buffer.len() as f64);
        read
    }

    /// Writes up to one batch. On failure everything stays buffered for the next attempt.
    async fn flush(&mut self) -> bool {
        let n = self.buffer.len().min(self.config.batch_size);
        let mut hits = Vec::with_capacity(n);
        for (_, delivery) in &self.buffer[..n] {
            match Hit::from_event(&delivery.event) {
                Ok(Some(hit)) => hits.push(hit),
                Ok(None) => {}
                Err(err) => {
                    // Can never succeed: acknowledged with the batch so it does not block it.
                    tracing::error!(event = %delivery.event.id, %err, "analytics: undecodable event skipped");
                    metrics::counter!("analytics_undecodable_events_total").increment(1);
                }
            }
        }
        let result = self.write(&hits).await;
        match result {
            Ok(new) => {
                let batch: Vec<_> = self.buffer.drain(..n).collect();
                self.ack(batch).await;
                self.oldest = (!self.buffer.is_empty()).then(Instant::now);
                self.retry_at = None;
                self.backoff = MIN_BACKOFF;
                self.stats.written.fetch_add(new as u64, Ordering::Relaxed);
                self.stats
                    .buffered
                    .store(self.buffer.len(), Ordering::Relaxed);
                metrics::counter!("analytics_events_written_total").increment(new as u64);
                true
            }
            Err(err) => {
                tracing::warn!(error = %one_line(&err), buffered = self.buffer.len(), retry_in = ?self.backoff, "analytics: cannot write events; keeping them buffered");
                metrics::counter!("analytics_write_failures_total").increment(1);
                self.stats.write_failures.fetch_add(1, Ordering::Relaxed);
                self.retry_at = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                false
            }
        }
    }

    async fn write(&mut self, hits: &[Hit]) -> Result<usize, sqlx::Error> {
        let now = shared::ids::now_ms();
        let grace = i64::try_from(self.config.salt_grace.as_millis()).unwrap_or(i64::MAX);
        self.salts
            .retain(|day, _| day + crate::classify::visitor::DAY_MS + grace >= now);
        let missing: HashSet<i64> = hits
            .iter()
            .map(|h| day_of(h.occurrence.occurred_at))
            .filter(|day| !self.salts.contains_key(day))
            .collect();
        if !missing.is_empty() {
            let days: Vec<i64> = missing.into_iter().collect();
            let fetched = store::salts_for_days(self.db.pool(), &days, now, grace).await?;
            self.salts.extend(fetched);
        }
        let classifier = &self.classifier;
        let salts = &self.salts;
        let started = Instant::now();
        let rows: Vec<_> = hits
            .iter()
            .map(|hit| {
                let salt = salts
                    .get(&day_of(hit.occurrence.occurred_at))
                    .map(String::as_str);
                classifier.classify(hit, salt)
            })
            .collect();
        let classified = Instant::now();
        let result = store::write_batch(self.db.pool(), &rows).await;
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.stats
            .classify_nanos
            .fetch_add(nanos(classified - started), Ordering::Relaxed);
        self.stats
            .write_nanos
            .fetch_add(nanos(classified.elapsed()), Ordering::Relaxed);
        result
    }

    /// Takes the batch by value: it is sorted out per subscription without copying any event.
    async fn ack(&mut self, batch: Vec<(usize, Delivery)>) {
        let mut per_subscription: Vec<Vec<Delivery>> =
            (0..self.subscriptions.len()).map(|_| Vec::new()).collect();
        for (index, delivery) in batch {
            per_subscription[index].push(delivery);
        }
        for (index, deliveries) in per_subscription.into_iter().enumerate() {
            if deliveries.is_empty() {
                continue;
            }
            // Committed but not acknowledged means a redelivery later, which the event id
            // makes harmless.
            if let Err(err) = self.subscriptions[index].ack(&deliveries).await {
                tracing::warn!(%err, "analytics: cannot acknowledge events; they will be redelivered and ignored");
            }
        }
    }

    async fn read_deletions(&mut self) {
        if !self.pending_deletions.is_empty() {
            return;
        }
        match self.deletions.next_batch(16, Duration::ZERO).await {
            Ok(deliveries) => self.pending_deletions = deliveries,
            Err(err) => tracing::warn!(%err, "analytics: cannot read user deletions"),
        }
    }

    /// Deletes after everything read before it is written, so no buffered event of a deleted
    /// user is written afterwards.
    async fn apply_deletions(&mut self) {
        if self.pending_deletions.is_empty() {
            return;
        }
        while !self.buffer.is_empty() {
            if !self.flush().await {
                return; // the database is failing; try again on a later turn
            }
        }
        for delivery in std::mem::take(&mut self.pending_deletions) {
            let Some(Ok(deleted)) = USER_DELETED.decode(&delivery.event) else {
                tracing::error!(event = %delivery.event.id, "analytics: undecodable user.deleted skipped");
                let _ = self.deletions.ack(std::slice::from_ref(&delivery)).await;
                continue;
            };
            match store::delete_owner(self.db.pool(), &deleted.user_id).await {
                Ok(()) => {
                    tracing::info!(user = %deleted.user_id, "analytics: deleted a user's analytics");
                    let _ = self.deletions.ack(std::slice::from_ref(&delivery)).await;
                }
                Err(err) => {
                    tracing::warn!(error = %one_line(&err), "analytics: cannot delete a user's analytics; retrying");
                    self.pending_deletions.push(delivery);
                }
            }
        }
    }

    /// Reads everything still on the bus (up to the bound) and writes it, retrying while the
    /// database fails; the shutdown budget decides when to give up.
    async fn drain(&mut self) {
        loop {
            let read = self.fill(Duration::ZERO).await;
            if self.buffer.is_empty() && read == 0 {
                break;
            }
            if !self.buffer.is_empty() {
                let wait = self.until_retry();
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                self.flush().await;
            }
        }
        self.read_deletions().await;
        self.apply_deletions().await;
        tracing::info!(
            written = self.stats.written.load(Ordering::Relaxed),
            "analytics: drained"
        );
    }
}

/// Database errors can span lines; logs keep one event per line.
fn one_line(err: &sqlx::Error) -> String {
    err.to_string().replace('\n', " ")
}
