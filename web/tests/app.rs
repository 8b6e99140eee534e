//! The foundation as a newcomer meets it: the app starts on each database, answers its health
//! checks, serves the landing page and assets, and gives every error one shape.

mod common;

use auth::client::AuthClient;
use common::TestApp;
use reqwest::StatusCode;
use shared::client::ServiceClient;
use shared::config::Service;
use shared::testing::{self, TestDb, backend_tests};

backend_tests!(starts_on_every_database_and_answers_health_checks);
async fn starts_on_every_database_and_answers_health_checks(db: TestDb) {
    let app = TestApp::spawn(&db, &[]).await;
    let home = app.get("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("href=\"/signup\"") && html.contains("href=\"/login\""));

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);

    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    for service in ["auth", "qr", "microsite", "analytics", "web"] {
        assert_eq!(ready["checks"][format!("{service}_database")], "ok");
    }
    println!("app served on {}", db.backend.name());
    app.stop().await;
}

#[tokio::test]
async fn errors_are_json_under_api_and_pages_elsewhere() {
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &[]).await;

    let api = app.get("/api/v1/no-such-thing").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(api.headers().contains_key("x-request-id"));
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let page = app.get("/no-such-page").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let request_id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(
        html.contains(&request_id),
        "the page shows the reference to quote"
    );
    app.stop().await;
}

#[tokio::test]
async fn assets_are_embedded_and_cached_by_content_hash() {
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &[]).await;
    let html = app.get("/").await.text().await.unwrap();
    let css = html
        .split('"')
        .find(|s| s.starts_with("/static/app.css?v="))
        .expect("the layout links the hashed stylesheet")
        .to_owned();
    let response = app.get(&css).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/css");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = response.headers()["etag"].clone();

    let revalidated = app
        .http
        .get(app.url(&css))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);

    // Browsers ask for /favicon.ico on pages that name no icon (published microsites).
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().starts_with("<svg"));

    let htmx = app.get("/static/htmx.min.js").await;
    assert_eq!(htmx.status(), StatusCode::OK);
    assert!(htmx.text().await.unwrap().contains("htmx"));
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &[]).await;
    app.get("/healthz").await;
    app.get("/static/app.css").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/static/{*path}""#),
        "patterns, not raw paths"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));

    // Readings taken at scrape time: pool usage per service, the in-process queue, and where
    // redirects found their code (an unknown code: the database once, then memory).
    app.get("/r/zzzzzzz").await;
    app.get("/r/zzzzzzz").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for series in [
        r#"db_pool_connections{service="qr",state="idle"}"#,
        r#"db_pool_connections{service="analytics",state="in_use"}"#,
        "bus_backlog_events",
        r#"qr_target_lookups_total{level="database"}"#,
        r#"qr_target_lookups_total{level="memory"}"#,
    ] {
        assert!(metrics.contains(series), "missing {series} in {metrics}");
    }
    app.stop().await;
}

/// The same call through both transports gives the same answer.
#[tokio::test]
async fn service_clients_agree_in_process_and_over_http() {
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &[]).await;
    let over_http = AuthClient::new(ServiceClient::http(
        Service::Auth,
        app.base.parse().unwrap(),
    ));
    let router = auth::build(context(&db).await).await.unwrap();
    let in_process = AuthClient::new(ServiceClient::in_process(Service::Auth, router));

    for client in [&over_http, &in_process] {
        let err = client.me(None).await.unwrap_err();
        let api = err
            .api_error()
            .expect("an API error, not a transport failure");
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(api.code(), "unauthenticated");
    }

    // A service that is down is "unavailable", not a hang or a panic.
    let down = AuthClient::new(ServiceClient::http(
        Service::Auth,
        "http://127.0.0.1:1".parse().unwrap(),
    ));
    let err = down.me(None).await.unwrap_err();
    assert!(
        matches!(err, shared::client::ClientError::Unavailable { .. }),
        "{err}"
    );
    app.stop().await;
}

async fn context(db: &testing::TestDb) -> shared::context::ServiceContext {
    let settings = common::settings(db, &[]);
    // Auth signs with the key in the data folder; verification must use its public half.
    let pair = shared::identity::KeyPair::load_or_generate(&settings).unwrap();
    shared::context::ServiceContext {
        db: db.db.clone(),
        bus: shared::bus::EventBus::memory(16),
        redis: None,
        settings: std::sync::Arc::new(settings),
        public_base_url: "http://localhost".into(),
        shutdown: shared::shutdown::Shutdown::new(),
        identity: shared::identity::Identity::new(pair.public_bytes()),
    }
}

#[tokio::test]
async fn with_redis_the_bus_and_readiness_use_it() {
    let Some(redis) = testing::redis_url("with_redis_the_bus_and_readiness_use_it") else {
        return;
    };
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &["--redis-url", &redis]).await;
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["checks"]["redis"], "ok", "{ready}");
    app.stop().await;
}

/// A beta must not run on throw-away storage by accident: with `PERSISTENT_DATA=required`, SQLite
/// on a disk that is not a mounted volume (this test's temp folder) refuses to start, in one line.
#[tokio::test]
async fn required_persistence_refuses_throw_away_storage() {
    let dir = std::env::temp_dir().join(format!(
        "scanpage-persist-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let dir_arg = dir.display().to_string();
    let db = testing::sqlite().await;
    let settings = common::settings(
        &db,
        &[
            "--persistent-data",
            "required",
            "--data-dir",
            &dir_arg,
            "--database-url",
            "",
        ],
    );
    let err = web::app::Server::start(settings, web::app::Mode::AllInOne)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.starts_with("PERSISTENT_DATA=required: THE DATABASE IS NOT PERSISTENT"),
        "{err}"
    );
    assert!(err.contains("scanpage.db") && !err.contains('\n'), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn bad_configuration_fails_with_one_line_naming_the_variable() {
    let db = testing::sqlite().await;
    let settings = common::settings(&db, &["--database-url", "mysql://root:pw@localhost/x"]);
    let err = web::app::Server::start(settings, web::app::Mode::AllInOne)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.starts_with("DATABASE_URL: "), "{err}");
    assert!(!err.contains("pw@") && !err.contains('\n'), "{err}");

    // A port already in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let settings = common::settings(&db, &["--port", &port]);
    let err = web::app::Server::start(settings, web::app::Mode::AllInOne)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.starts_with("PORT: cannot listen on"), "{err}");

    // Split-mode web without the address of auth.
    let settings = common::settings(&db, &[]);
    let err = web::app::Server::start(settings, web::app::Mode::Single(Service::Web))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.starts_with("AUTH_URL: required"), "{err}");
}

#[tokio::test]
async fn each_service_runs_alone() {
    let db = testing::sqlite().await;
    for service in [
        Service::Auth,
        Service::Qr,
        Service::Microsite,
        Service::Analytics,
    ] {
        let settings = common::settings(&db, &[]);
        let app = TestApp::spawn_with(settings, web::app::Mode::Single(service)).await;
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
        let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
        assert_eq!(
            ready["checks"][format!("{service}_database")],
            "ok",
            "{ready}"
        );
        app.stop().await;
    }
}

backend_tests!(media_uploads_are_served_all_in_one_and_by_the_qr_service_alone);
/// The media module is mounted with the qr service: in all-in-one an upload works end to end
/// (its table is migrated with qr's) and a code can use it as a logo; the qr service alone
/// serves the same routes.
async fn media_uploads_are_served_all_in_one_and_by_the_qr_service_alone(db: TestDb) {
    let app = TestApp::spawn(&db, &[]).await;
    let token = app.sign_up_api("logo@example.com").await.access_token;

    // A 2×2 PNG, sent as a browser form would.
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9as\x00\x00\x00\x10IDATx\x9cc\xf8\xcf\xc0\x00D\x0c\x10\n\x00\x1f\xee\x03\xfd\x8b_\x14\xd4\x00\x00\x00\x00IEND\xaeB`\x82";
    let mut body = b"--B0UND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    body.extend_from_slice(png);
    body.extend_from_slice(b"\r\n--B0UND--\r\n");
    let uploaded = app
        .http
        .post(app.url("/api/v1/media"))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=B0UND")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let uploaded: serde_json::Value = uploaded.json().await.unwrap();
    let id = uploaded["id"].as_str().unwrap().to_owned();
    let url = uploaded["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://localhost:") && url.ends_with(&format!("/media/{id}.png")),
        "{url}"
    );

    let served = app.get(&format!("/media/{id}.png")).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    let code = app
        .http
        .post(app.url("/api/v1/qr"))
        .bearer_auth(&token)
        .json(
            &serde_json::json!({"name": "Logo", "destination": "https://example.com/",
                                  "style": {"logo": {"id": id, "size": 0.3}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(code.status(), StatusCode::CREATED);
    println!("media all-in-one on {}", db.backend.name());
    app.stop().await;

    let db = testing::sqlite().await;
    let app = TestApp::spawn_with(
        common::settings(&db, &[]),
        web::app::Mode::Single(Service::Qr),
    )
    .await;
    let anonymous = app
        .http
        .post(app.url("/api/v1/media"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let unknown = app.get(&format!("/media/{}.png", "0".repeat(64))).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

backend_tests!(a_split_service_verifies_auth_tokens_with_the_key_from_auth_jwks);
/// Split mode without a configured public key: a service given `AUTH_URL` reads auth's key from
/// its JWKS at start, so auth's tokens verify there (a key of its own would refuse them all).
async fn a_split_service_verifies_auth_tokens_with_the_key_from_auth_jwks(db: TestDb) {
    let auth = TestApp::spawn_with(
        common::settings(&db, &[]),
        web::app::Mode::Single(Service::Auth),
    )
    .await;
    let qr = TestApp::spawn_with(
        common::settings(&db, &["--auth-url", &auth.base]),
        web::app::Mode::Single(Service::Qr),
    )
    .await;
    let token = auth.sign_up_api("split@example.com").await.access_token;
    let token = token.as_str();
    let created = qr
        .http
        .post(qr.url("/api/v1/qr"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "Split", "destination": "https://example.com/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let forged = qr
        .http
        .get(qr.url("/api/v1/qr"))
        .bearer_auth(format!("{token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    println!("split jwks on {}", db.backend.name());
    qr.stop().await;
    auth.stop().await;
}
