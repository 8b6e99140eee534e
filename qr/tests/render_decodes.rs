//! Every style option still scans: each variant is rendered to PNG and decoded back with a
//! pure-Rust decoder (rqrr), which must read exactly the payload that was encoded.

mod common;

use qr::render::{Matrix, png, svg};
use qr::style::{
    Color, Ecc, EyeShape, Frame, FrameTemplate, Gradient, GradientKind, ModuleShape, Style,
};

const PAYLOAD: &str = "http://localhost:3000/r/ab3cd5e";

fn roundtrip(style: &Style, size: u32) -> String {
    let style = style.clone().validated().expect("a valid style");
    let matrix = Matrix::encode(PAYLOAD, style.ecc).unwrap();
    common::decode_png(&png(&matrix, &style, size).unwrap())
}

#[test]
fn every_shape_and_level_decodes() {
    let mut unread = Vec::new();
    for modules in ModuleShape::ALL {
        for eyes in EyeShape::ALL {
            for ecc in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H] {
                let style = Style {
                    modules,
                    eyes,
                    ecc,
                    ..Style::default()
                };
                if roundtrip(&style, 512) != PAYLOAD {
                    unread.push(format!("{modules:?} {eyes:?} {ecc:?}"));
                }
            }
        }
    }
    assert!(unread.is_empty(), "unreadable: {unread:?}");
}

#[test]
fn colours_margins_and_sizes_decode() {
    let navy_on_cream = Style {
        fg: Color::parse("#1e3a8a").unwrap(),
        bg: Color::parse("#fef3c7").unwrap(),
        ..Style::default()
    };
    assert_eq!(roundtrip(&navy_on_cream, 400), PAYLOAD);
    for margin in [2, 4, 10] {
        let style = Style {
            margin,
            ..Style::default()
        };
        assert_eq!(roundtrip(&style, 300), PAYLOAD, "margin {margin}");
    }
    for size in [128, 1024] {
        assert_eq!(roundtrip(&Style::default(), size), PAYLOAD, "size {size}");
    }
}

#[test]
fn a_caption_frame_still_decodes_and_is_escaped() {
    let style = Style {
        frame: Some(Frame::new("<Scan & win>")),
        modules: ModuleShape::Rounded,
        ..Style::default()
    };
    assert_eq!(roundtrip(&style, 600), PAYLOAD);
    // A caption goes through the SVG and resvg: check that renderer's shapes decode too.
    for (modules, eyes) in [
        (ModuleShape::Dots, EyeShape::Rounded),
        (ModuleShape::Square, EyeShape::Rounded),
    ] {
        let shaped = Style {
            modules,
            eyes,
            ..style.clone()
        };
        assert_eq!(
            roundtrip(&shaped, 600),
            PAYLOAD,
            "{modules:?} {eyes:?} via SVG"
        );
    }
    let matrix = Matrix::encode(PAYLOAD, Ecc::M).unwrap();
    let out = svg(&matrix, &style.validated().unwrap());
    assert!(out.contains("&lt;Scan &amp; win&gt;"), "{out}");
    assert!(!out.contains("<Scan"));
}

#[test]
fn sizes_outside_the_bounds_are_refused() {
    let matrix = Matrix::encode(PAYLOAD, Ecc::M).unwrap();
    assert!(png(&matrix, &Style::default(), 63).is_err());
    assert!(png(&matrix, &Style::default(), 4097).is_err());
    assert!(png(&matrix, &Style::default(), 100_000_000).is_err());
}

#[test]
fn too_much_content_is_an_error_not_a_panic() {
    let huge = "x".repeat(5_000);
    assert!(Matrix::encode(&huge, Ecc::H).is_err());
}

/// Issue 22's styles: every frame template, gradients, a separate eye colour and transparency
/// decode, as PNG (transparent pixels read as on white paper).
#[test]
fn frames_gradients_eye_colours_and_transparency_decode() {
    let navy = Color::parse("#1e3a8a").unwrap();
    let purple = Color::parse("#6d28d9").unwrap();
    let crimson = Color::parse("#9f1239").unwrap();
    for template in FrameTemplate::ALL {
        let style = Style {
            frame: Some(Frame {
                text: "Scan for the menu".into(),
                template,
            }),
            modules: ModuleShape::Rounded,
            ..Style::default()
        };
        assert_eq!(roundtrip(&style, 600), PAYLOAD, "{template:?}");
        let out = svg(&Matrix::encode(PAYLOAD, Ecc::M).unwrap(), &style);
        assert!(out.contains(">Scan for the menu</text>"), "{template:?}");
    }
    for kind in [GradientKind::Linear, GradientKind::Radial] {
        for transparent in [false, true] {
            let style = Style {
                fg: navy,
                gradient: Some(Gradient { kind, to: purple }),
                eye_color: Some(crimson),
                transparent,
                modules: ModuleShape::Dots,
                eyes: EyeShape::Leaf,
                ..Style::default()
            };
            assert_eq!(
                roundtrip(&style, 512),
                PAYLOAD,
                "{kind:?} transparent {transparent}"
            );
            let out = svg(&Matrix::encode(PAYLOAD, Ecc::M).unwrap(), &style);
            assert!(out.contains("fill=\"url(#ink-"), "{out}");
            assert!(out.contains("fill=\"#9f1239\""), "the eyes' own colour");
            assert_eq!(out.contains("<rect width="), !transparent, "background");
        }
    }
}

#[test]
fn a_transparent_png_has_alpha_and_an_opaque_one_none() {
    let matrix = Matrix::encode(PAYLOAD, Ecc::M).unwrap();
    let style = Style {
        transparent: true,
        ..Style::default()
    };
    let image = image::load_from_memory(&png(&matrix, &style, 256).unwrap()).unwrap();
    assert!(image.color().has_alpha());
    let rgba = image.to_rgba8();
    assert_eq!(
        rgba.get_pixel(1, 1).0[3],
        0,
        "the quiet zone is see-through"
    );
    let centre_dark = rgba
        .pixels()
        .filter(|p| p.0[3] == 255 && p.0[0] < 50)
        .count();
    assert!(centre_dark > 1000, "the modules are opaque");
    let opaque = image::load_from_memory(&png(&matrix, &Style::default(), 256).unwrap()).unwrap();
    assert!(!opaque.color().has_alpha());
}

/// The content streams of a PDF of ours, inflated.
fn pdf_streams(pdf: &[u8]) -> Vec<String> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut rest = pdf;
    while let Some(start) = find(rest, b">>\nstream\n") {
        let body = &rest[start + 10..];
        let end = find(body, b"\nendstream").expect("an end to the stream");
        let mut text = Vec::new();
        if flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut text)
            .is_ok()
        {
            out.push(String::from_utf8_lossy(&text).into_owned());
        }
        rest = &body[end..];
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The vector PDF: a real PDF whose page is paths (one `re`-free outline per module), the
/// caption as outlines too (no font), and gradients as shadings.
#[test]
fn the_pdf_is_vector() {
    let matrix = Matrix::encode(PAYLOAD, Ecc::M).unwrap();
    let style = Style {
        frame: Some(Frame {
            text: "Scan me".into(),
            template: FrameTemplate::Ticket,
        }),
        modules: ModuleShape::Dots,
        ..Style::default()
    };
    let pdf = qr::render::pdf(&matrix, &style, None).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF header");
    assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    let content = pdf_streams(&pdf).join("\n");
    // A dot is a move and curves: at least one `m` per dark module outside the finders.
    let dark = (0..matrix.width())
        .flat_map(|y| (0..matrix.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| matrix.is_dark(x, y) && !matrix.in_finder(x, y))
        .count();
    let moves = content.lines().filter(|l| l.ends_with(" m")).count();
    assert!(moves > dark, "{moves} moves for {dark} modules");
    assert!(content.lines().any(|l| l.ends_with(" c")), "curves");
    assert!(content.lines().any(|l| l == "f" || l == "f*"), "fills");
    assert!(
        content.lines().any(|l| l == "S"),
        "the ticket's stroked border"
    );
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        !text.contains("/Font"),
        "the caption is outlines, not a font"
    );
    assert!(!text.contains("/Image"), "no raster without a logo");

    let gradient = Style {
        fg: Color::parse("#1e3a8a").unwrap(),
        gradient: Some(Gradient {
            kind: GradientKind::Radial,
            to: Color::parse("#6d28d9").unwrap(),
        }),
        ..Style::default()
    };
    let pdf = qr::render::pdf(&matrix, &gradient, None).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/ShadingType 3"), "a radial shading");
    assert!(pdf_streams(&pdf).join("\n").contains("/Sh0 sh"));
}
