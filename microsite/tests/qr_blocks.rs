//! QR blocks name one of the owner's QR codes, checked with the qr service (never its tables), on
//! SQLite and PostgreSQL: someone else's or a made-up code is a 422 at the block's path, the short
//! code comes from qr and not from the request, and when qr cannot be asked a new QR block is
//! refused (503) rather than saved unverified.

mod common;

use std::net::SocketAddr;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use common::Site;
use microsite::qr_directory::{QrCheckError, QrDirectory, QrServiceDirectory};
use serde_json::json;
use shared::client::ServiceClient;
use shared::config::Service;
use shared::testing::{TestDb, backend_tests};

fn page_with(qr_id: &str) -> serde_json::Value {
    json!({
        "slug": "qr-page",
        "title": "QR page",
        "blocks": [
            {"type": "heading", "text": "Scan"},
            {"type": "qr", "qr_id": qr_id, "caption": "Scan me"}
        ]
    })
}

backend_tests!(qr_blocks_must_name_the_owners_own_codes);
async fn qr_blocks_must_name_the_owners_own_codes(db: TestDb) {
    let site = Site::start(&db).await;
    let alice = site.token("alice");

    // Bob's code and a code nobody has: 422 naming the block, nothing saved.
    for qr_id in ["b0b0", "does-not-exist"] {
        let refused = site
            .call(
                Method::POST,
                "/api/v1/microsites",
                Some(&alice),
                Some(page_with(qr_id)),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{qr_id}");
        assert_eq!(refused.json()["error"]["field"], "blocks[1].qr_id");
    }
    let list = site
        .call(Method::GET, "/api/v1/microsites", Some(&alice), None)
        .await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 0);

    // Her own code: accepted, and the short code is qr's, whatever the request claimed.
    let mut body = page_with("0190abcd");
    body["blocks"][1]["code"] = json!("forged99");
    let created = site
        .call(Method::POST, "/api/v1/microsites", Some(&alice), Some(body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let page = created.json();
    assert_eq!(page["blocks"][1]["code"], "aB3dE7x");
    let id = page["id"].as_str().unwrap().to_owned();

    // Editing blocks: swapping in bob's code is refused at its new position.
    let mut blocks = page["blocks"].as_array().unwrap().clone();
    blocks.insert(0, json!({"type": "qr", "qr_id": "b0b0"}));
    let swapped = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            Some(json!({ "blocks": blocks })),
        )
        .await;
    assert_eq!(swapped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(swapped.json()["error"]["field"], "blocks[0].qr_id");
    let read = site
        .call(
            Method::GET,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        read.json()["blocks"].as_array().unwrap().len(),
        2,
        "nothing saved"
    );
    println!("qr block ownership ok on {}", db.backend.name());
}

backend_tests!(qr_down_refuses_new_qr_blocks_but_not_other_edits);
async fn qr_down_refuses_new_qr_blocks_but_not_other_edits(db: TestDb) {
    let site = Site::start(&db).await;
    let alice = site.token("alice");
    let page = site.create("alice", page_with("0190abcd")).await;
    let id = page["id"].as_str().unwrap().to_owned();
    let asked = site.qr.asked();

    site.qr.set_down(true);
    // A new QR block cannot be checked: 503, nothing saved.
    let mut blocks = page["blocks"].as_array().unwrap().clone();
    blocks.push(json!({"type": "qr", "qr_id": "abc"}));
    let refused = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            Some(json!({ "blocks": blocks })),
        )
        .await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.json()["error"]["code"], "unavailable");
    let created = site
        .call(
            Method::POST,
            "/api/v1/microsites",
            Some(&alice),
            Some(json!({"slug": "other-page", "title": "x",
                        "blocks": [{"type": "qr", "qr_id": "0190abcd"}]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::SERVICE_UNAVAILABLE);

    // The QR block already on the page was checked when added: editing the rest still works,
    // without asking qr again.
    let asked_while_down = site.qr.asked();
    let mut blocks = page["blocks"].as_array().unwrap().clone();
    blocks[0] = json!({"type": "heading", "id": blocks[0]["id"], "text": "Scan this"});
    let edited = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            Some(json!({ "blocks": blocks })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["blocks"][1]["code"], "aB3dE7x");
    assert_eq!(site.qr.asked(), asked_while_down);
    assert!(asked_while_down > asked);
    println!("qr down handled on {}", db.backend.name());
}

/// A stand-in qr service with qr's route and answers: `mine` is the caller's, anything else 404.
fn fake_qr() -> Router {
    Router::new().route(
        "/api/v1/qr/{id}",
        get(
            |axum::extract::Path(id): axum::extract::Path<String>,
             headers: axum::http::HeaderMap| async move {
                let bearer = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                match (id.as_str(), bearer.as_str()) {
                    (_, "Bearer weak-key") => shared::ApiError::new(
                        StatusCode::FORBIDDEN,
                        "insufficient_scope",
                        "This credential lacks the 'qr:read' scope.",
                    )
                    .into_response(),
                    ("mine", "Bearer alice-token") => {
                        axum::Json(json!({"id": "mine", "code": "Mine1234", "name": "x"}))
                            .into_response()
                    }
                    _ => shared::ApiError::not_found().into_response(),
                }
            },
        ),
    )
}

#[tokio::test]
async fn the_real_directory_asks_qr_as_the_caller() {
    // In-process, as in all-in-one mode.
    let directory = QrServiceDirectory::new(ServiceClient::in_process(Service::Qr, fake_qr()));
    assert_eq!(
        directory.code_of("alice", "alice-token", "mine").await,
        Ok(Some("Mine1234".to_owned()))
    );
    assert_eq!(
        directory.code_of("bob", "bob-token", "mine").await,
        Ok(None),
        "someone else's code is a 404 from qr"
    );
    assert!(matches!(
        directory.code_of("alice", "weak-key", "mine").await,
        Err(QrCheckError::Forbidden(_))
    ));

    // Over HTTP, as in split mode: a real server, then none at all.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, fake_qr()).await });
    let over_http = QrServiceDirectory::new(ServiceClient::http(
        Service::Qr,
        format!("http://{addr}").parse().unwrap(),
    ));
    assert_eq!(
        over_http.code_of("alice", "alice-token", "mine").await,
        Ok(Some("Mine1234".to_owned()))
    );
    server.abort();

    // Nobody listening: unavailable, never "not yours" (which would read as a user mistake).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = QrServiceDirectory::new(ServiceClient::http(
        Service::Qr,
        format!("http://127.0.0.1:{port}").parse().unwrap(),
    ));
    assert!(matches!(
        unreachable.code_of("alice", "alice-token", "mine").await,
        Err(QrCheckError::Unavailable(_))
    ));
}
