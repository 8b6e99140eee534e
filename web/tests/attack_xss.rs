//! Stored and reflected XSS, and CSV formula injection, on SQLite and PostgreSQL. A user types
//! script payloads into every text and URL field they have — code names, tags, UTM values, frame
//! captions, destinations, microsite titles, descriptions, profile names, block texts and links,
//! style and API key names, feedback, interview contacts, abuse reports, custom domains — through
//! the real API and forms; then every page that shows those values (dashboard, editor, builder,
//! the public page and its preview, analytics, settings, the founder's console) is fetched and
//! must carry the escaped text, never the markup. Spreadsheet exports start formula cells with `'`.

mod common;

use std::time::Duration;

use axum::http::{Request, StatusCode, header};
use common::browser::{Browser, browser_with};
use shared::testing::{TestDb, backend_tests};

const FOUNDER: &str = "boss@example.com";

const PAYLOADS: [&str; 7] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}",
];

/// Markup that must never reach a page as markup, whatever was escaped around it.
const NEVER: [&str; 6] = [
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "<svg/onload",
    "onerror=alert(1)>",
    "</title><script",
];

/// How askama writes `text` into HTML.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn assert_clean(html: &str, page: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in NEVER {
        assert!(!lower.contains(bad), "{page} carries the markup {bad}");
    }
    for attr in [
        "href=\"javascript:",
        "src=\"javascript:",
        "href='javascript:",
        "action=\"javascript:",
    ] {
        assert!(!lower.contains(attr), "{page} links to {attr}");
    }
}

/// A JSON call with the browser's own session.
async fn api(
    b: &mut Browser,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    let page = b.send(request, Some(body.to_string())).await;
    (
        page.status,
        serde_json::from_str(&page.html).unwrap_or_default(),
    )
}

/// Where each payload went: the code and page made with it.
struct Planted {
    codes: Vec<(String, String)>,
    pages: Vec<(String, String)>,
}

async fn plant(m: &mut Browser) -> Planted {
    let mut planted = Planted {
        codes: Vec::new(),
        pages: Vec::new(),
    };
    for (i, p) in PAYLOADS.iter().enumerate() {
        // A code named with the payload; then each other field on its own, so one refusal does
        // not hide the others. Refusing a value is a fine defence: only what is stored is shown.
        let (status, code) = api(
            m,
            "POST",
            "/api/v1/qr",
            serde_json::json!({"name": p, "destination": "https://example.com/menu"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "a code named {p}: {code}");
        let id = code["id"].as_str().unwrap().to_owned();
        let short = code["code"].as_str().unwrap().to_owned();
        let frame: String = p.chars().take(24).collect();
        for change in [
            serde_json::json!({"tags": [p]}),
            serde_json::json!({"utm": {"source": p, "campaign": p}}),
            serde_json::json!({"style": {"frame": {"text": frame}}}),
            serde_json::json!({"destination": format!("https://example.com/?q={p}")}),
            serde_json::json!({"destination": p}),
        ] {
            let (status, answer) =
                api(m, "PATCH", &format!("/api/v1/qr/{id}"), change.clone()).await;
            assert!(
                status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{change}: {status} {answer}"
            );
        }
        // `javascript:` is never a destination.
        let (_, now) = api(
            m,
            "GET",
            &format!("/api/v1/qr/{id}"),
            serde_json::Value::Null,
        )
        .await;
        assert!(
            !now["destination"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
                .starts_with("javascript"),
            "{now}"
        );
        planted.codes.push((id, short));

        let slug = format!("xss-{i}");
        let (status, page) = api(
            m,
            "POST",
            "/api/v1/microsites",
            serde_json::json!({
                "slug": slug,
                "title": p,
                "description": p,
                "blocks": [
                    {"type": "profile", "name": p, "bio": p},
                    {"type": "heading", "text": p},
                    {"type": "text", "text": p},
                    {"type": "text", "text": format!("**{p}** [{p}](https://example.com/)"), "markdown": true},
                    {"type": "link", "label": p, "url": format!("https://example.com/?q={p}")},
                ],
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "a page made of {p}: {page}");
        let page_id = page["id"].as_str().unwrap().to_owned();
        for refused in [
            serde_json::json!({"blocks": [{"type": "link", "label": "x", "url": p}]}),
            serde_json::json!({"tweaks": {"accent": format!("red;}}</style>{p}")}}),
            serde_json::json!({"lang": p}),
            serde_json::json!({"blocks": [{"type": "text", "text": "[x](javascript:alert(1))", "markdown": true}]}),
        ] {
            if p.starts_with("javascript") || p.contains('<') {
                let (status, _) = api(
                    m,
                    "PATCH",
                    &format!("/api/v1/microsites/{page_id}"),
                    refused.clone(),
                )
                .await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
            }
        }
        let (status, _) = api(
            m,
            "POST",
            &format!("/api/v1/microsites/{page_id}/publish"),
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "publish");
        planted.pages.push((page_id, slug));

        let (status, _) = api(
            m,
            "POST",
            "/api/v1/qr/styles",
            serde_json::json!({"name": p, "style": {}}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "a style named {p}");
        let (status, _) = api(
            m,
            "POST",
            "/api/v1/auth/api-keys",
            serde_json::json!({"name": p}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "a key named {p}");
        let (status, _) = api(m, "POST", "/api/v1/domains", serde_json::json!({"host": p})).await;
        assert!(status.is_client_error(), "a domain named {p}: {status}");
    }
    // Feedback, an interview contact and an abuse report carry every payload at once (they are
    // rate-limited or kept once per user).
    let all = PAYLOADS.join(" ");
    let csrf = m.get("/app").await.csrf();
    let sent = m
        .post(
            "/app/feedback",
            &[("csrf_token", &csrf), ("message", &all), ("rating", "4")],
        )
        .await;
    assert!(
        sent.status.is_success() || sent.status.is_redirection(),
        "feedback: {}",
        sent.status
    );
    let sent = m
        .post(
            "/app/interview",
            &[
                ("csrf_token", &csrf),
                ("answer", "yes"),
                ("contact", &all),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(
        sent.status,
        StatusCode::SEE_OTHER,
        "interview: {}",
        sent.html
    );
    let csrf = m.get("/report").await.csrf();
    let short = &planted.codes[0].1;
    let sent = m
        .post(
            "/report",
            &[
                ("csrf_token", &csrf),
                ("target", short),
                ("reason", "phishing"),
                ("details", &all),
            ],
        )
        .await;
    assert!(
        sent.status.is_success() || sent.status.is_redirection(),
        "report: {} {}",
        sent.status,
        sent.html
    );
    planted
}

backend_tests!(stored_payloads_are_escaped_on_every_page_that_shows_them);
async fn stored_payloads_are_escaped_on_every_page_that_shows_them(db: TestDb) {
    let backend = db.backend.name();
    let mut boss = browser_with(
        db,
        "http://localhost:3000",
        &[
            "--founder-emails",
            FOUNDER,
            "--features",
            "domains,print-studio",
        ],
    )
    .await;
    boss.sign_up_founder(FOUNDER).await;
    let mut m = boss.another();
    m.sign_up("mallory@example.com").await;
    let planted = plant(&mut m).await;

    let mut pages: Vec<String> = [
        "/app",
        "/app/analytics",
        "/app/microsites",
        "/app/qr/styles",
        "/app/qr/new",
        "/app/qr/bulk",
        "/app/settings",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (id, _) in &planted.codes {
        pages.push(format!("/app/qr/{id}"));
        pages.push(format!("/app/qr/{id}/analytics"));
        pages.push(format!("/api/v1/qr/{id}/print.svg"));
        for p in PAYLOADS {
            let caption = common::browser::url_encode(p);
            pages.push(format!("/api/v1/qr/{id}/print.svg?caption={caption}"));
        }
        pages.push(format!("/app/qr/{id}/image.svg"));
    }
    for (id, slug) in &planted.pages {
        pages.push(format!("/app/microsites/{id}"));
        pages.push(format!("/app/microsites/{id}/delete"));
        pages.push(format!("/m/{slug}"));
        pages.push(format!("/m/{slug}/preview"));
    }
    let mut shown = String::new();
    for path in &pages {
        let page = m.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{backend}: {path}");
        assert_clean(&page.html, path);
        shown.push_str(&page.html);
    }
    // The values were shown (escaped), so the checks above looked at them.
    for p in PAYLOADS {
        assert!(
            shown.contains(&escaped(p)),
            "{backend}: {p} is shown escaped somewhere"
        );
    }
    assert!(
        shown.contains("{{7*7}}"),
        "template syntax is shown as typed"
    );

    // The founder's console shows the users' words.
    let mut console = String::new();
    for path in [
        "/admin",
        "/admin/users",
        "/admin/feedback",
        "/admin/reports",
        "/admin/waitlist",
        "/admin/invites",
        "/admin/blocklist",
    ] {
        let page = boss.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{backend}: {path}");
        assert_clean(&page.html, path);
        console.push_str(&page.html);
    }
    assert!(
        console.contains(&escaped(PAYLOADS[0])),
        "{backend}: the feedback is shown escaped"
    );
    println!("{} pages clean on {backend}", pages.len() + 7);
}

backend_tests!(reflected_payloads_are_escaped);
async fn reflected_payloads_are_escaped(db: TestDb) {
    let backend = db.backend.name();
    let mut boss = browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    boss.sign_up_founder(FOUNDER).await;
    let mut anon = boss.another();
    for p in PAYLOADS {
        let q = common::browser::url_encode(p);
        for path in [
            format!("/app?q={q}"),
            format!("/app?tag={q}"),
            format!("/app/analytics?from={q}&to={q}"),
            format!("/app/qr/new?style={q}"),
            format!("/admin/users?q={q}&sort={q}"),
            format!("/admin?cohort={q}"),
            format!("/no-such-page/{q}"),
        ] {
            let page = boss.get(&path).await;
            assert!(
                !page.status.is_server_error(),
                "{backend}: {path}: {}",
                page.status
            );
            assert_clean(&page.html, &path);
        }
        for path in [
            format!("/login?next={q}"),
            format!("/login?notice={q}"),
            format!("/signup?email={q}&invite={q}"),
            format!("/report?target={q}"),
            format!("/reset/{q}"),
            format!("/verify/{q}"),
            format!("/m/{q}"),
            format!("/r/{q}"),
        ] {
            let page = anon.get(&path).await;
            assert!(
                !page.status.is_server_error(),
                "{backend}: {path}: {}",
                page.status
            );
            assert_clean(&page.html, &path);
            if let Some(to) = &page.location {
                assert!(
                    to.starts_with('/'),
                    "{backend}: {path} sends the browser to {to}"
                );
            }
        }
        // A form sent back with an error shows what was typed, escaped.
        let csrf = anon.get("/signup").await.csrf();
        let page = anon
            .post(
                "/signup",
                &[("csrf_token", &csrf), ("email", p), ("password", "x")],
            )
            .await;
        assert_clean(&page.html, "the signup form");
    }
    println!("reflected payloads escaped on {backend}");
}

fn assert_no_formula_cells(csv_text: &str, what: &str) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_text.as_bytes());
    let mut rows = 0;
    for record in reader.records() {
        let record = record.expect("valid CSV");
        for cell in &record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{what}: a formula cell {cell:?}"
            );
        }
        rows += 1;
    }
    assert!(rows > 0, "{what}: the export has rows");
}

backend_tests!(csv_exports_defuse_formula_cells);
async fn csv_exports_defuse_formula_cells(db: TestDb) {
    let backend = db.backend.name();
    let mut boss = browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    boss.sign_up_founder(FOUNDER).await;
    let mut m = boss.another();
    m.sign_up("=1+2@example.com").await;
    let signed_in = m.get("/app").await;
    assert_eq!(
        signed_in.status,
        StatusCode::OK,
        "{backend}: the formula-looking email signed up"
    );
    let csrf = signed_in.csrf();
    let sent = m
        .post(
            "/app/interview",
            &[
                ("csrf_token", &csrf),
                ("answer", "yes"),
                ("contact", "=cmd|' /C calc'!A0"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(
        sent.status,
        StatusCode::SEE_OTHER,
        "the interview answer: {}",
        sent.html
    );
    let (id, short) = m.create_code("-2+3").await;

    // Scans whose headers look like formulas.
    for value in ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tx"] {
        let scan = m
            .send(
                Request::get(format!("/r/{short}"))
                    .header(
                        "referer",
                        format!(
                            "https://{}.example/",
                            value.trim().replace(['|', '\'', ' ', '!', '(', ')'], "")
                        ),
                    )
                    .header("accept-language", value.trim())
                    .header(
                        "user-agent",
                        format!(
                            "{} Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
                            value.trim()
                        ),
                    ),
                None,
            )
            .await;
        assert_eq!(scan.status, StatusCode::FOUND);
    }
    // Analytics takes scans from the bus: wait (bounded) for them.
    let mut export = String::new();
    for _ in 0..100 {
        // The page's download link hands over to the API's export.
        let hop = m.get(&format!("/app/qr/{id}/analytics/export.csv")).await;
        export = m
            .get(hop.location.as_deref().unwrap_or_default())
            .await
            .html;
        if export.lines().count() > 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_no_formula_cells(&export, "the scan export");

    // The interview reaches the founder's numbers through the bus: wait (bounded) for it.
    let mut users = boss.get("/admin/users.csv").await;
    for _ in 0..100 {
        if users.html.contains("'=cmd|") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        users = boss.get("/admin/users.csv").await;
    }
    assert_eq!(users.status, StatusCode::OK);
    assert!(
        users.html.contains("'=1+2@example.com"),
        "{backend}: {}",
        users.html
    );
    assert!(users.html.contains("'=cmd|"), "{backend}: {}", users.html);
    assert_no_formula_cells(&users.html, "the users export");
    println!("formula cells defused on {backend}");
}
