//! Redis Streams: one stream per topic (`scanpage:events:<topic>`), consumer groups per consuming
//! service. Publishing goes through a bounded local queue and a background writer that pipelines
//! `XADD`s, so a producer never waits on Redis — and a Redis outage costs buffered memory (up to
//! the bound), not failed requests. Reading uses a dedicated connection without a response
//! timeout, because `XREADGROUP BLOCK` legitimately takes as long as it blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use redis::{AsyncConnectionConfig, Client};
use tokio::sync::mpsc;

use super::{Delivery, Event, PublishError};
use crate::error::Error;
use crate::shutdown::Shutdown;

/// How many events may wait locally for Redis before publishing answers `Full`.
const LOCAL_QUEUE: usize = 100_000;
/// Streams are trimmed to roughly this many entries.
const STREAM_MAX_LEN: usize = 1_000_000;
/// A pending entry idle this long is considered abandoned by a crashed consumer and re-claimed.
const RECLAIM_IDLE: Duration = Duration::from_secs(30);

pub fn stream_key(topic: &str) -> String {
    format!("scanpage:events:{topic}")
}

#[derive(Clone)]
pub struct RedisBus {
    client: Client,
    queue: mpsc::Sender<Event>,
    /// Published but not yet written to Redis.
    in_flight: Arc<AtomicUsize>,
}

impl RedisBus {
    pub(super) async fn connect(
        target: &crate::context::RedisTarget,
        shutdown: &Shutdown,
    ) -> Result<Self, Error> {
        let client = target.client()?;
        let manager = crate::context::connect_redis(target).await?;
        let (queue, receiver) = mpsc::channel(LOCAL_QUEUE);
        let in_flight = Arc::new(AtomicUsize::new(0));
        tokio::spawn(write_loop(
            manager,
            receiver,
            in_flight.clone(),
            shutdown.clone(),
        ));
        Ok(Self {
            client,
            queue,
            in_flight,
        })
    }

    pub(super) fn publish(&self, event: Event) -> Result<(), PublishError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.queue.try_send(event).map_err(|err| {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            match err {
                mpsc::error::TrySendError::Full(_) => PublishError::Full,
                mpsc::error::TrySendError::Closed(_) => PublishError::Closed,
            }
        })
    }

    pub(super) async fn flush(&self, budget: Duration) -> bool {
        let deadline = Instant::now() + budget;
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    pub(super) async fn subscribe(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
    ) -> Result<RedisSubscription, Error> {
        let mut subscription = RedisSubscription {
            client: self.client.clone(),
            conn: None,
            key: stream_key(topic),
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            own_pending_done: false,
            last_reclaim: Instant::now(),
        };
        subscription.connection().await?;
        Ok(subscription)
    }
}

async fn write_loop(
    mut conn: ConnectionManager,
    mut receiver: mpsc::Receiver<Event>,
    in_flight: Arc<AtomicUsize>,
    shutdown: Shutdown,
) {
    let mut batch = Vec::with_capacity(512);
    let mut backoff = Duration::from_millis(50);
    loop {
        if batch.is_empty() && receiver.recv_many(&mut batch, 512).await == 0 {
            return; // every sender is gone
        }
        let mut pipe = redis::pipe();
        for event in &batch {
            let data = serde_json::to_string(event).unwrap_or_default();
            pipe.cmd("XADD")
                .arg(stream_key(&event.topic))
                .arg("MAXLEN")
                .arg("~")
                .arg(STREAM_MAX_LEN)
                .arg("*")
                .arg("data")
                .arg(data)
                .ignore();
        }
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => {
                in_flight.fetch_sub(batch.len(), Ordering::SeqCst);
                batch.clear();
                backoff = Duration::from_millis(50);
            }
            Err(err) => {
                // Keep the batch and retry: events wait in memory (bounded by LOCAL_QUEUE) while
                // Redis is away. After shutdown has begun, retrying is up to the drain budget.
                tracing::warn!(%err, pending = batch.len(), "cannot write events to Redis; retrying");
                metrics::counter!("bus_redis_write_errors_total").increment(1);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                if shutdown.is_triggered() && receiver.is_closed() {
                    return;
                }
            }
        }
    }
}

pub struct RedisSubscription {
    client: Client,
    /// `None` after the connection broke (Redis restarted or went away): the next call
    /// reconnects, so a consumer outlives a Redis outage instead of failing forever.
    conn: Option<MultiplexedConnection>,
    key: String,
    group: String,
    consumer: String,
    own_pending_done: bool,
    last_reclaim: Instant,
}

impl RedisSubscription {
    /// The open connection, or a new one. A new connection (re)creates the consumer group from
    /// the start of the stream ("0"): after a Redis restart that lost the group, events published
    /// since are then still read; and this consumer re-reads its own pending entries first
    /// (redelivery is harmless: consumers deduplicate by event id).
    async fn connection(&mut self) -> Result<&mut MultiplexedConnection, Error> {
        if self.conn.is_none() {
            let config = AsyncConnectionConfig::new().set_response_timeout(None);
            let mut conn = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            let created: redis::RedisResult<()> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&self.key)
                .arg(&self.group)
                .arg("0")
                .arg("MKSTREAM")
                .query_async(&mut conn)
                .await;
            if let Err(err) = created
                && err.code() != Some("BUSYGROUP")
            {
                return Err(err.into());
            }
            self.own_pending_done = false;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("connected above"))
    }

    /// Runs one command; a broken connection or a lost group is dropped so the next call
    /// reconnects.
    async fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> Result<T, Error> {
        let result = cmd.query_async(self.connection().await?).await;
        if let Err(err) = &result
            && (err.is_io_error()
                || err.is_connection_dropped()
                || err.is_unrecoverable_error()
                || err.code() == Some("NOGROUP"))
        {
            tracing::warn!(%err, stream = %self.key, "Redis connection lost; reconnecting on the next read");
            self.conn = None;
        }
        Ok(result?)
    }

    pub(super) async fn next_batch(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, Error> {
        // 1. After a restart, this consumer's own unacknowledged entries come first.
        if !self.own_pending_done {
            let batch = self.read_group("0", max, None).await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            self.own_pending_done = true;
        }
        // 2. Now and then, take over entries another (crashed) consumer left pending.
        if self.last_reclaim.elapsed() >= RECLAIM_IDLE / 2 {
            self.last_reclaim = Instant::now();
            let mut cmd = redis::cmd("XAUTOCLAIM");
            cmd.arg(&self.key)
                .arg(&self.group)
                .arg(&self.consumer)
                .arg(u64::try_from(RECLAIM_IDLE.as_millis()).unwrap_or(u64::MAX))
                .arg("0-0")
                .arg("COUNT")
                .arg(max);
            let reply: StreamAutoClaimReply = self.query(&cmd).await?;
            if !reply.claimed.is_empty() {
                let ids: Vec<_> = reply.claimed.iter().map(|e| e.id.clone()).collect();
                tracing::info!(count = ids.len(), stream = %self.key, "re-claimed abandoned events");
                return self.decode(reply.claimed, 2).await;
            }
        }
        // 3. New entries.
        self.read_group(">", max, Some(wait)).await
    }

    async fn read_group(
        &mut self,
        from: &str,
        max: usize,
        block: Option<Duration>,
    ) -> Result<Vec<Delivery>, Error> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(max.max(1));
        if let Some(wait) = block {
            cmd.arg("BLOCK")
                .arg(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1));
        }
        cmd.arg("STREAMS").arg(&self.key).arg(from);
        let reply: Option<StreamReadReply> = self.query(&cmd).await?;
        let entries: Vec<StreamId> = reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default();
        let attempts = if from == ">" { 1 } else { 2 };
        self.decode(entries, attempts).await
    }

    /// Turns entries into deliveries. An entry that cannot be decoded can never be processed:
    /// it is logged and acknowledged so it does not block the group forever.
    async fn decode(
        &mut self,
        entries: Vec<StreamId>,
        attempts: u32,
    ) -> Result<Vec<Delivery>, Error> {
        let mut deliveries = Vec::with_capacity(entries.len());
        let mut poison = Vec::new();
        for entry in entries {
            let event = entry
                .get::<String>("data")
                .and_then(|data| serde_json::from_str::<Event>(&data).ok());
            match event {
                Some(event) => deliveries.push(Delivery {
                    event,
                    attempts,
                    receipt: Some(entry.id),
                }),
                None => poison.push(entry.id),
            }
        }
        if !poison.is_empty() {
            tracing::error!(count = poison.len(), stream = %self.key, "undecodable events acknowledged and skipped");
            metrics::counter!("bus_undecodable_total").increment(poison.len() as u64);
            self.ack_ids(&poison).await?;
        }
        Ok(deliveries)
    }

    pub(super) async fn ack(&mut self, deliveries: &[Delivery]) -> Result<(), Error> {
        let ids: Vec<String> = deliveries
            .iter()
            .filter_map(|d| d.receipt.clone())
            .collect();
        self.ack_ids(&ids).await
    }

    async fn ack_ids(&mut self, ids: &[String]) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("XACK");
        cmd.arg(&self.key).arg(&self.group).arg(ids);
        self.query::<()>(&cmd).await
    }
}
