//! Dead letters, end to end on the in-process bus and (with TEST_REDIS_URL) on Redis Streams,
//! each with the store on SQLite and (with TEST_POSTGRES_URL) PostgreSQL: a poison event is
//! retried DLQ_MAX_ATTEMPTS times, moved to `web_dead_letters` with its error, the consumer carries on
//! with the next events, and a replay reaches the failing group alone.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::bus::{Event, EventBus, RetryPolicy, spawn_consumer};
use shared::config::Service;
use shared::shutdown::Shutdown;
use shared::testing::{self, TestDb, backend_tests};
use web::dead_letters::{self as dlq, DeadLetterStore, SqlDeadLetters, StoredLetter};

async fn buses(test: &str, shutdown: &Shutdown) -> Vec<(&'static str, EventBus)> {
    let mut all = vec![("memory", EventBus::memory(1_000))];
    if let Some(url) = testing::redis_url(test) {
        all.push((
            "redis",
            EventBus::redis(&shared::context::RedisTarget::new(url.as_str()), shutdown)
                .await
                .unwrap(),
        ));
    }
    all
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn letter_for(store: &SqlDeadLetters, event_id: &str) -> Option<StoredLetter> {
    store
        .list(500)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.event.id == event_id)
}

backend_tests!(a_poison_event_is_dead_lettered_the_consumer_continues_and_replay_reaches_one_group);
async fn a_poison_event_is_dead_lettered_the_consumer_continues_and_replay_reaches_one_group(
    db: TestDb,
) {
    let test = "poison_event";
    let shutdown = Shutdown::new();
    for (bus_name, bus) in buses(test, &shutdown).await {
        let label = format!("{bus_name}/{}", db.backend.name());
        eprintln!("dead letters on {label}");
        db.db
            .migrate(Service::Web, sqlx::migrate!("../migrations/web"))
            .await
            .unwrap();
        let bus = bus.with_retry(RetryPolicy {
            max_attempts: 3,
            first_pause: Duration::from_millis(10),
        });
        let store = Arc::new(SqlDeadLetters::new(db.db.pool().clone()));
        let unique = uuid::Uuid::new_v4().simple().to_string();
        dlq::start_in_group(&bus, store.clone(), &format!("dlq-{unique}"), &shutdown)
            .await
            .unwrap();

        let topic = format!("test.orders.{unique}");
        let poison_tries = Arc::new(AtomicU32::new(0));
        let fixed = Arc::new(AtomicBool::new(false));
        let handled = Arc::new(Mutex::new(Vec::<String>::new()));
        {
            let (tries, fixed, handled) = (poison_tries.clone(), fixed.clone(), handled.clone());
            spawn_consumer(&bus, &topic, "worker", "w-1", &shutdown, move |e| {
                let result =
                    if e.payload.to_value()["poison"] == true && !fixed.load(Ordering::SeqCst) {
                        tries.fetch_add(1, Ordering::SeqCst);
                        Err("order 42 has no customer".to_owned())
                    } else {
                        handled.lock().unwrap().push(e.id.clone());
                        Ok(())
                    };
                std::future::ready(result)
            })
            .await
            .unwrap();
        }
        // A second group on the same topic: it handles everything the first time and must
        // not see the replay.
        let other_seen = Arc::new(Mutex::new(Vec::<String>::new()));
        {
            let seen = other_seen.clone();
            spawn_consumer(&bus, &topic, "other", "o-1", &shutdown, move |e| {
                seen.lock().unwrap().push(e.id.clone());
                std::future::ready(Ok(()))
            })
            .await
            .unwrap();
        }

        let before = Event::new(&topic, serde_json::json!({"n": 1}));
        let poison = Event::new(&topic, serde_json::json!({"poison": true}));
        let after = Event::new(&topic, serde_json::json!({"n": 2}));
        for event in [&before, &poison, &after] {
            bus.publish(event.clone()).unwrap();
        }

        let letter = wait_for("the dead letter", async || {
            letter_for(&store, &poison.id).await
        })
        .await;
        assert_eq!(letter.group, "worker", "{label}");
        assert_eq!(letter.topic, topic, "{label}");
        assert_eq!(letter.attempts, 3, "{label}");
        assert_eq!(letter.error, "order 42 has no customer", "{label}");
        assert_eq!(letter.event, poison, "{label}: the event is kept unchanged");
        assert_eq!(
            poison_tries.load(Ordering::SeqCst),
            3,
            "{label}: tried 3 times"
        );
        let ids = wait_for("the events after the poison", async || {
            let ids = handled.lock().unwrap().clone();
            (ids.len() >= 2).then_some(ids)
        })
        .await;
        assert_eq!(
            ids,
            [before.id.clone(), after.id.clone()],
            "{label}: the consumer went on"
        );

        if bus_name == "redis" {
            // Acknowledged: nothing stays pending for the worker group.
            let client = redis::Client::open(testing::redis_url(test).unwrap()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let pending: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
                .arg(format!("scanpage:events:{topic}"))
                .arg("worker")
                .query_async(&mut conn)
                .await
                .unwrap();
            assert_eq!(
                pending.count(),
                0,
                "{label}: the poison event was acknowledged"
            );
        }

        // The bug is fixed; the founder replays the letter.
        fixed.store(true, Ordering::SeqCst);
        let other_before = other_seen.lock().unwrap().len();
        dlq::replay(&bus, store.as_ref(), &letter.id).await.unwrap();
        wait_for("the replayed event", async || {
            handled.lock().unwrap().contains(&poison.id).then_some(())
        })
        .await;
        assert!(
            letter_for(&store, &poison.id).await.is_none(),
            "{label}: letter gone"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            other_seen.lock().unwrap().len(),
            other_before,
            "{label}: the replay went to the failing group only"
        );
        assert_eq!(other_before, 3, "{label}: the other group had all three");
        assert!(matches!(
            dlq::replay(&bus, store.as_ref(), &letter.id).await,
            Err(dlq::ReplayError::NotFound)
        ));
    }
    shutdown.trigger();
}

backend_tests!(the_store_keeps_one_letter_per_event_and_group_and_deletes);
async fn the_store_keeps_one_letter_per_event_and_group_and_deletes(db: TestDb) {
    let label = db.backend.name();
    db.db
        .migrate(Service::Web, sqlx::migrate!("../migrations/web"))
        .await
        .unwrap();
    let store = SqlDeadLetters::new(db.db.pool().clone());
    let event = Event::new("t", serde_json::json!({"x": 1}));
    let letter = |group: &str, error: &str, failed_at| shared::bus::DeadLetter {
        event: event.clone(),
        group: group.into(),
        error: error.into(),
        attempts: 5,
        failed_at,
    };
    store.put(&letter("a", "first", 1)).await.unwrap();
    store.put(&letter("a", "again", 2)).await.unwrap();
    store.put(&letter("b", "other group", 3)).await.unwrap();
    let all = store.list(10).await.unwrap();
    assert_eq!(all.len(), 2, "{label}");
    assert_eq!(all[0].group, "b", "{label}: newest first");
    assert_eq!(
        (all[1].error.as_str(), all[1].attempts),
        ("again", 10),
        "{label}"
    );
    assert!(store.delete(&all[0].id).await.unwrap());
    assert!(!store.delete(&all[0].id).await.unwrap(), "{label}: gone");
    assert!(store.get(&all[0].id).await.unwrap().is_none());
    assert_eq!(store.get(&all[1].id).await.unwrap().unwrap().event, event);
}
