//! Centre logos: every allowed level at its largest logo still decodes to the exact payload, the
//! SVG embeds only our own re-encoded PNG as a `data:` URI, and a style may only use its owner's
//! uploads (422 otherwise) — on every database backend.

mod common;

use std::io::Cursor;

use axum::http::{Method, StatusCode};
use base64::Engine;
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use qr::render::{LogoImage, Matrix, png_with, svg_with};
use qr::style::{Color, Ecc, EyeShape, Frame, FrameTemplate, Logo, ModuleShape, Style};
use serde_json::json;
use shared::bus::EventBus;
use shared::testing::{TestDb, backend_tests};

const SHORT: &str = "http://localhost:3000/r/ab3cd5e";
/// Long enough for version 9–10 at H, where an alignment pattern sits under the logo.
const LONG: &str =
    "https://scan.example.com/r/ab3cd5e?utm_source=poster&utm_medium=print&utm_campaign=spring";

/// A logo as people upload them: a dark disc with a light bar, on transparency.
fn upload_bytes() -> Vec<u8> {
    let image = RgbaImage::from_fn(400, 400, |x, y| {
        let (dx, dy) = (x as f32 - 200.0, y as f32 - 200.0);
        if dx * dx + dy * dy > 190.0 * 190.0 {
            Rgba([0, 0, 0, 0])
        } else if (170..230).contains(&y) {
            Rgba([250, 250, 250, 255])
        } else {
            Rgba([200, 30, 60, 255])
        }
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(image)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// What the media module stores for that upload.
fn stored_logo() -> LogoImage {
    let normalised = media::process::normalise(&upload_bytes()).unwrap();
    LogoImage::new(normalised.png.into())
}

fn logo_style(ecc: Ecc, size: f64) -> Style {
    Style {
        ecc,
        logo: Some(Logo {
            id: "ab".repeat(32),
            size,
        }),
        ..Style::default()
    }
    .validated()
    .expect("an allowed logo")
}

#[test]
fn the_largest_logo_of_each_level_decodes_to_the_exact_payload() {
    let logo = stored_logo();
    for (ecc, size) in [(Ecc::Q, 0.34), (Ecc::H, 0.44)] {
        for payload in [SHORT, LONG] {
            for (modules, eyes) in [
                (ModuleShape::Square, EyeShape::Square),
                (ModuleShape::Rounded, EyeShape::Rounded),
                (ModuleShape::Dots, EyeShape::Square),
            ] {
                let style = Style {
                    modules,
                    eyes,
                    fg: Color::parse("#1e3a8a").unwrap(),
                    ..logo_style(ecc, size)
                };
                let matrix = Matrix::encode(payload, style.ecc).unwrap();
                for px in [512, 1024] {
                    let png = png_with(&matrix, &style, px, Some(&logo)).unwrap();
                    assert_eq!(
                        common::decode_png(&png),
                        payload,
                        "{ecc:?} {size} {modules:?} {eyes:?} {px}px, {} modules",
                        matrix.width()
                    );
                }
            }
        }
    }
}

#[test]
fn the_logo_is_drawn_in_the_middle_on_a_clear_pad() {
    let logo = stored_logo();
    let style = logo_style(Ecc::H, 0.44);
    let matrix = Matrix::encode(SHORT, style.ecc).unwrap();
    let png = png_with(&matrix, &style, 800, Some(&logo)).unwrap();
    let image = image::load_from_memory_with_format(&png, ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    // The disc's red fills the centre, away from the light bar.
    assert_eq!(image.get_pixel(400, 330).0, [200, 30, 60]);
    // Without the image, the pad is background.
    let padded = qr::render::png(&matrix, &style, 800).unwrap();
    let padded = image::load_from_memory_with_format(&padded, ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    assert_eq!(padded.get_pixel(400, 330).0, [255, 255, 255]);
}

#[test]
fn a_logo_with_a_caption_frame_still_decodes() {
    let logo = stored_logo();
    for ecc in [Ecc::Q, Ecc::H] {
        let style = Style {
            frame: Some(Frame::new("Scan me")),
            modules: ModuleShape::Rounded,
            ..logo_style(ecc, if ecc == Ecc::Q { 0.34 } else { 0.44 })
        }
        .validated()
        .unwrap();
        let matrix = Matrix::encode(SHORT, style.ecc).unwrap();
        let png = png_with(&matrix, &style, 600, Some(&logo)).unwrap();
        assert_eq!(common::decode_png(&png), SHORT, "{ecc:?} with a frame");
        let image = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert!(
            image.pixels().any(|p| p.0 == [200, 30, 60]),
            "the logo is stamped on the framed code"
        );
    }
}

/// The bounding box of the logo's red (a colour no code or caption pixel has), or `None`.
fn red_box(png: &[u8]) -> Option<(u32, u32, u32, u32, u32, u32)> {
    let image = image::load_from_memory_with_format(png, ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    let mut found: Option<(u32, u32, u32, u32)> = None;
    for (x, y, p) in image.enumerate_pixels() {
        // The disc's red, allowing for the resize filter's blend at its edge.
        if p.0[0] > 150 && p.0[1] < 80 && p.0[2] < 110 {
            let (x0, y0, x1, y1) = found.unwrap_or((x, y, x, y));
            found = Some((x0.min(x), y0.min(y), x1.max(x), y1.max(y)));
        }
    }
    found.map(|(x0, y0, x1, y1)| (x0, y0, x1, y1, image.width(), image.height()))
}

/// Issue 22: with a caption the PNG's logo was a ~10 px dot in the top-left corner (placed in
/// module units on a tree drawn at ten units per module). Every download size, with and
/// without a caption, must put the logo in the middle of the code at its size, and decode.
#[test]
fn the_logo_is_centred_on_the_code_at_every_size_with_or_without_a_caption() {
    let logo = stored_logo();
    for caption in [None, Some("Scan for the menu")] {
        for (modules, eyes) in [
            (ModuleShape::Square, EyeShape::Square),
            (ModuleShape::Dots, EyeShape::Rounded),
        ] {
            let style = Style {
                frame: caption.map(Frame::new),
                modules,
                eyes,
                ..logo_style(Ecc::H, 0.3)
            };
            let matrix = Matrix::encode(SHORT, style.ecc).unwrap();
            let quiet = f64::from(style.margin);
            let modules_wide = matrix.width() as f64 + 2.0 * quiet;
            for px in [256, 512, 1024, 2048] {
                let png = png_with(&matrix, &style, px, Some(&logo)).unwrap();
                let what = format!("{px}px {modules:?} {eyes:?} caption {caption:?}");
                let (x0, y0, x1, y1, width, height) =
                    red_box(&png).unwrap_or_else(|| panic!("no logo drawn: {what}"));
                assert_eq!(width, px, "{what}");
                // The code is the square at the top (the caption band is below it).
                let code = f64::from(width);
                let centre = |a: u32, b: u32| f64::from(a + b) / 2.0;
                let tolerance = code / modules_wide; // one module
                assert!(
                    (centre(x0, x1) - code / 2.0).abs() <= tolerance
                        && (centre(y0, y1) - code / 2.0).abs() <= tolerance,
                    "logo centre ({}, {}) not at the code's centre {}: {what}",
                    centre(x0, x1),
                    centre(y0, y1),
                    code / 2.0
                );
                // About the share of the width the style asked for (the pad's inner square,
                // the disc filling ~95% of the image), not a dot.
                let logo_side = f64::from(x1 - x0 + 1);
                let code_side = code * matrix.width() as f64 / modules_wide;
                assert!(
                    logo_side > 0.15 * code_side && logo_side < 0.32 * code_side,
                    "logo {logo_side}px of a {code_side}px code: {what}"
                );
                // Nothing of it in the top-left corner (where the bug drew it).
                assert!(x0 > width / 4 && y0 > width / 4, "{what}");
                if caption.is_some() {
                    assert!(height > width, "the caption band is below: {what}");
                }
                if px >= 512 {
                    assert_eq!(common::decode_png(&png), SHORT, "{what}");
                }
            }
        }
    }
}

/// Every module shape × eye shape × frame (none and each template), with a logo: the logo is
/// centred on the code, and the 512-px PNG (the smallest download, and the size the save-time
/// check draws) decodes — or, for the few combinations rqrr cannot read at that size, the
/// save-time check refuses the style and names a choice to change, so no unreadable style is
/// ever saved.
#[test]
fn every_shape_eye_and_frame_with_a_logo_decodes_with_the_logo_centred() {
    let logo = stored_logo();
    let mut failures = Vec::new();
    let mut refused = Vec::new();
    for modules in ModuleShape::ALL {
        for eyes in EyeShape::ALL {
            let frames = std::iter::once(None).chain(FrameTemplate::ALL.map(|template| {
                Some(Frame {
                    text: "Scan me".into(),
                    template,
                })
            }));
            for frame in frames {
                let style = Style {
                    modules,
                    eyes,
                    frame: frame.clone(),
                    ..logo_style(Ecc::H, 0.3)
                };
                let matrix = Matrix::encode(SHORT, style.ecc).unwrap();
                let png = png_with(&matrix, &style, 512, Some(&logo)).unwrap();
                let what = format!("{modules:?} {eyes:?} {:?}", frame.map(|f| f.template));
                if common::decode_png(&png) != SHORT {
                    match qr::render::scannability::check(SHORT, &style, Some(&logo)) {
                        Err(qr::render::scannability::CheckError::Unreadable(why)) => {
                            assert!(why.field.starts_with("style."), "{what}: {why:?}");
                            refused.push(what.clone());
                        }
                        other => failures.push(format!("{what}: unreadable, check {other:?}")),
                    }
                }
                let (x0, y0, x1, y1, ..) = red_box(&png).expect("a logo");
                // The code's centre: the layout puts it a frame's border in from the top-left.
                let modules_wide = matrix.width() as f64 + 8.0;
                let bordered = matches!(
                    style.frame.as_ref().map(|f| f.template),
                    Some(FrameTemplate::Box | FrameTemplate::Ticket)
                );
                let top_band = matches!(
                    style.frame.as_ref().map(|f| f.template),
                    Some(FrameTemplate::Top)
                );
                let layout_wide = modules_wide + if bordered { 2.0 } else { 0.0 };
                let unit = (512.0 / layout_wide).floor();
                let offset = (512.0 - unit * layout_wide) / 2.0;
                let before = if bordered { 1.0 } else { 0.0 };
                let centre_x = offset + (before + modules_wide / 2.0) * unit;
                let centre_y =
                    (before + if top_band { 7.0 } else { 0.0 } + modules_wide / 2.0) * unit;
                let (cx, cy) = (f64::from(x0 + x1) / 2.0, f64::from(y0 + y1) / 2.0);
                if (cx - centre_x).abs() > unit || (cy - centre_y).abs() > unit + offset {
                    failures.push(format!(
                        "{what}: logo at ({cx}, {cy}), code centre ({centre_x}, {centre_y})"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Measured: 4 of the 168 (vertical bars with rounded or leaf corners in a bordered frame).
    assert!(refused.len() <= 8, "refused: {refused:#?}");
}

/// The PDF's logo: our PNG as an image with its alpha as a soft mask, placed in the middle.
#[test]
fn the_pdf_carries_the_logo_in_the_middle() {
    let logo = stored_logo();
    let style = Style {
        frame: Some(Frame::new("Scan me")),
        ..logo_style(Ecc::H, 0.3)
    };
    let matrix = Matrix::encode(SHORT, style.ecc).unwrap();
    let pdf = qr::render::pdf(&matrix, &style, Some(&logo)).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-"));
    assert!(text.contains("/Subtype /Image"), "the logo");
    assert!(text.contains("/SMask"), "its transparency");
    // The page's width and the image's placement (`w 0 0 -h x y cm` in canvas units).
    let media_box: Vec<f32> = text
        .split("/MediaBox [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(media_box[3] > media_box[2], "taller than wide: the caption");
    let placement = pdf_content(&pdf)
        .lines()
        // The first places the page (points, y up); the last the image (canvas units).
        .rfind(|l| l.ends_with(" cm"))
        .map(str::to_owned)
        .expect("the image's placement");
    let numbers: Vec<f32> = placement
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let (w, left) = (numbers[0], numbers[4]);
    // The canvas is the SVG's (ten units a module): the logo's centre is the code's centre.
    let canvas_side = (matrix.width() as f32 + 8.0) * 10.0;
    assert!(
        ((left + w / 2.0) - canvas_side / 2.0).abs() < 10.0,
        "{placement} on a {canvas_side} canvas"
    );
}

/// The page's content stream: the inflated stream that draws an XObject.
fn pdf_content(pdf: &[u8]) -> String {
    use std::io::Read;
    let mut rest = pdf;
    while let Some(at) = rest.windows(8).position(|w| w == b"\nstream\n") {
        rest = &rest[at + 8..];
        let mut out = String::new();
        if flate2::read::ZlibDecoder::new(rest)
            .read_to_string(&mut out)
            .is_ok()
            && out.contains(" Do")
        {
            return out;
        }
    }
    panic!("no content stream");
}

#[test]
fn the_svg_embeds_only_a_data_uri_of_our_png() {
    let logo_png = media::process::normalise(&upload_bytes()).unwrap().png;
    let logo = LogoImage::new(logo_png.clone().into());
    let style = logo_style(Ecc::H, 0.3);
    let matrix = Matrix::encode(SHORT, style.ecc).unwrap();
    let svg = svg_with(&matrix, &style, Some(&logo));
    assert_eq!(svg.matches("<image").count(), 1, "{svg}");
    let hrefs: Vec<&str> = svg.split("href=\"").skip(1).collect();
    assert_eq!(hrefs.len(), 1);
    let uri = hrefs[0].split('"').next().unwrap();
    let b64 = uri
        .strip_prefix("data:image/png;base64,")
        .expect("a data: URI");
    let embedded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(embedded, logo_png, "the re-encoded PNG");
    assert_ne!(embedded, upload_bytes(), "never the uploaded bytes");
    assert!(!svg.contains("xlink"));
    assert_eq!(
        svg.matches("http").count(),
        1,
        "no URL but the SVG namespace"
    );
    // The image sits inside the cleared pad, centred: x == y, and both in the middle third.
    let x: f32 = svg
        .split("<image x=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let side = matrix.width() as f32 + 8.0;
    assert!(x > side / 3.0 && x < side / 2.0, "{x} of {side}");
    // No image element without the image.
    assert!(!qr::render::svg(&matrix, &style).contains("<image"));
}

/// A qr service with the media module's tables and a data folder of its own.
async fn service(db: &shared::testing::TestDb, dir: &std::path::Path) -> common::Qr {
    media::migrate(&db.db).await.unwrap();
    common::Qr::start_with(
        db,
        EventBus::memory(10_000),
        &["--data-dir", dir.to_str().unwrap()],
    )
    .await
}

backend_tests!(codes_take_their_owners_logos_only_and_render_them);
async fn codes_take_their_owners_logos_only_and_render_them(db: TestDb) {
    eprintln!("backend: {}", db.backend.name());
    let dir = std::env::temp_dir().join(format!("qr-logos-{}", uuid::Uuid::new_v4().simple()));
    let qr = service(&db, &dir).await;
    let media = media::Media::local(&qr.ctx);
    let mine = media
        .upload("alice", upload_bytes().into())
        .await
        .unwrap()
        .id;
    let other = image::RgbImage::from_pixel(64, 64, image::Rgb([10, 120, 10]));
    let mut other_bytes = Vec::new();
    DynamicImage::ImageRgb8(other)
        .write_to(&mut Cursor::new(&mut other_bytes), ImageFormat::Png)
        .unwrap();
    let bobs = media.upload("bob", other_bytes.into()).await.unwrap().id;

    // Another user's logo, and one that was never uploaded: "unknown logo".
    for id in [bobs.clone(), "cd".repeat(32)] {
        let answer = qr
            .call(
                Method::POST,
                "/api/v1/qr",
                Some(&qr.token("alice")),
                Some(
                    json!({"name": "Menu", "destination": "https://example.com/menu",
                            "style": {"logo": {"id": id, "size": 0.3}}}),
                ),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        let error = &answer.json()["error"];
        assert_eq!(error["field"], "style.logo.id", "{error}");
        assert_eq!(error["message"], "unknown logo", "{error}");
    }
    // Too big for the level.
    let answer = qr
        .call(
            Method::POST,
            "/api/v1/qr",
            Some(&qr.token("alice")),
            Some(
                json!({"name": "Menu", "destination": "https://example.com/menu",
                        "style": {"ecc": "Q", "logo": {"id": mine, "size": 0.4}}}),
            ),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "style.logo.size");

    let created = qr
        .create(
            "alice",
            json!({"name": "Menu", "destination": "https://example.com/menu",
                   "style": {"logo": {"id": mine, "size": 0.3}}}),
        )
        .await;
    assert_eq!(created["style"]["ecc"], "Q", "a logo raises the level");
    let id = created["id"].as_str().unwrap();
    let token = qr.token("alice");

    let png = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.png?size=600"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(
        common::decode_png(&png.body),
        created["short_url"].as_str().unwrap()
    );
    let svg = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.svg"),
            Some(&token),
            None,
        )
        .await;
    assert!(svg.text().contains(r#"href="data:image/png;base64,"#));

    // Switching to bob's logo is refused on edit too; the render is unchanged.
    let answer = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&token),
            Some(json!({"style": {"logo": {"id": bobs, "size": 0.3}}})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["message"], "unknown logo");

    // A different logo of alice's changes the render (the cache key holds the logo).
    let green = image::RgbImage::from_pixel(64, 64, image::Rgb([10, 120, 10]));
    let mut green_bytes = Vec::new();
    DynamicImage::ImageRgb8(green)
        .write_to(&mut Cursor::new(&mut green_bytes), ImageFormat::Png)
        .unwrap();
    let second = media.upload("alice", green_bytes.into()).await.unwrap().id;
    assert_eq!(second, bobs, "same picture, same id: alice now owns it too");
    let answer = qr
        .call(
            Method::PATCH,
            &format!("/api/v1/qr/{id}"),
            Some(&token),
            Some(json!({"style": {"logo": {"id": second, "size": 0.3}}})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let after = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/{id}/image.png?size=600"),
            Some(&token),
            None,
        )
        .await;
    assert_ne!(after.header("etag"), png.header("etag"));
    assert_ne!(after.body, png.body);
    let image = image::load_from_memory_with_format(&after.body, ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    assert_eq!(image.get_pixel(300, 300).0, [10, 120, 10]);

    // The preview draws logos that exist and refuses ids that do not.
    let preview = qr
        .call(
            Method::POST,
            "/api/v1/qr/preview.svg",
            Some(&token),
            Some(json!({"style": {"logo": {"id": "ef".repeat(32)}}})),
        )
        .await;
    assert_eq!(preview.status, StatusCode::UNPROCESSABLE_ENTITY);
    let _ = std::fs::remove_dir_all(&dir);
}
