//! Every style option still scans: each variant is rendered to PNG and decoded back with a
//! pure-Rust decoder (rqrr), which must read exactly the payload that was encoded.

use qr::render::{Matrix, png, svg};
use qr::style::{Color, Ecc, EyeShape, Frame, ModuleShape, Style};

const PAYLOAD: &str = "http://localhost:3000/r/ab3cd5e";

fn decode(png_bytes: &[u8]) -> String {
    let decoder = png_crate::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let palette = reader.info().palette.clone();
    let luma = |x: usize, y: usize| -> u8 {
        let (r, g, b) = match (info.color_type, &palette) {
            (png_crate::ColorType::Indexed, Some(p)) => {
                let k = buf[y * info.line_size + x] as usize * 3;
                (p[k], p[k + 1], p[k + 2])
            }
            _ => {
                let i = y * info.line_size + x * channels;
                (buf[i], buf[i + 1], buf[i + 2])
            }
        };
        Color { r, g, b }.luma()
    };
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one code found");
    match grids[0].decode() {
        Ok((_, text)) => text,
        Err(err) => {
            std::fs::write("/tmp/failed-decode.png", png_bytes).ok();
            format!("undecodable: {err}")
        }
    }
}

fn roundtrip(style: &Style, size: u32) -> String {
    let style = style.clone().validated().expect("a valid style");
    let matrix = Matrix::encode(PAYLOAD, style.ecc).unwrap();
    decode(&png(&matrix, &style, size).unwrap())
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
