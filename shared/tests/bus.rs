//! The event bus contract, on the in-process bus and (when TEST_REDIS_URL is set) on Redis
//! Streams: every consumer group gets every event, publishing never waits, and on Redis an
//! event that was not acknowledged is delivered again after a consumer restarts.

use std::time::Duration;

use shared::bus::{Event, EventBus, PublishError};
use shared::shutdown::Shutdown;
use shared::testing;

async fn buses(test: &str) -> Vec<(&'static str, EventBus)> {
    let mut all = vec![("memory", EventBus::memory(1_000))];
    if let Some(url) = testing::redis_url(test) {
        all.push((
            "redis",
            EventBus::redis(&url, &Shutdown::new()).await.unwrap(),
        ));
    }
    all
}

fn unique_topic() -> String {
    format!("test.{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn every_group_gets_every_event_once() {
    for (name, bus) in buses("every_group_gets_every_event_once").await {
        let topic = unique_topic();
        let mut analytics = bus.subscribe(&topic, "analytics", "a-1").await.unwrap();
        let mut audit = bus.subscribe(&topic, "audit", "b-1").await.unwrap();
        let sent: Vec<Event> = (0..25)
            .map(|i| Event::new(&topic, serde_json::json!({ "n": i })))
            .collect();
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
async fn unacknowledged_events_come_back_after_a_restart() {
    let Some(url) = testing::redis_url("unacknowledged_events_come_back_after_a_restart") else {
        return;
    };
    let bus = EventBus::redis(&url, &Shutdown::new()).await.unwrap();
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
