//! The previous period: every answer carries its headline numbers over the same-length window
//! just before the asked range, counted from events seeded in both windows (and one older, in
//! neither), on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::*;
use jiff::ToSpan;
use shared::bus::EventBus;
use shared::testing::{TestDb, backend_tests};

const DAY_MS: i64 = 86_400_000;

backend_tests!(headlines_come_with_the_previous_period);
async fn headlines_come_with_the_previous_period(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, site, owner) = (new_id(), new_id(), new_id());
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let from = today.checked_sub(6.days()).unwrap();
    // The asked range is the 7 days [from, today]; the previous period the 7 days before.
    let from_ms = from
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond();
    let (now_ms, before_ms, older_ms) = (
        from_ms + DAY_MS + 3_600_000,
        from_ms - 3 * DAY_MS,
        from_ms - 20 * DAY_MS,
    );
    let mut events = Vec::new();
    for (at, ip, ua) in [
        (now_ms, "81.2.69.160", IPHONE),
        (now_ms, "81.2.69.161", ANDROID),
        (now_ms, "81.2.69.162", CURL),
        (before_ms, "81.2.69.160", IPHONE),
        (before_ms, "81.2.69.163", IPHONE),
        (before_ms, "81.2.69.164", IPHONE),
        (before_ms, "81.2.69.165", CURL),
        (older_ms, "81.2.69.166", IPHONE),
    ] {
        let mut e = scan(&qr, &owner, Some(ua), ip);
        e.occurred_at = at;
        events.push(e);
    }
    for (at, ip) in [(now_ms, "81.2.69.160"), (before_ms, "81.2.69.161")] {
        let mut e = view(&site, &owner, IPHONE, ip, None);
        e.occurred_at = at;
        events.push(e);
    }
    for at in [before_ms, before_ms] {
        let mut e = click(&site, &owner, "b1");
        e.occurred_at = at;
        events.push(e);
    }
    for e in events {
        svc.bus.publish(e).unwrap();
    }
    wait_for_count(&svc.db, &qr, 8, Duration::from_secs(10)).await;
    wait_for_count(&svc.db, &site, 4, Duration::from_secs(10)).await;
    let range = format!("from={from}&to={today}");

    let (status, q) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/qr/{qr}?{range}"),
        &owner,
    )
    .await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(
        (q["total_scans"].as_i64(), q["human_scans"].as_i64()),
        (Some(3), Some(2))
    );
    let p = &q["previous"];
    assert_eq!(p["from"], from.checked_sub(7.days()).unwrap().to_string());
    assert_eq!(p["to"], from.checked_sub(1.day()).unwrap().to_string());
    assert_eq!(p["totals"]["total_scans"], 4);
    assert_eq!(p["totals"]["human_scans"], 3);
    assert_eq!(p["totals"]["bot_scans"], 1);
    // Backdated scans count no uniques (a past day's salt is gone), but the field is there.
    assert!(p["totals"]["unique_scanners"].is_i64());

    let (_, m) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/microsites/{site}?{range}"),
        &owner,
    )
    .await;
    assert_eq!(
        (m["views"].as_i64(), m["clicks"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(m["previous"]["totals"]["views"], 1);
    assert_eq!(m["previous"]["totals"]["human_views"], 1);
    assert_eq!(m["previous"]["totals"]["clicks"], 2);
    assert_eq!(m["previous"]["totals"]["human_clicks"], 2);

    let (_, o) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/overview?{range}"),
        &owner,
    )
    .await;
    assert_eq!(o["total_scans"], 3);
    assert_eq!(o["previous"]["totals"]["total_scans"], 4);
    assert_eq!(o["previous"]["totals"]["human_scans"], 3);
    assert_eq!(o["previous"]["totals"]["views"], 1);
    assert_eq!(o["previous"]["totals"]["clicks"], 2);
    // The account's chart: one point per day of the range, the scans on the day they happened.
    let series = o["series"].as_array().expect("a series");
    assert_eq!(series.len(), 7);
    let day = |p: &serde_json::Value| (p["scans"].as_i64().unwrap(), p["human"].as_i64().unwrap());
    assert_eq!(day(&series[1]), (3, 2));
    assert_eq!(series.iter().map(|p| day(p).0).sum::<i64>(), 3);
    svc.shutdown.drain(Duration::from_secs(5)).await;
}
