//! Behind a platform's proxy every connection comes from the proxy; the client is named in
//! `X-Forwarded-For`. With the proxy's range in `TRUSTED_PROXIES`, each visitor keeps their own
//! rate limits, country and visitor id, through the JSON API and through the pages (which call
//! auth in-process and carry the address on). On a real server on loopback, SQLite and
//! PostgreSQL.

mod common;

use std::time::Duration;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::testing::{TestDb, backend_tests};

const PASSWORD: &str = "correct horse battery staple";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
/// Three clients with public addresses in three countries (per the embedded registry data).
const A: &str = "81.2.69.142";
const B: &str = "8.8.8.8";
const C: &str = "1.1.1.1";
/// Any 32+ characters: the pages' CSRF check compares the form's token with this cookie.
const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// Our test client connects from 127.0.0.1: that is the "proxy", given as a range.
async fn app_behind_proxy(db: &shared::testing::TestDb) -> TestApp {
    TestApp::spawn(db, &["--trusted-proxies", "127.0.0.0/8, 10.0.0.0/8"]).await
}

async fn api_login(app: &TestApp, client: &str, email: &str, password: &str) -> StatusCode {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request sent")
        .status()
}

async fn form(app: &TestApp, client: &str, path: &str, fields: &[(&str, &str)]) -> StatusCode {
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", CSRF));
    app.http
        .post(app.url(path))
        .header("x-forwarded-for", client)
        .header("cookie", format!("sp_csrf={CSRF}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        )
        .send()
        .await
        .expect("request sent")
        .status()
}

backend_tests!(wrong_logins_from_one_client_limit_that_client_only);
async fn wrong_logins_from_one_client_limit_that_client_only(db: TestDb) {
    let app = app_behind_proxy(&db).await;
    for (client, email) in [(B, "bea@example.com"), (C, "cy@example.com")] {
        let signed_up = form(
            &app,
            client,
            "/signup",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
        assert_eq!(
            signed_up,
            StatusCode::ACCEPTED,
            "{client} signs up ({:?})",
            db.backend
        );
        app.confirm_api(email).await;
    }
    app.sign_up_api("ann@example.com").await;

    // Client A guesses: 40 wrong passwords on 40 accounts (so no account limit is reached).
    let limit = auth::limits::LOGIN_PER_IP.limit;
    for n in 0..limit {
        let status = api_login(&app, A, &format!("ghost{n}@example.com"), "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    // A is now held back, even with the right password, through the API and the form.
    assert_eq!(
        api_login(&app, A, "ann@example.com", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        form(
            &app,
            A,
            "/login",
            &[("email", "ann@example.com"), ("password", PASSWORD)]
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // B and C, behind the same proxy, sign in as usual.
    assert_eq!(
        api_login(&app, B, "bea@example.com", PASSWORD).await,
        StatusCode::OK
    );
    assert_eq!(
        form(
            &app,
            C,
            "/login",
            &[("email", "cy@example.com"), ("password", PASSWORD)]
        )
        .await,
        StatusCode::SEE_OTHER
    );
    // A client that connects directly cannot borrow A's (or anyone's) identity: its own
    // address is in the untrusted header's place. (Here every connection is the proxy, so
    // this is shown by the unit tests of shared::client_addr and auth's api test.)
    app.stop().await;
}

#[tokio::test]
async fn signups_are_limited_per_client_not_per_proxy() {
    let db = shared::testing::sqlite().await;
    let app = app_behind_proxy(&db).await;
    let limit = auth::limits::SIGNUP_PER_IP.limit;
    let signup = |client: String, n: u64| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/v1/auth/signup"))
                .header("x-forwarded-for", client)
                .json(&json!({"email": format!("u{n}@example.com"), "password": PASSWORD}))
                .send()
                .await
                .expect("request sent")
                .status()
        }
    };
    // More sign-ups than one client may make, each from its own address: all accepted.
    for n in 0..=limit {
        let client = format!("198.51.100.{}", n + 1);
        assert_eq!(signup(client, n).await, StatusCode::ACCEPTED, "signup {n}");
    }
    // One client alone reaches its limit.
    for n in 0..limit {
        assert_eq!(signup(A.into(), 100 + n).await, StatusCode::ACCEPTED);
    }
    assert_eq!(signup(A.into(), 999).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(signup(B.into(), 998).await, StatusCode::ACCEPTED);
    app.stop().await;
}

backend_tests!(scans_through_the_proxy_count_each_client_and_country);
async fn scans_through_the_proxy_count_each_client_and_country(db: TestDb) {
    let app = app_behind_proxy(&db).await;
    let user = app.sign_up_api("owner@example.com").await;
    let code: Value = app
        .http
        .post(app.url("/api/v1/qr"))
        .bearer_auth(&user.access_token)
        .json(&json!({"name": "Menu", "destination": "https://example.com/menu"}))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a code");
    let short = code["code"].as_str().expect("a short code");
    // Two scans each from A, B and C (a chain with an inner proxy for C), one from a client
    // that spoofs A's address while connecting through the proxy as B.
    for forwarded in [
        A,
        A,
        B,
        B,
        "10.1.2.3, 1.1.1.1, 10.0.0.9",
        C,
        "81.2.69.142, 8.8.8.8",
    ] {
        let answer = app
            .http
            .get(app.url(&format!("/r/{short}")))
            .header("user-agent", IPHONE)
            .header("x-forwarded-for", forwarded)
            .send()
            .await
            .expect("request sent");
        assert_eq!(answer.status(), StatusCode::FOUND);
    }
    let id = code["id"].as_str().expect("an id");
    let stats = eventually(&app, &user.access_token, id, |s| s["total_scans"] == 7).await;
    assert_eq!(stats["human_scans"], 7, "{stats}");
    assert_eq!(stats["unique_scanners"], 3, "{stats}");
    let mut countries: Vec<(String, i64)> = stats["by_country"]
        .as_array()
        .expect("countries")
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap_or_default().to_owned(),
                c["count"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    countries.sort();
    let expected: Vec<(String, i64)> = [(A, 2), (B, 3), (C, 2)]
        .iter()
        .map(|(ip, n)| {
            let country = iptocc::country_code(*ip).expect("a country");
            (country.to_owned(), *n)
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(countries, expected, "{stats}");
    assert_eq!(expected.len(), 3, "three countries: {expected:?}");
    app.stop().await;
}

async fn eventually(app: &TestApp, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app
            .http
            .get(app.url(&format!("/api/v1/analytics/qr/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON stats");
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("analytics never caught up: {last}");
}
