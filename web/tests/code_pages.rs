//! The QR code pages as a browser uses them, on SQLite and PostgreSQL: create with a live
//! preview, edit, download, delete — forms that keep what was typed, escape what they show, and
//! refuse cross-site posts and other people's codes.

mod common;

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

fn id_from(location: &str) -> String {
    location
        .trim_start_matches("/app/qr/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

backend_tests!(a_creator_makes_edits_downloads_and_deletes_a_code);
async fn a_creator_makes_edits_downloads_and_deletes_a_code(db: TestDb) {
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

/// A 24×24 PNG (a dot on a square), drawn for this test.
const LOGO_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAYAAADgdz34AAAAdElEQVR4AbXBQQ0DMQxE0d/RgvCpDMogKAw0EHoymLBoEcQbrTTvvb7vzw8jYSbMhJkwE2bC7OLAmIudyqAjboy56Iy56IjGmIsTYy52hJkwE2bCTJgJM9GoDE5UBjviRmXQqQw6Fwcqg6eEmTATZsJMmP0BhC8Saj3Q5bMAAAAASUVORK5CYII=";

backend_tests!(a_logo_is_uploaded_from_the_code_page_kept_on_save_and_removed);
async fn a_logo_is_uploaded_from_the_code_page_kept_on_save_and_removed(db: TestDb) {
    use base64::Engine as _;
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("logo@example.com").await;
    let csrf = browser.get("/app/qr/new").await.csrf();
    let fields = |csrf: &str, logo_id: &str| {
        [
            ("csrf_token", csrf.to_owned()),
            ("name", "Cafe door".to_owned()),
            ("destination", "https://example.com/cafe".to_owned()),
            ("fg", "#000000".to_owned()),
            ("bg", "#ffffff".to_owned()),
            ("modules", "square".to_owned()),
            ("eyes", "square".to_owned()),
            ("ecc", "M".to_owned()),
            ("logo_id", logo_id.to_owned()),
        ]
    };
    let form = fields(&csrf, "");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = browser.post("/app/qr/new", &form).await;
    let location = created.location.expect("created");
    let id = id_from(&location);
    let logo_path = format!("/app/qr/{id}/logo");
    let page = browser.get(&location).await;
    assert!(page.html.contains(&format!(
        "action=\"{logo_path}\" enctype=\"multipart/form-data\""
    )));
    assert!(page.html.contains("Logo <span class=\"muted\">(none yet)"));

    // Nothing chosen, or not an image: said on the page, the code unchanged.
    let empty = browser
        .post_multipart_typed(
            &logo_path,
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("file", Some(""), b""),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.html.contains("id=\"logo-error\""), "{}", empty.html);
    let text = browser
        .post_multipart_typed(
            &logo_path,
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("file", Some("notes.png"), b"not an image at all"),
            ],
        )
        .await;
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.html.contains("alert-error") || text.html.contains("logo-error"));

    // A post without the page's CSRF token is refused before anything is uploaded.
    let forged = browser
        .post_multipart_typed(
            &logo_path,
            "image/png",
            &[
                ("csrf_token", None, b"forged"),
                ("file", Some("a.png"), b"x"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let png = base64::engine::general_purpose::STANDARD
        .decode(LOGO_PNG)
        .unwrap();
    let uploaded = browser
        .post_multipart_typed(
            &logo_path,
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("file", Some("logo.png"), &png),
            ],
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.html);
    assert_eq!(
        uploaded.location.as_deref(),
        Some(format!("/app/qr/{id}?saved=1").as_str())
    );
    let page = browser.get(&format!("/app/qr/{id}")).await;
    assert!(page.html.contains("(in the middle of the code)"));
    let logo_id = page
        .html
        .split("name=\"logo_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(logo_id.len(), 64, "a media id: {logo_id}");
    let svg = browser.get(&format!("/app/qr/{id}/image.svg")).await;
    assert!(svg.html.contains("<image"), "the render draws the logo");

    // Saving the main form (which carries the logo in hidden fields) keeps it.
    let form = fields(&csrf, &logo_id);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = browser.post(&format!("/app/qr/{id}"), &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let page = browser.get(&format!("/app/qr/{id}")).await;
    assert!(page.html.contains(&format!("value=\"{logo_id}\"")));

    let removed = browser
        .post_multipart_typed(
            &logo_path,
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("remove", None, b"1"),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.html);
    let page = browser.get(&format!("/app/qr/{id}")).await;
    assert!(page.html.contains("(none yet)"));
    let svg = browser.get(&format!("/app/qr/{id}/image.svg")).await;
    assert!(!svg.html.contains("<image"));
}

// Issue 22 on the code page: every new style control round-trips, a style that would not scan
// is refused next to the choice to change, the vector PDF is offered and served, and the
// download keeps the code's name as written ("Café menu.png").
backend_tests!(print_styles_are_checked_and_downloaded_as_named);
async fn print_styles_are_checked_and_downloaded_as_named(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("printer@example.com").await;
    let new = browser.get("/app/qr/new").await;
    for control in [
        "name=\"transparent\"",
        "name=\"gradient\"",
        "name=\"gradient_to\"",
        "name=\"eye_color_on\"",
        "name=\"eye_color\"",
        "name=\"frame_template\"",
        "<option value=\"diamond\"",
        "<option value=\"bars\"",
        "<option value=\"leaf\"",
        "<option value=\"ticket\"",
        "Scannability guaranteed",
    ] {
        assert!(new.html.contains(control), "{control}");
    }
    let csrf = new.csrf();
    let style = [
        ("csrf_token", csrf.as_str()),
        ("name", "Café menu"),
        ("destination", "https://example.com/menu"),
        ("fg", "#1e3a8a"),
        ("bg", "#fef3c7"),
        ("modules", "leaf"),
        ("eyes", "dot"),
        ("ecc", "Q"),
        ("frame_text", "Scan for the menu"),
        ("frame_template", "ticket"),
        ("transparent", "on"),
        ("gradient", "linear"),
        ("gradient_to", "#6d28d9"),
        ("eye_color_on", "on"),
        ("eye_color", "#9f1239"),
    ];

    // Light on light: refused with the form kept and the error beside the eye colour.
    let mut pale = style.to_vec();
    pale.retain(|(k, _)| *k != "eye_color");
    pale.push(("eye_color", "#fafafa"));
    let refused = browser.post("/app/qr/new", &pale).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error_at = refused.html.find("class=\"error\"").expect("a field error");
    let control_at = refused.html.find("id=\"eye_color\"").unwrap();
    assert!(error_at > control_at, "the error sits by the eye colour");
    assert!(
        refused.html.contains("darker eye colour"),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("<option value=\"ticket\" selected>"));

    let created = browser.post("/app/qr/new", &style).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let location = created.location.unwrap();
    let id = id_from(&location);
    let page = browser.get(&location).await;
    for kept in [
        "<option value=\"leaf\" selected>",
        "<option value=\"dot\" selected>",
        "<option value=\"ticket\" selected>",
        "<option value=\"linear\" selected>",
        "name=\"transparent\" checked",
        "name=\"eye_color_on\" checked",
        "value=\"#9f1239\"",
        "value=\"#6d28d9\"",
    ] {
        assert!(page.html.contains(kept), "{kept}");
    }
    assert!(page.html.contains(&format!("/app/qr/{id}/image.pdf")));

    let png = browser
        .get(&format!("/app/qr/{id}/image.png?size=1024"))
        .await;
    assert_eq!(png.status, StatusCode::OK);
    let disposition = png.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.ends_with("filename*=UTF-8''Caf%C3%A9%20menu.png"),
        "{disposition}"
    );
    assert!(disposition.contains("filename=\"scanpage-cafe-menu-"));
    let pdf = browser.get(&format!("/app/qr/{id}/image.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));
}
