//! `/m/{slug}` as visitors meet it, on SQLite and PostgreSQL: the published snapshot only, a
//! strict CSP with no inline script, ETags, inert user content, and honest view and click events.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use common::{IPHONE, Site};
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::bus::topics;
use shared::events::{MicrositeClicked, MicrositeViewed};
use shared::testing::{self, TestDb, backend_tests};

async fn events<T: serde::de::DeserializeOwned>(sub: &mut shared::bus::Subscription) -> Vec<T> {
    let batch = sub
        .next_batch(100, Duration::from_millis(200))
        .await
        .unwrap();
    batch
        .into_iter()
        .map(|d| d.event.payload.decode().unwrap())
        .collect()
}

backend_tests!(a_view_is_published_and_the_page_is_locked_down);
async fn a_view_is_published_and_the_page_is_locked_down(db: TestDb) {
    let site = Site::start(&db).await;
    let mut views = site
        .bus
        .subscribe(topics::MICROSITE_VIEWED, "analytics", "test")
        .await
        .unwrap();
    let page = site.published("alice", "product_launch", "lumen").await;

    let answer = site
        .send(
            Request::get("/m/lumen")
                .header("user-agent", IPHONE)
                .header("accept-language", "fr-FR")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let html = answer.text();
    assert!(answer.header("content-type").starts_with("text/html"));
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    for fragment in [
        "<title>Lumen Lamp</title>",
        "<meta property=\"og:title\" content=\"Lumen Lamp\">",
        // Every published page has a generated card (`og.png`), so previews are large.
        "<meta name=\"twitter:card\" content=\"summary_large_image\">",
        "<meta property=\"og:image\" content=\"http://scan.test/m/lumen/og.png?v=",
        "<link rel=\"canonical\" href=\"http://scan.test/m/lumen\">",
        "https://player.vimeo.com/video/76979871?dnt=1",
        "href=\"/report?url=http%3A%2F%2Fscan.test%2Fm%2Flumen\"",
    ] {
        assert!(html.contains(fragment), "missing {fragment}");
    }
    assert!(!html.contains("<script"), "no script at all");
    assert!(
        !html.contains("style=\""),
        "no inline style attributes (the CSP hash covers only <style>)"
    );

    // The CSP allows exactly the inline stylesheet, by hash.
    let csp = answer.header("content-security-policy");
    assert!(
        !csp.contains("unsafe-inline") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let css = html
        .split_once("<style>")
        .unwrap()
        .1
        .split_once("</style>")
        .unwrap()
        .0;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert_eq!(answer.header("x-frame-options"), "DENY");
    assert_eq!(
        answer.header("referrer-policy"),
        "strict-origin-when-cross-origin"
    );

    // ETag: a repeat visit revalidates to 304 (and still counts as a view).
    let etag = answer.header("etag").to_owned();
    assert!(etag.starts_with("W/\""));
    let again = site
        .send(
            Request::get("/m/lumen")
                .header("if-none-match", &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    // HEAD shows in `method`, prefetches are flagged (as in qr.scanned); a QR hop is attributed.
    site.send(Request::head("/m/lumen").body(Body::empty()).unwrap())
        .await;
    site.send(
        Request::get("/m/lumen")
            .header("sec-purpose", "prefetch")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    site.visit("/m/lumen?src=qr_aB3dE7x").await;

    let seen: Vec<MicrositeViewed> = events(&mut views).await;
    assert_eq!(seen.len(), 5);
    let first = &seen[0];
    assert_eq!(first.microsite_id, page["id"].as_str().unwrap());
    assert_eq!(first.owner_id, "alice");
    assert_eq!(first.slug, "lumen");
    assert_eq!(first.visit.method, "GET");
    assert!(!first.visit.prefetch);
    assert_eq!(first.visit.accept_language.as_deref(), Some("fr-FR"));
    assert_eq!(first.visit.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(seen[2].visit.method, "HEAD");
    assert!(!seen[2].visit.prefetch && seen[3].visit.prefetch);
    assert_eq!(
        seen[4].visit.referrer.as_deref(),
        Some("http://scan.test/r/aB3dE7x")
    );
    println!("view ok on {}", db.backend.name());
}

backend_tests!(the_link_hop_publishes_a_click_and_redirects);
async fn the_link_hop_publishes_a_click_and_redirects(db: TestDb) {
    let site = Site::start(&db).await;
    let mut clicks = site
        .bus
        .subscribe(topics::MICROSITE_CLICKED, "analytics", "test")
        .await
        .unwrap();
    let page = site.published("alice", "event", "night-market").await;
    let link = page["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "link")
        .unwrap();
    let block_id = link["id"].as_str().unwrap();
    let html = site.visit("/m/night-market").await.text();
    let hop = format!("/m/night-market/l/{block_id}");
    assert!(
        html.contains(&format!("href=\"http://scan.test{hop}\"")),
        "links go through the hop"
    );

    let answer = site
        .send(
            Request::get(&hop)
                .header("user-agent", IPHONE)
                .header("referer", "http://scan.test/m/night-market")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(
        answer.header("location"),
        "https://tickets.example.com/spring"
    );
    assert_eq!(answer.header("cache-control"), "no-store");

    let seen: Vec<MicrositeClicked> = events(&mut clicks).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].block_id, block_id);
    assert_eq!(seen[0].url, "https://tickets.example.com/spring");
    assert_eq!(seen[0].owner_id, "alice");
    assert_eq!(seen[0].slug, "night-market");

    // Not a link block, unknown block, unknown page: the friendly 404.
    let heading = page["blocks"][0]["id"].as_str().unwrap();
    for path in [
        format!("/m/night-market/l/{heading}"),
        "/m/night-market/l/nope".to_owned(),
        format!("/m/nowhere/l/{block_id}"),
    ] {
        let answer = site.visit(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert!(events::<MicrositeClicked>(&mut clicks).await.is_empty());
}

backend_tests!(unpublished_unknown_and_malformed_pages_are_a_friendly_404);
async fn unpublished_unknown_and_malformed_pages_are_a_friendly_404(db: TestDb) {
    let site = Site::start(&db).await;
    site.create(
        "alice",
        json!({"slug": "draft-only", "title": "Secret draft"}),
    )
    .await;
    for path in [
        "/m/draft-only",
        "/m/nobody-here",
        "/m/..",
        "/m/%2e%2e",
        "/m/ADMIN",
        "/m/admin",
        "/m/draft-only/l/x",
    ] {
        let answer = site.visit(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            answer.header("content-type").starts_with("text/html"),
            "{path}"
        );
        assert!(!answer.text().contains("Secret draft"), "{path}");
    }
    // Preview needs the owner.
    let anonymous = site.visit("/m/draft-only/preview").await;
    assert_ne!(anonymous.status, StatusCode::OK);
    let owner = site
        .call(
            Method::GET,
            "/m/draft-only/preview",
            Some(&site.token("alice")),
            None,
        )
        .await;
    assert_eq!(owner.status, StatusCode::OK);
    assert!(owner.text().contains("Secret draft"));
}

const XSS: &str = "\"><script>alert(1)</script><img src=x onerror=alert(1)>'";

backend_tests!(user_content_is_inert_everywhere);
async fn user_content_is_inert_everywhere(db: TestDb) {
    let site = Site::start(&db).await;
    let alice = site.token("alice");
    let created = site
        .create(
            "alice",
            json!({
                "slug": "xss-test",
                "title": XSS,
                "description": XSS,
                "blocks": [
                    {"type": "profile", "name": XSS, "bio": XSS},
                    {"type": "heading", "text": XSS},
                    {"type": "text", "text": XSS},
                    {"type": "text", "text": format!("**{XSS}** [{XSS}](https://a.example/?q=\"><script>)"), "markdown": true},
                    {"type": "link", "label": XSS, "url": "https://a.example/\"><script>alert(1)</script>"},
                    {"type": "image", "url": "https://a.example/x.png?\"onerror=alert(1)", "alt": XSS},
                    {"type": "video", "url": "https://youtu.be/dQw4w9WgXcQ", "title": XSS},
                    {"type": "qr", "qr_id": "abc", "code": "aB3dE7x", "caption": XSS}
                ]
            }),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    site.call(
        Method::POST,
        &format!("/api/v1/microsites/{id}/publish"),
        Some(&alice),
        None,
    )
    .await;
    let public = site.visit("/m/xss-test").await.text();
    let preview = site
        .call(Method::GET, "/m/xss-test/preview", Some(&alice), None)
        .await
        .text();
    for html in [public, preview] {
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(
            !html.contains("\"onerror") && !html.contains("\" onerror"),
            "{html}"
        );
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    }

    // Script URLs never get in, in any URL field.
    for (i, block) in [
        json!({"type": "link", "label": "x", "url": "javascript:alert(1)"}),
        json!({"type": "link", "label": "x", "url": " JaVaScRiPt:alert(1)"}),
        json!({"type": "link", "label": "x", "url": "data:text/html;base64,PHNjcmlwdD4="}),
        json!({"type": "profile", "name": "x", "avatar_url": "javascript:alert(1)"}),
        json!({"type": "image", "url": "javascript:alert(1)", "alt": "x"}),
        json!({"type": "video", "url": "javascript:alert(1)//youtu.be/dQw4w9WgXcQ"}),
        json!({"type": "social", "items": [{"network": "website", "url": "javascript:alert(1)"}]}),
        json!({"type": "text", "text": "[x](javascript:alert(1))", "markdown": true}),
        json!({"type": "contact", "email": "a@b.co\"><script>"}),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = site
            .call(
                Method::PATCH,
                &format!("/api/v1/microsites/{id}"),
                Some(&alice),
                Some(json!({"blocks": [block]})),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "case {i}: {}",
            answer.text()
        );
    }
}

#[tokio::test]
async fn every_theme_renders_its_palette() {
    let db = testing::sqlite().await;
    let site = Site::start(&db).await;
    let alice = site.token("alice");
    for theme in microsite::theme::Theme::ALL {
        let slug = format!("theme-{}", theme.as_str());
        let created = site
            .create(
                "alice",
                json!({"slug": slug, "title": "Themed", "theme": theme.as_str(), "lang": "de",
                       "blocks": [{"type": "link", "label": "Go", "url": "https://a.example"}]}),
            )
            .await;
        let id = created["id"].as_str().unwrap();
        site.call(
            Method::POST,
            &format!("/api/v1/microsites/{id}/publish"),
            Some(&alice),
            None,
        )
        .await;
        let html = site.visit(&format!("/m/{slug}")).await.text();
        let css = microsite::theme::css(theme, &microsite::theme::Tweaks::default());
        assert!(html.contains(&css), "{theme:?}");
        assert!(html.contains("<html lang=\"de\">"));
        assert!(html.contains(":focus-visible"), "visible focus");
        let scheme = if theme.is_dark() {
            "color-scheme:dark"
        } else {
            "color-scheme:light"
        };
        assert!(css.contains(scheme), "{theme:?}");
    }
}

/// The figure for the report: `cargo test -p microsite --test public -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn measure_the_largest_template() {
    use microsite::page::{Mode, render};
    let mut largest = None;
    for name in microsite::starters::NAMES {
        let content = microsite::starters::starter(name).unwrap();
        let size = render(&content, "size", "https://scanpage.example", Mode::Public)
            .html
            .len();
        if largest.as_ref().is_none_or(|(_, s, _)| size > *s) {
            largest = Some((name, size, content));
        }
    }
    let (name, size, content) = largest.unwrap();
    let runs = 2_000;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(render(
            &content,
            "size",
            "https://scanpage.example",
            Mode::Public,
        ));
    }
    let per = start.elapsed() / runs;
    println!("largest template: {name}; HTML+inline CSS = {size} bytes; render = {per:?} per page");

    let db = testing::sqlite().await;
    let site = Site::start(&db).await;
    site.published("alice", name, "measure").await;
    site.visit("/m/measure").await;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(site.visit("/m/measure").await);
    }
    println!(
        "served from cache through the full router: {:?} per request",
        start.elapsed() / runs
    );
}

#[test]
fn every_template_is_well_under_thirty_kilobytes() {
    use microsite::page::{Mode, render};
    for name in microsite::starters::NAMES {
        let content = microsite::starters::starter(name).unwrap();
        let page = render(
            &content,
            "a-fairly-long-slug-name",
            "https://scanpage.example",
            Mode::Public,
        );
        assert!(
            page.html.len() < 30 * 1024,
            "{name}: {} bytes",
            page.html.len()
        );
    }
}
