//! What a creator publishes, as visitors meet it, on SQLite and PostgreSQL: social icons drawn as
//! SVG, every outbound link (social, Markdown, contact) counted through the tracked hop, which
//! only ever sends visitors to the page's own links, and the QR block drawn in its code's style.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{IPHONE, Site};
use serde_json::json;
use shared::bus::topics;
use shared::events::MicrositeClicked;
use shared::testing::{TestDb, backend_tests};

async fn clicks(sub: &mut shared::bus::Subscription) -> Vec<MicrositeClicked> {
    sub.next_batch(100, Duration::from_millis(200))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.event.payload.decode().unwrap())
        .collect()
}

/// Creates and publishes `blocks` as alice's page `slug`; returns the saved blocks.
async fn publish(site: &Site, slug: &str, blocks: serde_json::Value) -> Vec<serde_json::Value> {
    let page = site
        .create(
            "alice",
            json!({"slug": slug, "title": "Maya bakes", "blocks": blocks}),
        )
        .await;
    let id = page["id"].as_str().unwrap();
    let published = site
        .call(
            Method::POST,
            &format!("/api/v1/microsites/{id}/publish"),
            Some(&site.token("alice")),
            None,
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    published.json()["blocks"].as_array().unwrap().clone()
}

backend_tests!(social_links_are_svg_icons_with_names);
async fn social_links_are_svg_icons_with_names(db: TestDb) {
    let site = Site::start(&db).await;
    publish(
        &site,
        "icons",
        json!([{"type": "social", "items": [
            {"network": "instagram", "handle": "maya"},
            {"network": "tiktok", "handle": "maya"},
            {"network": "linkedin", "handle": "maya"}
        ]}]),
    )
    .await;
    let html = site.visit("/m/icons").await.text();
    let social = &html[html.find("<ul class=\"social\">").unwrap()..];
    let social = &social[..social.find("</ul>").unwrap()];
    assert_eq!(social.matches("<svg").count(), 3, "{social}");
    assert_eq!(social.matches("aria-hidden=\"true\"").count(), 3);
    for name in ["Instagram", "TikTok", "LinkedIn"] {
        assert!(
            social.contains(&format!("<span class=\"sr\">{name}</span>")),
            "{name} has an accessible name"
        );
    }
    for badge in [">IG<", ">TT<", ">in<"] {
        assert!(!social.contains(badge), "no text badge {badge}");
    }
}

backend_tests!(every_outbound_link_goes_through_the_hop);
async fn every_outbound_link_goes_through_the_hop(db: TestDb) {
    let site = Site::start(&db).await;
    let mut events = site
        .bus
        .subscribe(topics::MICROSITE_CLICKED, "analytics", "test")
        .await
        .unwrap();
    let blocks = publish(
        &site,
        "tracked",
        json!([
            {"type": "heading", "text": "Hello"},
            {"type": "social", "items": [
                {"network": "instagram", "handle": "maya"},
                {"network": "website", "url": "https://maya.example/shop?a=1&b=2"},
                {"network": "mastodon", "url": "https://mastodon.example/@maya"}
            ]},
            {"type": "text", "markdown": true,
             "text": "See [the menu](https://maya.example/menu) or [write](mailto:hi@maya.example)"},
            {"type": "contact", "email": "hi@maya.example", "phone": "+44 20 7946 0958"}
        ]),
    )
    .await;
    let id = |i: usize| blocks[i]["id"].as_str().unwrap().to_owned();
    let (heading, social, text, contact) = (id(0), id(1), id(2), id(3));
    let base = "http://scan.test/m/tracked/l";
    let page = site.visit("/m/tracked").await;
    // `<a ping>` may reach the hop's origin.
    assert!(
        page.header("content-security-policy")
            .contains("connect-src http://scan.test;")
    );
    let html = page.text();

    // The page links to the hop, never straight out (mailto:/tel: open the app and ping it).
    for href in [
        format!("href=\"{base}/{social}\""),
        format!("href=\"{base}/{social}/1\""),
        // Mastodon verifies `rel="me"` links: the profile itself, counted by ping.
        format!("href=\"https://mastodon.example/@maya\" ping=\"{base}/{social}/2\""),
        format!("href=\"{base}/{text}\""),
        format!("href=\"mailto:hi@maya.example\" ping=\"{base}/{text}/1\""),
        format!("href=\"mailto:hi@maya.example\" ping=\"{base}/{contact}\""),
        format!("ping=\"{base}/{contact}/1\""),
    ] {
        assert!(html.contains(&href), "{href} in {html}");
    }
    for direct in [
        "href=\"https://www.instagram.com/maya\"",
        "href=\"https://maya.example/menu\"",
        "href=\"https://maya.example/shop",
    ] {
        assert!(!html.contains(direct), "{direct} bypasses the hop");
    }

    // Each hop sends the visitor to that link of that block, and nothing else.
    for (path, to) in [
        (
            format!("/m/tracked/l/{social}"),
            "https://www.instagram.com/maya",
        ),
        (
            format!("/m/tracked/l/{social}/1"),
            "https://maya.example/shop?a=1&b=2",
        ),
        (
            format!("/m/tracked/l/{text}/0"),
            "https://maya.example/menu",
        ),
        (format!("/m/tracked/l/{text}/1"), "mailto:hi@maya.example"),
        // A URL in the query string changes nothing.
        (
            format!("/m/tracked/l/{social}/1?url=https://evil.example/"),
            "https://maya.example/shop?a=1&b=2",
        ),
    ] {
        let answer = site.visit(&path).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{path}");
        assert_eq!(answer.header("location"), to, "{path}");
        assert_eq!(answer.header("cache-control"), "no-store");
    }
    let seen = clicks(&mut events).await;
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[1].block_id, social);
    assert_eq!(seen[1].url, "https://maya.example/shop?a=1&b=2");
    assert_eq!(seen[2].block_id, text);

    // Forged indexes and blocks without links: the friendly 404, nothing counted.
    for path in [
        format!("/m/tracked/l/{social}/3"),
        format!("/m/tracked/l/{social}/-1"),
        format!("/m/tracked/l/{social}/+1"),
        format!("/m/tracked/l/{social}/99999999999999999999"),
        format!("/m/tracked/l/{text}/2"),
        format!("/m/tracked/l/{heading}"),
        format!("/m/tracked/l/{heading}/0"),
        format!("/m/tracked/l/{contact}/2"),
    ] {
        assert_eq!(
            site.visit(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert!(clicks(&mut events).await.is_empty());

    // `<a ping>`: a POST, counted, no redirect.
    let ping = site
        .send(
            Request::post(format!("/m/tracked/l/{contact}/1"))
                .header("user-agent", IPHONE)
                .header("content-type", "text/ping")
                .body(Body::from("PING"))
                .unwrap(),
        )
        .await;
    assert_eq!(ping.status, StatusCode::NO_CONTENT);
    let seen = clicks(&mut events).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].block_id, contact);
    assert_eq!(seen[0].url, "tel:+442079460958");
}

const STYLED: &str = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\" fill=\"#ff0066\"/><text>Scan on your phone</text></svg>";

backend_tests!(the_qr_block_is_drawn_in_its_codes_style);
async fn the_qr_block_is_drawn_in_its_codes_style(db: TestDb) {
    let site = Site::start(&db).await;
    site.qr.set_svg("0190abcd", STYLED);
    // What a request says the picture is does not count.
    let blocks = publish(
        &site,
        "styled",
        json!([{"type": "qr", "qr_id": "0190abcd",
                "svg": "<svg><script>alert(1)</script></svg>"}]),
    )
    .await;
    assert!(blocks[0]["svg"].as_str().unwrap().contains("#ff0066"));
    let html = site.visit("/m/styled").await.text();
    assert!(html.contains("fill=\"#ff0066\""), "qr's drawing: {html}");
    assert!(!html.contains("<?xml"), "inline SVG has no prolog");
    assert!(!html.contains("alert(1)"));
    assert!(
        !html.contains("fill=\"currentColor\" d=\"M"),
        "not the plain code"
    );

    // No styled drawing (or one that could run script): the plain code.
    site.qr.set_svg("abc", "<svg onload=\"alert(1)\"></svg>");
    publish(
        &site,
        "plain",
        json!([{"type": "qr", "qr_id": "abc",
                "svg": "<svg><rect fill=\"#ff0066\"/></svg>"}]),
    )
    .await;
    let html = site.visit("/m/plain").await.text();
    assert!(
        html.contains("fill=\"currentColor\" d=\"M"),
        "plain code: {html}"
    );
    assert!(!html.contains("#ff0066"));
    assert!(!html.contains("onload"));
}

/// qr's `image.svg` as the real directory meets it: alice's code `mine` is styled, `evil` is
/// an SVG that could run script, everything else is qr's 404.
fn fake_qr_images() -> axum::Router {
    use axum::response::IntoResponse;
    axum::Router::new().route(
        "/api/v1/qr/{id}/image.svg",
        axum::routing::get(
            |axum::extract::Path(id): axum::extract::Path<String>,
             headers: axum::http::HeaderMap| async move {
                let caller = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                match (id.as_str(), caller.as_str()) {
                    ("mine", "Bearer alice-token") => {
                        ([("content-type", "image/svg+xml")], STYLED).into_response()
                    }
                    ("evil", "Bearer alice-token") => (
                        [("content-type", "image/svg+xml")],
                        "<svg><foreignObject><iframe src=x></iframe></foreignObject></svg>",
                    )
                        .into_response(),
                    _ => shared::ApiError::not_found().into_response(),
                }
            },
        ),
    )
}

#[tokio::test]
async fn the_real_directory_fetches_the_styled_svg_as_the_caller() {
    use microsite::qr_directory::{QrDirectory, QrServiceDirectory};
    use shared::client::ServiceClient;
    use shared::config::Service;

    let directory =
        QrServiceDirectory::new(ServiceClient::in_process(Service::Qr, fake_qr_images()));
    let svg = directory
        .styled_svg("alice", "alice-token", "mine")
        .await
        .expect("alice's code, drawn");
    assert!(svg.starts_with("<svg "), "the prolog is dropped: {svg}");
    assert!(svg.contains("#ff0066"));
    assert_eq!(directory.styled_svg("bob", "bob-token", "mine").await, None);
    assert_eq!(
        directory.styled_svg("alice", "alice-token", "evil").await,
        None,
        "an SVG that embeds HTML is refused"
    );
}
