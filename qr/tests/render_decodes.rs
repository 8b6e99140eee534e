//! Every style option still scans: each variant is rendered to PNG and decoded back with a
//! pure-Rust decoder (rqrr), which must read exactly the payload that was encoded.

mod common;

use qr::render::{Matrix, png, svg};
use qr::style::{Color, Ecc, EyeShape, Frame, ModuleShape, Style};

const PAYLOAD: &str = "http://localhost:3000/r/ab3cd5e";

fn roundtrip(style: &Style, size: u32) -> String {
    let style = style.clone().validated().expect("a valid style");
    let matrix = Matrix::encode(PAYLOAD, style.ecc).unwrap();
    common::decode_png(&png(&matrix, &style, size).unwrap())
}

#[test]
fn every_shape_and_level_decodes() {
    for modules in [ModuleShape::Square, ModuleShape::Rounded, ModuleShape::Dots] {
        for eyes in [EyeShape::Square, EyeShape::Rounded] {
            for ecc in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H] {
                let style = Style {
                    modules,
                    eyes,
                    ecc,
                    ..Style::default()
                };
                assert_eq!(
                    roundtrip(&style, 512),
                    PAYLOAD,
                    "{modules:?} {eyes:?} {ecc:?}"
                );
            }
        }
    }
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
        frame: Some(Frame {
            text: "<Scan & win>".into(),
        }),
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
