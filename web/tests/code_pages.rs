//! The QR code pages as a browser uses them, on SQLite and PostgreSQL: create with a live
//! preview, edit, download, delete — forms that keep what was typed, escape what they show, and
//! refuse cross-site posts and other people's codes.

mod common;

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::databases;

fn id_from(location: &str) -> String {
    location
        .trim_start_matches("/app/qr/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_creator_makes_edits_downloads_and_deletes_a_code() {
    for db in databases("a_creator_makes_edits_downloads_and_deletes_a_code").await {
        let mut browser = browser(db, "http://localhost:3000").await;
        browser.sign_up("maker@example.com").await;

        let new = browser.get("/app/qr/new").await;
        assert_eq!(new.status, StatusCode::OK);
        assert!(
            new.html.contains("<svg"),
            "the preview is rendered without JavaScript"
        );
        assert!(new.html.contains("hx-post=\"/app/qr/preview\""));
        let csrf = new.csrf();

        let created = browser
            .post(
                "/app/qr/new",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Spring menu"),
                    ("destination", "https://example.com/menu"),
                    ("tags", "food, spring"),
                    ("fg", "#1e3a8a"),
                    ("bg", "#ffffff"),
                    ("modules", "rounded"),
                    ("eyes", "rounded"),
                    ("ecc", "Q"),
                    ("frame_text", "Scan me"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
        let location = created.location.unwrap();
        let id = id_from(&location);

        let page = browser.get(&location).await;
        assert!(page.html.contains("Saved."));
        assert!(page.html.contains("http://localhost:3000/r/"));
        assert!(page.html.contains("value=\"Spring menu\""));
        assert!(page.html.contains("<option value=\"rounded\" selected>"));

        let list = browser.get("/app").await;
        assert!(list.html.contains("Spring menu"));
        assert!(list.html.contains(&format!("/app/qr/{id}/image.svg")));
        let filtered = browser.get("/app?tag=spring").await;
        assert!(filtered.html.contains("Spring menu"));
        let none = browser.get("/app?q=nothing-like-this").await;
        assert!(none.html.contains("No codes match"));

        let png = browser
            .get(&format!("/app/qr/{id}/image.png?size=512"))
            .await;
        assert_eq!(png.status, StatusCode::OK);
        assert!(png.set_cookies.is_empty() || png.status == StatusCode::OK);

        let edited = browser
            .post(
                &format!("/app/qr/{id}"),
                &[
                    ("csrf_token", &csrf),
                    ("name", "Summer menu"),
                    ("destination", "https://example.com/summer"),
                    ("fg", "#000000"),
                    ("bg", "#ffffff"),
                    ("modules", "square"),
                    ("eyes", "square"),
                    ("ecc", "M"),
                    ("paused", "on"),
                ],
            )
            .await;
        assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
        let page = browser.get(&format!("/app/qr/{id}")).await;
        assert!(page.html.contains("value=\"Summer menu\""));
        assert!(page.html.contains("name=\"paused\" checked"));

        let deleted = browser
            .post(&format!("/app/qr/{id}/delete"), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert_eq!(
            browser.get(&format!("/app/qr/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn mistakes_are_shown_next_to_their_field_and_nothing_is_lost() {
    let mut browser = browser(shared::testing::sqlite().await, "http://localhost:3000").await;
    browser.sign_up("typo@example.com").await;
    let csrf = browser.get("/app/qr/new").await.csrf();
    let page = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Poster <b>bold</b>"),
                ("destination", "javascript:alert(1)"),
                ("fg", "#000000"),
                ("bg", "#ffffff"),
                ("modules", "dots"),
                ("eyes", "square"),
                ("ecc", "M"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.html.contains("id=\"destination-error\""),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Poster &#60;b&#62;bold&#60;/b&#62;"),
        "typed values kept, escaped"
    );
    assert!(!page.html.contains("<b>bold</b>"));
    assert!(page.html.contains("<option value=\"dots\" selected>"));

    let low_contrast = browser
        .post(
            "/app/qr/preview",
            &[("csrf_token", &csrf), ("fg", "#777777"), ("bg", "#888888")],
        )
        .await;
    assert_eq!(low_contrast.status, StatusCode::OK);
    assert!(
        low_contrast.html.contains("contrast"),
        "{}",
        low_contrast.html
    );
}

#[tokio::test]
async fn names_are_escaped_everywhere_they_are_shown() {
    let mut browser = browser(shared::testing::sqlite().await, "http://localhost:3000").await;
    browser.sign_up("xss@example.com").await;
    let csrf = browser.get("/app/qr/new").await.csrf();
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let created = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", payload),
                ("destination", "https://example.com"),
                ("tags", "a"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    for path in ["/app".to_owned(), created.location.unwrap()] {
        let html = browser.get(&path).await.html;
        assert!(!html.contains("<script>alert(1)"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
    }
}

#[tokio::test]
async fn cross_site_posts_and_other_peoples_codes_are_refused() {
    let mut alice = browser(shared::testing::sqlite().await, "http://localhost:3000").await;
    alice.sign_up("alice@example.com").await;
    let csrf = alice.get("/app/qr/new").await.csrf();
    let created = alice
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Mine"),
                ("destination", "https://example.com"),
            ],
        )
        .await;
    let id = id_from(&created.location.unwrap());

    // Without the form token: refused, and nothing changes.
    let forged = alice
        .post(
            &format!("/app/qr/{id}/delete"),
            &[("csrf_token", "not-the-token")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // From another site: refused by the Origin check.
    let cross = alice
        .send(
            Request::post(format!("/app/qr/{id}/delete")).header("origin", "https://evil.example"),
            Some(encode(&[("csrf_token", &csrf)])),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(
        alice.get(&format!("/app/qr/{id}")).await.status,
        StatusCode::OK
    );

    // Signed out: sent to log in.
    let mut stranger = browser(shared::testing::sqlite().await, "http://localhost:3000").await;
    let redirected = stranger.get("/app").await;
    assert_eq!(redirected.status, StatusCode::SEE_OTHER);
    assert!(redirected.location.unwrap().starts_with("/login?next="));
}
