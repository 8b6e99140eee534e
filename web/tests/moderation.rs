//! The founder's moderation end to end, on SQLite and PostgreSQL: who may use it, a reported
//! code disabled from the console (its scans then show the disabled page and count as no human
//! scan), a disabled account (no login, its codes disabled), the domain blocklist on create and
//! edit, and the report form pre-filled from a link.

mod common;

use std::time::Duration;

use axum::http::{Request, StatusCode};
use common::browser::*;
use serde_json::Value;
use shared::testing::{TestDb, backend_tests};

const FOUNDER: &str = "boss@example.com";

async fn founder_app(db: shared::testing::TestDb) -> Browser {
    browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await
}

fn api(method: &str, path: &str, token: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
}

fn token(browser: &Browser) -> String {
    browser.cookies[shared::identity::ACCESS_COOKIE].clone()
}

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.html).unwrap_or(Value::Null)
}

/// Scans until `/r/{code}` answers `status` (bus events are consumed asynchronously).
async fn eventually_scans(browser: &mut Browser, code: &str, status: StatusCode) -> Page {
    for _ in 0..100 {
        let page = scan(browser, code).await;
        if page.status == status {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/r/{code} never answered {status}");
}

async fn user_id(founder: &mut Browser, email: &str) -> String {
    let users = json(&founder.get("/api/v1/auth/admin/users").await);
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_str())
        .unwrap()
        .to_owned()
}

backend_tests!(moderation_is_for_founders_only);
async fn moderation_is_for_founders_only(db: TestDb) {
    let backend = db.backend.name();
    let founder = founder_app(db).await;
    let mut anonymous = founder.another();
    let mut user = founder.another();

    let page = anonymous.get("/admin/blocklist").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login"));
    for path in [
        "/api/v1/qr/admin/lookup?code=abc123",
        "/api/v1/qr/admin/blocklist",
        "/api/v1/microsites/admin/lookup?slug=my-page",
    ] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            json(&page)["error"]["code"].is_string(),
            "{path}: JSON error"
        );
    }

    user.sign_up("user@example.com").await;
    for path in [
        "/admin/blocklist",
        "/admin/reports",
        "/api/v1/qr/admin/lookup?code=abc123",
        "/api/v1/qr/admin/blocklist",
        "/api/v1/microsites/admin/lookup?slug=my-page",
    ] {
        assert_eq!(user.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = user.get("/app").await.csrf();
    for (path, form) in [
        (
            "/admin/reports/act",
            vec![("target", "code:abc123"), ("action", "dismiss")],
        ),
        ("/admin/reports/enable-code", vec![("code", "abc123")]),
        (
            "/admin/users/account",
            vec![("user_id", "someone"), ("action", "disable")],
        ),
        ("/admin/blocklist", vec![("domain", "evil.example")]),
        ("/admin/blocklist/remove", vec![("domain", "evil.example")]),
    ] {
        let mut form = form;
        form.push(("csrf_token", &csrf));
        let post = user.post(path, &form).await;
        assert_eq!(post.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A founder form without its CSRF token is refused before the role is looked at.
    let forged = user
        .post("/admin/blocklist", &[("domain", "evil.example")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let token = token(&user);
    for (path, body) in [
        (
            "/api/v1/qr/admin/disable",
            r#"{"code":"abc123","reason":"x"}"#,
        ),
        ("/api/v1/qr/admin/enable", r#"{"code":"abc123"}"#),
        ("/api/v1/qr/admin/blocklist", r#"{"domain":"evil.example"}"#),
        ("/api/v1/auth/admin/users/disable", r#"{"user_id":"x"}"#),
        ("/api/v1/auth/admin/users/enable", r#"{"user_id":"x"}"#),
        (
            "/api/v1/microsites/admin/unpublish",
            r#"{"slug":"my-page"}"#,
        ),
    ] {
        let answer = user
            .send(api("POST", path, &token), Some(body.into()))
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    println!("moderation roles ok on {backend}");
}

backend_tests!(a_reported_code_is_disabled_and_its_scans_are_not_human);
async fn a_reported_code_is_disabled_and_its_scans_are_not_human(db: TestDb) {
    let backend = db.backend.name();
    let mut founder = founder_app(db).await;
    founder.sign_up_founder(FOUNDER).await;
    let mut ada = founder.another();
    ada.sign_up("ada@example.com").await;
    let (id, code) = ada.create_code("Menu").await;

    // Someone reports it, from the link on a status page or by hand.
    let mut reporter = founder.another();
    let form = reporter.get(&format!("/report?code={code}")).await;
    assert!(
        form.html.contains(&format!("value=\"{code}\"")),
        "pre-filled"
    );
    let csrf = form.csrf();
    let sent = reporter
        .post(
            "/report",
            &[
                ("csrf_token", &csrf),
                ("target", &format!("http://localhost:3000/r/{code}")),
                ("reason", "phishing"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.html);

    // The founder sees whose code it is and where it goes; a reason is required to disable it.
    let reports = founder.get("/admin/reports").await;
    assert_eq!(reports.status, StatusCode::OK, "{}", reports.html);
    assert!(reports.html.contains("ada@example.com"), "{}", reports.html);
    assert!(reports.html.contains("https://example.com/menu"));
    assert!(reports.html.contains("Disable code"));
    let csrf = reports.csrf();
    let target = format!("code:{}", code.to_ascii_lowercase());
    let refused = founder
        .post(
            "/admin/reports/act",
            &[
                ("csrf_token", &csrf),
                ("target", &target),
                ("action", "disable_code"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("say why"), "{}", refused.html);
    let disabled = founder
        .post(
            "/admin/reports/act",
            &[
                ("csrf_token", &csrf),
                ("target", &target),
                ("action", "disable_code"),
                ("reason", "Reported: phishing"),
            ],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.html);
    let back = disabled.location.unwrap();
    assert_eq!(back, "/admin/reports?notice=disable_code");
    let reports = founder.get(&back).await;
    assert!(reports.html.contains("The code is disabled"));
    assert!(
        reports.html.contains("No open reports."),
        "{}",
        reports.html
    );
    let acted = founder.get("/admin/reports?state=acted").await;
    assert!(acted.html.contains("value=\"enable\""), "an Enable button");
    assert!(acted.html.contains("Reported: phishing"));

    // Scanners get the disabled page; the scans are recorded, none of them as human.
    for _ in 0..3 {
        let page = scan(&mut ada, &code).await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.html.contains("This code has been disabled"));
        assert!(page.html.contains(&format!("/report?code={code}")));
    }
    let counts = eventually_counts(&mut ada, &id, |c| c["total_scans"] == 3).await;
    assert_eq!(counts["human_scans"], 0, "{counts}");
    assert_eq!(counts["bot_scans"], 0, "{counts}");
    assert_eq!(counts["unique_scanners"], 0, "{counts}");

    // Enabled again, it redirects, and that scan is a human one.
    let enabled = founder
        .post(
            "/admin/reports/enable-code",
            &[("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER, "{}", enabled.html);
    let page = scan(&mut ada, &code).await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(page.location.as_deref(), Some("https://example.com/menu"));
    let counts = eventually_counts(&mut ada, &id, |c| c["total_scans"] == 4).await;
    assert_eq!(counts["human_scans"], 1, "{counts}");
    println!("disabled code ok on {backend}");
}

backend_tests!(a_disabled_user_cannot_log_in_and_their_codes_are_disabled);
async fn a_disabled_user_cannot_log_in_and_their_codes_are_disabled(db: TestDb) {
    let backend = db.backend.name();
    let mut founder = founder_app(db).await;
    founder.sign_up_founder(FOUNDER).await;
    let mut bob = founder.another();
    bob.sign_up("bob@example.com").await;
    let bob_token = token(&bob);
    let (_, code) = bob.create_code("Flyer").await;
    assert_eq!(scan(&mut bob, &code).await.status, StatusCode::FOUND);

    let bob_id = user_id(&mut founder, "bob@example.com").await;
    let users = founder.get("/admin/users").await;
    assert!(users.html.contains(&format!("value=\"{bob_id}\"")));
    let csrf = users.csrf();
    // An action the page never offers is refused with the friendly page, and changes nothing.
    let bogus = founder
        .post(
            "/admin/users/account",
            &[
                ("csrf_token", &csrf),
                ("user_id", &bob_id),
                ("action", "delete"),
            ],
        )
        .await;
    assert_eq!(
        bogus.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bogus.html
    );
    assert!(
        bogus.html.contains("<html"),
        "a page, not plain text: {}",
        bogus.html
    );
    assert_eq!(
        bob.get("/app").await.status,
        StatusCode::OK,
        "bob is still signed in"
    );
    let disabled = founder
        .post(
            "/admin/users/account",
            &[
                ("csrf_token", &csrf),
                ("user_id", &bob_id),
                ("action", "disable"),
            ],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.html);
    let users = founder.get(&disabled.location.unwrap()).await;
    assert!(users.html.contains("The account is disabled"));
    assert!(users.html.contains("<span class=\"badge\">disabled</span>"));

    // Bob's session ended, his token and password no longer work.
    let app = bob.get("/app").await;
    assert_eq!(app.status, StatusCode::SEE_OTHER);
    assert!(app.location.unwrap().starts_with("/login"));
    let me = bob
        .send(api("GET", "/api/v1/auth/me", &bob_token), None)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let csrf_login = bob.get("/login").await.csrf();
    let login = bob
        .post(
            "/login",
            &[
                ("email", "bob@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf_login),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN, "{}", login.html);
    assert!(login.html.contains("This account has been disabled"));
    let api_login = bob
        .send(
            Request::post("/api/v1/auth/login").header("content-type", "application/json"),
            Some(r#"{"email":"bob@example.com","password":"correct horse battery staple"}"#.into()),
        )
        .await;
    assert_eq!(api_login.status, StatusCode::FORBIDDEN);
    assert_eq!(json(&api_login)["error"]["code"], "account_disabled");

    // His codes show the disabled page (qr learns it from `user.disabled`).
    let page = eventually_scans(&mut founder, &code, StatusCode::GONE).await;
    assert!(page.html.contains("This code has been disabled"));

    // A founder cannot be disabled.
    let boss_id = user_id(&mut founder, FOUNDER).await;
    let refused = founder
        .send(
            api("POST", "/api/v1/auth/admin/users/disable", &token(&founder)),
            Some(format!(r#"{{"user_id":"{boss_id}"}}"#)),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    let enabled = founder
        .post(
            "/admin/users/account",
            &[
                ("csrf_token", &csrf),
                ("user_id", &bob_id),
                ("action", "enable"),
            ],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    let csrf_login = bob.get("/login").await.csrf();
    let login = bob
        .post(
            "/login",
            &[
                ("email", "bob@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf_login),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.html);
    eventually_scans(&mut founder, &code, StatusCode::FOUND).await;
    println!("disabled user ok on {backend}");
}

backend_tests!(a_blocked_domain_is_refused_on_create_and_on_edit);
async fn a_blocked_domain_is_refused_on_create_and_on_edit(db: TestDb) {
    let backend = db.backend.name();
    let mut founder = founder_app(db).await;
    founder.sign_up_founder(FOUNDER).await;
    let mut eve = founder.another();
    eve.sign_up("eve@example.com").await;
    let (id, _) = eve.create_code("Harmless").await;

    let page = founder.get("/admin/blocklist").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("not blocked any domain"));
    let csrf = page.csrf();
    let bad = founder
        .post(
            "/admin/blocklist",
            &[("csrf_token", &csrf), ("domain", "https://<b>x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("a domain name like example.com"));
    assert!(bad.html.contains("https://&#60;b&#62;x"), "kept, escaped");
    let added = founder
        .post(
            "/admin/blocklist",
            &[
                ("csrf_token", &csrf),
                ("domain", "Evil.Example"),
                ("reason", "phishing kit"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let list = founder.get(&added.location.unwrap()).await;
    assert!(list.html.contains("<code>evil.example</code>"));
    assert!(list.html.contains("phishing kit"));

    // Refused at once, with 422, on create and on edit (API and form).
    let token = token(&eve);
    let create = eve
        .send(
            api("POST", "/api/v1/qr", &token),
            Some(r#"{"name":"Bad","destination":"https://www.evil.example/login"}"#.into()),
        )
        .await;
    assert_eq!(
        create.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        create.html
    );
    assert_eq!(json(&create)["error"]["field"], "destination");
    let edit = eve
        .send(
            api("PATCH", &format!("/api/v1/qr/{id}"), &token),
            Some(r#"{"destination":"https://evil.example/"}"#.into()),
        )
        .await;
    assert_eq!(
        edit.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        edit.html
    );
    let csrf_eve = eve.get("/app/qr/new").await.csrf();
    let form = eve
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf_eve),
                ("name", "Bad"),
                ("destination", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        form.html.contains("evil.example are not allowed"),
        "{}",
        form.html
    );

    // Removed, it is allowed again.
    let removed = founder
        .post(
            "/admin/blocklist/remove",
            &[("csrf_token", &csrf), ("domain", "evil.example")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let edit = eve
        .send(
            api("PATCH", &format!("/api/v1/qr/{id}"), &token),
            Some(r#"{"destination":"https://evil.example/"}"#.into()),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.html);
    println!("blocklist ok on {backend}");
}

backend_tests!(the_report_form_is_prefilled_from_the_link_and_escaped);
async fn the_report_form_is_prefilled_from_the_link_and_escaped(db: TestDb) {
    let backend = db.backend.name();
    let mut visitor = founder_app(db).await;

    let page = visitor
        .get("/report?code=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("<script>alert"), "{}", page.html);
    assert!(
        page.html
            .contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\"")
    );
    assert!(
        page.html.contains("aria-invalid=\"true\""),
        "flagged as not a code"
    );

    let url = "http://localhost:3000/m/corner-cafe";
    let page = visitor
        .get(&format!("/report?url={}", url_encode(url)))
        .await;
    assert!(
        page.html.contains(&format!("value=\"{url}\"")),
        "{}",
        page.html
    );
    assert!(!page.html.contains("aria-invalid"));

    let long = "a".repeat(5_000);
    let page = visitor.get(&format!("/report?code={long}")).await;
    assert!(
        page.html
            .contains(&format!("value=\"{}\"", "a".repeat(2_048)))
    );
    assert!(!page.html.contains(&"a".repeat(2_049)));
    println!("report prefill ok on {backend}");
}
