//! Ingestion end to end through the real bus, writer and router, on SQLite and (when
//! TEST_POSTGRES_URL is set) PostgreSQL.

mod common;

use std::time::Duration;

use common::*;
use shared::bus::{Event, EventBus, topics};
use shared::events::UserDeleted;
use shared::testing::{TestDb, backend_tests};

const WITHIN: Duration = Duration::from_secs(10);

/// The writer's table "goes away" (every write fails) and comes back.
#[derive(Clone, Copy)]
enum Table {
    Away,
    Back,
}
use Table::{Away, Back};

async fn events_table(db: &shared::db::Db, state: Table) {
    let sql = match state {
        Away => "ALTER TABLE analytics_events RENAME TO analytics_events_away",
        Back => "ALTER TABLE analytics_events_away RENAME TO analytics_events",
    };
    sqlx::query(sql).execute(db.pool()).await.unwrap();
}

backend_tests!(a_scripted_mix_of_humans_bots_and_previews_is_counted_right);
async fn a_scripted_mix_of_humans_bots_and_previews_is_counted_right(db: TestDb) {
    let svc = start(&db, EventBus::memory(10_000), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    let mut events = Vec::new();
    // 6 human scans from 4 people (two of them scan twice).
    for (ua, ip) in [
        (IPHONE, "81.2.69.160"),
        (IPHONE, "81.2.69.160"),
        (ANDROID, "2.125.160.216"),
        (ANDROID, "2.125.160.216"),
        (IPHONE, "2a01:4f8::1"),
        (ANDROID, "8.8.8.8"),
    ] {
        events.push(scan(&qr, &owner, Some(ua), ip));
    }
    // 6 bots: previews, a script, a HEAD, a prefetch, and no user agent at all.
    events.push(scan(&qr, &owner, Some(WHATSAPP), "31.13.64.1"));
    events.push(scan(&qr, &owner, Some(SLACK), "54.1.1.1"));
    events.push(scan(&qr, &owner, Some(CURL), "81.2.69.161"));
    events.push(scan_with(
        &qr,
        &owner,
        Some(IPHONE),
        "81.2.69.162",
        "HEAD",
        false,
    ));
    events.push(scan_with(
        &qr,
        &owner,
        Some(IPHONE),
        "81.2.69.163",
        "GET",
        true,
    ));
    events.push(scan(&qr, &owner, None, "81.2.69.164"));
    for e in &events {
        svc.bus.publish(e.clone()).unwrap();
    }
    assert_eq!(
        wait_for_count(&svc.db, &qr, 12, WITHIN).await,
        12,
        "{:?}",
        db.backend
    );

    let (status, stats) =
        get_json(&svc.router, &format!("/api/v1/analytics/qr/{qr}"), &owner).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total_scans"], 12, "{stats}");
    assert_eq!(stats["human_scans"], 6, "{stats}");
    assert_eq!(stats["bot_scans"], 6, "{stats}");
    assert_eq!(stats["unique_scanners"], 4, "{stats}");
    assert_eq!(
        stats["by_device"][0],
        serde_json::json!({"key": "mobile", "count": 6})
    );
    assert_eq!(stats["by_os"].as_array().unwrap().len(), 2, "{stats}");
    assert_eq!(
        stats["by_country"][0],
        serde_json::json!({"key": "GB", "count": 4}),
        "{stats}"
    );
    assert_eq!(
        stats["by_country"].as_array().unwrap().len(),
        3,
        "GB, DE, US: {stats}"
    );
    assert_eq!(
        stats["by_referrer"][0],
        serde_json::json!({"key": "instagram.com", "count": 6})
    );
    assert_eq!(
        stats["by_language"][0],
        serde_json::json!({"key": "de", "count": 6})
    );
    assert_eq!(
        stats["by_rule"][0],
        serde_json::json!({"key": "default", "count": 6})
    );
    let series = stats["series"].as_array().unwrap();
    assert_eq!(series.len(), 30, "30 days by day by default");
    assert_eq!(
        series.last().unwrap()["scans"],
        12,
        "today's bucket: {stats}"
    );

    // The overview adds it up for the account.
    let (status, overview) = get_json(&svc.router, "/api/v1/analytics/overview", &owner).await;
    assert_eq!(status, 200);
    assert_eq!(overview["total_scans"], 12);
    assert_eq!(
        overview["top_codes"][0],
        serde_json::json!({"id": qr, "count": 6})
    );
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(uniques_are_per_day);
async fn uniques_are_per_day(db: TestDb) {
    let mut settings = fast_settings();
    // Keep yesterday's salt so a scan "from yesterday" can still count as a unique.
    settings.salt_grace = Duration::from_hours(72);
    let svc = start(&db, EventBus::memory(1_000), settings).await;
    let (qr, owner) = (new_id(), new_id());
    let now = shared::ids::now_ms();
    for at in [
        now,
        now - 1_000,
        now - 2_000,
        now - 86_400_000,
        now - 86_400_000 - 1_000,
    ] {
        let mut e = scan(&qr, &owner, Some(IPHONE), "81.2.69.160");
        e.occurred_at = at;
        svc.bus.publish(e).unwrap();
    }
    // Someone else, today.
    svc.bus
        .publish(scan(&qr, &owner, Some(IPHONE), "81.2.69.200"))
        .unwrap();
    assert_eq!(wait_for_count(&svc.db, &qr, 6, WITHIN).await, 6);
    let (_, stats) = get_json(&svc.router, &format!("/api/v1/analytics/qr/{qr}"), &owner).await;
    assert_eq!(stats["human_scans"], 6, "{stats}");
    assert_eq!(
        stats["unique_scanners"], 3,
        "1 yesterday + 2 today: {stats}"
    );
    let series = stats["series"].as_array().unwrap();
    let today = &series[series.len() - 1];
    let yesterday = &series[series.len() - 2];
    // Near midnight UTC "now - 2 s" may fall into yesterday; the sum is what must hold.
    assert_eq!(
        today["unique"].as_i64().unwrap() + yesterday["unique"].as_i64().unwrap(),
        3
    );
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(a_duplicated_event_counts_once);
async fn a_duplicated_event_counts_once(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    let event = scan(&qr, &owner, Some(IPHONE), "81.2.69.160");
    // Twice in one batch, then again in a later batch.
    svc.bus.publish(event.clone()).unwrap();
    svc.bus.publish(event.clone()).unwrap();
    assert_eq!(wait_for_count(&svc.db, &qr, 1, WITHIN).await, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    svc.bus.publish(event.clone()).unwrap();
    svc.bus
        .publish(scan(&qr, &owner, Some(ANDROID), "81.2.69.161"))
        .unwrap();
    assert_eq!(wait_for_count(&svc.db, &qr, 2, WITHIN).await, 2);
    let (_, stats) = get_json(&svc.router, &format!("/api/v1/analytics/qr/{qr}"), &owner).await;
    assert_eq!(stats["total_scans"], 2, "{stats}");
    assert_eq!(stats["unique_scanners"], 2, "{stats}");
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(shutdown_flushes_everything_published);
async fn shutdown_flushes_everything_published(db: TestDb) {
    let mut settings = fast_settings();
    // Nothing would be written on its own for a minute: only the drain can write it.
    settings.ingest.flush_interval = Duration::from_mins(1);
    settings.ingest.batch_size = 100_000;
    let svc = start(&db, EventBus::memory(10_000), settings).await;
    let (qr, owner) = (new_id(), new_id());
    let n = 1_500;
    for i in 0..n {
        svc.bus
            .publish(scan(
                &qr,
                &owner,
                Some(IPHONE),
                &format!("81.2.{}.{}", i / 250, i % 250),
            ))
            .unwrap();
    }
    // SIGTERM: the server stops, then the drain hooks run.
    svc.shutdown.trigger();
    assert!(
        svc.shutdown.drain(Duration::from_secs(20)).await,
        "drained in time"
    );
    assert_eq!(stored(&svc.db, &qr).await, n);

    // A restart on the same database finds exactly N.
    let again = start(&db, EventBus::memory(10), fast_settings()).await;
    let (_, stats) = get_json(&again.router, &format!("/api/v1/analytics/qr/{qr}"), &owner).await;
    assert_eq!(stats["total_scans"], n, "{stats}");
    again.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(events_wait_while_the_database_is_away_and_the_wait_is_bounded);
async fn events_wait_while_the_database_is_away_and_the_wait_is_bounded(db: TestDb) {
    let mut settings = fast_settings();
    settings.ingest.max_buffered = 100;
    settings.ingest.batch_size = 40;
    let capacity = 50;
    let svc = start(&db, EventBus::memory(capacity), settings).await;
    let (qr, owner) = (new_id(), new_id());

    // The database "goes away": every write fails until the table is back.
    events_table(&svc.db, Away).await;
    let mut accepted = 0;
    for i in 0..400 {
        if svc
            .bus
            .publish(scan(
                &qr,
                &owner,
                Some(IPHONE),
                &format!("81.2.69.{}", i % 250),
            ))
            .is_ok()
        {
            accepted += 1;
        }
        if i % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let buffered = svc
        .ingestor
        .stats
        .buffered
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        buffered <= 100,
        "the writer holds at most its bound: {buffered}"
    );
    assert!(
        svc.ingestor
            .stats
            .write_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    assert!(
        accepted <= 100 + capacity as i64,
        "past the bound the bus refuses instead of growing: accepted {accepted}"
    );
    assert!(
        accepted >= 100,
        "up to the bound nothing is refused: accepted {accepted}"
    );

    events_table(&svc.db, Back).await;
    assert_eq!(
        wait_for_count(&svc.db, &qr, accepted, Duration::from_secs(20)).await,
        accepted
    );
    let (_, stats) = get_json(&svc.router, &format!("/api/v1/analytics/qr/{qr}"), &owner).await;
    assert_eq!(stats["total_scans"], accepted, "{stats}");
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(a_burst_beyond_the_queue_spills_to_disk_and_every_scan_is_counted);
/// All-in-one mode's bus spills a full queue to a file (`BUS_OVERFLOW_MAX_MB`): a burst the
/// writer cannot keep up with is counted late, not lost, and a file a stopped process left is
/// counted by the next one.
async fn a_burst_beyond_the_queue_spills_to_disk_and_every_scan_is_counted(db: TestDb) {
    let dir = std::env::temp_dir().join(format!("scanpage-overflow-{}", new_id()));
    let mut settings = fast_settings();
    settings.ingest.max_buffered = 100;
    settings.ingest.batch_size = 40;
    let group = settings.ingest.group.clone();
    let bus = EventBus::memory_with_overflow(50, dir.clone(), 16 << 20);
    let svc = start(&db, bus, settings).await;
    let (qr, owner) = (new_id(), new_id());

    // The writer is stuck (its table is away) while 1,000 scans arrive: 100 wait in its
    // buffer, 50 in the queue, and the rest in the file. None is refused.
    events_table(&svc.db, Away).await;
    let n = 1_000;
    for i in 0..n {
        let ip = format!("81.2.{}.{}", i / 250, i % 250);
        svc.bus
            .publish(scan(&qr, &owner, Some(IPHONE), &ip))
            .expect("spilled, not refused");
    }
    assert!(
        svc.bus.backlog().unwrap() >= n as usize - 100 - 50,
        "the file's events are backlog"
    );
    events_table(&svc.db, Back).await;
    assert_eq!(
        wait_for_count(&svc.db, &qr, n, Duration::from_secs(30)).await,
        n
    );
    assert!(svc.shutdown.drain(Duration::from_secs(5)).await);

    // A process whose consumer never caught up stops with 200 scans in its file (and 50 in
    // its queue, which live in memory and go with it); the next process counts the 200.
    let stuck = EventBus::memory_with_overflow(50, dir.clone(), 16 << 20);
    let not_reading = stuck
        .subscribe(topics::QR_SCANNED, &group, "stuck")
        .await
        .unwrap();
    let late = new_id();
    for i in 0..250 {
        let ip = format!("81.3.0.{}", i % 250);
        stuck
            .publish(scan(&late, &owner, Some(IPHONE), &ip))
            .unwrap();
    }
    assert!(stuck.flush(Duration::from_secs(1)).await);
    drop((stuck, not_reading));
    let mut settings = fast_settings();
    settings.ingest.group = group;
    let next = start(
        &db,
        EventBus::memory_with_overflow(50, dir.clone(), 16 << 20),
        settings,
    )
    .await;
    assert_eq!(
        wait_for_count(&next.db, &late, 200, Duration::from_secs(30)).await,
        200
    );
    assert_eq!(next.bus.backlog(), Some(0));
    assert!(next.shutdown.drain(Duration::from_secs(5)).await);
    std::fs::remove_dir_all(&dir).unwrap();
    println!("overflow to disk ok on {}", db.backend.name());
}

backend_tests!(no_ip_address_is_stored_anywhere);
async fn no_ip_address_is_stored_anywhere(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    let ips = ["81.2.69.160", "2a01:4f8:c17:1234::1", "203.0.113.77"];
    for ip in ips {
        svc.bus
            .publish(scan(&qr, &owner, Some(IPHONE), ip))
            .unwrap();
    }
    assert_eq!(wait_for_count(&svc.db, &qr, 3, WITHIN).await, 3);
    let text = all_text(&svc.db).await;
    assert!(text.contains(&qr), "the dump does read the tables");
    for ip in ips {
        assert!(!text.contains(ip), "{ip} found in the database");
    }
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(microsite_views_clicks_and_user_deletion);
async fn microsite_views_clicks_and_user_deletion(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (site, owner) = (new_id(), new_id());
    let view = |ip: &str, ua: &str, qr_code: Option<&str>| view(&site, &owner, ua, ip, qr_code);
    let click = |block: &str| click(&site, &owner, block);
    for e in [
        view("81.2.69.160", IPHONE, Some("menu1234")),
        view("81.2.69.161", ANDROID, Some("menu1234")),
        view("81.2.69.162", ANDROID, None),
        // A link preview that came through a code is a bot: not a view of that code.
        view("81.2.69.163", WHATSAPP, Some("flyer123")),
        click("b1"),
        click("b1"),
        click("b2"),
    ] {
        svc.bus.publish(e).unwrap();
    }
    assert_eq!(wait_for_count(&svc.db, &site, 7, WITHIN).await, 7);
    let (status, stats) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/microsites/{site}"),
        &owner,
    )
    .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["views"], 4);
    assert_eq!(stats["human_views"], 3);
    assert_eq!(stats["unique_visitors"], 3);
    assert_eq!(stats["clicks"], 3);
    assert_eq!(stats["click_through_rate"], 1.0);
    assert_eq!(
        stats["clicks_by_block"][0],
        serde_json::json!({"key": "b1", "count": 2})
    );
    // Views per QR code: human views that arrived with `?src=qr_{code}`.
    assert_eq!(
        stats["views_by_qr"],
        serde_json::json!([{"key": "menu1234", "count": 2}])
    );

    // The user is deleted: everything analytics held about their page goes.
    svc.bus
        .publish(Event::new(
            topics::USER_DELETED,
            UserDeleted {
                user_id: owner.clone(),
            },
        ))
        .unwrap();
    assert_eq!(
        {
            let deadline = std::time::Instant::now() + WITHIN;
            loop {
                let n = stored(&svc.db, &site).await;
                if n == 0 || std::time::Instant::now() > deadline {
                    break n;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
        0
    );
    assert!(
        !all_text(&svc.db).await.contains(&owner),
        "no row keeps the owner"
    );
    let (status, _) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/microsites/{site}"),
        &owner,
    )
    .await;
    assert_eq!(status, 404);
    svc.shutdown.drain(Duration::from_secs(5)).await;
}
