//! The qr API as its users meet it, on SQLite and PostgreSQL: create, list, read, edit, delete,
//! images, styles — and nothing of one user's is visible to another.

mod common;

use axum::http::{Method, StatusCode};
use common::{Qr, settings};
use serde_json::json;
use shared::testing::{self, TestDb, backend_tests};

backend_tests!(codes_round_trip_for_their_owner_only);
async fn codes_round_trip_for_their_owner_only(db: TestDb) {
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    let bob = qr.token("bob");
    let created = qr
        .create("alice", json!({"name": "Menu", "destination": "https://example.com/menu", "tags": ["Food", "food", "table"]}))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["code"].as_str().unwrap();
    assert_eq!(code.len(), 7);
    assert_eq!(created["short_url"], format!("http://scan.test/r/{code}"));
    assert_eq!(created["destination"], "https://example.com/menu");
    assert_eq!(created["tags"], json!(["food", "table"]));
    assert_eq!(created["paused"], false);

    let read = qr
        .call(Method::GET, &format!("/api/v1/qr/{id}"), Some(&alice), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["name"], "Menu");

    let edited = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&alice),
            Some(json!({"destination": "https://example.com/new", "paused": true})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["destination"], "https://example.com/new");
    assert_eq!(edited.json()["paused"], true);

    // Bob: 404 on every route, never 403.
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/qr/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/qr/{id}"),
            Some(json!({"name": "mine now"})),
        ),
        (Method::DELETE, format!("/api/v1/qr/{id}"), None),
        (Method::GET, format!("/api/v1/qr/{id}/image.svg"), None),
        (Method::GET, format!("/api/v1/qr/{id}/image.png"), None),
    ] {
        let answer = qr.call(method.clone(), &path, Some(&bob), body).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path} as bob"
        );
        assert_eq!(answer.json()["error"]["code"], "not_found");
    }
    let bobs = qr.call(Method::GET, "/api/v1/qr", Some(&bob), None).await;
    assert_eq!(bobs.json()["items"], json!([]));

    // No token at all.
    let anonymous = qr.call(Method::GET, "/api/v1/qr", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let deleted = qr
        .call(
            Method::DELETE,
            &format!("/api/v1/qr/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = qr
        .call(Method::GET, &format!("/api/v1/qr/{id}"), Some(&alice), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    println!("qr CRUD ok on {}", db.backend.name());
}

backend_tests!(lists_are_newest_first_paginated_and_searchable);
async fn lists_are_newest_first_paginated_and_searchable(db: TestDb) {
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    for i in 0..5 {
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        qr.create("alice", json!({"name": format!("Poster {i}"), "destination": format!("https://shop{i}.example/"), "tags": [tag]}))
            .await;
    }
    qr.create(
        "alice",
        json!({"name": "100% off_sale", "destination": "https://deals.example/"}),
    )
    .await;

    let first = qr
        .call(Method::GET, "/api/v1/qr?limit=4", Some(&alice), None)
        .await
        .json();
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["100% off_sale", "Poster 4", "Poster 3", "Poster 2"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr?limit=4&cursor={cursor}"),
            Some(&alice),
            None,
        )
        .await
        .json();
    let names: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Poster 1", "Poster 0"]);
    assert!(second["next_cursor"].is_null());

    let search = qr
        .call(Method::GET, "/api/v1/qr?q=SHOP3", Some(&alice), None)
        .await
        .json();
    assert_eq!(search["items"].as_array().unwrap().len(), 1);
    // `%` and `_` in a search match themselves, not everything.
    let literal = qr
        .call(Method::GET, "/api/v1/qr?q=%25%20off_", Some(&alice), None)
        .await
        .json();
    assert_eq!(literal["items"].as_array().unwrap().len(), 1);
    let wildcard = qr
        .call(Method::GET, "/api/v1/qr?q=_", Some(&alice), None)
        .await
        .json();
    assert_eq!(wildcard["items"].as_array().unwrap().len(), 1);
    let tagged = qr
        .call(Method::GET, "/api/v1/qr?tag=odd", Some(&alice), None)
        .await
        .json();
    assert_eq!(tagged["items"].as_array().unwrap().len(), 2);

    let bad = qr
        .call(Method::GET, "/api/v1/qr?cursor=garbage", Some(&alice), None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn dangerous_destinations_are_refused_on_create_and_edit() {
    let db = testing::sqlite().await;
    let dir = std::env::temp_dir().join(format!("qr-blocklist-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("blocklist.txt");
    std::fs::write(&file, "evil.example\n# comment\nphish.test\n").unwrap();
    let file = file.display().to_string();
    let qr = Qr::start_with(
        &db,
        shared::bus::EventBus::memory(100),
        &["--qr-blocklist-file", &file],
    )
    .await;
    let alice = qr.token("alice");
    for bad in [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "https://evil.example/login",
        "https://www.phish.test/",
        "example.com",
    ] {
        let answer = qr
            .call(
                Method::POST,
                "/api/v1/qr",
                Some(&alice),
                Some(json!({"name": "x", "destination": bad})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(answer.json()["error"]["field"], "destination", "{bad:?}");
    }
    let ok = qr
        .create(
            "alice",
            json!({"name": "fine", "destination": "https://example.com"}),
        )
        .await;
    let edit = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{}", ok["id"].as_str().unwrap()),
            Some(&alice),
            Some(json!({"destination": "https://sub.evil.example/"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        edit.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("evil.example")
    );
    let rule = qr
        .call(Method::PATCH, &format!("/api/v1/qr/{}", ok["id"].as_str().unwrap()), Some(&alice), Some(json!({"rules": {"routes": [{"type": "device", "device": "ios", "url": "javascript:x"}]}})))
        .await;
    assert_eq!(rule.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rule.json()["error"]["field"], "rules.routes[0].url");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    let cases = [
        (json!({"destination": "https://example.com"}), "name"),
        (json!({"name": "x"}), "destination"),
        (
            json!({"name": "x", "destination": "https://example.com", "code": "admin"}),
            "code",
        ),
        (
            json!({"name": "x", "destination": "https://example.com", "style": {"fg": "#ffffff", "bg": "#000000"}}),
            "style.fg",
        ),
        (
            json!({"name": "x", "destination": "https://example.com", "style": {"fg": "#888888", "bg": "#999999"}}),
            "style.fg",
        ),
        (
            json!({"name": "x", "destination": "https://example.com", "surprise": 1}),
            "",
        ),
        (json!({"name": "x", "kind": "text"}), "content"),
    ];
    for (body, field) in cases {
        let answer = qr
            .call(Method::POST, "/api/v1/qr", Some(&alice), Some(body.clone()))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.text()
        );
        if !field.is_empty() {
            assert_eq!(answer.json()["error"]["field"], field, "{body}");
        }
    }
    let custom = qr
        .create(
            "alice",
            json!({"name": "x", "destination": "https://example.com", "code": "Spring-Menu"}),
        )
        .await;
    assert_eq!(custom["code"], "spring-menu");
    let taken = qr
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&qr.token("bob")),
            Some(json!({"name": "y", "destination": "https://example.com", "code": "spring-menu"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);

    let read_only = qr.token_with("alice", vec!["qr:read".into()]);
    let refused = qr
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&read_only),
            Some(json!({"name": "x", "destination": "https://example.com"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["error"]["code"], "insufficient_scope");
}

#[tokio::test]
async fn static_codes_encode_their_content_and_are_not_redirects() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let wifi = qr
        .create("alice", json!({"name": "Guest wifi", "kind": "wifi", "content": {"ssid": "Cafe", "password": "latte;art"}}))
        .await;
    assert!(wifi["short_url"].is_null());
    let scan = qr
        .scan(wifi["code"].as_str().unwrap(), common::IPHONE)
        .await;
    assert_eq!(scan.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn images_render_decode_and_revalidate() {
    let db = testing::sqlite().await;
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    let created = qr
        .create("alice", json!({"name": "Spring Menu!", "destination": "https://example.com", "style": {"modules": "dots", "eyes": "rounded", "fg": "#1e3a8a"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    let png = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.png?size=512"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(png.header("content-type"), "image/png");
    let code = created["code"].as_str().unwrap();
    assert_eq!(
        png.header("content-disposition"),
        format!(
            "attachment; filename=\"scanpage-spring-menu-{code}-512.png\"; filename*=UTF-8''Spring%20Menu!%20512px.png"
        )
    );
    assert_eq!(
        common::decode_png(&png.body),
        created["short_url"].as_str().unwrap()
    );

    let etag = png.header("etag").to_owned();
    let mut again = axum::http::Request::get(format!("/api/v1/qr/{id}/image.png?size=512"))
        .header("authorization", format!("Bearer {alice}"))
        .header("if-none-match", &etag);
    again = again.header("accept", "image/png");
    let again = qr
        .send(again.body(axum::body::Body::empty()).unwrap())
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    for size in ["63", "4097", "100000000", "abc"] {
        let answer = qr
            .call(
                Method::GET,
                &format!("/api/v1/qr/{id}/image.png?size={size}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "size={size}"
        );
    }
    let svg = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.svg"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    assert!(svg.text().starts_with("<svg"));
    assert!(svg.header("content-security-policy").contains("sandbox"));

    let preview = qr
        .call(
            Method::POST,
            "/api/v1/qr/preview.svg",
            Some(&alice),
            Some(json!({"style": {"modules": "rounded"}})),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.text().contains("<svg"));
}

backend_tests!(saved_styles_belong_to_their_owner);
async fn saved_styles_belong_to_their_owner(db: TestDb) {
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    let saved = qr
        .call(
            Method::POST,
            "/api/v1/qr/styles",
            Some(&alice),
            Some(json!({"name": "Brand", "style": {"fg": "#14532d", "modules": "rounded"}})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text());
    let id = saved.json()["id"].as_str().unwrap().to_owned();
    let mine = qr
        .call(Method::GET, "/api/v1/qr/styles", Some(&alice), None)
        .await
        .json();
    assert_eq!(mine[0]["style"]["fg"], "#14532d");
    let bobs = qr
        .call(
            Method::GET,
            "/api/v1/qr/styles",
            Some(&qr.token("bob")),
            None,
        )
        .await
        .json();
    assert_eq!(bobs, json!([]));
    let steal = qr
        .call(
            Method::DELETE,
            &format!("/api/v1/qr/styles/{id}"),
            Some(&qr.token("bob")),
            None,
        )
        .await;
    assert_eq!(steal.status, StatusCode::NOT_FOUND);
    let delete = qr
        .call(
            Method::DELETE,
            &format!("/api/v1/qr/styles/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
}

#[test]
fn settings_parse() {
    let _ = settings(&[]);
}

// Issue 22: print downloads. A code named "Café menu" downloads as "Café menu.png" (with an
// ASCII fallback), the vector PDF is served beside PNG and SVG, and every style is read back
// before it is saved: refused ones name the choice to change, accepted ones are stored as sent.
backend_tests!(print_downloads_and_scannable_styles);
async fn print_downloads_and_scannable_styles(db: TestDb) {
    let qr = Qr::start(&db).await;
    let alice = qr.token("alice");
    let styled = json!({"fg": "#1e3a8a", "bg": "#fef3c7", "modules": "diamond", "eyes": "leaf",
        "gradient": {"kind": "radial", "to": "#6d28d9"}, "eye_color": "#9f1239",
        "transparent": true, "frame": {"text": "Scan for the menu", "template": "bubble"}});
    let created = qr
        .create(
            "alice",
            json!({"name": "Café menu", "destination": "https://example.com", "style": styled}),
        )
        .await;
    assert_eq!(created["style"]["frame"]["template"], "bubble");
    assert_eq!(created["style"]["gradient"]["kind"], "radial");
    assert_eq!(created["style"]["eye_color"], "#9f1239");
    let id = created["id"].as_str().unwrap();
    let code = created["code"].as_str().unwrap();

    let png = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.png"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(
        png.header("content-disposition"),
        format!(
            "attachment; filename=\"scanpage-cafe-menu-{code}-1024.png\"; filename*=UTF-8''Caf%C3%A9%20menu.png"
        )
    );
    assert_eq!(
        common::decode_png(&png.body),
        created["short_url"].as_str().unwrap()
    );

    let pdf = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.pdf"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert!(
        pdf.header("content-disposition")
            .ends_with("filename*=UTF-8''Caf%C3%A9%20menu.pdf")
    );
    let bob = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.pdf"),
            Some(&qr.token("bob")),
            None,
        )
        .await;
    assert_eq!(bob.status, StatusCode::NOT_FOUND);

    // Light on light, on create and on edit: refused, naming the colour to change.
    for (field, style) in [
        ("style.fg", json!({"fg": "#dddddd", "bg": "#ffffff"})),
        (
            "style.gradient.to",
            json!({"gradient": {"kind": "linear", "to": "#eeeeee"}}),
        ),
        ("style.eye_color", json!({"eye_color": "#f5f5f5"})),
    ] {
        let answer = qr
            .call(
                Method::POST,
                "/api/v1/qr",
                Some(&alice),
                Some(json!({"name": "Pale", "destination": "https://example.com", "style": style})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{style}");
        let error = &answer.json()["error"];
        assert_eq!(error["field"], field, "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("contrast")
                || error["message"].as_str().unwrap().contains("darker"),
            "{error}"
        );
        let edit = qr
            .call(
                Method::PATCH,
                &format!("/api/v1/qr/{id}"),
                Some(&alice),
                Some(json!({"style": style})),
            )
            .await;
        assert_eq!(edit.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(edit.json()["error"]["field"], field);
    }
    // Unknown shapes and templates are refused by name, never drawn.
    for style in [
        json!({"modules": "hexagon"}),
        json!({"eyes": "star"}),
        json!({"frame": {"text": "Hi", "template": "<script>"}}),
        json!({"gradient": {"kind": "conic", "to": "#000000"}}),
        json!({"eye_color": "url(#x)"}),
    ] {
        let answer = qr
            .call(
                Method::PATCH,
                &format!("/api/v1/qr/{id}"),
                Some(&alice),
                Some(json!({"style": style})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{style}");
    }
    // The code kept its style through the refusals.
    let read = qr
        .call(Method::GET, &format!("/api/v1/qr/{id}"), Some(&alice), None)
        .await;
    assert_eq!(read.json()["style"]["modules"], "diamond");
}
