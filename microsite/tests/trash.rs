//! The trash, on SQLite and PostgreSQL: deleting a page moves it to a 30-day trash (visitors see
//! "removed by its owner", 410), restoring brings it back published, only its owner can restore
//! or purge it, and the purge job deletes what has been there 30 days.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::Site;
use serde_json::{Value, json};
use shared::testing::{Answer, TestDb, backend_tests, wait_for};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

async fn call(site: &Site, method: Method, path: &str, user: &str) -> Answer {
    site.call(method, path, Some(&site.token(user)), None).await
}

/// Waits until `check` holds (background work is asynchronous), at most five seconds.
async fn eventually<Fut: Future<Output = bool>>(what: &str, check: impl FnMut() -> Fut) {
    let done = wait_for(Duration::from_secs(5), check, |done| *done).await;
    assert!(done, "never happened: {what}");
}

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect()
}

backend_tests!(a_trashed_page_says_removed_and_comes_back_published);
async fn a_trashed_page_says_removed_and_comes_back_published(db: TestDb) {
    let site = Site::start(&db).await;
    let page = site.published("alice", "event", "night-market").await;
    let id = page["id"].as_str().unwrap().to_owned();
    // Served (and cached) before the delete.
    assert_eq!(site.visit("/m/night-market").await.status, StatusCode::OK);

    let deleted = call(
        &site,
        Method::DELETE,
        &format!("/api/v1/microsites/{id}"),
        "alice",
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let removed = site.visit("/m/night-market").await;
    assert_eq!(removed.status, StatusCode::GONE);
    assert!(
        removed.text().contains("removed by its owner"),
        "{}",
        removed.text()
    );
    assert_eq!(removed.header("cache-control"), "no-store");
    // Its tracked links and preview are gone with it.
    let link = site.visit("/m/night-market/l/anything").await;
    assert_eq!(link.status, StatusCode::GONE);

    let list = call(&site, Method::GET, "/api/v1/microsites", "alice")
        .await
        .json();
    assert!(ids(&list).is_empty(), "{list}");
    let read = call(
        &site,
        Method::GET,
        &format!("/api/v1/microsites/{id}"),
        "alice",
    )
    .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let trash = call(&site, Method::GET, "/api/v1/microsites/trash", "alice").await;
    assert_eq!(trash.status, StatusCode::OK, "{}", trash.text());
    let trash = trash.json();
    assert_eq!(ids(&trash), [id.as_str()]);
    let deleted_at = trash["items"][0]["deleted_at"].as_i64().unwrap();
    assert_eq!(
        trash["items"][0]["purge_at"].as_i64(),
        Some(deleted_at + 30 * DAY_MS)
    );

    // The slug stays reserved while the page is in the trash.
    let taken = site
        .call(
            Method::POST,
            "/api/v1/microsites/from-template",
            Some(&site.token("bob")),
            Some(json!({"template": "event", "slug": "night-market"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text());

    let restored = call(
        &site,
        Method::POST,
        &format!("/api/v1/microsites/{id}/restore"),
        "alice",
    )
    .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text());
    assert_eq!(restored.json()["published"], true);
    let back = site.visit("/m/night-market").await;
    assert_eq!(back.status, StatusCode::OK);
    let list = call(&site, Method::GET, "/api/v1/microsites", "alice")
        .await
        .json();
    assert_eq!(ids(&list), [id.as_str()]);
    println!("microsite trash and restore ok on {}", db.backend.name());
}

backend_tests!(only_the_owner_restores_or_purges_a_page);
async fn only_the_owner_restores_or_purges_a_page(db: TestDb) {
    let site = Site::start(&db).await;
    let page = site.published("alice", "event", "alice-page").await;
    let id = page["id"].as_str().unwrap().to_owned();
    let restore = format!("/api/v1/microsites/{id}/restore");
    let purge = format!("/api/v1/microsites/{id}/purge");

    let live = call(&site, Method::DELETE, &purge, "alice").await;
    assert_eq!(
        live.status,
        StatusCode::NOT_FOUND,
        "only trashed pages are purged"
    );
    assert_eq!(site.visit("/m/alice-page").await.status, StatusCode::OK);

    let deleted = call(
        &site,
        Method::DELETE,
        &format!("/api/v1/microsites/{id}"),
        "alice",
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let bobs_trash = call(&site, Method::GET, "/api/v1/microsites/trash", "bob")
        .await
        .json();
    assert!(ids(&bobs_trash).is_empty());
    for (method, path) in [(Method::POST, &restore), (Method::DELETE, &purge)] {
        let answer = call(&site, method.clone(), path, "bob").await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path} as bob"
        );
        assert_eq!(answer.json()["error"]["code"], "not_found");
    }
    assert_eq!(site.visit("/m/alice-page").await.status, StatusCode::GONE);

    let purged = call(&site, Method::DELETE, &purge, "alice").await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT);
    assert_eq!(
        site.visit("/m/alice-page").await.status,
        StatusCode::NOT_FOUND
    );
    let again = call(&site, Method::POST, &restore, "alice").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    println!("microsite trash ownership ok on {}", db.backend.name());
}

backend_tests!(the_purge_job_deletes_pages_trashed_30_days_ago);
async fn the_purge_job_deletes_pages_trashed_30_days_ago(db: TestDb) {
    let site = Site::start(&db).await;
    let mut pages = Vec::new();
    for slug in ["old-page", "recent-page"] {
        let page = site.published("alice", "event", slug).await;
        let id = page["id"].as_str().unwrap().to_owned();
        let deleted = call(
            &site,
            Method::DELETE,
            &format!("/api/v1/microsites/{id}"),
            "alice",
        )
        .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        pages.push(id);
    }
    assert_eq!(site.visit("/m/old-page").await.status, StatusCode::GONE);
    let now = shared::ids::now_ms();
    for (id, days) in [(&pages[0], 31), (&pages[1], 29)] {
        sqlx::query("UPDATE microsite_pages SET deleted_at = $1 WHERE id = $2")
            .bind(now - days * DAY_MS)
            .bind(id)
            .execute(db.db.pool())
            .await
            .unwrap();
    }

    // A second instance on the same database and bus runs the purge job as it starts.
    let _second = Site::start_with(&db, site.bus.clone(), &[]).await;
    eventually("the 31-day-old page purged", || async {
        let trash = call(&site, Method::GET, "/api/v1/microsites/trash", "alice")
            .await
            .json();
        ids(&trash) == [pages[1].as_str()]
    })
    .await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM microsite_pages WHERE id = $1")
        .bind(&pages[0])
        .fetch_one(db.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "purged for real");
    // The purge went through `microsite.changed`: the first instance forgets its cached page.
    eventually(
        "the purged page answers 404 on the other instance",
        || async { site.visit("/m/old-page").await.status == StatusCode::NOT_FOUND },
    )
    .await;
    assert_eq!(site.visit("/m/recent-page").await.status, StatusCode::GONE);
    println!("microsite trash purge ok on {}", db.backend.name());
}
