//! The founder's moderation in qr, on SQLite and PostgreSQL, with two instances on one database
//! and one bus: a disabled code (or every code of a disabled account) answers the "disabled"
//! page from memory on both, and a blocked domain is refused on create and edit on both.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{IPHONE, Qr};
use serde_json::json;
use shared::bus::{Event, EventBus, topics};
use shared::events::{QrScanned, UserDisabled, UserEnabled};
use shared::testing::{TestDb, backend_tests};

async fn instance(db: &shared::db::Db, bus: &EventBus) -> Qr {
    Qr::start_full(
        db,
        bus.clone(),
        None,
        Arc::new(qr::microsite::NoDirectory),
        &[],
    )
    .await
}

/// Scans `code` on `qr` until it answers `status` (events reach the other instance
/// asynchronously); panics after 5 s.
async fn eventually_scans(qr: &Qr, code: &str, status: StatusCode) -> common::Answer {
    for _ in 0..50 {
        let answer = qr.scan(code, IPHONE).await;
        if answer.status == status {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/r/{code} never answered {status}");
}

backend_tests!(a_disabled_code_shows_the_disabled_page_on_every_instance);
async fn a_disabled_code_shows_the_disabled_page_on_every_instance(db: TestDb) {
    let bus = EventBus::memory(10_000);
    let a = instance(&db.db, &bus).await;
    let b = instance(&db.db, &bus).await;
    let mut events = bus
        .subscribe(topics::QR_SCANNED, "analytics", "test")
        .await
        .unwrap();
    let created = a
        .create(
            "alice",
            json!({"name": "Menu", "destination": "https://example.com/menu"}),
        )
        .await;
    let code = created["code"].as_str().unwrap().to_owned();
    // Instance b has the code in its cache before the founder acts.
    assert_eq!(b.scan(&code, IPHONE).await.status, StatusCode::FOUND);

    let body = json!({"code": code, "reason": "phishing"});
    let path = "/api/v1/qr/admin/disable";
    let anonymous = a.call(Method::POST, path, None, Some(body.clone())).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let owner = a
        .call(
            Method::POST,
            path,
            Some(&a.token("alice")),
            Some(body.clone()),
        )
        .await;
    assert_eq!(owner.status, StatusCode::NOT_FOUND, "founders only");
    let founder = a.founder_token("boss");
    let no_reason = a
        .call(
            Method::POST,
            path,
            Some(&founder),
            Some(json!({"code": code, "reason": " "})),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = a
        .call(
            Method::POST,
            path,
            Some(&founder),
            Some(json!({"code": "nosuchcode", "reason": "x"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let disabled = a.call(Method::POST, path, Some(&founder), Some(body)).await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text());
    assert_eq!(disabled.json()["disabled"], true);
    assert_eq!(disabled.json()["owner_id"], "alice");

    let page = a.scan(&code, IPHONE).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.header("location").is_empty());
    let html = page.text();
    assert!(html.contains("This code has been disabled"), "{html}");
    assert!(
        html.contains(&format!("href=\"/report?code={code}\"")),
        "{html}"
    );
    // The other instance drops its cached copy on `qr.changed`.
    eventually_scans(&b, &code, StatusCode::GONE).await;

    let published: Vec<QrScanned> = events
        .next_batch(100, Duration::from_millis(300))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.event.payload.decode().unwrap())
        .collect();
    let last = published.last().expect("scans are still published");
    assert_eq!(last.rule, "disabled");
    assert_eq!(last.destination, None);

    // The owner cannot undo the founder's decision by editing the code.
    let id = created["id"].as_str().unwrap();
    let edit = a
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&a.token("alice")),
            Some(json!({"paused": false, "name": "Menu 2"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    assert_eq!(a.scan(&code, IPHONE).await.status, StatusCode::GONE);

    let lookup = a
        .call(
            Method::GET,
            &format!("/api/v1/qr/admin/lookup?code={code}"),
            Some(&founder),
            None,
        )
        .await;
    assert_eq!(lookup.json()["disabled_reason"], "phishing");
    assert_eq!(lookup.json()["destination"], "https://example.com/menu");

    let enabled = a
        .call(
            Method::POST,
            "/api/v1/qr/admin/enable",
            Some(&founder),
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text());
    assert_eq!(enabled.json()["disabled"], false);
    assert_eq!(a.scan(&code, IPHONE).await.status, StatusCode::FOUND);
    eventually_scans(&b, &code, StatusCode::FOUND).await;
    println!("disabled code ok on {}", db.backend.name());
}

backend_tests!(every_code_of_a_disabled_account_shows_the_disabled_page);
async fn every_code_of_a_disabled_account_shows_the_disabled_page(db: TestDb) {
    let bus = EventBus::memory(10_000);
    let a = instance(&db.db, &bus).await;
    let b = instance(&db.db, &bus).await;
    let mut codes = Vec::new();
    for name in ["One", "Two"] {
        let created = a
            .create(
                "bob",
                json!({"name": name, "destination": "https://example.com/"}),
            )
            .await;
        codes.push(created["code"].as_str().unwrap().to_owned());
    }
    let other = a
        .create(
            "carol",
            json!({"name": "Hers", "destination": "https://example.com/"}),
        )
        .await;
    let other = other["code"].as_str().unwrap().to_owned();

    bus.publish(Event::new(
        topics::USER_DISABLED,
        UserDisabled {
            user_id: "bob".into(),
        },
    ))
    .unwrap();
    for code in &codes {
        for qr in [&a, &b] {
            let page = eventually_scans(qr, code, StatusCode::GONE).await;
            assert!(page.text().contains("This code has been disabled"));
        }
    }
    assert_eq!(a.scan(&other, IPHONE).await.status, StatusCode::FOUND);

    // An instance started later knows from qr's own table, without the event.
    let c = instance(&db.db, &EventBus::memory(100)).await;
    assert_eq!(c.scan(&codes[0], IPHONE).await.status, StatusCode::GONE);

    bus.publish(Event::new(
        topics::USER_ENABLED,
        UserEnabled {
            user_id: "bob".into(),
        },
    ))
    .unwrap();
    for code in &codes {
        eventually_scans(&a, code, StatusCode::FOUND).await;
        eventually_scans(&b, code, StatusCode::FOUND).await;
    }
    println!("disabled owner ok on {}", db.backend.name());
}

backend_tests!(a_blocked_domain_is_refused_on_create_and_edit_on_every_instance);
async fn a_blocked_domain_is_refused_on_create_and_edit_on_every_instance(db: TestDb) {
    let bus = EventBus::memory(10_000);
    let a = instance(&db.db, &bus).await;
    let b = instance(&db.db, &bus).await;
    let alice = a.token("alice");
    let founder = a.founder_token("boss");
    let existing = b
        .create(
            "alice",
            json!({"name": "Menu", "destination": "https://example.com/menu"}),
        )
        .await;
    let edit_path = format!("/api/v1/qr/{}", existing["id"].as_str().unwrap());

    let path = "/api/v1/qr/admin/blocklist";
    let block = |domain: &str| json!({"domain": domain, "reason": "phishing kit"});
    let by_user = a
        .call(
            Method::POST,
            path,
            Some(&alice),
            Some(block("phish.example")),
        )
        .await;
    assert_eq!(by_user.status, StatusCode::NOT_FOUND);
    for bad in [
        "https://phish.example",
        "phish.example/login",
        "<b>.example",
        "",
    ] {
        let refused = a
            .call(Method::POST, path, Some(&founder), Some(block(bad)))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(refused.json()["error"]["field"], "domain", "{bad}");
    }
    let added = a
        .call(
            Method::POST,
            path,
            Some(&founder),
            Some(block(" Phish.Example ")),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    assert_eq!(added.json()["domain"], "phish.example");
    let again = a
        .call(
            Method::POST,
            path,
            Some(&founder),
            Some(block("phish.example")),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // At once on the instance that took the change: create and edit.
    let blocked = json!({"name": "Bad", "destination": "https://login.phish.example/x"});
    let create = a
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&alice),
            Some(blocked.clone()),
        )
        .await;
    assert_eq!(create.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(create.text().contains("phish.example"), "{}", create.text());
    let edit_to = json!({"destination": "https://phish.example/"});
    let edit = a
        .call(
            Method::PATCH,
            &edit_path,
            Some(&alice),
            Some(edit_to.clone()),
        )
        .await;
    assert_eq!(edit.status, StatusCode::UNPROCESSABLE_ENTITY);

    // On the other instance once it has read `qr.blocklist_changed`.
    let mut refused = false;
    for _ in 0..50 {
        let edit = b
            .call(
                Method::PATCH,
                &edit_path,
                Some(&alice),
                Some(edit_to.clone()),
            )
            .await;
        if edit.status == StatusCode::UNPROCESSABLE_ENTITY {
            refused = true;
            break;
        }
        assert_eq!(edit.status, StatusCode::OK, "{}", edit.text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "instance b never refused the blocked domain");
    let create = b
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&alice),
            Some(blocked.clone()),
        )
        .await;
    assert_eq!(create.status, StatusCode::UNPROCESSABLE_ENTITY);

    let list = a.call(Method::GET, path, Some(&founder), None).await;
    assert_eq!(list.json()["domains"][0]["domain"], "phish.example");
    assert_eq!(list.json()["domains"][0]["reason"], "phishing kit");

    let removed = a
        .call(
            Method::POST,
            "/api/v1/qr/admin/blocklist/remove",
            Some(&founder),
            Some(json!({"domain": "phish.example"})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let create = a
        .call(Method::POST, "/api/v1/qr", Some(&alice), Some(blocked))
        .await;
    assert_eq!(create.status, StatusCode::CREATED, "{}", create.text());
    println!("founder blocklist ok on {}", db.backend.name());
}
