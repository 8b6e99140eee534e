//! `GET /m/{slug}/og.png`, on SQLite and PostgreSQL: a 1200×630 PNG card for a published page,
//! its Open Graph tags in the page's head, escaped text, an uploaded avatar drawn (a remote one
//! never fetched), revalidation by ETag, and no card for a page visitors cannot see.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use bytes::Bytes;
use common::Site;
use microsite::og::{BoxFuture, MediaSource};
use serde_json::json;
use shared::bus::EventBus;
use shared::testing::{TestDb, TestKeys, TestRouter, backend_tests, settings};

/// A decoded PNG: width, height, RGBA pixels.
fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png_crate::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png_crate::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!(info.color_type, png_crate::ColorType::Rgba, "RGBA");
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn pixel(image: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    let at = ((y * image.0 + x) * 4) as usize;
    [image.2[at], image.2[at + 1], image.2[at + 2]]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
}

/// A PNG of one colour, as the media module would have stored it.
fn solid_png(side: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png_crate::Encoder::new(&mut out, side, side);
    encoder.set_color(png_crate::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    let data: Vec<u8> = (0..side * side).flat_map(|_| rgb).collect();
    writer.write_image_data(&data).unwrap();
    drop(writer);
    out
}

async fn publish(site: &TestRouter, token: &str, id: &str) {
    let published = site
        .call(
            Method::POST,
            &format!("/api/v1/microsites/{id}/publish"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

backend_tests!(a_published_page_has_a_1200_by_630_card_and_its_tags);
async fn a_published_page_has_a_1200_by_630_card_and_its_tags(db: TestDb) {
    let site = Site::start(&db).await;
    let title = "Tom & Jerry's <script>\"best\" bits</script>";
    let page = site
        .create(
            "alice",
            json!({"slug": "tom-and-jerry", "title": title, "description": "Chases & <b>cheese</b>",
                   "theme": "sunset",
                   "blocks": [{"type": "profile", "name": "Tom <Cat>", "avatar_url": "https://img.example/tom.png"}]}),
        )
        .await;
    let id = page["id"].as_str().unwrap();
    publish(&site, &site.token("alice"), id).await;

    let html = site.visit("/m/tom-and-jerry").await.text();
    let og_url = html
        .split("<meta property=\"og:image\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an og:image tag")
        .to_owned();
    assert!(
        og_url.starts_with("http://scan.test/m/tom-and-jerry/og.png?v="),
        "absolute, on the public base URL: {og_url}"
    );
    for tag in [
        "<meta property=\"og:image:width\" content=\"1200\">",
        "<meta property=\"og:image:height\" content=\"630\">",
        "<meta name=\"twitter:card\" content=\"summary_large_image\">",
        "<meta property=\"og:title\" content=\"Tom &#38; Jerry&#39;s &#60;script&#62;&#34;best&#34; bits&#60;/script&#62;\">",
        "<meta property=\"og:description\" content=\"Chases &#38; &#60;b&#62;cheese&#60;/b&#62;\">",
    ] {
        assert!(html.contains(tag), "{tag}\n{html}");
    }
    assert!(
        !html.contains("content=\"https://img.example/tom.png\""),
        "the remote avatar is no longer the og:image"
    );

    let path = og_url.trim_start_matches("http://scan.test");
    let card = site.visit(path).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.text());
    assert_eq!(card.header("content-type"), "image/png");
    assert_eq!(card.header("cache-control"), "no-cache");
    let image = decode(&card.body);
    assert_eq!((image.0, image.1), (1200, 630));
    // The sunset theme's background and accent (#fff4ec, #c2410c) are where the layout puts
    // them: the text did not break the SVG (it is escaped), the theme is the page's.
    assert!(
        close(pixel(&image, 1190, 10), [0xff, 0xf4, 0xec]),
        "{:?}",
        pixel(&image, 1190, 10)
    );
    assert!(
        close(pixel(&image, 600, 620), [0xc2, 0x41, 0x0c]),
        "{:?}",
        pixel(&image, 600, 620)
    );
    // Dark title text was drawn somewhere in the text column.
    let dark = (470..1130)
        .flat_map(|x| (40..400).map(move |y| (x, y)))
        .filter(|&(x, y)| pixel(&image, x, y).iter().all(|&c| c < 0x80))
        .count();
    assert!(dark > 2_000, "title pixels: {dark}");

    // Revalidation: the same version answers 304 without a body.
    let etag = card.header("etag").to_owned();
    assert!(etag.starts_with("\"og-"), "{etag}");
    let again = site
        .send(
            Request::get("/m/tom-and-jerry/og.png")
                .header("if-none-match", &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    // A change to what the card draws is a new version (and a new URL in the head).
    let changed = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&site.token("alice")),
            Some(json!({"theme": "ocean"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    publish(&site, &site.token("alice"), id).await;
    let html = site.visit("/m/tom-and-jerry").await.text();
    assert!(!html.contains(&og_url), "a new version after a change");
    let card = site.visit("/m/tom-and-jerry/og.png").await;
    assert_ne!(card.header("etag"), etag);
    let image = decode(&card.body);
    assert!(
        close(pixel(&image, 1190, 10), [0x06, 0x28, 0x3d]),
        "ocean background"
    );
}

backend_tests!(no_card_for_a_page_visitors_cannot_see);
async fn no_card_for_a_page_visitors_cannot_see(db: TestDb) {
    let site = Site::start(&db).await;
    let token = site.token("alice");
    // Never published: the same 404 page as the page itself.
    let draft = site
        .create("alice", json!({"slug": "just-a-draft", "title": "Draft"}))
        .await;
    for path in [
        "/m/just-a-draft",
        "/m/just-a-draft/og.png",
        "/m/nobody-here/og.png",
    ] {
        let answer = site.visit(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            answer.header("content-type").starts_with("text/html"),
            "{path}"
        );
    }

    // Published, then unpublished: gone at once.
    let id = draft["id"].as_str().unwrap();
    publish(&site, &token, id).await;
    assert_eq!(
        site.visit("/m/just-a-draft/og.png").await.status,
        StatusCode::OK
    );
    let unpublished = site
        .call(
            Method::POST,
            &format!("/api/v1/microsites/{id}/unpublish"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(unpublished.status, StatusCode::OK);
    assert_eq!(
        site.visit("/m/just-a-draft/og.png").await.status,
        StatusCode::NOT_FOUND
    );

    // Trashed: "removed" like the page, never the card.
    let page = site.published("alice", "event", "night-market").await;
    assert_eq!(
        site.visit("/m/night-market/og.png").await.status,
        StatusCode::OK
    );
    let deleted = site
        .call(
            Method::DELETE,
            &format!("/api/v1/microsites/{}", page["id"].as_str().unwrap()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let trashed = site.visit("/m/night-market/og.png").await;
    assert_eq!(trashed.status, StatusCode::GONE);
    assert!(trashed.header("content-type").starts_with("text/html"));
    assert!(!trashed.body.starts_with(b"\x89PNG"));
}

/// The media module as the card sees it: one stored image, and a count of what was asked.
struct OneImage {
    id: String,
    png: Bytes,
    asked: AtomicUsize,
}

impl MediaSource for OneImage {
    fn png<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            self.asked.fetch_add(1, Ordering::SeqCst);
            (id == self.id).then(|| self.png.clone())
        })
    }
}

backend_tests!(an_uploaded_avatar_is_drawn_a_remote_one_is_not_fetched);
async fn an_uploaded_avatar_is_drawn_a_remote_one_is_not_fetched(db: TestDb) {
    db.db
        .migrate(shared::config::Service::Microsite, microsite::migrator())
        .await
        .unwrap();
    let keys = TestKeys::new();
    let ctx = shared::testing::context(
        &db.db,
        EventBus::memory(1_000),
        settings(&[]),
        keys.identity.clone(),
        "http://scan.test",
    );
    let id = "5".repeat(64);
    let media = Arc::new(OneImage {
        id: id.clone(),
        png: Bytes::from(solid_png(64, [0x00, 0xc8, 0x00])),
        asked: AtomicUsize::new(0),
    });
    let router = microsite::build_full(
        ctx,
        Arc::new(microsite::testing::FixedQrDirectory::new()),
        media.clone(),
    )
    .await
    .unwrap();
    let site = TestRouter::new(shared::http::finish(
        router,
        shared::http::Limits::default(),
    ));
    let token = keys.token("alice");
    let create = |slug: &str, avatar: &str| {
        json!({"slug": slug, "title": "Green", "theme": "light",
               "blocks": [{"type": "profile", "name": "Gus Green", "avatar_url": avatar}]})
    };

    let uploaded = site
        .call(
            Method::POST,
            "/api/v1/microsites",
            Some(&token),
            Some(create("green", &format!("/media/{id}.png"))),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text());
    assert_eq!(
        uploaded.json()["blocks"][0]["avatar_url"],
        format!("/media/{id}.png"),
        "stored as the media path"
    );
    publish(&site, &token, uploaded.json()["id"].as_str().unwrap()).await;
    let page = site.call(Method::GET, "/m/green", None, None).await;
    let html = page.text();
    assert!(
        html.contains(&format!("src=\"http://scan.test/media/{id}.png\"")),
        "shown from the public base URL: {html}"
    );
    assert!(
        page.header("content-security-policy")
            .contains("img-src https: data: http://scan.test;"),
        "{}",
        page.header("content-security-policy")
    );
    let card = site.call(Method::GET, "/m/green/og.png", None, None).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.text());
    let image = decode(&card.body);
    assert!(
        close(pixel(&image, 250, 300), [0x00, 0xc8, 0x00]),
        "the avatar at the circle's centre: {:?}",
        pixel(&image, 250, 300)
    );
    assert!(
        close(pixel(&image, 250, 180), [0x00, 0xc8, 0x00]),
        "it covers the circle"
    );
    assert_eq!(media.asked.load(Ordering::SeqCst), 1);
    // Rendered once: the second request is served from memory.
    let again = site.call(Method::GET, "/m/green/og.png", None, None).await;
    assert_eq!(again.body, card.body);
    assert_eq!(
        media.asked.load(Ordering::SeqCst),
        1,
        "not fetched or drawn again"
    );

    // A remote avatar: never fetched; the initials on the accent colour instead.
    let remote = site
        .call(
            Method::POST,
            "/api/v1/microsites",
            Some(&token),
            Some(create("remote", "https://img.example/gus.png")),
        )
        .await;
    publish(&site, &token, remote.json()["id"].as_str().unwrap()).await;
    let card = site.call(Method::GET, "/m/remote/og.png", None, None).await;
    let image = decode(&card.body);
    assert_eq!(media.asked.load(Ordering::SeqCst), 1, "nothing was fetched");
    // Light theme accent #2563eb fills the circle above the letters.
    assert!(
        close(pixel(&image, 250, 180), [0x25, 0x63, 0xeb]),
        "{:?}",
        pixel(&image, 250, 180)
    );
    let white = (170..330)
        .flat_map(|x| (250..350).map(move |y| (x, y)))
        .filter(|&(x, y)| pixel(&image, x, y).iter().all(|&c| c > 0xe0))
        .count();
    assert!(white > 500, "white initials drawn: {white}");
}
