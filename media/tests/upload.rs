//! Uploads and serving through the real router, on every database backend: what is accepted is
//! re-encoded (the stored bytes are ours, not the uploader's), what is not is refused with a
//! clear error, and the public route cannot be walked out of its folder.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use clap::Parser;
use http_body_util::BodyExt;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use media::{Media, Uploaded};
use shared::bus::EventBus;
use shared::config::Settings;
use shared::context::ServiceContext;
use shared::shutdown::Shutdown;
use shared::testing::{TestDb, TestKeys, backend_tests};
use tower::ServiceExt;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: Settings,
}

struct App {
    router: Router,
    media: Media,
    keys: TestKeys,
    data_dir: PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: bytes::Bytes,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn app(db: &TestDb) -> App {
    app_with(db, &[]).await
}

async fn app_with(db: &TestDb, extra: &[&str]) -> App {
    media::migrate(&db.db).await.unwrap();
    let data_dir =
        std::env::temp_dir().join(format!("scanpage-media-{}", uuid::Uuid::new_v4().simple()));
    let mut argv = vec!["scanpage", "--data-dir", data_dir.to_str().unwrap()];
    argv.extend_from_slice(extra);
    let settings = Args::try_parse_from(argv).unwrap().settings;
    let keys = TestKeys::new();
    let ctx = ServiceContext {
        db: db.db.clone(),
        bus: EventBus::memory(16),
        redis: None,
        settings: Arc::new(settings),
        public_base_url: "http://scan.test".into(),
        shutdown: Shutdown::new(),
        identity: keys.identity.clone(),
    };
    App {
        router: shared::http::finish(media::build(&ctx), shared::http::Limits::default()),
        media: Media::local(&ctx),
        keys,
        data_dir,
    }
}

impl App {
    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    }

    /// Uploads `bytes` as a multipart `file` field, claiming to be a PNG whatever it is.
    async fn upload(&self, user: Option<&str>, bytes: &[u8]) -> Answer {
        self.upload_field(user, "file", bytes).await
    }

    async fn upload_field(&self, user: Option<&str>, field: &str, bytes: &[u8]) -> Answer {
        let mut body = format!(
            "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARYX--\r\n");
        let mut request = Request::post("/api/v1/media")
            .header("content-type", "multipart/form-data; boundary=XBOUNDARYX")
            .header("accept", "application/json");
        if let Some(user) = user {
            request = request.header("authorization", format!("Bearer {}", self.keys.token(user)));
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    fn stored(&self, id: &str) -> Vec<u8> {
        std::fs::read(self.data_dir.join("media").join(format!("{id}.png"))).unwrap()
    }
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// A small logo-like PNG with a text chunk and a time stamp: metadata that must not survive.
fn png_with_metadata(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png_crate::Encoder::new(&mut out, width, height);
    encoder.set_color(png_crate::ColorType::Rgba);
    encoder.set_depth(png_crate::BitDepth::Eight);
    encoder
        .add_text_chunk("Author".into(), "someone@example.com".into())
        .unwrap();
    encoder
        .add_text_chunk("Comment".into(), "GPS 51.5,-0.12".into())
        .unwrap();
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height)
        .flat_map(|i| [(i % 256) as u8, 40, 200, if i % 7 == 0 { 0 } else { 255 }])
        .collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

backend_tests!(a_png_is_re_encoded_stored_by_hash_and_served_with_long_cache_headers);
async fn a_png_is_re_encoded_stored_by_hash_and_served_with_long_cache_headers(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let upload = png_with_metadata(300, 200);
    assert!(contains(&upload, b"tEXt") && contains(&upload, b"someone@example.com"));

    let answer = app.upload(Some("alice"), &upload).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
    let uploaded: Uploaded = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!((uploaded.width, uploaded.height), (300, 200));
    assert_eq!(uploaded.id.len(), 64);
    assert_eq!(
        uploaded.url,
        format!("http://scan.test/media/{}.png", uploaded.id)
    );

    let stored = app.stored(&uploaded.id);
    assert_eq!(stored.len(), uploaded.bytes);
    assert_ne!(
        stored, upload,
        "the stored file is our encoding, not the upload"
    );
    assert!(!contains(&stored, b"tEXt") && !contains(&stored, b"someone@example.com"));
    assert_eq!(media::MediaId::of(&stored).as_str(), uploaded.id);
    let back = image::load_from_memory_with_format(&stored, ImageFormat::Png).unwrap();
    assert_eq!((back.width(), back.height()), (300, 200));
    // Same pixels, alpha included.
    let original = image::load_from_memory(&upload).unwrap().to_rgba8();
    assert_eq!(back.to_rgba8().as_raw(), original.as_raw());

    let served = app.get(&format!("/media/{}.png", uploaded.id)).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body.as_ref(), stored.as_slice());
    assert_eq!(served.header("content-type"), "image/png");
    assert_eq!(
        served.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(served.header("x-content-type-options"), "nosniff");

    // The owner is recorded; another user owns it only after uploading it too.
    assert!(app.media.owns("alice", &uploaded.id).await.unwrap());
    assert!(!app.media.owns("bob", &uploaded.id).await.unwrap());
    let again = app.upload(Some("bob"), &upload).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["id"], uploaded.id.as_str());
    assert!(app.media.owns("bob", &uploaded.id).await.unwrap());
}

backend_tests!(a_jpeg_is_accepted_as_a_png_and_large_images_are_scaled_down);
async fn a_jpeg_is_accepted_as_a_png_and_large_images_are_scaled_down(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let jpeg = encode(
        DynamicImage::ImageRgb8(RgbImage::from_fn(2048, 1024, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })),
        ImageFormat::Jpeg,
    );
    assert!(jpeg.len() < 1024 * 1024, "{} bytes", jpeg.len());
    let answer = app.upload(Some("alice"), &jpeg).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
    let uploaded: Uploaded = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!((uploaded.width, uploaded.height), (1024, 512));
    let stored = app.stored(&uploaded.id);
    assert!(stored.starts_with(b"\x89PNG\r\n\x1a\n"));
    let back = image::load_from_memory_with_format(&stored, ImageFormat::Png).unwrap();
    assert_eq!((back.width(), back.height()), (1024, 512));
}

backend_tests!(svg_gif_wrong_magic_and_broken_files_are_refused_whatever_they_claim_to_be);
async fn svg_gif_wrong_magic_and_broken_files_are_refused_whatever_they_claim_to_be(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let mut truncated = png_with_metadata(64, 64);
    truncated.truncate(60);
    for (bytes, code, says) in [
        (
            &br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#[..],
            "unsupported_image",
            "SVG",
        ),
        (&gif[..], "unsupported_image", "GIF"),
        (
            b"MZ\x90\x00 definitely not an image",
            "unsupported_image",
            "not a PNG or JPEG",
        ),
        (&truncated, "undecodable_image", "PNG"),
    ] {
        let answer = app.upload(Some("alice"), bytes).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        let error = &answer.json()["error"];
        assert_eq!(error["code"], code, "{error}");
        assert_eq!(error["field"], "file", "{error}");
        assert!(error["message"].as_str().unwrap().contains(says), "{error}");
    }
    let none: Vec<_> = std::fs::read_dir(app.data_dir.join("media"))
        .map(std::iter::Iterator::collect)
        .unwrap_or_default();
    assert!(none.is_empty(), "nothing was stored");

    let wrong_field = app
        .upload_field(Some("alice"), "image", &png_with_metadata(8, 8))
        .await;
    assert_eq!(wrong_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_field.json()["error"]["field"], "file");
}

backend_tests!(oversized_dimensions_are_422_and_oversized_files_are_413);
async fn oversized_dimensions_are_422_and_oversized_files_are_413(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let wide = encode(
        DynamicImage::ImageRgba8(RgbaImage::from_pixel(5000, 10, Rgba([0, 0, 0, 255]))),
        ImageFormat::Png,
    );
    assert!(wide.len() < 1024 * 1024);
    let answer = app.upload(Some("alice"), &wide).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = &answer.json()["error"];
    assert_eq!(error["code"], "image_too_large", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("5000×10"),
        "{error}"
    );

    // Just over 1 MiB in the field (within the body limit): refused by the field check.
    let mut big = png_with_metadata(8, 8);
    big.resize(1024 * 1024 + 1, 0);
    let answer = app.upload(Some("alice"), &big).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["error"]["code"], "payload_too_large");

    // Far over: the body limit stops it before it is read.
    let huge = vec![0_u8; 3 * 1024 * 1024];
    let answer = app.upload(Some("alice"), &huge).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

backend_tests!(cross_site_browser_uploads_are_refused);
async fn cross_site_browser_uploads_are_refused(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let upload = |site: &'static str, origin: &'static str| {
        let mut body = b"--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n".to_vec();
        body.extend_from_slice(&png_with_metadata(8, 8));
        body.extend_from_slice(b"\r\n--XBOUNDARYX--\r\n");
        Request::post("/api/v1/media")
            .header("content-type", "multipart/form-data; boundary=XBOUNDARYX")
            .header("cookie", format!("sp_access={}", app.keys.token("alice")))
            .header("sec-fetch-site", site)
            .header("origin", origin)
            .header("host", "scan.test")
            .body(Body::from(body))
            .unwrap()
    };
    let forged = app.send(upload("cross-site", "https://evil.example")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!app.data_dir.join("media").exists());
    let own = app.send(upload("same-origin", "http://scan.test")).await;
    assert_eq!(own.status, StatusCode::CREATED);
}

backend_tests!(anonymous_uploads_are_401);
async fn anonymous_uploads_are_401(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let answer = app.upload(None, &png_with_metadata(8, 8)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"]["code"], "unauthenticated");
    assert!(!app.data_dir.join("media").exists());
}

backend_tests!(ids_that_are_not_64_hex_digits_are_404_so_no_path_leaves_the_folder);
async fn ids_that_are_not_64_hex_digits_are_404_so_no_path_leaves_the_folder(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let app = app(&db).await;
    let uploaded = app
        .upload(Some("alice"), &png_with_metadata(8, 8))
        .await
        .json();
    let id = uploaded["id"].as_str().unwrap().to_owned();
    // A file next to the media folder that a traversal would reach.
    std::fs::write(app.data_dir.join("secret.png"), b"secret").unwrap();
    for path in [
        "/media/../secret.png".to_owned(),
        "/media/..%2Fsecret.png".to_owned(),
        "/media/%2e%2e%2fsecret.png".to_owned(),
        "/media/%2e%2e".to_owned(),
        "/media/..".to_owned(),
        "/media/../x".to_owned(),
        format!("/media/{}.png", id.to_uppercase()),
        format!("/media/{}.png", &id[..63]),
        format!("/media/{id}"),
        format!("/media/{id}.png.png"),
        format!("/media/{}.png", "0".repeat(64)),
    ] {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.windows(6).any(|w| w == b"secret"), "{path}");
    }
    assert_eq!(
        app.get(&format!("/media/{id}.png")).await.status,
        StatusCode::OK
    );
}

/// Pixels no PNG filter can shrink (a small LCG, seeded): the stored file is as big as the image.
fn noise_png(side: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let image = RgbaImage::from_fn(side, side, |_, _| {
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        };
        Rgba([next(), next(), next(), 255])
    });
    encode(DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

backend_tests!(a_burst_of_uploads_is_rate_limited_per_user);
/// Finding: 60 uploads in half a second were all accepted. Now one user gets 30 per 10 minutes,
/// then 429 with `Retry-After`; someone else is not held up by them.
async fn a_burst_of_uploads_is_rate_limited_per_user(db: TestDb) {
    let app = app(&db).await;
    let logo = png_with_metadata(16, 16);
    let mut accepted = 0;
    let mut limited = Vec::new();
    for _ in 0..60 {
        let answer = app.upload(Some("mallory"), &logo).await;
        match answer.status {
            StatusCode::CREATED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => limited.push(answer),
            other => panic!("unexpected {other}: {:?}", answer.json()),
        }
    }
    assert_eq!(accepted, 30, "30 uploads per 10 minutes");
    assert_eq!(limited.len(), 30);
    let first = &limited[0];
    assert_eq!(first.json()["error"]["code"], "rate_limited");
    let retry: u64 = first.header("retry-after").parse().expect("a Retry-After");
    assert!((1..=600).contains(&retry), "{retry}");

    let other = app.upload(Some("alice"), &logo).await;
    assert_eq!(other.status, StatusCode::CREATED);
}

backend_tests!(uploads_past_the_storage_quota_are_413_saying_what_is_used);
/// A user's images share `UPLOAD_QUOTA_MB`: past it, 413 with how much is used; the same image
/// again takes no more room, and `GET /api/v1/media` lists what counts.
async fn uploads_past_the_storage_quota_are_413_saying_what_is_used(db: TestDb) {
    let app = app_with(&db, &["--upload-quota-mb", "1"]).await;
    let first = noise_png(500, 1);
    let second = noise_png(500, 2);
    assert!(
        first.len() < 1024 * 1024 && first.len() > 600 * 1024,
        "{}",
        first.len()
    );

    let stored = app.upload(Some("carol"), &first).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{:?}", stored.json());
    let used = stored.json()["bytes"].as_u64().unwrap();

    let refused = app.upload(Some("carol"), &second).await;
    assert_eq!(
        refused.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{:?}",
        refused.json()
    );
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "upload_quota_exceeded");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("of your 1 MB"), "{message}");
    assert!(
        message.contains(&format!("{:.1}", used as f64 / 1_048_576.0)),
        "{message}"
    );

    let again = app.upload(Some("carol"), &first).await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "the same image needs no room"
    );
    assert_eq!(
        app.upload(Some("dave"), &second).await.status,
        StatusCode::CREATED,
        "the quota is per user"
    );

    let list = app
        .send(
            Request::get("/api/v1/media")
                .header(
                    "authorization",
                    format!("Bearer {}", app.keys.token("carol")),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["used_bytes"].as_u64(), Some(used));
    assert_eq!(list["quota_bytes"].as_u64(), Some(1024 * 1024));
    assert_eq!(app.media.delete_owner("carol").await.unwrap(), 1);
    assert!(
        !app.media
            .owns("carol", list["items"][0]["id"].as_str().unwrap())
            .await
            .unwrap()
    );
}
