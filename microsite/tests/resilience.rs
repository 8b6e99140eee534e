//! The public page under trouble: a full event bus, a database gone, and other instances
//! publishing through Redis. Visitors get a page (or an honest 503), never a hang.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::Site;
use serde_json::json;
use shared::bus::{EventBus, topics};
use shared::shutdown::Shutdown;
use shared::testing;

#[tokio::test]
async fn a_full_bus_never_blocks_or_breaks_a_page() {
    let db = testing::sqlite().await;
    let bus = EventBus::memory(1);
    let site = Site::start_with(&db, bus.clone(), &[]).await;
    // Consumers that never read: their queues of one fill at once.
    let _views = bus
        .subscribe(topics::MICROSITE_VIEWED, "analytics", "stalled")
        .await
        .unwrap();
    let _clicks = bus
        .subscribe(topics::MICROSITE_CLICKED, "analytics", "stalled")
        .await
        .unwrap();
    let page = site.published("alice", "event", "full-bus").await;
    let link = page["blocks"][2]["id"].as_str().unwrap();
    for _ in 0..30 {
        let answer = tokio::time::timeout(Duration::from_secs(1), site.visit("/m/full-bus"))
            .await
            .expect("no waiting");
        assert_eq!(answer.status, StatusCode::OK);
        let hop = tokio::time::timeout(
            Duration::from_secs(1),
            site.visit(&format!("/m/full-bus/l/{link}")),
        )
        .await
        .expect("no waiting");
        assert_eq!(hop.status, StatusCode::FOUND);
    }
}

#[tokio::test]
async fn with_the_database_gone_cached_pages_still_render() {
    let db = testing::sqlite().await;
    let site = Site::start(&db).await;
    site.published("alice", "creator", "warm-page").await;
    site.published("alice", "event", "cold-page").await;
    assert_eq!(site.visit("/m/warm-page").await.status, StatusCode::OK);

    db.db.close().await;
    let started = std::time::Instant::now();
    assert_eq!(site.visit("/m/warm-page").await.status, StatusCode::OK);
    let answer = site.visit("/m/cold-page").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.text().contains("briefly unavailable"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a 503 page, not a hang"
    );
}

#[tokio::test]
async fn publishing_on_one_instance_refreshes_the_others() {
    let Some(url) = testing::redis_url("publishing_on_one_instance_refreshes_the_others") else {
        return;
    };
    let db = testing::sqlite().await;
    let shutdown = Shutdown::new();
    let a = Site::start_with(
        &db,
        EventBus::redis(&shared::context::RedisTarget::new(url.as_str()), &shutdown)
            .await
            .unwrap(),
        &[],
    )
    .await;
    let b = Site::start_with(
        &db,
        EventBus::redis(&shared::context::RedisTarget::new(url.as_str()), &shutdown)
            .await
            .unwrap(),
        &[],
    )
    .await;
    // A user name of its own: the Redis server may be shared with other tests.
    let user = format!("user-{}", shared::ids::new_id());
    let slug = format!("x{}", &shared::ids::new_id().replace('-', "")[20..]);
    let page = a.published(&user, "business_card", &slug).await;
    let id = page["id"].as_str().unwrap();
    assert!(
        b.visit(&format!("/m/{slug}"))
            .await
            .text()
            .contains("Dana Okafor")
    );

    let token = a.token(&user);
    a.call(
        Method::PATCH,
        &format!("/api/v1/microsites/{id}"),
        Some(&token),
        Some(json!({"blocks": [{"type": "heading", "text": "Second edition"}]})),
    )
    .await;
    a.call(
        Method::POST,
        &format!("/api/v1/microsites/{id}/publish"),
        Some(&token),
        None,
    )
    .await;
    for _ in 0..60 {
        if b.visit(&format!("/m/{slug}"))
            .await
            .text()
            .contains("Second edition")
        {
            shutdown.trigger();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance B kept serving the old snapshot");
}
