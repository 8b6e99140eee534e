//! `microsite` codes: pointing at one of the owner's microsites, asked of microsite through a
//! directory (a test double here), on SQLite and PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::{IPHONE, Qr};
use qr::microsite::{Caller, Lookup, MicrositeDirectory};
use serde_json::json;
use shared::bus::EventBus;
use shared::testing::{self, TestDb, backend_tests};

/// microsite id → (owner, slug); remembers whether each call carried a credential.
#[derive(Default)]
struct Directory {
    pages: Mutex<HashMap<String, (String, String)>>,
    calls_without_credential: Mutex<u32>,
}

impl MicrositeDirectory for Directory {
    fn slug_of<'a>(&'a self, caller: &'a Caller, microsite_id: &'a str) -> Lookup<'a> {
        if !caller.credential.contains_key("authorization") {
            *self.calls_without_credential.lock().unwrap() += 1;
        }
        let found = self
            .pages
            .lock()
            .unwrap()
            .get(microsite_id)
            .filter(|(owner, _)| *owner == caller.owner_id)
            .map(|(_, slug)| slug.clone());
        Box::pin(async move { Ok(found) })
    }
}

backend_tests!(a_microsite_code_redirects_to_its_page_and_checks_the_owner);
async fn a_microsite_code_redirects_to_its_page_and_checks_the_owner(db: TestDb) {
    let directory = Arc::new(Directory::default());
    directory
        .pages
        .lock()
        .unwrap()
        .insert("ms-1".into(), ("alice".into(), "alice-cafe".into()));
    let qr = Qr::start_full(&db.db, EventBus::memory(1000), None, directory.clone(), &[]).await;
    let token = qr.token("alice");

    let created = qr
        .create(
            "alice",
            json!({"kind": "microsite", "name": "Cafe", "microsite_id": "ms-1"}),
        )
        .await;
    assert_eq!(created["kind"], "microsite");
    assert_eq!(created["microsite_id"], "ms-1");
    assert_eq!(created["destination"], "http://scan.test/m/alice-cafe");
    let code = created["code"].as_str().unwrap();
    assert_eq!(created["short_url"], format!("http://scan.test/r/{code}"));
    assert_eq!(*directory.calls_without_credential.lock().unwrap(), 0);

    let scan = qr.scan(code, IPHONE).await;
    assert_eq!(scan.status, StatusCode::FOUND);
    assert_eq!(
        scan.header("location"),
        format!("http://scan.test/m/alice-cafe?src=qr_{code}")
    );

    // Someone else's microsite, or none, is a field error, as is a mixed-up request.
    for (user, body, field) in [
        (
            "bob",
            json!({"kind": "microsite", "name": "x", "microsite_id": "ms-1"}),
            "microsite_id",
        ),
        (
            "alice",
            json!({"kind": "microsite", "name": "x", "microsite_id": "nope"}),
            "microsite_id",
        ),
        (
            "alice",
            json!({"kind": "microsite", "name": "x"}),
            "microsite_id",
        ),
        (
            "alice",
            json!({"kind": "microsite", "name": "x", "microsite_id": "ms-1",
            "destination": "https://example.com/"}),
            "destination",
        ),
        (
            "alice",
            json!({"name": "x", "destination": "https://example.com/",
            "microsite_id": "ms-1"}),
            "microsite_id",
        ),
        (
            "alice",
            json!({"kind": "microsite", "name": "x", "microsite_id": "../admin"}),
            "microsite_id",
        ),
    ] {
        let answer = qr
            .call(
                Method::POST,
                "/api/v1/qr",
                Some(&qr.token(user)),
                Some(body.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer.json()["error"]["field"], field, "{body}");
    }

    // The slug changed: the next save of the code points it at the new page.
    directory
        .pages
        .lock()
        .unwrap()
        .insert("ms-1".into(), ("alice".into(), "alice-bistro".into()));
    let id = created["id"].as_str().unwrap();
    let edited = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&token),
            Some(json!({"name": "Bistro"})),
        )
        .await;
    assert_eq!(
        edited.json()["destination"],
        "http://scan.test/m/alice-bistro"
    );
    let scan = qr.scan(code, IPHONE).await;
    assert!(
        scan.header("location")
            .starts_with("http://scan.test/m/alice-bistro?")
    );
    println!("microsite codes ok on {}", db.backend.name());
}

#[tokio::test]
async fn without_a_microsite_service_microsite_codes_are_unavailable() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let answer = qr
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&qr.token("alice")),
            Some(json!({"kind": "microsite", "name": "x", "microsite_id": "ms-1"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
}
