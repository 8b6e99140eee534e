//! The future services as the running application serves them: the public feature list, the
//! founder's dead-letter console, the gateway table against the real routers, the ml drafter and
//! email delivery from a real sign-up — each with its flag on and off.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use serde_json::{Value, json};
use shared::bus::DeadLetter;
use shared::config::Service;
use shared::routing::ROUTES;
use shared::testing::{self, SmtpSink, TestDb, backend_tests};
use tower::ServiceExt;
use web::dead_letters::{DeadLetterStore, SqlDeadLetters};

const ALL: &str = "email,domains,integrations,media,ml,insights,pixels,creator,asset,\
                   print-studio,workflow-builder,experiments,dlq-processor,routing,tenant-gateway";

/// Signs up and confirms through the emailed link; logs in for the access token.
async fn signup(app: &TestApp, email: &str) -> String {
    let answer = app
        .http
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "a long and sturdy passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    app.confirm_api(email).await;
    token_from(app, "/api/v1/auth/login", email).await
}

/// A founder's token: the FOUNDER_EMAILS address signs up and confirms through its emailed link
/// (the role waits for a verified address), then signs in.
async fn founder(app: &TestApp, _db: &testing::TestDb, email: &str) -> String {
    signup(app, email).await
}

/// An access token from a login.
async fn token_from(app: &TestApp, path: &str, email: &str) -> String {
    let body: Value = app
        .http
        .post(app.url(path))
        .json(&json!({"email": email, "password": "a long and sturdy passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("an access token from {path}: {body}"))
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

backend_tests!(dead_letters_are_for_founders_with_the_flag_on);
async fn dead_letters_are_for_founders_with_the_flag_on(db: TestDb) {
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
    let boss = founder(&app, &db, "boss@example.com").await;
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

    // Flag off: even a founder is told the feature is not enabled.
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &["--founder-emails", "boss@example.com"]).await;
    let boss = founder(&app, &db, "boss@example.com").await;
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

backend_tests!(a_sign_up_confirmation_arrives_by_smtp_whenever_smtp_url_is_set);
async fn a_sign_up_confirmation_arrives_by_smtp_whenever_smtp_url_is_set(db: TestDb) {
    let label = db.backend.name();
    let mut sink = SmtpSink::start(0).await;
    // SMTP_URL alone turns delivery on (FEATURES=email is no longer needed).
    let app = TestApp::spawn(&db, &["--smtp-url", &sink.url()]).await;
    let answer = app
        .http
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "vic@example.com", "password": "a long and sturdy passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202, "{label}");
    let mail = sink
        .next(Duration::from_secs(15))
        .await
        .expect("the confirmation email");
    assert_eq!(mail.recipients, ["vic@example.com"], "{label}");
    let data = unfold(&mail.data);
    assert!(data.contains("text/html"), "{label}: an HTML part too");
    let link = data
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.contains("/verify/"))
        .unwrap_or_else(|| panic!("{label}: no link in {data}"));
    let token = link.rsplit('/').next().unwrap();
    let verified = app
        .http
        .post(app.url("/api/v1/auth/verify"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200, "{label}: the delivered link works");
    let tokens: Value = verified.json().await.unwrap();
    assert!(tokens["access_token"].is_string(), "{label}: {tokens}");
    app.stop().await;

    // Email off (no SMTP_URL): the message waits in the outbox and nothing is delivered.
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &[]).await;
    signup(&app, "ola@example.com").await;
    let outbox = email::Outbox::new(db.db.pool().clone());
    let listed = outbox.recent(10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state().as_str(), "queued");
    app.stop().await;

    // FEATURES=email without SMTP_URL: start-up names the variable.
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

// --- experiments, domains, print-studio, insights and the UI's spots ---------------------------

async fn send_json(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn not_enabled(label: &str, (status, body): &(StatusCode, Value), feature: &str) {
    assert_eq!(*status, StatusCode::NOT_FOUND, "{label}: {body}");
    assert_eq!(
        body["error"]["code"], "feature_not_enabled",
        "{label}: {body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains(feature),
        "{label}: {body}"
    );
}

/// A scan from a phone whose user agent is `ua`: where it was sent.
async fn scan_as(app: &TestApp, code: &str, ua: &str, host: Option<&str>) -> (u16, String) {
    let mut request = app
        .http
        .get(app.url(&format!("/r/{code}")))
        .header("user-agent", ua);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

fn phone(i: usize) -> String {
    format!(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1 v{i}"
    )
}

backend_tests!(ab_tests_split_scans_sticky_per_visitor_and_count_by_variant);
async fn ab_tests_split_scans_sticky_per_visitor_and_count_by_variant(db: TestDb) {
    let label = db.backend.name();
    let variants = json!([
        {"url": "https://a.example/", "weight": 1},
        {"url": "https://b.example/", "weight": 3},
    ]);
    let new_code = |rules: Value| json!({"name": "Split", "destination": "https://main.example/", "rules": rules});

    // Flag off: a code with variants is refused, naming the feature; without them it works.
    let off = TestApp::spawn(&db, &[]).await;
    let token = signup(&off, "ab@example.com").await;
    let refused = send_json(
        &off,
        "POST",
        "/api/v1/qr",
        &token,
        new_code(json!({"variants": variants})),
    )
    .await;
    not_enabled(label, &refused, "experiments");
    off.stop().await;

    let app = TestApp::spawn(&db, &["--features", "experiments"]).await;
    let token = login(&app, "ab@example.com").await;
    let bad = send_json(
        &app,
        "POST",
        "/api/v1/qr",
        &token,
        new_code(
            json!({"variants": [{"url": "javascript:alert(1)", "weight": 1},
                                     {"url": "https://b.example/", "weight": 1}]}),
        ),
    )
    .await;
    assert_eq!(
        bad.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{label}: {}",
        bad.1
    );
    assert_eq!(bad.1["error"]["field"], "rules.variants[0].url", "{label}");
    let (status, created) = send_json(
        &app,
        "POST",
        "/api/v1/qr",
        &token,
        new_code(json!({"variants": variants})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {created}");
    let (id, code) = (
        created["id"].as_str().unwrap().to_owned(),
        created["code"].as_str().unwrap().to_owned(),
    );
    assert_eq!(created["rules"]["variants"], variants, "{label}");

    let visitors = 80;
    let mut to_b = 0;
    for i in 0..visitors {
        let (status, first) = scan_as(&app, &code, &phone(i), None).await;
        assert_eq!(status, 302, "{label}");
        assert!(
            first == "https://a.example/" || first == "https://b.example/",
            "{label}: {first}"
        );
        // The same visitor, the same day: the same variant.
        assert_eq!(
            scan_as(&app, &code, &phone(i), None).await.1,
            first,
            "{label}"
        );
        to_b += usize::from(first == "https://b.example/");
    }
    // Weights 1:3 → 60 of 80 expected; far from both ends.
    assert!(
        (45..=72).contains(&to_b),
        "{label}: {to_b} of {visitors} to b"
    );

    // Analytics' by-rule breakdown counts scans per variant.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let stats = loop {
        let (_, stats) = call(
            &app,
            "GET",
            &format!("/api/v1/analytics/qr/{id}"),
            Some(&token),
        )
        .await;
        if stats["human_scans"] == json!(2 * visitors) || std::time::Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let by_rule = stats["by_rule"].as_array().unwrap();
    let count = |rule: &str| {
        by_rule
            .iter()
            .find(|c| c["key"] == rule)
            .map(|c| c["count"].as_i64().unwrap_or_default())
            .unwrap_or_default()
    };
    assert_eq!(count("variant:2"), 2 * to_b as i64, "{label}: {stats}");
    assert_eq!(
        count("variant:1"),
        2 * (visitors - to_b) as i64,
        "{label}: {stats}"
    );
    app.stop().await;

    // Flag off again: the code goes to its main destination; an edit may send its variants
    // back unchanged or drop them, but not change them.
    let off = TestApp::spawn(&db, &[]).await;
    let token = login(&off, "ab@example.com").await;
    assert_eq!(
        scan_as(&off, &code, &phone(1), None).await,
        (302, "https://main.example/".to_owned()),
        "{label}"
    );
    let path = format!("/api/v1/qr/{id}");
    let kept = send_json(
        &off,
        "PATCH",
        &path,
        &token,
        json!({"name": "Renamed", "rules": {"variants": variants}}),
    )
    .await;
    assert_eq!(kept.0, StatusCode::OK, "{label}: {}", kept.1);
    let changed = send_json(
        &off,
        "PATCH",
        &path,
        &token,
        json!({"rules": {"variants": [{"url": "https://c.example/", "weight": 1},
                                      {"url": "https://b.example/", "weight": 3}]}}),
    )
    .await;
    not_enabled(label, &changed, "experiments");
    let dropped = send_json(&off, "PATCH", &path, &token, json!({"rules": {}})).await;
    assert_eq!(dropped.0, StatusCode::OK, "{label}: {}", dropped.1);
    assert!(dropped.1["rules"].get("variants").is_none(), "{label}");
    off.stop().await;
}

async fn login(app: &TestApp, email: &str) -> String {
    token_from(app, "/api/v1/auth/login", email).await
}

backend_tests!(custom_domains_route_after_a_founders_approval);
async fn custom_domains_route_after_a_founders_approval(db: TestDb) {
    let label = db.backend.name();
    let off = TestApp::spawn(&db, &["--founder-emails", "boss@example.com"]).await;
    let user = signup(&off, "dora@example.com").await;
    let boss = founder(&off, &db, "boss@example.com").await;
    let register = json!({"host": "links.dora.example"});
    not_enabled(
        label,
        &send_json(&off, "POST", "/api/v1/domains", &user, register.clone()).await,
        "domains",
    );
    not_enabled(
        label,
        &call(&off, "GET", "/api/v1/domains", Some(&user)).await,
        "domains",
    );
    not_enabled(
        label,
        &call(&off, "GET", "/api/v1/admin/domains", Some(&boss)).await,
        "domains",
    );
    off.stop().await;

    let app = TestApp::spawn(
        &db,
        &[
            "--features",
            "domains",
            "--founder-emails",
            "boss@example.com",
        ],
    )
    .await;
    let user = login(&app, "dora@example.com").await;
    let boss = login(&app, "boss@example.com").await;
    let other = signup(&app, "eve@example.com").await;
    assert_eq!(
        call(&app, "POST", "/api/v1/domains", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    for bad in [
        "https://x.example/",
        "127.0.0.1",
        "localhost",
        "a b.example",
    ] {
        let (status, body) =
            send_json(&app, "POST", "/api/v1/domains", &user, json!({"host": bad})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {bad} {body}"
        );
        assert_eq!(body["error"]["field"], "host");
    }
    let (status, domain) = send_json(
        &app,
        "POST",
        "/api/v1/domains",
        &user,
        json!({"host": "Links.Dora.Example."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {domain}");
    assert_eq!(domain["host"], "links.dora.example");
    assert_eq!(domain["status"], "pending");
    let id = domain["id"].as_str().unwrap().to_owned();
    let taken = send_json(&app, "POST", "/api/v1/domains", &other, register.clone()).await;
    assert_eq!(taken.0, StatusCode::CONFLICT, "{label}: {}", taken.1);
    let (_, mine) = call(&app, "GET", "/api/v1/domains", Some(&user)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{label}");
    assert_eq!(
        call(&app, "GET", "/api/v1/domains", Some(&other)).await.1,
        json!([])
    );

    // A code of Dora's and one of Eve's.
    let code_of = |token: String, name: &'static str| {
        let app = &app;
        async move {
            let (status, body) = send_json(
                app,
                "POST",
                "/api/v1/qr",
                &token,
                json!({"name": name, "destination": "https://dora.example/menu"}),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["code"].as_str().unwrap().to_owned()
        }
    };
    let doras = code_of(user.clone(), "Menu").await;
    let eves = code_of(other.clone(), "Eve's").await;

    // Pending: the host routes nothing special (our own host's behaviour).
    let host = Some("links.dora.example");
    let login_page = |host: Option<&'static str>| {
        let app = &app;
        async move {
            let mut r = app.http.get(app.url("/login"));
            if let Some(h) = host {
                r = r.header("host", h);
            }
            r.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(login_page(host).await, 200, "{label}");

    // Only a founder approves; anyone else is told there is no such thing.
    let approve = format!("/api/v1/admin/domains/{id}/approve");
    assert_eq!(
        call(&app, "POST", &approve, Some(&user)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/admin/domains", Some(&user))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, all) = call(&app, "GET", "/api/v1/admin/domains", Some(&boss)).await;
    assert_eq!(all[0]["status"], "pending", "{label}: {all}");
    let (status, approved) = call(&app, "POST", &approve, Some(&boss)).await;
    assert_eq!(status, StatusCode::OK, "{label}: {approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/admin/domains/nope/approve",
            Some(&boss)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // The approval reaches the routing by the bus: within moments the host serves only
    // /r/ and /m/, and only Dora's.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while login_page(host).await != 404 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        login_page(host).await,
        404,
        "{label}: everything else is 404"
    );
    assert_eq!(
        scan_as(&app, &doras, &phone(1), host).await,
        (302, "https://dora.example/menu".to_owned()),
        "{label}"
    );
    assert_eq!(
        scan_as(&app, &eves, &phone(1), host).await.0,
        404,
        "{label}"
    );
    // The password form's POST follows the same rule as the scan.
    let unlock = |host: Option<&'static str>| {
        let (app, eves) = (&app, &eves);
        async move {
            let mut request = app.http.post(app.url(&format!("/r/{eves}")));
            if let Some(host) = host {
                request = request.header("host", host);
            }
            request
                .header("sec-fetch-site", "same-origin")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("password=guess")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(unlock(host).await, 404, "{label}");
    assert_ne!(
        unlock(None).await,
        404,
        "{label}: on our own host Eve's code answers"
    );
    let api = app
        .http
        .get(app.url("/api/v1/qr"))
        .bearer_auth(&user)
        .header("host", "links.dora.example")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404, "{label}");
    // Our own host still serves everything, everyone's codes included.
    assert_eq!(login_page(None).await, 200);
    assert_eq!(scan_as(&app, &eves, &phone(1), None).await.0, 302);

    // A page of Dora's on her domain; Eve's is not.
    for (token, slug) in [(&user, "dora-menu"), (&other, "eve-page")] {
        let (status, page) = send_json(
            &app,
            "POST",
            "/api/v1/microsites",
            token,
            json!({"slug": slug, "title": "Hello"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {page}");
        let publish = format!(
            "/api/v1/microsites/{}/publish",
            page["id"].as_str().unwrap()
        );
        let (status, body) = send_json(&app, "POST", &publish, token, json!({})).await;
        assert!(status.is_success(), "{label}: {body}");
    }
    let page_on = |slug: &'static str| {
        let app = &app;
        async move {
            app.http
                .get(app.url(&format!("/m/{slug}")))
                .header("host", "links.dora.example")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(page_on("dora-menu").await, 200, "{label}");
    assert_eq!(page_on("eve-page").await, 404, "{label}");

    // Another user cannot delete it; the owner can, and the host stops being special.
    let path = format!("/api/v1/domains/{id}");
    assert_eq!(
        call(&app, "DELETE", &path, Some(&other)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, "DELETE", &path, Some(&user)).await.0,
        StatusCode::NO_CONTENT
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while login_page(host).await != 200 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(login_page(host).await, 200, "{label}");
    app.stop().await;
}

backend_tests!(print_sheets_and_weekly_summaries_follow_their_flags);
async fn print_sheets_and_weekly_summaries_follow_their_flags(db: TestDb) {
    let label = db.backend.name();
    let off = TestApp::spawn(&db, &[]).await;
    let token = signup(&off, "pia@example.com").await;
    let (status, created) = send_json(
        &off,
        "POST",
        "/api/v1/qr",
        &token,
        json!({"name": "Table card", "destination": "https://pia.example/"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["code"].as_str().unwrap().to_owned();
    let print = format!("/api/v1/qr/{id}/print.svg?paper=a4");
    not_enabled(
        label,
        &call(&off, "GET", &print, Some(&token)).await,
        "print-studio",
    );
    not_enabled(
        label,
        &send_json(&off, "POST", "/api/v1/insights/weekly", &token, json!({})).await,
        "insights",
    );
    off.stop().await;

    let app = TestApp::spawn(&db, &["--features", "print-studio,insights"]).await;
    let token = login(&app, "pia@example.com").await;
    let other = signup(&app, "quinn@example.com").await;
    let sheet = app
        .http
        .get(app.url(&print))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(sheet.status(), 200, "{label}");
    assert_eq!(sheet.headers()["content-type"], "image/svg+xml");
    let svg = sheet.text().await.unwrap();
    assert!(
        svg.contains("width=\"216mm\" height=\"303mm\""),
        "{label}: A4 with bleed"
    );
    assert!(
        svg.contains(&format!("/r/{code}")),
        "{label}: the short URL as caption"
    );
    let letter = app
        .http
        .get(app.url(&format!(
            "/api/v1/qr/{id}/print.svg?paper=letter&caption=Scan%20me"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        letter.contains("width=\"221.9mm\"") && letter.contains(">Scan me<"),
        "{label}"
    );
    assert_eq!(
        call(&app, "GET", &print, Some(&other)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, "GET", &print, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let tiny = call(
        &app,
        "GET",
        &format!("/api/v1/qr/{id}/print.svg?size_mm=10"),
        Some(&token),
    )
    .await;
    assert_eq!(tiny.1["error"]["field"], "code_mm", "{label}: {}", tiny.1);
    let bad_paper = call(
        &app,
        "GET",
        &format!("/api/v1/qr/{id}/print.svg?paper=a3"),
        Some(&token),
    )
    .await;
    assert!(bad_paper.0.is_client_error(), "{label}");

    // Two scans this week, then the summary lands in the outbox for the caller's address.
    for i in 0..2 {
        assert_eq!(scan_as(&app, &code, &phone(i), None).await.0, 302);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, stats) = call(
            &app,
            "GET",
            &format!("/api/v1/analytics/qr/{id}"),
            Some(&token),
        )
        .await;
        if stats["human_scans"] == json!(2) || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, queued) =
        send_json(&app, "POST", "/api/v1/insights/weekly", &token, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{label}: {queued}");
    assert_eq!(
        queued["subject"], "Your week on Scanpage: 2 scans",
        "{label}"
    );
    let outbox = email::Outbox::new(db.db.pool().clone());
    let bodies = outbox.bodies_for("pia@example.com").await.unwrap();
    let summary = bodies
        .iter()
        .find(|b| b.contains("Your Scanpage week"))
        .expect("the summary");
    assert!(
        summary.contains("Scans: 2 (none the week before)"),
        "{label}: {summary}"
    );
    assert!(
        summary.contains("1. Table card — 2 scans"),
        "{label}: {summary}"
    );
    assert!(
        outbox
            .bodies_for("quinn@example.com")
            .await
            .unwrap()
            .iter()
            .all(|b| !b.contains("Your Scanpage week"))
    );
    app.stop().await;
}

backend_tests!(pages_show_coming_soon_while_the_flags_are_off);
async fn pages_show_coming_soon_while_the_flags_are_off(db: TestDb) {
    coming_soon_spots(db, "", false).await;
}

backend_tests!(pages_show_the_real_controls_when_the_flags_are_on);
async fn pages_show_the_real_controls_when_the_flags_are_on(db: TestDb) {
    let all_on = "print-studio,experiments,domains,pixels,integrations,tenant-gateway,insights";
    coming_soon_spots(db, all_on, true).await;
}

/// The spots where each flagged feature would appear, as a browser sees them.
async fn coming_soon_spots(db: TestDb, flags: &str, on: bool) {
    use common::browser::browser_with;
    let label = format!("{} on={on}", db.backend.name());
    let extra: &[&str] = if on { &["--features", flags] } else { &[] };
    let mut browser = browser_with(db, "http://localhost:3000", extra).await;
    browser.sign_up("spot@example.com").await;
    let csrf = browser.get("/app/qr/new").await.csrf();
    let created = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Spots"),
                ("destination", "https://example.com/"),
            ],
        )
        .await;
    let location = created.location.expect("the new code's page");
    let id = location
        .trim_start_matches("/app/qr/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let code_page = browser.get(&location).await.html;
    let csrf = browser.get("/app/microsites/new").await.csrf();
    let page = browser
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", "creator"),
                ("slug", "spots"),
                ("title", "Spots"),
            ],
        )
        .await;
    let builder = browser.get(&page.location.expect("the builder")).await.html;
    let settings = browser.get("/app/settings").await.html;

    let disabled = |html: &str, name: &str| {
        html.contains(&format!(
            "<button class=\"btn btn-secondary\" type=\"button\" disabled aria-disabled=\"true\">{name}</button>"
        ))
    };
    let spots = [
        (&code_page, "Print sheet (A4)"),
        (&code_page, "A/B test"),
        (&code_page, "Custom domain"),
        (&builder, "Pixels"),
        (&builder, "Integrations and webhooks"),
        (&settings, "Workspaces"),
        (&settings, "Weekly summary"),
        (&settings, "Custom domains"),
    ];
    for (html, name) in spots {
        assert!(html.contains(name), "{label}: {name} is missing");
        assert_eq!(disabled(html, name), !on, "{label}: {name}");
    }
    for html in [&code_page, &builder, &settings] {
        assert_eq!(html.contains("Coming soon"), !on, "{label}");
    }
    let print_link = format!("href=\"/api/v1/qr/{id}/print.svg?paper=a4\"");
    assert_eq!(code_page.contains(&print_link), on, "{label}");
}
