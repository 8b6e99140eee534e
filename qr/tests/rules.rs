//! Country, schedule and password rules as scanners meet them, on SQLite and PostgreSQL.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{DESKTOP, Qr};
use serde_json::json;
use shared::testing::{TestDb, backend_tests};

/// Addresses whose registry delegation is stable: Deutsche Telekom (DE), RENATER (FR), and an
/// ARIN block (US).
const GERMANY: &str = "194.25.0.60";
const FRANCE: &str = "193.51.24.1";
const USA: &str = "8.8.8.8";

async fn scan_from(qr: &Qr, ip: &str, code: &str) -> common::Answer {
    qr.send_from(
        ip,
        Request::get(format!("/r/{code}"))
            .header("user-agent", DESKTOP)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

backend_tests!(country_routes_follow_the_scanners_address);
async fn country_routes_follow_the_scanners_address(db: TestDb) {
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "Shop", "destination": "https://example.com/",
            "rules": {"routes": [
                {"type": "country", "country": "de", "url": "https://example.de/"},
                {"type": "country", "country": "FR", "url": "https://example.fr/"}
            ]}}),
        )
        .await;
    assert_eq!(
        created["rules"]["routes"][0]["country"], "DE",
        "stored upper-case"
    );
    let code = created["code"].as_str().unwrap();
    for (ip, expected) in [
        (GERMANY, "https://example.de/"),
        (FRANCE, "https://example.fr/"),
        (USA, "https://example.com/"),
        ("203.0.113.9", "https://example.com/"),
    ] {
        let answer = scan_from(&qr, ip, code).await;
        assert_eq!(answer.status, StatusCode::FOUND);
        assert_eq!(answer.header("location"), expected, "scanned from {ip}");
    }

    let bad = qr
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&qr.token("alice")),
            Some(json!({"name": "x", "destination": "https://example.com/",
            "rules": {"routes": [
                {"type": "device", "device": "ios", "url": "https://example.com/i"},
                {"type": "device", "device": "android", "url": "https://example.com/a"},
                {"type": "country", "country": "Germany", "url": "https://example.de/"}
            ]}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "rules.routes[2].country");
    println!("country rules ok on {}", db.backend.name());
}

fn hhmm(minutes: i64) -> String {
    let m = minutes.rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

backend_tests!(schedule_routes_follow_the_clock_of_their_time_zone);
async fn schedule_routes_follow_the_clock_of_their_time_zone(db: TestDb) {
    let qr = Qr::start(&db).await;
    let now = jiff::Zoned::now().in_tz("Asia/Tokyo").unwrap();
    let minute = i64::from(now.hour()) * 60 + i64::from(now.minute());
    // A window around now (it may cross midnight) and one that starts in two hours.
    let open = qr
        .create(
            "alice",
            json!({"name": "Open", "destination": "https://example.com/closed",
                "rules": {"routes": [{"type": "schedule", "from": hhmm(minute - 60),
                    "to": hhmm(minute + 60), "time_zone": "Asia/Tokyo",
                    "url": "https://example.com/open"}]}}),
        )
        .await;
    let later = qr
        .create(
            "alice",
            json!({"name": "Later", "destination": "https://example.com/closed",
                "rules": {"routes": [{"type": "schedule", "from": hhmm(minute + 120),
                    "to": hhmm(minute + 180), "time_zone": "Asia/Tokyo",
                    "url": "https://example.com/open"}]}}),
        )
        .await;
    let answer = qr.scan(open["code"].as_str().unwrap(), DESKTOP).await;
    assert_eq!(answer.header("location"), "https://example.com/open");
    let answer = qr.scan(later["code"].as_str().unwrap(), DESKTOP).await;
    assert_eq!(answer.header("location"), "https://example.com/closed");

    let bad = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{}", open["id"].as_str().unwrap()),
            Some(&qr.token("alice")),
            Some(
                json!({"rules": {"routes": [{"type": "schedule", "from": "09:00",
                "to": "17:00", "time_zone": "Europe/Atlantis", "url": "https://example.com/"}]}}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "rules.routes[0].time_zone");
    println!("schedule rules ok on {}", db.backend.name());
}

async fn post_password(qr: &Qr, ip: &str, code: &str, password: &str) -> common::Answer {
    qr.send_from(
        ip,
        Request::post(format!("/r/{code}?table=4"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "http://scan.test")
            .header("sec-fetch-site", "same-origin")
            .header("user-agent", DESKTOP)
            .body(Body::from(format!("password={password}")))
            .unwrap(),
    )
    .await
}

backend_tests!(a_password_code_asks_first_and_limits_guesses);
async fn a_password_code_asks_first_and_limits_guesses(db: TestDb) {
    let qr = Qr::start(&db).await;
    let created = qr
        .create(
            "alice",
            json!({"name": "Staff", "destination": "https://example.com/staff",
                "rules": {"password": "open sesame", "forward_query": true}}),
        )
        .await;
    assert_eq!(created["password_protected"], true);
    let shown = created.to_string();
    assert!(
        !shown.contains("argon2") && !shown.contains("open sesame"),
        "neither the password nor its hash is shown: {shown}"
    );
    let stored: String = sqlx::query_scalar("SELECT rules FROM qr_codes WHERE id = $1")
        .bind(created["id"].as_str().unwrap())
        .fetch_one(db.db.pool())
        .await
        .unwrap();
    assert!(stored.contains("$argon2id$") && !stored.contains("open sesame"));
    let code = created["code"].as_str().unwrap();

    let form = qr.scan(code, DESKTOP).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.header("location").is_empty());
    assert_eq!(form.header("cache-control"), "no-store");
    let html = form.text();
    assert!(html.contains("<form") && html.contains("method=\"post\""));
    assert!(
        html.matches("<script").count() == html.matches("<script src=").count(),
        "no inline script"
    );

    let wrong = post_password(&qr, "198.51.100.1", code, "guess").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("not right"));

    let right = post_password(&qr, "198.51.100.1", code, "open+sesame").await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(
        right.header("location"),
        "https://example.com/staff?table=4",
        "the scan URL's query is still forwarded"
    );
    assert_eq!(right.header("cache-control"), "no-store");

    // Another site cannot post the form.
    let cross = qr
        .send(
            Request::post(format!("/r/{code}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "https://evil.example")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from("password=open+sesame"))
                .unwrap(),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);

    // Five wrong guesses from one visitor lock that visitor out, even with the right one.
    for _ in 0..4 {
        let answer = post_password(&qr, "198.51.100.2", code, "nope").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let fifth = post_password(&qr, "198.51.100.2", code, "nope").await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    let locked = post_password(&qr, "198.51.100.2", code, "open+sesame").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.header("retry-after"), "900");
    // Another visitor is not locked out.
    let other = post_password(&qr, "198.51.100.3", code, "open+sesame").await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);

    // An edit of other fields keeps the password; an empty one removes it.
    let id = created["id"].as_str().unwrap();
    let token = qr.token("alice");
    let kept = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&token),
            Some(json!({"name": "Staff only", "rules": {"forward_query": true}})),
        )
        .await;
    assert_eq!(kept.json()["password_protected"], true, "{}", kept.text());
    assert_eq!(qr.scan(code, DESKTOP).await.status, StatusCode::OK);
    let short = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&token),
            Some(json!({"rules": {"password": "abc"}})),
        )
        .await;
    assert_eq!(short.json()["error"]["field"], "rules.password");
    let removed = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&token),
            Some(json!({"rules": {"password": ""}})),
        )
        .await;
    assert_eq!(removed.json()["password_protected"], false);
    assert_eq!(qr.scan(code, DESKTOP).await.status, StatusCode::FOUND);
    println!("password rule ok on {}", db.backend.name());
}
