//! With Redis Streams: a consumer killed mid-batch loses nothing and double-counts nothing after
//! it restarts (runs only when TEST_REDIS_URL is set).

mod common;

use std::time::Duration;

use analytics::classify::{Classifier, Geo};
use analytics::hit::Hit;
use common::*;
use shared::bus::{EventBus, topics};
use shared::shutdown::Shutdown;
use shared::testing::{self, TestDb, backend_tests};

backend_tests!(a_consumer_killed_mid_batch_neither_loses_nor_double_counts);
async fn a_consumer_killed_mid_batch_neither_loses_nor_double_counts(db: TestDb) {
    let Some(url) = testing::redis_url("redis_consumer_killed_mid_batch") else {
        return;
    };
    migrate(&db).await;
    let bus = EventBus::redis(
        &shared::context::RedisTarget::new(url.as_str()),
        &Shutdown::new(),
    )
    .await
    .unwrap();
    let settings = fast_settings();
    let (group, consumer) = (settings.ingest.group.clone(), "analytics-1".to_owned());
    let (qr, owner) = (new_id(), new_id());
    // The new group starts at the beginning of the stream: only this test's qr is counted.
    let mut first = bus
        .subscribe(topics::QR_SCANNED, &group, &consumer)
        .await
        .unwrap();
    let n = 300;
    for i in 0..n {
        bus.publish(scan(
            &qr,
            &owner,
            Some(IPHONE),
            &format!("81.2.69.{}", i % 250),
        ))
        .unwrap();
    }
    assert!(bus.flush(Duration::from_secs(5)).await);

    // The first consumer reads everything, commits part of it, and dies before acking.
    let mut read = Vec::new();
    loop {
        let batch = first
            .next_batch(1_000, Duration::from_millis(200))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        read.extend(batch);
    }
    let mine: Vec<_> = read
        .iter()
        .filter_map(|d| Hit::from_event(&d.event).ok().flatten())
        .filter(|h| h.occurrence.target_id == qr)
        .collect();
    assert_eq!(mine.len() as i64, n);
    let classifier = Classifier::new(Geo::Embedded);
    let committed: Vec<_> = mine[..120]
        .iter()
        .map(|h| classifier.classify(h, None))
        .collect();
    analytics::store::write_batch(db.db.pool(), &committed)
        .await
        .unwrap();
    drop(first); // killed: no ack, no drain
    assert_eq!(stored(&db.db, &qr).await, 120);

    // Restarted under the same name, it finds its pending entries first.
    let mut settings = settings;
    settings.ingest.consumer = consumer.clone();
    let svc = start(&db, bus.clone(), settings.clone()).await;
    assert_eq!(
        wait_for_count(&db.db, &qr, n, Duration::from_secs(20)).await,
        n
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stored(&db.db, &qr).await, n, "not more than N");
    let (_, stats) = get_json(&svc.router, &format!("/api/v1/analytics/qr/{qr}"), &owner).await;
    assert_eq!(stats["total_scans"], n, "{stats}");

    // Killed again after acking everything: a second restart redelivers nothing new.
    svc.ingestor.abort();
    let again = start(&db, bus.clone(), settings).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stored(&db.db, &qr).await, n);
    again.shutdown.drain(Duration::from_secs(5)).await;
}
