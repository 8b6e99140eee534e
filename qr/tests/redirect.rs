//! `GET /r/{code}` as scanners meet it, on SQLite and PostgreSQL: instant redirects that are
//! never cached by browsers, rules, friendly pages, honest events — and a redirect that keeps
//! working when the bus is full or the database is gone.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{ANDROID, DESKTOP, IPHONE, Qr, WHATSAPP};
use serde_json::json;
use shared::bus::{EventBus, topics};
use shared::events::QrScanned;
use shared::testing::{self, TestDb, backend_tests};

async fn scans(sub: &mut shared::bus::Subscription) -> Vec<QrScanned> {
    let batch = sub
        .next_batch(100, Duration::from_millis(200))
        .await
        .unwrap();
    batch
        .into_iter()
        .map(|d| d.event.payload.decode().unwrap())
        .collect()
}

backend_tests!(a_scan_redirects_uncached_and_is_published);
async fn a_scan_redirects_uncached_and_is_published(db: TestDb) {
    let qr = Qr::start(&db).await;
    let mut events = qr
        .bus
        .subscribe(topics::QR_SCANNED, "analytics", "test")
        .await
        .unwrap();
    let created = qr
        .create(
            "alice",
            json!({"name": "Menu", "destination": "https://example.com/menu"}),
        )
        .await;
    let code = created["code"].as_str().unwrap();

    let answer = qr
        .send(
            Request::get(format!("/r/{code}"))
                .header("user-agent", IPHONE)
                .header("referer", "https://instagram.com/")
                .header("accept-language", "fr-FR,fr;q=0.9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.header("location"), "https://example.com/menu");
    assert_eq!(answer.header("cache-control"), "no-store");
    assert!(!answer.header("referrer-policy").is_empty());

    let published = scans(&mut events).await;
    assert_eq!(published.len(), 1);
    let scan = &published[0];
    assert_eq!(scan.qr_id, created["id"].as_str().unwrap());
    assert_eq!(scan.owner_id, "alice");
    assert_eq!(scan.rule, "default");
    assert_eq!(scan.visit.method, "GET");
    assert!(!scan.visit.prefetch);
    assert_eq!(
        scan.visit.accept_language.as_deref(),
        Some("fr-FR,fr;q=0.9")
    );
    assert_eq!(scan.visit.ip.as_deref(), Some("203.0.113.7"));
    println!("redirect ok on {}", db.backend.name());
}

#[tokio::test]
async fn unknown_and_purged_codes_get_the_same_page() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com"}),
        )
        .await;
    let code = created["code"].as_str().unwrap().to_owned();
    // Deleting moves the code to the trash; "delete forever" purges it.
    for (method, path) in [(Method::DELETE, ""), (Method::DELETE, "/purge")] {
        let answer = qr
            .call(
                method,
                &format!("/api/v1/qr/{}{path}", created["id"].as_str().unwrap()),
                Some(&qr.token("alice")),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
    }
    let deleted = qr.scan(&code, IPHONE).await;
    let never = qr.scan("zzzzzzz", IPHONE).await;
    assert_eq!(deleted.status, StatusCode::NOT_FOUND);
    assert_eq!(never.status, StatusCode::NOT_FOUND);
    assert_eq!(deleted.text(), never.text());
    assert!(never.text().contains("doesn&#39;t exist") || never.text().contains("doesn't exist"));
    for junk in ["a", "..%2F..%2Fetc", "%3Cscript%3E", &"x".repeat(300)] {
        let answer = qr.scan(junk, IPHONE).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{junk}");
    }
}

backend_tests!(edits_pauses_and_expiry_reach_scanners_at_once);
async fn edits_pauses_and_expiry_reach_scanners_at_once(db: TestDb) {
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    let created = qr
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com/a"}),
        )
        .await;
    let (id, code) = (
        created["id"].as_str().unwrap(),
        created["code"].as_str().unwrap(),
    );
    assert_eq!(
        qr.scan(code, IPHONE).await.header("location"),
        "https://example.com/a"
    );

    let path = format!("/api/v1/qr/{id}");
    let patch = |body| qr.call(Method::PATCH, &path, Some(&alice), Some(body));
    patch(json!({"destination": "https://example.com/b"})).await;
    assert_eq!(
        qr.scan(code, IPHONE).await.header("location"),
        "https://example.com/b"
    );

    patch(json!({"paused": true})).await;
    let paused = qr.scan(code, IPHONE).await;
    assert_eq!(paused.status, StatusCode::GONE);
    assert!(paused.text().contains("paused"));

    patch(json!({"paused": false, "rules": {"expires_at": 1_000}})).await;
    let expired = qr.scan(code, IPHONE).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.text().contains("expired"));

    patch(json!({"rules": {"expires_at": 1_000, "expired_url": "https://example.com/over"}})).await;
    assert_eq!(
        qr.scan(code, IPHONE).await.header("location"),
        "https://example.com/over"
    );
}

#[tokio::test]
async fn another_instance_sees_an_edit_within_a_second() {
    let db = testing::sqlite().await;
    let bus = EventBus::memory(1_000);
    let one = Qr::start_with(&db, bus.clone(), &[]).await;
    let two = Qr::start_with(&db, bus, &[]).await;
    let created = one
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com/old"}),
        )
        .await;
    let code = created["code"].as_str().unwrap();
    assert_eq!(
        two.scan(code, IPHONE).await.header("location"),
        "https://example.com/old",
        "now cached on two"
    );
    one.call(
        Method::PATCH,
        &format!("/api/v1/qr/{}", created["id"].as_str().unwrap()),
        Some(&one.token("alice")),
        Some(json!({"destination": "https://example.com/new"})),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        if two.scan(code, IPHONE).await.header("location") == "https://example.com/new" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "instance two still redirects to the old destination after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn device_rules_utm_and_forwarded_queries() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "app", "destination": "https://example.com/app",
                   "utm": {"source": "poster", "medium": "qr"},
                   "rules": {"forward_query": true, "routes": [
                        {"type": "device", "device": "ios", "url": "https://apps.apple.com/app/id1"},
                        {"type": "device", "device": "android", "url": "https://play.google.com/store/apps/details?id=x"}]}}),
        )
        .await;
    let code = created["code"].as_str().unwrap();
    assert_eq!(
        qr.scan(code, IPHONE).await.header("location"),
        "https://apps.apple.com/app/id1?utm_source=poster&utm_medium=qr"
    );
    assert_eq!(
        qr.scan(code, ANDROID).await.header("location"),
        "https://play.google.com/store/apps/details?id=x&utm_source=poster&utm_medium=qr"
    );
    let desktop = qr
        .send(
            Request::get(format!("/r/{code}?table=7"))
                .header("user-agent", DESKTOP)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        desktop.header("location"),
        "https://example.com/app?utm_source=poster&utm_medium=qr&table=7"
    );
}

backend_tests!(head_prefetch_and_bots_are_flagged_and_do_not_use_up_limits);
async fn head_prefetch_and_bots_are_flagged_and_do_not_use_up_limits(db: TestDb) {
    let qr = Qr::start(&db).await;
    let mut events = qr
        .bus
        .subscribe(topics::QR_SCANNED, "analytics", "test")
        .await
        .unwrap();
    let created = qr
        .create("alice", json!({"name": "limited", "destination": "https://example.com/", "rules": {"max_scans": 2}}))
        .await;
    let code = created["code"].as_str().unwrap();

    let head = qr
        .send(
            Request::head(format!("/r/{code}"))
                .header("user-agent", IPHONE)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.status, StatusCode::FOUND);
    let prefetch = qr
        .send(
            Request::get(format!("/r/{code}"))
                .header("user-agent", IPHONE)
                .header("sec-purpose", "prefetch")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(prefetch.status, StatusCode::FOUND);
    for _ in 0..3 {
        assert_eq!(qr.scan(code, WHATSAPP).await.status, StatusCode::FOUND);
    }
    // Five requests so far, none human: the limit of two is untouched.
    assert_eq!(qr.scan(code, IPHONE).await.status, StatusCode::FOUND);
    assert_eq!(qr.scan(code, ANDROID).await.status, StatusCode::FOUND);
    let third = qr.scan(code, DESKTOP).await;
    assert_eq!(
        third.status,
        StatusCode::GONE,
        "the third human scan is over the limit"
    );

    let published = scans(&mut events).await;
    assert_eq!(
        published.len(),
        8,
        "every request is reported, bots included"
    );
    assert_eq!(published[0].visit.method, "HEAD");
    assert!(published[1].visit.prefetch);
    assert_eq!(published[7].rule, "max_scans");

    // Counts survive a restart of the service (written within a second).
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let restarted = Qr::start(&db).await;
    assert_eq!(restarted.scan(code, IPHONE).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn preview_bots_get_open_graph_tags_instead() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "launch", "destination": "https://example.com/",
                   "rules": {"preview": {"title": "Our <new> menu", "description": "Spring & summer"}}}),
        )
        .await;
    let code = created["code"].as_str().unwrap();
    let bot = qr.scan(code, WHATSAPP).await;
    assert_eq!(bot.status, StatusCode::OK);
    let html = bot.text();
    assert!(
        html.contains(r#"<meta property="og:title" content="Our &#60;new&#62; menu">"#),
        "{html}"
    );
    assert!(!html.contains("<new>"));
    assert_eq!(
        qr.scan(code, IPHONE).await.status,
        StatusCode::FOUND,
        "people are still redirected"
    );
}

#[tokio::test]
async fn a_full_bus_never_blocks_or_breaks_a_redirect() {
    let db = testing::sqlite().await;
    let bus = EventBus::memory(1);
    let qr = Qr::start_with(&db, bus.clone(), &[]).await;
    // A consumer that never reads: its queue of one fills at once.
    let _stalled = bus
        .subscribe(topics::QR_SCANNED, "analytics", "stalled")
        .await
        .unwrap();
    let created = qr
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com/"}),
        )
        .await;
    let code = created["code"].as_str().unwrap();
    for _ in 0..50 {
        let answer = tokio::time::timeout(Duration::from_secs(1), qr.scan(code, IPHONE))
            .await
            .expect("no waiting");
        assert_eq!(answer.status, StatusCode::FOUND);
    }
}

#[tokio::test]
async fn with_the_database_gone_cached_codes_still_redirect() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let warm = qr
        .create(
            "alice",
            json!({"name": "warm", "destination": "https://example.com/warm"}),
        )
        .await;
    let cold = qr
        .create(
            "alice",
            json!({"name": "cold", "destination": "https://example.com/cold"}),
        )
        .await;
    let warm_code = warm["code"].as_str().unwrap();
    assert_eq!(qr.scan(warm_code, IPHONE).await.status, StatusCode::FOUND);

    db.db.close().await;
    let started = std::time::Instant::now();
    assert_eq!(
        qr.scan(warm_code, IPHONE).await.header("location"),
        "https://example.com/warm"
    );
    let answer = qr.scan(cold["code"].as_str().unwrap(), IPHONE).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.text().contains("briefly unavailable"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a 503 page, not a hang"
    );
}

#[tokio::test]
async fn scans_that_land_on_our_microsites_say_which_code_sent_them() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "bio", "destination": "http://scan.test/m/ada"}),
        )
        .await;
    let code = created["code"].as_str().unwrap();
    assert_eq!(
        qr.scan(code, IPHONE).await.header("location"),
        format!("http://scan.test/m/ada?src=qr_{code}")
    );
    let other = qr
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com/m/ada"}),
        )
        .await;
    assert_eq!(
        qr.scan(other["code"].as_str().unwrap(), IPHONE)
            .await
            .header("location"),
        "https://example.com/m/ada"
    );
}
