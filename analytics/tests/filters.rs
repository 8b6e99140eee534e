//! Filters (`?country=GB&device=mobile&class=bot`) narrow every number of an answer, the account
//! overview and the CSV export, on SQLite and PostgreSQL; a bad value is a 422 naming it. And the
//! live view: the last 30 minutes, owner only.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use shared::bus::EventBus;
use shared::testing::{TestDb, backend_tests};

const WITHIN: Duration = Duration::from_secs(10);
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn sum(series: &Value, field: &str) -> i64 {
    series
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_i64().unwrap())
        .sum()
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Two iPhone scans from one person in GB, an Android in DE (by the embedded RIR data), a desktop in the US, a script in GB.
async fn scanned(svc: &Service_, qr: &str, owner: &str) {
    for (ua, ip) in [
        (Some(IPHONE), "81.2.69.160"),
        (Some(IPHONE), "81.2.69.160"),
        (Some(ANDROID), "2a01:4f8::1"),
        (Some(DESKTOP), "8.8.8.8"),
        (Some(CURL), "81.2.69.161"),
    ] {
        svc.bus.publish(scan(qr, owner, ua, ip)).unwrap();
    }
    assert_eq!(wait_for_count(&svc.db, qr, 5, WITHIN).await, 5);
}

backend_tests!(every_breakdown_row_filters_every_number);
async fn every_breakdown_row_filters_every_number(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    scanned(&svc, &qr, &owner).await;
    let base = format!("/api/v1/analytics/qr/{qr}");
    let (status, all) = get_json(&svc.router, &base, &owner).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["human_scans"], 4, "{all}");

    // Each row of each breakdown, clicked: the answer counts exactly that row's people, in its
    // headline, its series and its own breakdown.
    let mut checked = 0;
    for dimension in [
        "device", "os", "browser", "country", "referrer", "language", "rule",
    ] {
        let rows = all[format!("by_{dimension}")].as_array().unwrap().clone();
        assert!(!rows.is_empty(), "{dimension}: {all}");
        for row in rows {
            let key = row["key"].as_str().unwrap();
            let path = format!("{base}?{dimension}={}", encoded(key));
            let (status, one) = get_json(&svc.router, &path, &owner).await;
            assert_eq!(status, 200, "{path}: {one}");
            assert_eq!(one["human_scans"], row["count"], "{path}: {one}");
            assert_eq!(sum(&one["series"], "human"), row["count"], "{path}");
            assert_eq!(one[format!("by_{dimension}")], json!([row]), "{path}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "{checked} rows checked");

    // Filters combine (AND), and `class` picks bots: breakdowns then count the bots.
    let (_, gb) = get_json(&svc.router, &format!("{base}?country=gb"), &owner).await;
    assert_eq!(
        (&gb["total_scans"], &gb["human_scans"], &gb["bot_scans"]),
        (&json!(3), &json!(2), &json!(1)),
        "{gb}"
    );
    assert_eq!(gb["unique_scanners"], 1, "one person scanned twice: {gb}");
    assert_eq!(gb["by_device"], json!([{"key": "mobile", "count": 2}]));
    let (_, bots) = get_json(&svc.router, &format!("{base}?country=GB&class=bot"), &owner).await;
    assert_eq!(bots["total_scans"], 1, "{bots}");
    assert_eq!(bots["human_scans"], 0, "{bots}");
    assert_eq!(bots["by_device"], json!([{"key": "bot", "count": 1}]));
    let (_, none) = get_json(
        &svc.router,
        &format!("{base}?country=DE&device=desktop"),
        &owner,
    )
    .await;
    assert_eq!(none["total_scans"], 0, "{none}");
    let (_, direct) = get_json(&svc.router, &format!("{base}?referrer=direct"), &owner).await;
    assert_eq!(
        direct["total_scans"], 0,
        "every scan came from instagram: {direct}"
    );

    // The account overview narrows too.
    let (_, overview) =
        get_json(&svc.router, "/api/v1/analytics/overview?country=DE", &owner).await;
    assert_eq!(overview["total_scans"], 1, "{overview}");
    assert_eq!(overview["top_codes"][0]["count"], 1, "{overview}");
    assert_eq!(sum(&overview["series"], "scans"), 1, "{overview}");
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(the_csv_export_keeps_only_the_filtered_rows);
async fn the_csv_export_keeps_only_the_filtered_rows(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    scanned(&svc, &qr, &owner).await;
    let csv = |query: &'static str| {
        let path = format!("/api/v1/analytics/qr/{qr}/export.csv?{query}");
        let router = svc.router.clone();
        let owner = owner.clone();
        async move {
            let (status, body) = get(&router, &path, Some(&owner)).await;
            assert_eq!(status, 200, "{path}");
            String::from_utf8(body).unwrap()
        }
    };
    let all = csv("").await;
    assert_eq!(all.lines().count(), 6, "header and five rows: {all}");
    let mobile = csv("device=mobile").await;
    let rows: Vec<&str> = mobile.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{mobile}");
    assert!(rows.iter().all(|r| r.contains(",mobile,")), "{mobile}");
    let bots = csv("class=bot").await;
    let rows: Vec<&str> = bots.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{bots}");
    assert!(rows[0].contains(",bot,"), "{bots}");
    let us = csv("country=US&device=desktop").await;
    assert_eq!(us.lines().count(), 2, "{us}");
    assert!(us.lines().nth(1).unwrap().contains(",US,"), "{us}");
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(pages_filter_by_qr_code_and_link);
async fn pages_filter_by_qr_code_and_link(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (site, owner) = (new_id(), new_id());
    for e in [
        view(&site, &owner, IPHONE, "81.2.69.160", Some("menu1234")),
        view(&site, &owner, ANDROID, "2a01:4f8::1", Some("menu1234")),
        view(&site, &owner, ANDROID, "8.8.8.8", None),
        click(&site, &owner, "b1"),
        click(&site, &owner, "b1"),
        click(&site, &owner, "b2"),
    ] {
        svc.bus.publish(e).unwrap();
    }
    assert_eq!(wait_for_count(&svc.db, &site, 6, WITHIN).await, 6);
    let base = format!("/api/v1/analytics/microsites/{site}");
    let (status, by_code) = get_json(&svc.router, &format!("{base}?qr=menu1234"), &owner).await;
    assert_eq!(status, 200, "{by_code}");
    assert_eq!(by_code["human_views"], 2, "{by_code}");
    assert_eq!(
        by_code["views_by_qr"],
        json!([{"key": "menu1234", "count": 2}])
    );
    assert_eq!(
        by_code["clicks"], 0,
        "clicks do not come through a code: {by_code}"
    );
    let (_, by_link) = get_json(&svc.router, &format!("{base}?block=b1"), &owner).await;
    assert_eq!(by_link["clicks"], 2, "{by_link}");
    assert_eq!(
        by_link["clicks_by_block"],
        json!([{"key": "b1", "count": 2}])
    );
    assert_eq!(by_link["views"], 0, "{by_link}");
    let (_, de) = get_json(&svc.router, &format!("{base}?country=DE"), &owner).await;
    assert_eq!(de["human_views"], 1, "{de}");
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(bad_filter_values_are_422_everywhere);
async fn bad_filter_values_are_422_everywhere(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let owner = new_id();
    let (qr, site) = one_scan_and_one_view(&svc, &owner).await;
    for route in [
        format!("/api/v1/analytics/qr/{qr}"),
        format!("/api/v1/analytics/qr/{qr}/export.csv"),
        format!("/api/v1/analytics/microsites/{site}"),
        format!("/api/v1/analytics/microsites/{site}/export.csv"),
        "/api/v1/analytics/overview".to_owned(),
    ] {
        for (query, field) in [
            ("country=France", "country"),
            ("device=toaster", "device"),
            ("class=robots", "class"),
            ("os=iOS&os=Android", "os"),
        ] {
            let path = format!("{route}?{query}");
            let (status, body) = get_json(&svc.router, &path, &owner).await;
            assert_eq!(status, 422, "{path}: {body}");
            assert_eq!(body["error"]["field"], field, "{path}: {body}");
            assert!(body["error"]["message"].is_string(), "{path}: {body}");
        }
    }
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(the_live_view_counts_the_last_thirty_minutes_for_the_owner_only);
async fn the_live_view_counts_the_last_thirty_minutes_for_the_owner_only(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, site, owner) = (new_id(), new_id(), new_id());
    let mut old = scan(&qr, &owner, Some(ANDROID), "2a01:4f8::1");
    old.occurred_at -= 2 * 3_600_000;
    for e in [
        scan(&qr, &owner, Some(IPHONE), "81.2.69.160"),
        scan(&qr, &owner, Some(CURL), "81.2.69.161"),
        old,
        view(&site, &owner, ANDROID, "2a01:4f8::1", None),
    ] {
        svc.bus.publish(e).unwrap();
    }
    wait_for_count(&svc.db, &qr, 3, WITHIN).await;
    wait_for_count(&svc.db, &site, 1, WITHIN).await;

    let path = format!("/api/v1/analytics/qr/{qr}/live");
    let (status, live) = get_json(&svc.router, &path, &owner).await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["kind"], "scan");
    assert_eq!(
        (&live["human"], &live["bot"]),
        (&json!(1), &json!(1)),
        "{live}"
    );
    let minutes = live["minutes"].as_array().unwrap();
    assert_eq!(minutes.len(), 30);
    assert_eq!(
        sum(&live["minutes"], "human"),
        1,
        "the old scan is out: {live}"
    );
    assert!(minutes.last().unwrap()["human"].as_i64().unwrap() <= 1);
    assert_eq!(live["top_countries"], json!([{"key": "GB", "count": 1}]));
    assert_eq!(live["top_devices"], json!([{"key": "mobile", "count": 1}]));

    let (status, page) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/microsites/{site}/live"),
        &owner,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["kind"], "view");
    assert_eq!(page["top_countries"], json!([{"key": "DE", "count": 1}]));

    assert_eq!(get(&svc.router, &path, Some(&new_id())).await.0, 404);
    assert_eq!(get(&svc.router, &path, None).await.0, 401);
    svc.shutdown.drain(Duration::from_secs(5)).await;
}
