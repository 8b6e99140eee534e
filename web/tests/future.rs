//! The future services as the running application serves them: the public feature list, the
//! founder's dead-letter console, the gateway table against the real routers, the ml drafter and
//! email delivery from a real sign-up — each with its flag on and off.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use serde_json::{Value, json};
use shared::config::Service;
use shared::future::dlq::{DeadLetter, DeadLetterStore, SqlDeadLetters};
use shared::future::routing::ROUTES;
use shared::testing::{self, SmtpSink};
use tower::ServiceExt;

const ALL: &str = "email,domains,integrations,media,ml,insights,pixels,creator,asset,\
                   print-studio,workflow-builder,experiments,dlq-processor,routing,tenant-gateway";

async fn signup(app: &TestApp, email: &str) -> String {
    let body: Value = app
        .http
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "a long and sturdy passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.http.request(method.parse().unwrap(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_feature_list_is_public_and_shows_each_flag() {
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &["--features", "ml,print-studio"]).await;
    let (status, list) = call(&app, "GET", "/api/v1/features", None).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 15);
    for item in list {
        let name = item["name"].as_str().unwrap();
        assert_eq!(
            item["enabled"],
            name == "ml" || name == "print-studio",
            "{name}"
        );
        assert!(!item["description"].as_str().unwrap().is_empty());
    }
    app.stop().await;

    // Every name at once is accepted (email needs somewhere to deliver).
    let sink = SmtpSink::start(0).await;
    let app = TestApp::spawn(&db, &["--features", ALL, "--smtp-url", &sink.url()]).await;
    let (_, list) = call(&app, "GET", "/api/v1/features", None).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|f| f["enabled"] == true),
        "{list}"
    );
    app.stop().await;
}

#[tokio::test]
async fn dead_letters_are_for_founders_with_the_flag_on() {
    for db in testing::databases("dead_letter_api").await {
        let label = db.backend.name();
        let app = TestApp::spawn(
            &db,
            &[
                "--features",
                "dlq-processor",
                "--founder-emails",
                "boss@example.com",
            ],
        )
        .await;
        let boss = signup(&app, "boss@example.com").await;
        let user = signup(&app, "user@example.com").await;
        let store = SqlDeadLetters::new(db.db.pool().clone());
        let poison = shared::bus::Event::new("test.poison", json!({"bad": true}));
        for (group, at) in [("qr", 1), ("microsite", 2)] {
            store
                .put(&DeadLetter {
                    event: poison.clone(),
                    group: group.into(),
                    error: "no such user".into(),
                    attempts: 5,
                    failed_at: at,
                })
                .await
                .unwrap();
        }

        let path = "/api/v1/admin/dead-letters";
        assert_eq!(
            call(&app, "GET", path, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        let (status, body) = call(&app, "GET", path, Some(&user)).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::NOT_FOUND, &json!("not_found")),
            "{label}"
        );
        let (status, letters) = call(&app, "GET", path, Some(&boss)).await;
        assert_eq!(status, StatusCode::OK, "{label}: {letters}");
        assert_eq!(letters.as_array().unwrap().len(), 2, "{label}");
        assert_eq!(letters[0]["group"], "microsite", "{label}: newest first");
        assert_eq!(letters[0]["error"], "no such user");
        assert_eq!(letters[0]["event"]["id"], json!(poison.id));
        let (first, second) = (
            letters[0]["id"].as_str().unwrap().to_owned(),
            letters[1]["id"].as_str().unwrap().to_owned(),
        );

        // Another founder's tools only: a user cannot replay or drop.
        let replay = format!("{path}/{first}/replay");
        assert_eq!(
            call(&app, "POST", &replay, Some(&user)).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, replayed) = call(&app, "POST", &replay, Some(&boss)).await;
        assert_eq!(status, StatusCode::OK, "{label}: {replayed}");
        assert_eq!(replayed["group"], "microsite");
        assert_eq!(
            call(&app, "POST", &replay, Some(&boss)).await.0,
            StatusCode::NOT_FOUND
        );
        let drop = format!("{path}/{second}");
        assert_eq!(
            call(&app, "DELETE", &drop, Some(&user)).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            call(&app, "DELETE", &drop, Some(&boss)).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            call(&app, "DELETE", &drop, Some(&boss)).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, letters) = call(&app, "GET", path, Some(&boss)).await;
        assert_eq!(letters, json!([]), "{label}");
        app.stop().await;
    }

    // Flag off: even a founder is told the feature is not enabled.
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &["--founder-emails", "boss@example.com"]).await;
    let boss = signup(&app, "boss@example.com").await;
    for (method, path) in [
        ("GET", "/api/v1/admin/dead-letters"),
        ("POST", "/api/v1/admin/dead-letters/x/replay"),
        ("DELETE", "/api/v1/admin/dead-letters/x"),
        ("GET", "/api/v1/admin/routes"),
    ] {
        let (status, body) = call(&app, method, path, Some(&boss)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["code"], "feature_not_enabled", "{path}");
    }
    app.stop().await;
}

/// Each core service's own router answers exactly the prefixes the table gives it (a fallback
/// marks "not mine"), and the all-in-one router answers the rest from web.
#[tokio::test]
async fn each_service_router_claims_exactly_its_prefixes() {
    let db = testing::sqlite().await;
    let settings = common::settings(&db, &[]);
    let databases = web::app::open_databases(&settings, &Service::ALL)
        .await
        .unwrap();
    let pair = shared::identity::KeyPair::load_or_generate(&settings).unwrap();
    let settings = std::sync::Arc::new(settings);
    let ctx = |service: Service| shared::context::ServiceContext {
        db: databases[&service].clone(),
        bus: shared::bus::EventBus::memory(16),
        redis: None,
        settings: settings.clone(),
        public_base_url: "http://localhost".into(),
        shutdown: shared::shutdown::Shutdown::new(),
        identity: shared::identity::Identity::new(pair.public_bytes()),
    };
    let not_mine = || async { StatusCode::IM_A_TEAPOT };
    let routers = [
        (
            Service::Auth,
            auth::build(ctx(Service::Auth)).await.unwrap(),
        ),
        (Service::Qr, qr::build(ctx(Service::Qr)).await.unwrap()),
        (
            Service::Microsite,
            microsite::build(ctx(Service::Microsite)).await.unwrap(),
        ),
        (
            Service::Analytics,
            analytics::build(ctx(Service::Analytics)).await.unwrap(),
        ),
    ];
    let mut probes: Vec<(&str, Service)> = ROUTES
        .iter()
        .filter_map(|r| r.probe.map(|p| (p, r.service)))
        .collect();
    probes.push(("/api/v1/features", Service::Web));
    assert!(probes.len() >= 7);
    for (path, owner) in &probes {
        for (service, router) in &routers {
            let response = router
                .clone()
                .fallback(not_mine)
                .oneshot(Request::get(*path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let claims = response.status() != StatusCode::IM_A_TEAPOT;
            assert_eq!(
                claims,
                service == owner,
                "{service} and {path} (owner {owner})"
            );
        }
    }

    let app = TestApp::spawn(&db, &[]).await;
    for (path, owner) in probes.iter().filter(|(_, s)| *s == Service::Web) {
        assert_eq!(app.get(path).await.status(), 200, "{path} from {owner}");
    }
    app.stop().await;
}

#[tokio::test]
async fn ml_drafts_a_page_that_the_microsite_service_accepts() {
    let db = testing::sqlite().await;
    let off = TestApp::spawn(&db, &[]).await;
    let token = signup(&off, "ada@example.com").await;
    let ask = |app: &TestApp, token: &str| {
        app.http
            .post(app.url("/api/v1/ml/draft"))
            .bearer_auth(token.to_owned())
            .json(&json!({"prompt": "A taco restaurant called Casa Lupe, with our menu"}))
            .send()
    };
    let response = ask(&off, &token).await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "feature_not_enabled");
    off.stop().await;

    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &["--features", "ml"]).await;
    let token = signup(&app, "ada@example.com").await;
    let unauthenticated = app
        .http
        .post(app.url("/api/v1/ml/draft"))
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let draft: Value = ask(&app, &token).await.unwrap().json().await.unwrap();
    assert_eq!(draft["template"], "restaurant_menu", "{draft}");
    assert_eq!(draft["title"], "Casa Lupe");
    let saved = app
        .http
        .post(app.url("/api/v1/microsites"))
        .bearer_auth(&token)
        .json(&json!({
            "slug": "casa-lupe",
            "title": draft["title"],
            "description": draft["description"],
            "theme": draft["theme"],
            "blocks": draft["blocks"],
        }))
        .send()
        .await
        .unwrap();
    let status = saved.status();
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["title"], "Casa Lupe");
    app.stop().await;
}

/// SMTP bodies may fold long lines (quoted-printable soft breaks): undo that to read the link.
fn unfold(data: &str) -> String {
    data.replace("=\n", "").replace("=3D", "=")
}

#[tokio::test]
async fn a_sign_up_verification_link_arrives_by_smtp_with_email_on() {
    for db in testing::databases("signup_email_smtp").await {
        let label = db.backend.name();
        let mut sink = SmtpSink::start(0).await;
        let app = TestApp::spawn(&db, &["--features", "email", "--smtp-url", &sink.url()]).await;
        signup(&app, "vic@example.com").await;
        let mail = sink
            .next(Duration::from_secs(15))
            .await
            .expect("the verification email");
        assert_eq!(mail.recipients, ["vic@example.com"], "{label}");
        let data = unfold(&mail.data);
        let link = data
            .split_whitespace()
            .find(|w| w.contains("/verify/"))
            .unwrap_or_else(|| panic!("{label}: no link in {data}"));
        let token = link.rsplit('/').next().unwrap();
        let verified = app
            .http
            .post(app.url("/api/v1/auth/verify-email"))
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(verified.status(), 204, "{label}: the delivered link works");
        app.stop().await;
    }

    // Email off: the message waits in the outbox and nothing is delivered.
    let db = testing::sqlite().await;
    let mut sink = SmtpSink::start(0).await;
    let app = TestApp::spawn(&db, &["--smtp-url", &sink.url()]).await;
    signup(&app, "ola@example.com").await;
    assert!(sink.next(Duration::from_secs(3)).await.is_none());
    let outbox = shared::future::email::Outbox::new(db.db.pool().clone());
    assert_eq!(outbox.bodies_for("ola@example.com").await.unwrap().len(), 1);
    app.stop().await;

    // Email on without SMTP_URL: start-up names the variable.
    let err = web::app::Server::start(
        common::settings(&db, &["--features", "email"]),
        web::app::Mode::AllInOne,
    )
    .await
    .err()
    .expect("refused")
    .to_string();
    assert!(err.starts_with("SMTP_URL"), "{err}");
}
