//! The trash, on SQLite and PostgreSQL: deleting a code moves it to a 30-day trash (its scanners
//! see "removed by its owner", 410), restoring brings it back with its scans, only its owner can
//! restore or purge it, and the purge job deletes what has been there 30 days.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{IPHONE, Qr};
use serde_json::{Value, json};
use shared::testing::{TestDb, backend_tests, wait_for};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// qr's own count of human scans of a code (what `max_scans` reads), once the counter wrote it.
async fn human_scans(db: &TestDb, qr_id: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT human_scans FROM qr_scan_counts WHERE qr_id = $1")
        .bind(qr_id)
        .fetch_optional(db.db.pool())
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Waits until `check` holds (background work is asynchronous), at most five seconds.
async fn eventually<Fut: Future<Output = bool>>(what: &str, check: impl FnMut() -> Fut) {
    let done = wait_for(Duration::from_secs(5), check, |done| *done).await;
    assert!(done, "never happened: {what}");
}

async fn call(qr: &Qr, method: Method, path: &str, user: &str) -> common::Answer {
    qr.call(method, path, Some(&qr.token(user)), None).await
}

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

backend_tests!(a_trashed_code_says_removed_and_comes_back_with_its_scans);
async fn a_trashed_code_says_removed_and_comes_back_with_its_scans(db: TestDb) {
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            // A scan limit, so qr itself counts the human scans (analytics is not part of this).
            json!({"name": "Menu", "destination": "https://example.com/menu", "code": "menu-card",
                   "rules": {"max_scans": 100}}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(qr.scan("menu-card", IPHONE).await.status, StatusCode::FOUND);
    }
    eventually("three human scans counted", || async {
        human_scans(&db, &id).await == 3
    })
    .await;

    let deleted = call(&qr, Method::DELETE, &format!("/api/v1/qr/{id}"), "alice").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    // Out of the lists and the editor, into the trash with its dates.
    let list = call(&qr, Method::GET, "/api/v1/qr", "alice").await.json();
    assert!(ids(&list).is_empty(), "{list}");
    let read = call(&qr, Method::GET, &format!("/api/v1/qr/{id}"), "alice").await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    let trash = call(&qr, Method::GET, "/api/v1/qr/trash", "alice").await;
    assert_eq!(trash.status, StatusCode::OK, "{}", trash.text());
    let trash = trash.json();
    assert_eq!(ids(&trash), [id.as_str()]);
    let deleted_at = trash["items"][0]["deleted_at"].as_i64().unwrap();
    assert_eq!(
        trash["items"][0]["purge_at"].as_i64(),
        Some(deleted_at + 30 * DAY_MS)
    );

    // Scanners get the friendly "removed" page, at once (the cache was told).
    let removed = qr.scan("menu-card", IPHONE).await;
    assert_eq!(removed.status, StatusCode::GONE);
    assert!(
        removed.text().contains("removed by its owner"),
        "{}",
        removed.text()
    );
    assert_eq!(
        removed.headers.get("cache-control").unwrap(),
        "no-store",
        "a restore must reach scanners at once"
    );

    // The short code stays reserved while the code is in the trash.
    let taken = qr
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&qr.token("bob")),
            Some(json!({"name": "x", "destination": "https://example.com", "code": "menu-card"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);

    // A trashed code cannot be edited.
    let edit = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&qr.token("alice")),
            Some(json!({"name": "Edited"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);

    let restored = call(
        &qr,
        Method::POST,
        &format!("/api/v1/qr/{id}/restore"),
        "alice",
    )
    .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text());
    assert!(restored.json().get("deleted_at").is_none());
    let scan = qr.scan("menu-card", IPHONE).await;
    assert_eq!(scan.status, StatusCode::FOUND);
    assert_eq!(
        scan.headers.get("location").unwrap(),
        "https://example.com/menu"
    );
    let list = call(&qr, Method::GET, "/api/v1/qr", "alice").await.json();
    assert_eq!(ids(&list), [id.as_str()]);
    let trash = call(&qr, Method::GET, "/api/v1/qr/trash", "alice")
        .await
        .json();
    assert!(ids(&trash).is_empty());
    // Its scans are intact: the three before, and the one after the restore.
    eventually("four human scans counted", || async {
        human_scans(&db, &id).await == 4
    })
    .await;
    println!("trash and restore ok on {}", db.backend.name());
}

backend_tests!(only_the_owner_restores_or_purges_and_only_from_the_trash);
async fn only_the_owner_restores_or_purges_and_only_from_the_trash(db: TestDb) {
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com", "code": "alice-code"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let restore = format!("/api/v1/qr/{id}/restore");
    let purge = format!("/api/v1/qr/{id}/purge");

    // Purging needs the trash first: a live code is not deleted by accident.
    let live = call(&qr, Method::DELETE, &purge, "alice").await;
    assert_eq!(live.status, StatusCode::NOT_FOUND);
    assert_eq!(
        qr.scan("alice-code", IPHONE).await.status,
        StatusCode::FOUND
    );

    let bobs_delete = call(&qr, Method::DELETE, &format!("/api/v1/qr/{id}"), "bob").await;
    assert_eq!(bobs_delete.status, StatusCode::NOT_FOUND);
    let deleted = call(&qr, Method::DELETE, &format!("/api/v1/qr/{id}"), "alice").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    // Another account sees nothing of it and can do nothing with it.
    let bobs_trash = call(&qr, Method::GET, "/api/v1/qr/trash", "bob")
        .await
        .json();
    assert!(ids(&bobs_trash).is_empty());
    for (method, path) in [(Method::POST, &restore), (Method::DELETE, &purge)] {
        let answer = call(&qr, method.clone(), path, "bob").await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path} as bob"
        );
        assert_eq!(answer.json()["error"]["code"], "not_found");
    }
    assert_eq!(qr.scan("alice-code", IPHONE).await.status, StatusCode::GONE);

    // A read-only credential cannot restore or purge.
    let reader = qr.token_with("alice", vec!["qr:read".into()]);
    let denied = qr.call(Method::POST, &restore, Some(&reader), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // Delete forever: the short code answers like one that never existed.
    let purged = call(&qr, Method::DELETE, &purge, "alice").await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT);
    let gone = qr.scan("alice-code", IPHONE).await;
    let never = qr.scan("zzzzzzz", IPHONE).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.text(), never.text());
    let again = call(&qr, Method::POST, &restore, "alice").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let trash = call(&qr, Method::GET, "/api/v1/qr/trash", "alice")
        .await
        .json();
    assert!(ids(&trash).is_empty());
    println!("trash ownership ok on {}", db.backend.name());
}

backend_tests!(the_purge_job_deletes_codes_trashed_30_days_ago);
async fn the_purge_job_deletes_codes_trashed_30_days_ago(db: TestDb) {
    let qr = Qr::start(&db).await;
    let mut codes = Vec::new();
    for code in ["old-menu", "recent-menu"] {
        let created = qr
            .create(
                "alice",
                json!({"name": code, "destination": "https://example.com", "code": code}),
            )
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let deleted = call(&qr, Method::DELETE, &format!("/api/v1/qr/{id}"), "alice").await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        codes.push(id);
    }
    assert_eq!(qr.scan("old-menu", IPHONE).await.status, StatusCode::GONE);
    // Back-dated: one trashed 31 days ago, one 29 days ago.
    let now = shared::ids::now_ms();
    for (id, days) in [(&codes[0], 31), (&codes[1], 29)] {
        sqlx::query("UPDATE qr_codes SET deleted_at = $1 WHERE id = $2")
            .bind(now - days * DAY_MS)
            .bind(id)
            .execute(db.db.pool())
            .await
            .unwrap();
    }

    // A second instance on the same database and bus runs the purge job as it starts.
    let _second = Qr::start_with(&db, qr.bus.clone(), &[]).await;
    eventually("the 31-day-old code purged", || async {
        let trash = call(&qr, Method::GET, "/api/v1/qr/trash", "alice")
            .await
            .json();
        ids(&trash) == [codes[1].as_str()]
    })
    .await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM qr_codes WHERE id = $1")
        .bind(&codes[0])
        .fetch_one(db.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "purged for real");
    // The purge went through `qr.changed`: the first instance forgets its cached "trashed".
    eventually(
        "the purged code answers 404 on the other instance",
        || async { qr.scan("old-menu", IPHONE).await.status == StatusCode::NOT_FOUND },
    )
    .await;
    assert_eq!(
        qr.scan("recent-menu", IPHONE).await.status,
        StatusCode::GONE
    );
    println!("trash purge ok on {}", db.backend.name());
}

backend_tests!(another_instance_sees_a_trash_and_a_restore_within_a_second);
async fn another_instance_sees_a_trash_and_a_restore_within_a_second(db: TestDb) {
    let test = "another_instance_sees_a_trash_and_a_restore_within_a_second";
    let Some(redis_url) = shared::testing::redis_url(test) else {
        return;
    };
    let target = shared::context::RedisTarget::new(redis_url.as_str());
    let redis = shared::context::connect_redis(&target).await.unwrap();
    let shutdown = shared::shutdown::Shutdown::new();
    let mut instances = Vec::new();
    for _ in 0..2 {
        let bus = shared::bus::EventBus::redis(&target, &shutdown)
            .await
            .unwrap();
        let directory = std::sync::Arc::new(qr::microsite::NoDirectory);
        instances.push(Qr::start_full(&db.db, bus, Some(redis.clone()), directory, &[]).await);
    }
    let (a, b) = (&instances[0], &instances[1]);
    let created = a
        .create(
            "alice",
            json!({"name": "Poster", "destination": "https://example.com/poster"}),
        )
        .await;
    let (id, code) = (
        created["id"].as_str().unwrap(),
        created["code"].as_str().unwrap(),
    );
    // B has the code in memory (and Redis has it) before A trashes it.
    assert_eq!(b.scan(code, IPHONE).await.status, StatusCode::FOUND);

    for (method, path, status) in [
        (Method::DELETE, format!("/api/v1/qr/{id}"), StatusCode::GONE),
        (
            Method::POST,
            format!("/api/v1/qr/{id}/restore"),
            StatusCode::FOUND,
        ),
    ] {
        let answer = call(a, method, &path, "alice").await;
        assert!(answer.status.is_success(), "{path}: {}", answer.text());
        let seen = wait_for(
            Duration::from_secs(1),
            || async { b.scan(code, IPHONE).await.status },
            |seen| *seen == status,
        )
        .await;
        assert_eq!(seen, status, "B after {path}");
    }
    println!("trash across instances ok on {}", db.backend.name());
    shutdown.trigger();
}
