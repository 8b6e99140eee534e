//! The event bus contract, on the in-process bus and (when TEST_REDIS_URL is set) on Redis
//! Streams: every consumer group gets every event, publishing never waits, and on Redis an
//! event that was not acknowledged is delivered again after a consumer restarts.

use std::time::Duration;

use shared::bus::{Event, EventBus, PublishError, Subscription};
use shared::shutdown::Shutdown;
use shared::testing;

fn overflow_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "scanpage-bus-{test}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Each kind of bus; the in-process one with overflow files keeps them in `overflow` (the
/// caller removes it).
async fn buses(test: &str, overflow: &std::path::Path) -> Vec<(&'static str, EventBus)> {
    let mut all = vec![
        ("memory", EventBus::memory(1_000)),
        // A queue of 4: most events go through the overflow file.
        (
            "memory+overflow",
            EventBus::memory_with_overflow(4, overflow.to_path_buf(), 1 << 20),
        ),
    ];
    if let Some(url) = testing::redis_url(test) {
        all.push((
            "redis",
            EventBus::redis(
                &shared::context::RedisTarget::new(url.as_str()),
                &Shutdown::new(),
            )
            .await
            .unwrap(),
        ));
    }
    all
}

/// `{"n": 0}`, `{"n": 1}`, … on `topic`.
fn numbered(topic: &str, count: u32) -> Vec<Event> {
    (0..count)
        .map(|i| Event::new(topic, serde_json::json!({ "n": i })))
        .collect()
}

/// One batch of `subscription`'s events (waiting up to `wait` for the first), unacknowledged.
async fn batch(subscription: &mut Subscription, max: usize, wait: Duration) -> Vec<Event> {
    let deliveries = subscription.next_batch(max, wait).await.unwrap();
    deliveries.into_iter().map(|d| d.event).collect()
}

fn unique_topic() -> String {
    format!("test.{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn every_group_gets_every_event_once() {
    let overflow = overflow_dir("fan-out");
    for (name, bus) in buses("every_group_gets_every_event_once", &overflow).await {
        let topic = unique_topic();
        let mut analytics = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
        let mut audit = bus.subscribe(&topic, "audit", "b-1").await.unwrap();
        let sent = numbered(&topic, 25);
        for event in &sent {
            bus.publish(event.clone()).unwrap();
        }
        assert!(bus.flush(Duration::from_secs(5)).await);
        for subscription in [&mut analytics, &mut audit] {
            let mut got = Vec::new();
            while got.len() < sent.len() {
                let batch = subscription
                    .next_batch(10, Duration::from_secs(2))
                    .await
                    .unwrap();
                assert!(
                    !batch.is_empty(),
                    "{name}: events went missing after {}",
                    got.len()
                );
                subscription.ack(&batch).await.unwrap();
                got.extend(batch.into_iter().map(|d| d.event));
            }
            assert_eq!(got, sent, "{name}: order and content preserved");
            let more = subscription
                .next_batch(10, Duration::from_millis(100))
                .await
                .unwrap();
            assert!(more.is_empty(), "{name}: nothing is delivered twice");
        }
        println!("bus fan-out ok on {name}");
    }
    std::fs::remove_dir_all(&overflow).unwrap();
}

#[tokio::test]
async fn a_full_in_process_queue_refuses_instead_of_waiting() {
    let bus = EventBus::memory(2);
    let topic = unique_topic();
    let _slow_consumer = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    bus.publish(Event::new(&topic, 1)).unwrap();
    bus.publish(Event::new(&topic, 2)).unwrap();
    assert_eq!(bus.publish(Event::new(&topic, 3)), Err(PublishError::Full));
}

#[tokio::test]
async fn a_full_queue_spills_to_disk_and_nothing_is_lost_even_across_a_restart() {
    let dir = overflow_dir("spill");
    let topic = unique_topic();
    let sent = numbered(&topic, 50);
    let bus = EventBus::memory_with_overflow(2, dir.clone(), 1 << 20);
    let mut consumer = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    for event in &sent {
        bus.publish(event.clone()).expect("spilled, not refused");
    }
    assert_eq!(
        bus.backlog(),
        Some(50),
        "the file's events count as backlog"
    );
    let first = batch(&mut consumer, 20, Duration::from_millis(100)).await;
    assert_eq!(
        first,
        sent[..2],
        "the queue first: its events are the oldest"
    );
    let next = batch(&mut consumer, 20, Duration::from_millis(100)).await;
    assert_eq!(next, sent[2..22], "then the file, in order");
    assert!(bus.flush(Duration::from_secs(1)).await);
    drop((consumer, bus));

    // A new process on the same folder: the rest is delivered. What was read from the file
    // being read is delivered again (at least once across a restart; ids make it countable
    // once), and nothing is missing.
    let bus = EventBus::memory_with_overflow(2, dir.clone(), 1 << 20);
    let mut consumer = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    let mut got = Vec::new();
    loop {
        let more = batch(&mut consumer, 100, Duration::from_millis(100)).await;
        if more.is_empty() {
            break;
        }
        got.extend(more);
    }
    assert_eq!(
        got,
        sent[2..],
        "redelivered from the file after the restart"
    );
    assert_eq!(bus.backlog(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_stop_moves_queued_events_to_the_file_for_the_next_start() {
    let dir = overflow_dir("persist");
    let topic = unique_topic();
    let sent = numbered(&topic, 10);
    let bus = EventBus::memory_with_overflow(100, dir.clone(), 1 << 20);
    let not_reading = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    for event in &sent {
        bus.publish(event.clone()).unwrap();
    }
    assert_eq!(bus.persist_queues().await, 10);
    assert_eq!(bus.backlog(), Some(10), "now in the file");
    // This process's consumers leave the file to the next start from now on.
    let mut late = bus.subscribe(&topic, "analytics", "a-2").await.unwrap();
    let none = batch(&mut late, 100, Duration::from_millis(50)).await;
    assert!(none.is_empty(), "read after the stop began: {}", none.len());
    drop((bus, not_reading, late));

    let bus = EventBus::memory_with_overflow(100, dir.clone(), 1 << 20);
    let mut consumer = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    let got = batch(&mut consumer, 100, Duration::from_millis(100)).await;
    assert_eq!(got, sent);
    // Without an overflow folder there is nowhere to put them: nothing moves.
    let plain = EventBus::memory(100);
    let _listener = plain.subscribe(&topic, "analytics", "a-1").await.unwrap();
    plain.publish(sent[0].clone()).unwrap();
    assert_eq!(plain.persist_queues().await, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_full_overflow_file_refuses_like_a_full_queue() {
    let dir = overflow_dir("spill-cap");
    let bus = EventBus::memory_with_overflow(1, dir.clone(), 300);
    let topic = unique_topic();
    let _slow_consumer = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    bus.publish(Event::new(&topic, 1)).unwrap();
    bus.publish(Event::new(&topic, 2)).expect("in the file");
    let mut refused = 0;
    for i in 3..10 {
        refused += usize::from(bus.publish(Event::new(&topic, i)) == Err(PublishError::Full));
    }
    assert!(refused > 0, "300 bytes hold a couple of events, not eight");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unacknowledged_events_come_back_after_a_restart() {
    let Some(url) = testing::redis_url("unacknowledged_events_come_back_after_a_restart") else {
        return;
    };
    let bus = EventBus::redis(
        &shared::context::RedisTarget::new(url.as_str()),
        &Shutdown::new(),
    )
    .await
    .unwrap();
    let topic = unique_topic();
    let event = Event::new(&topic, serde_json::json!({"scan": 1}));
    {
        let mut consumer = bus
            .subscribe(&topic, "analytics", "worker-1")
            .await
            .unwrap();
        bus.publish(event.clone()).unwrap();
        assert!(bus.flush(Duration::from_secs(5)).await);
        let batch = consumer
            .next_batch(10, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(batch.len(), 1);
        // The consumer "crashes" here: dropped without acknowledging.
    }
    let mut restarted = bus
        .subscribe(&topic, "analytics", "worker-1")
        .await
        .unwrap();
    let batch = restarted
        .next_batch(10, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(batch.len(), 1, "the pending event is delivered again");
    assert_eq!(
        batch[0].event.id, event.id,
        "with the same id, so it can be counted once"
    );
    assert!(batch[0].attempts >= 2);
    restarted.ack(&batch).await.unwrap();
    let again = restarted
        .next_batch(10, Duration::from_millis(200))
        .await
        .unwrap();
    assert!(again.is_empty(), "acknowledged events stay acknowledged");
}

/// A Redis of this test's own (the machine's shared one must not be restarted): `redis-server`
/// on a free port with an append-only file in a temporary folder, as deployments run it.
struct PrivateRedis {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    fn start(port: u16, dir: std::path::PathBuf) -> Option<PrivateRedis> {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        Some(PrivateRedis {
            port,
            dir,
            child: Some(child),
        })
    }

    async fn ready(&self) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the private redis-server did not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM: Redis writes its append-only file and exits, as a restart would.
            let _ = std::process::Command::new("kill")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_consumer_and_a_producer_outlive_a_redis_restart() {
    if testing::redis_url("a_consumer_and_a_producer_outlive_a_redis_restart").is_none() {
        return; // Redis tests are configured off: skipped (reported above)
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir =
        std::env::temp_dir().join(format!("scanpage-redis-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(mut redis) = PrivateRedis::start(port, dir.clone()) else {
        panic!("TEST_REDIS_URL is set but redis-server cannot be started here");
    };
    redis.ready().await;
    let url = format!("redis://127.0.0.1:{port}");
    let bus = EventBus::redis(
        &shared::context::RedisTarget::new(url.as_str()),
        &Shutdown::new(),
    )
    .await
    .unwrap();
    let topic = unique_topic();
    let mut consumer = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
    let before = Event::new(&topic, serde_json::json!({"n": 1}));
    bus.publish(before.clone()).unwrap();
    let got = consumer
        .next_batch(10, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    consumer.ack(&got).await.unwrap();

    redis.stop();
    // While Redis is away, publishing still answers at once (the event waits in memory), and
    // reading fails instead of hanging.
    let during = Event::new(&topic, serde_json::json!({"n": 2}));
    bus.publish(during.clone()).unwrap();
    assert!(
        consumer
            .next_batch(10, Duration::from_millis(100))
            .await
            .is_err()
    );
    let mut redis = PrivateRedis::start(port, dir).expect("restart redis-server");
    redis.ready().await;

    // The same consumer, without being rebuilt, reads what was published during the outage.
    let mut seen = Vec::new();
    for _ in 0..100 {
        if let Ok(batch) = consumer.next_batch(10, Duration::from_millis(200)).await {
            consumer.ack(&batch).await.unwrap();
            seen.extend(batch.into_iter().map(|d| d.event.id));
        }
        if seen.contains(&during.id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        seen,
        vec![during.id],
        "the outage's event, once, and nothing else"
    );
    redis.stop();
}
