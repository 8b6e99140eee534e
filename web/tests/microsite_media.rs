//! Issue 22's microsite media, as a browser uses the builder, on SQLite and PostgreSQL: an avatar
//! chosen as a file is uploaded through media and stored as its `/media/…` path, the published
//! page shows it and its og:image card is a 1200×630 PNG; a file media refuses is an error on
//! that block with what was typed kept; a template's placeholders hold publishing back until
//! the owner says "publish anyway".

mod common;

use axum::http::StatusCode;
use base64::Engine as _;
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

/// A 24×24 PNG (the code pages' logo).
const AVATAR_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAYAAADgdz34AAAAdElEQVR4AbXBQQ0DMQxE0d/RgvCpDMogKAw0EHoymLBoEcQbrTTvvb7vzw8jYSbMhJkwE2bC7OLAmIudyqAjboy56Iy56IjGmIsTYy52hJkwE2bCTJgJM9GoDE5UBjviRmXQqQw6Fwcqg6eEmTATZsJMmP0BhC8Saj3Q5bMAAAAASUVORK5CYII=";

async fn new_page(browser: &mut Browser, template: &str, slug: &str, title: &str) -> String {
    let csrf = browser.get("/app/microsites/new").await.csrf();
    let created = browser
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", template),
                ("slug", slug),
                ("title", title),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    created
        .location
        .unwrap()
        .trim_start_matches("/app/microsites/")
        .split(['?', '#', '/'])
        .next()
        .unwrap()
        .to_owned()
}

/// The value of the input named `name` in the first form that has one after `after`.
fn input_value<'a>(html: &'a str, after: &str, name: &str) -> &'a str {
    html.split(after)
        .nth(1)
        .and_then(|rest| rest.split(&format!("name=\"{name}\"")).nth(1))
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} after {after}"))
}

backend_tests!(an_uploaded_avatar_is_stored_as_media_and_published);
async fn an_uploaded_avatar_is_stored_as_media_and_published(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("avatar@example.com").await;
    let id = new_page(&mut browser, "", "gus-page", "Gus Green").await;
    let builder = browser.get(&format!("/app/microsites/{id}")).await;
    let csrf = builder.csrf();
    // The profile and image forms are multipart, posted to the upload routes.
    assert!(builder.html.contains(&format!(
        "action=\"/app/microsites/{id}/upload\" hx-post=\"/app/microsites/{id}/upload\" enctype=\"multipart/form-data\""
    )));
    assert!(
        builder
            .html
            .contains("id=\"new-profile-avatar-file\" name=\"file\" type=\"file\"")
    );
    assert!(
        builder
            .html
            .contains("id=\"new-image-image-file\" name=\"file\" type=\"file\"")
    );

    // Not an image: an error on the profile form, the name typed kept, nothing saved.
    let upload = format!("/app/microsites/{id}/upload");
    let refused = browser
        .post_multipart_typed(
            &upload,
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("type", None, b"profile"),
                ("name", None, "Gus <Green>".as_bytes()),
                ("bio", None, b"Gardener"),
                ("avatar_url", None, b""),
                ("file", Some("notes.png"), b"this is not an image"),
            ],
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(
        refused.html.contains("id=\"new-profile-error\""),
        "the error is on the profile form: {}",
        refused.html
    );
    assert!(
        refused.html.contains("value=\"Gus &#60;Green&#62;\""),
        "kept as typed"
    );
    assert!(refused.html.contains(">Gardener</textarea>"));
    let still = browser.get(&format!("/app/microsites/{id}")).await;
    assert!(
        !still.html.contains("<li class=\"card ms-block\""),
        "nothing saved"
    );

    // A PNG: uploaded through media, the block stores its path.
    let png = base64::engine::general_purpose::STANDARD
        .decode(AVATAR_PNG)
        .unwrap();
    let added = browser
        .post_multipart_typed(
            &upload,
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("type", None, b"profile"),
                ("name", None, b"Gus Green"),
                ("bio", None, b"Gardener"),
                ("avatar_url", None, b"https://img.example/replaced.png"),
                ("file", Some("gus.png"), &png),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    let block = page
        .html
        .split("<li class=\"card ms-block\" id=\"block-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a block")
        .to_owned();
    assert!(
        page.html.contains(&format!(
            "action=\"/app/microsites/{id}/blocks/{block}/upload\""
        )),
        "an existing profile block uploads too"
    );
    let avatar = input_value(&page.html, &format!("id=\"block-{block}\""), "avatar_url").to_owned();
    let media_id = avatar
        .strip_prefix("/media/")
        .and_then(|rest| rest.strip_suffix(".png"))
        .unwrap_or_else(|| panic!("a media path: {avatar}"));
    assert_eq!(media_id.len(), 64);
    let served = browser.get(&avatar).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers["content-type"], "image/png");

    // A blank page has no placeholders: published at once, the avatar from the public URL.
    let published = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.html
    );
    let public = browser.get("/m/gus-page").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.html.contains(&format!(
            "<img class=\"avatar\" src=\"http://localhost:3000{avatar}\""
        )),
        "{}",
        public.html
    );
    let og = public
        .html
        .split("<meta property=\"og:image\" content=\"http://localhost:3000")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("og:image")
        .to_owned();
    let card = browser.get(&og).await;
    assert_eq!(card.status, StatusCode::OK);
    assert_eq!(card.headers["content-type"], "image/png");
    // The PNG's IHDR: width and height, big-endian, at bytes 16..24.
    assert_eq!(&card.body[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        u32::from_be_bytes(card.body[16..20].try_into().unwrap()),
        1200
    );
    assert_eq!(
        u32::from_be_bytes(card.body[20..24].try_into().unwrap()),
        630
    );

    // Editing the block without a file keeps the uploaded avatar.
    let kept = browser
        .post_multipart_typed(
            &format!("/app/microsites/{id}/blocks/{block}/upload"),
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("type", None, b"profile"),
                ("name", None, b"Gus G."),
                ("avatar_url", None, avatar.as_bytes()),
                ("file", Some(""), b""),
            ],
        )
        .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.html);
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    assert_eq!(
        input_value(&page.html, &format!("id=\"block-{block}\""), "avatar_url"),
        avatar
    );
    assert!(page.html.contains("value=\"Gus G.\""));
}

backend_tests!(a_templates_placeholders_hold_publishing_until_confirmed);
async fn a_templates_placeholders_hold_publishing_until_confirmed(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("placeholders@example.com").await;
    let id = new_page(&mut browser, "creator", "alex-real", "").await;
    let csrf = browser.get(&format!("/app/microsites/{id}")).await.csrf();

    let warned = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(warned.status, StatusCode::OK, "{}", warned.html);
    assert!(
        warned
            .html
            .contains("This page still has the template's examples")
    );
    for listed in [
        "<code>instagram alexrivera</code>",
        "<code>https://shop.example.com/</code>",
        "<code>hello@example.com</code>",
        "<strong>Social profiles</strong>",
    ] {
        assert!(warned.html.contains(listed), "{listed}: {}", warned.html);
    }
    assert!(
        warned
            .html
            .contains(&format!("href=\"/app/microsites/{id}#block-")),
        "edit links"
    );
    assert!(warned.html.contains("name=\"anyway\" value=\"1\""));
    assert!(!warned.html.contains("<script>"), "no script needed");
    assert_eq!(
        browser.get("/m/alex-real").await.status,
        StatusCode::NOT_FOUND,
        "not published by the warning"
    );

    // "Publish anyway" publishes.
    let published = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            &[("csrf_token", &csrf), ("anyway", "1")],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.html
    );
    assert_eq!(browser.get("/m/alex-real").await.status, StatusCode::OK);

    // With the placeholders removed, publishing changes needs no confirmation.
    let builder = browser.get(&format!("/app/microsites/{id}")).await;
    let blocks: Vec<String> = builder
        .html
        .split("<li class=\"card ms-block\" id=\"block-")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    // Keep the profile's block, rewritten; remove the rest.
    for block in &blocks[1..] {
        let removed = browser
            .post(
                &format!("/app/microsites/{id}/blocks/{block}/remove"),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER);
    }
    let still = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the profile is still Alex Rivera's"
    );
    assert!(still.html.contains("<strong>Profile</strong>"));
    assert!(!still.html.contains("<strong>Social profiles</strong>"));
    let rewritten = browser
        .post_multipart_typed(
            &format!("/app/microsites/{id}/blocks/{}/upload", blocks[0]),
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("type", None, b"profile"),
                ("name", None, b"Sam Okoro"),
                ("bio", None, b"My own words."),
            ],
        )
        .await;
    assert_eq!(
        rewritten.status,
        StatusCode::SEE_OTHER,
        "{}",
        rewritten.html
    );
    let clean = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(clean.status, StatusCode::SEE_OTHER, "{}", clean.html);
    assert!(browser.get("/m/alex-real").await.html.contains("Sam Okoro"));
}
