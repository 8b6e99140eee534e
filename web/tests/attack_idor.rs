//! Another user's ids, on SQLite and PostgreSQL: every id-taking route of every service (qr,
//! microsite, analytics, auth's API keys, saved styles, custom domains) and of the web pages,
//! called by user B with B's own token or cookie on user A's objects. Each answers 404 — never
//! 403 (which would confirm the id exists) and never 2xx — and A's objects are unchanged after.

mod common;

use axum::http::{Request, StatusCode, header};
use common::browser::{Browser, browser_with};
use shared::testing::{TestDb, backend_tests};

/// A JSON call with the browser's access token as a bearer token (as a script would).
async fn api(
    browser: &mut Browser,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let token = browser
        .cookies
        .get("sp_access")
        .cloned()
        .unwrap_or_default();
    let saved = std::mem::take(&mut browser.cookies);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let page = browser.send(request, body.map(|b| b.to_string())).await;
    browser.cookies = saved;
    let json = serde_json::from_str(&page.html).unwrap_or(serde_json::Value::Null);
    (page.status, json)
}

/// A's objects, one of each kind that has an id in a route.
struct Owned {
    code: String,
    short: String,
    page: String,
    slug: String,
    block: String,
    style: String,
    key: String,
    domain: String,
}

async fn create_everything(a: &mut Browser) -> Owned {
    let (code, short) = a.create_code("Alice's menu").await;
    let csrf = a.get("/app/microsites/new").await.csrf();
    let created = a
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", "creator"),
                ("slug", "alice-page"),
                ("title", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let page = created
        .location
        .unwrap()
        .trim_start_matches("/app/microsites/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned();
    let (status, site) = api(a, "GET", &format!("/api/v1/microsites/{page}"), None).await;
    assert_eq!(status, StatusCode::OK, "{site}");
    let block = site["blocks"][0]["id"]
        .as_str()
        .expect("a block id")
        .to_owned();

    let (status, style) = api(
        a,
        "POST",
        "/api/v1/qr/styles",
        Some(serde_json::json!({"name": "Brand", "style": {"fg": "#14532d"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{style}");
    let (status, key) = api(
        a,
        "POST",
        "/api/v1/auth/api-keys",
        Some(serde_json::json!({"name": "laptop"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let (status, domain) = api(
        a,
        "POST",
        "/api/v1/domains",
        Some(serde_json::json!({"host": "links.alice.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{domain}");
    Owned {
        code,
        short,
        page,
        slug: "alice-page".into(),
        block,
        style: style["id"].as_str().unwrap().into(),
        key: key["id"].as_str().unwrap().into(),
        domain: domain["id"].as_str().unwrap().into(),
    }
}

/// What A sees of everything A owns, to compare before and after B's attempts.
async fn snapshot(a: &mut Browser, o: &Owned) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for path in [
        format!("/api/v1/qr/{}", o.code),
        format!("/api/v1/microsites/{}", o.page),
        "/api/v1/qr/styles".to_owned(),
        "/api/v1/auth/api-keys".to_owned(),
        "/api/v1/domains".to_owned(),
    ] {
        let (status, mut body) = api(a, "GET", &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        // Last-used times may move with A's own reads.
        if let Some(items) = body.as_array_mut() {
            for item in items {
                if let Some(item) = item.as_object_mut() {
                    item.remove("last_used_at");
                }
            }
        }
        all.push(body);
    }
    all
}

backend_tests!(another_users_ids_are_404_everywhere_and_change_nothing);
async fn another_users_ids_are_404_everywhere_and_change_nothing(db: TestDb) {
    let backend = db.backend.name();
    let mut a = browser_with(db, "http://localhost:3000", &["--features", "domains"]).await;
    a.sign_up("alice@example.com").await;
    let o = create_everything(&mut a).await;
    let before = snapshot(&mut a, &o).await;

    let mut b = a.another();
    b.sign_up("bob@example.com").await;
    b.create_code("Bob's own").await;

    // The API, with B's bearer token.
    let patch_code = serde_json::json!({"name": "pwned", "destination": "https://evil.example/"});
    let patch_page = serde_json::json!({"title": "pwned"});
    let mut api_probes: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", format!("/api/v1/qr/{}", o.code), None),
        (
            "PATCH",
            format!("/api/v1/qr/{}", o.code),
            Some(patch_code.clone()),
        ),
        ("DELETE", format!("/api/v1/qr/{}", o.code), None),
        ("GET", format!("/api/v1/qr/{}/image.svg", o.code), None),
        ("GET", format!("/api/v1/qr/{}/image.png", o.code), None),
        ("GET", format!("/api/v1/qr/{}/print.svg", o.code), None),
        ("DELETE", format!("/api/v1/qr/styles/{}", o.style), None),
        ("GET", format!("/api/v1/microsites/{}", o.page), None),
        (
            "PATCH",
            format!("/api/v1/microsites/{}", o.page),
            Some(patch_page.clone()),
        ),
        (
            "POST",
            format!("/api/v1/microsites/{}/publish", o.page),
            None,
        ),
        (
            "POST",
            format!("/api/v1/microsites/{}/unpublish", o.page),
            None,
        ),
        ("DELETE", format!("/api/v1/microsites/{}", o.page), None),
        ("GET", format!("/api/v1/analytics/qr/{}", o.code), None),
        (
            "GET",
            format!("/api/v1/analytics/qr/{}/export.csv", o.code),
            None,
        ),
        (
            "GET",
            format!("/api/v1/analytics/microsites/{}", o.page),
            None,
        ),
        (
            "GET",
            format!("/api/v1/analytics/microsites/{}/export.csv", o.page),
            None,
        ),
        ("DELETE", format!("/api/v1/auth/api-keys/{}", o.key), None),
        ("DELETE", format!("/api/v1/domains/{}", o.domain), None),
    ];
    api_probes.push(("GET", format!("/api/v1/qr/export.zip?ids={}", o.code), None));
    for (method, path, body) in api_probes {
        let (status, answer) = api(&mut b, method, &path, body).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{backend}: {method} {path}: {answer}"
        );
    }
    // A's page id inside B's own code: a microsite code for a page that is not B's.
    let (status, answer) = api(
        &mut b,
        "POST",
        "/api/v1/qr",
        Some(serde_json::json!({"kind": "microsite", "microsite_id": o.page})),
    )
    .await;
    assert!(
        matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{backend}: a code for A's page: {status} {answer}"
    );

    // The pages, with B's cookie and B's own (valid) CSRF token.
    let csrf = b.get("/app/qr/new").await.csrf();
    let (c, p, k) = (&o.code, &o.page, &o.block);
    let page_gets = [
        format!("/app/qr/{c}"),
        format!("/app/qr/{c}/image.svg"),
        format!("/app/qr/{c}/image.png"),
        format!("/app/qr/{c}/analytics"),
        format!("/app/qr/{c}/analytics/export.csv"),
        format!("/app/microsites/{p}"),
        format!("/app/microsites/{p}/delete"),
        format!("/app/microsites/{p}/analytics"),
        format!("/app/microsites/{p}/analytics/export.csv"),
        format!("/app/qr/new?style={}", o.style),
        format!("/app/qr/export.zip?ids={c}"),
        format!("/m/{}/preview", o.slug),
    ];
    for path in page_gets {
        let mut page = b.get(&path).await;
        // Downloads hand over to the API (for any id, so the hop tells nothing): follow it.
        if let Some(api) = page.location.clone().filter(|l| l.starts_with("/api/")) {
            page = b.get(&api).await;
        }
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{backend}: GET {path}");
    }
    let page_posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/app/qr/{c}"),
            vec![("name", "pwned"), ("destination", "https://evil.example/")],
        ),
        (format!("/app/qr/{c}/delete"), vec![]),
        (format!("/app/qr/styles/{}/delete", o.style), vec![]),
        (
            format!("/app/microsites/{p}"),
            vec![
                ("title", "pwned"),
                ("slug", "alice-page"),
                ("theme", "light"),
            ],
        ),
        (
            format!("/app/microsites/{p}/blocks"),
            vec![
                ("type", "link"),
                ("label", "pwned"),
                ("url", "https://evil.example/"),
            ],
        ),
        (
            format!("/app/microsites/{p}/blocks/{k}"),
            vec![
                ("type", "text"),
                ("label", "pwned"),
                ("text", "pwned"),
                ("url", "https://evil.example/"),
            ],
        ),
        (
            format!("/app/microsites/{p}/blocks/{k}/move"),
            vec![("direction", "down")],
        ),
        (format!("/app/microsites/{p}/blocks/{k}/remove"), vec![]),
        (format!("/app/microsites/{p}/publish"), vec![]),
        (format!("/app/microsites/{p}/unpublish"), vec![]),
        (format!("/app/microsites/{p}/qr"), vec![]),
        (format!("/app/microsites/{p}/delete"), vec![]),
        (format!("/app/settings/api-keys/{}/delete", o.key), vec![]),
    ];
    for (path, mut form) in page_posts {
        form.push(("csrf_token", &csrf));
        let page = b.post(&path, &form).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{backend}: POST {path}: {}",
            page.html
        );
    }
    // The logo upload, as multipart.
    let logo = b
        .post_multipart(
            &format!("/app/qr/{c}/logo"),
            &[("csrf_token", None, &csrf), ("remove", None, "1")],
        )
        .await;
    assert_eq!(
        logo.status,
        StatusCode::NOT_FOUND,
        "{backend}: the logo form"
    );

    // A's short code still scans to A's destination, and nothing of A's changed.
    let scan = a.get(&format!("/r/{}", o.short)).await;
    assert_eq!(scan.location.as_deref(), Some("https://example.com/menu"));
    assert_eq!(
        snapshot(&mut a, &o).await,
        before,
        "{backend}: A's objects are unchanged"
    );
    // And nothing of A's leaked into B's lists.
    for path in ["/app", "/app/microsites", "/app/qr/styles", "/app/settings"] {
        let page = b.get(path).await;
        for secret in ["Alice", "alice-page", "links.alice.example", "laptop"] {
            assert!(
                !page.html.contains(secret),
                "{backend}: {path} shows {secret}"
            );
        }
    }
    println!("another user's ids are 404 on {backend}");
}
