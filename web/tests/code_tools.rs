//! The QR tools beyond one code's basics, as a browser uses them on SQLite and PostgreSQL: the
//! rules editor (no JavaScript), bulk upload with its per-row report, and saved styles.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

fn after<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap()
}

const STYLE: [(&str, &str); 5] = [
    ("fg", "#1e3a8a"),
    ("bg", "#ffffff"),
    ("modules", "rounded"),
    ("eyes", "square"),
    ("ecc", "Q"),
];

backend_tests!(the_rules_editor_saves_and_shows_every_rule);
async fn the_rules_editor_saves_and_shows_every_rule(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("rules@example.com").await;
    let new = browser.get("/app/qr/new").await;
    assert!(new.html.contains("name=\"country\"") && new.html.contains("name=\"time_zone\""));
    let csrf = new.csrf();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("name", "Rules"),
        ("destination", "https://example.com/"),
        ("ios_url", "https://apps.apple.com/app/x"),
        ("country", "de"),
        ("country_url", "https://example.de/"),
        ("day_mon", "on"),
        ("day_fri", "on"),
        ("schedule_from", "22:00"),
        ("schedule_to", "02:00"),
        ("time_zone", "Europe/Berlin"),
        ("schedule_url", "https://example.com/late"),
        ("password", "letmein1"),
        ("expires_at", "2030-01-01T12:00"),
        ("max_scans", "100"),
        ("utm_source", "poster"),
    ];
    form.extend(STYLE);
    let created = browser.post("/app/qr/new", &form).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let page = browser.get(created.location.as_deref().unwrap()).await;
    for shown in [
        "value=\"https://apps.apple.com/app/x\"",
        "value=\"DE\" selected",
        "name=\"day_mon\" checked",
        "name=\"day_fri\" checked",
        "name=\"day_tue\" >",
        "value=\"22:00\"",
        "<option selected>Europe/Berlin</option>",
        "This code asks for a password",
        "value=\"2030-01-01T12:00\"",
        "value=\"100\"",
        "value=\"poster\"",
    ] {
        assert!(page.html.contains(shown), "{shown} on the edit page");
    }
    assert!(
        !page.html.contains("letmein1"),
        "a password is never shown back"
    );

    // A mistake in a rule comes back with what was typed.
    let mut bad: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("name", "Bad"),
        ("destination", "https://example.com/"),
        ("country", "XX"),
        ("country_url", "https://example.de/"),
    ];
    bad.extend(STYLE);
    let refused = browser.post("/app/qr/new", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("ISO 3166"));
    assert!(refused.html.contains("value=\"XX\""));
}

backend_tests!(bulk_upload_reports_bad_rows_and_creates_good_files);
async fn bulk_upload_reports_bad_rows_and_creates_good_files(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("bulk@example.com").await;
    let page = browser.get("/app/qr/bulk").await;
    assert!(page.html.contains("enctype=\"multipart/form-data\""));
    assert!(page.html.contains("hx-indicator=\"#bulk-progress\""));
    let csrf = page.csrf();

    let bad = "name,destination\nGood,https://example.com/a\n<b>Evil</b>,javascript:alert(1)\n";
    let report = browser
        .post("/app/qr/bulk", &[("csrf_token", &csrf), ("csv", bad)])
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.html.contains("Nothing was created"));
    assert!(
        report.html.contains("<td>3</td><td>destination</td>"),
        "{}",
        report.html
    );
    assert!(
        !report.html.contains("<b>Evil</b>"),
        "what was typed is escaped"
    );
    assert!(
        browser
            .get("/app")
            .await
            .html
            .contains("Your QR codes will appear here")
    );

    let file = "name,destination,tags\nPoster A,https://example.com/a,print\nPoster B,https://example.com/b,print|spring\n";
    let done = browser
        .post_multipart(
            "/app/qr/bulk",
            &[
                ("csrf_token", None, &csrf),
                ("file", Some("codes.csv"), file),
                ("csv", None, ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Created 2 codes"), "{}", done.html);
    let list = browser.get("/app?tag=spring").await;
    assert!(list.html.contains("Poster B") && !list.html.contains("Poster A"));
    assert!(
        browser
            .get("/app")
            .await
            .html
            .contains("href=\"/app/qr/export.zip\"")
    );
    let zip = browser.get("/app/qr/export.zip").await;
    assert_eq!(zip.status, StatusCode::OK);
    assert!(zip.html.starts_with("PK"), "a zip file");

    let forged = browser
        .post("/app/qr/bulk", &[("csrf_token", "forged"), ("csv", file)])
        .await;
    assert_ne!(forged.status, StatusCode::OK);
}

backend_tests!(styles_are_saved_applied_and_deleted);
async fn styles_are_saved_applied_and_deleted(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("styles@example.com").await;
    let csrf = browser.get("/app/qr/new").await.csrf();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("style_name", "Brand <blue>")];
    form.extend(STYLE);
    let saved = browser.post("/app/qr/styles", &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let list = browser.get(saved.location.as_deref().unwrap()).await;
    assert!(list.html.contains("Style saved."));
    assert!(list.html.contains("Brand &#60;blue&#62;"), "{}", list.html);
    assert!(list.html.contains("#1e3a8a on #ffffff"));
    let id = after(&list.html, "/app/qr/new?style=").to_owned();

    let applied = browser.get(&format!("/app/qr/new?style={id}")).await;
    assert!(applied.html.contains("value=\"#1e3a8a\""));
    assert!(applied.html.contains("<option value=\"Q\" selected>"));

    let deleted = browser
        .post(
            &format!("/app/qr/styles/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        browser
            .get("/app/qr/styles")
            .await
            .html
            .contains("No saved styles yet")
    );
    assert_eq!(
        browser.get(&format!("/app/qr/new?style={id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

backend_tests!(a_microsite_code_points_at_the_owners_page);
/// The real wiring: qr asks the in-process microsite service, with the caller's own token, who
/// owns the page; the code redirects to the page without asking again.
async fn a_microsite_code_points_at_the_owners_page(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("pages@example.com").await;
    let token = browser.cookies[shared::identity::ACCESS_COOKIE].clone();
    let json = |method: &str, path: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
    };
    let page = browser
        .send(
            json("POST", "/api/v1/microsites"),
            Some(r#"{"slug":"corner-cafe","title":"Cafe"}"#.into()),
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.html);
    let page: serde_json::Value = serde_json::from_str(&page.html).unwrap();
    let body = serde_json::json!({"kind": "microsite", "name": "Cafe", "microsite_id": page["id"]});
    let code = browser
        .send(json("POST", "/api/v1/qr"), Some(body.to_string()))
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{}", code.html);
    let code: serde_json::Value = serde_json::from_str(&code.html).unwrap();
    assert_eq!(code["destination"], "http://localhost:3000/m/corner-cafe");
    let scan = browser
        .get(&format!("/r/{}", code["code"].as_str().unwrap()))
        .await;
    assert_eq!(scan.status, StatusCode::FOUND);
    assert!(
        scan.location
            .unwrap()
            .starts_with("http://localhost:3000/m/corner-cafe?src=qr_")
    );

    // A page that is not theirs (here: none at all) is "no such microsite".
    let unknown = serde_json::json!({"kind": "microsite", "name": "x", "microsite_id": "0190aaaa-0000-7000-8000-000000000000"});
    let refused = browser
        .send(json("POST", "/api/v1/qr"), Some(unknown.to_string()))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("microsite_id"));
}
