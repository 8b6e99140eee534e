//! All-in-one mode opens every service's pool on one SQLite file: the analytics writer's batches
//! must be written while the other services commit to it (a scan is counted by qr and recorded
//! by analytics at the same moment).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use analytics::classify::{Classifier, Geo};
use analytics::hit::Hit;
use common::*;
use shared::config::DatabaseTarget;
use shared::db::Db;
use shared::testing::{TestDb, backend_tests};

const BATCHES: usize = 30;
const PER_BATCH: usize = 40;

backend_tests!(batches_are_written_while_another_service_commits);
async fn batches_are_written_while_another_service_commits(db: TestDb) {
    migrate(&db).await;
    // Another service: its own pool on the same database, committing as fast as it can.
    let other = Db::connect(&DatabaseTarget {
        url: db.url.clone(),
        source: "OTHER_DATABASE_URL".into(),
    })
    .await
    .unwrap();
    sqlx::query("CREATE TABLE other_service_rows (n BIGINT NOT NULL)")
        .execute(other.pool())
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let committing = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut commits = 0_i64;
            while !stop.load(Ordering::Relaxed) {
                sqlx::query("INSERT INTO other_service_rows (n) VALUES ($1)")
                    .bind(commits)
                    .execute(other.pool())
                    .await
                    .unwrap();
                commits += 1;
            }
            commits
        })
    };

    let classifier = Classifier::new(Geo::Embedded);
    let (qr, owner) = (new_id(), new_id());
    for batch in 0..BATCHES {
        let rows: Vec<_> = (0..PER_BATCH)
            .map(|i| {
                let event = scan(&qr, &owner, Some(IPHONE), &format!("81.2.69.{i}"));
                let hit = Hit::from_event(&event).unwrap().unwrap();
                classifier.classify(&hit, None)
            })
            .collect();
        let written = analytics::store::write_batch(db.db.pool(), &rows)
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "batch {batch} on {} failed while another pool committed: {err}",
                    db.backend.name()
                )
            });
        assert_eq!(written, PER_BATCH);
    }
    stop.store(true, Ordering::Relaxed);
    let commits = committing.await.unwrap();
    assert!(commits > 0, "the other service committed nothing meanwhile");
    assert_eq!(stored(&db.db, &qr).await, (BATCHES * PER_BATCH) as i64);
}
