//! The public page, exactly, for each theme: a change to the markup or a palette shows up as a
//! reviewed diff (`cargo insta review`, or `INSTA_UPDATE=always` to accept).

mod common;

use axum::http::{Method, StatusCode};
use common::Site;
use microsite::theme::Theme;
use serde_json::json;
use shared::testing;

fn every_block() -> serde_json::Value {
    json!([
        {"type": "profile", "id": "p", "name": "Ada Lovelace", "bio": "Notes on the Analytical Engine.", "avatar_url": "https://img.example/ada.jpg"},
        {"type": "social", "id": "s", "items": [{"network": "github", "handle": "ada"}, {"network": "website", "url": "https://ada.example"}]},
        {"type": "heading", "id": "h", "text": "Read"},
        {"type": "text", "id": "t", "text": "**Note G**, the *first* program — [read it](https://ada.example/g).", "markdown": true},
        {"type": "link", "id": "l", "label": "Buy the book", "url": "https://shop.example/ada", "icon": "shop"},
        {"type": "image", "id": "i", "url": "https://img.example/engine.jpg", "alt": "The Analytical Engine"},
        {"type": "video", "id": "v", "url": "https://youtu.be/dQw4w9WgXcQ", "title": "A lecture"},
        {"type": "contact", "id": "c", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
        {"type": "divider", "id": "d"},
        {"type": "spacer", "id": "sp", "size": "small"},
        {"type": "qr", "id": "q", "qr_id": "0190abcd", "code": "aB3dE7x", "caption": "Scan to share"}
    ])
}

#[tokio::test]
async fn the_public_page_per_theme() {
    let db = testing::sqlite().await;
    let site = Site::start(&db).await;
    let alice = site.token("alice");
    for theme in Theme::ALL {
        let slug = format!("snap-{}", theme.as_str());
        let created = site
            .create(
                "alice",
                json!({"slug": slug, "title": "Ada's links", "description": "Everything Ada.",
                       "theme": theme.as_str(), "blocks": every_block()}),
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
        let answer = site.visit(&format!("/m/{slug}")).await;
        assert_eq!(answer.status, StatusCode::OK);
        insta::assert_snapshot!(format!("page_{}", theme.as_str()), answer.text());
    }
}
