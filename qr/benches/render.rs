//! Rendering throughput: first renders (no cache) of a styled 1,024-px PNG, a plain one, one
//! with a centre logo, and an SVG. Targets: ≥ 200 styled 1,024-px PNG renders per second per core;
//! issue 22: ≥ 150/s for a styled 1,024-px PNG with a logo and a caption frame.
//!
//! "First render" of a new code: every iteration encodes a different payload (`payload(i)`: the
//! same length, so the same symbol size, different modules), and nothing that depends on the
//! code is cached — never the finished PNG. What is cached, as in the service, is only what all
//! codes of a style share: the logo's decoded, fitted pixels (by the logo's content and size)
//! and a framed style's drawn background + frame + caption (by the frame's template, caption,
//! colours, symbol size and pixel size); both are filled by the first iteration.
//!
//! Run: `cargo bench -p qr --bench render`

use criterion::{Criterion, criterion_group, criterion_main};
use qr::render::{LogoImage, Matrix, pdf, png, png_with, scannability, svg};
use qr::style::{Color, Ecc, EyeShape, Frame, Logo, ModuleShape, Style};

const PAYLOAD: &str = "https://scanpage.example/r/ab3cd5e";

/// A different short URL for every iteration, of `PAYLOAD`'s length.
fn payload() -> impl FnMut() -> String {
    let mut i = 0_u32;
    move || {
        i = i.wrapping_add(1);
        format!("https://scanpage.example/r/{:07x}", i % 0x0fff_ffff)
    }
}

fn styled() -> Style {
    Style {
        fg: Color::parse("#1e3a8a").unwrap(),
        bg: Color::parse("#fef3c7").unwrap(),
        ecc: Ecc::Q,
        modules: ModuleShape::Rounded,
        eyes: EyeShape::Rounded,
        ..Style::default()
    }
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(30);
    group.bench_function("encode+styled png 1024", |b| {
        let style = styled();
        let mut next = payload();
        b.iter(|| {
            let matrix = Matrix::encode(&next(), style.ecc).unwrap();
            png(&matrix, &style, 1024).unwrap()
        });
    });
    group.bench_function("encode+plain png 1024", |b| {
        let style = Style::default();
        let mut next = payload();
        b.iter(|| {
            let matrix = Matrix::encode(&next(), style.ecc).unwrap();
            png(&matrix, &style, 1024).unwrap()
        });
    });
    group.bench_function("encode+styled png 1024 with logo", |b| {
        let style = Style {
            logo: Some(Logo {
                id: "ab".repeat(32),
                size: 0.3,
            }),
            ..styled()
        };
        // Decoded and fitted once (cached by content), as in the service.
        let logo = logo();
        let mut next = payload();
        b.iter(|| {
            let matrix = Matrix::encode(&next(), style.ecc).unwrap();
            png_with(&matrix, &style, 1024, Some(&logo)).unwrap()
        });
    });
    // Issue 22's bench: a styled 1,024-px PNG with a logo and a caption frame (drawn by resvg).
    let framed = Style {
        logo: Some(Logo {
            id: "ab".repeat(32),
            size: 0.3,
        }),
        frame: Some(Frame::new("Scan for the menu")),
        ..styled()
    };
    let logo = logo();
    group.bench_function("encode+framed png 1024 with logo", |b| {
        let mut next = payload();
        b.iter(|| {
            let matrix = Matrix::encode(&next(), framed.ecc).unwrap();
            png_with(&matrix, &framed, 1024, Some(&logo)).unwrap()
        });
    });
    group.bench_function("encode+framed pdf with logo", |b| {
        let mut next = payload();
        b.iter(|| {
            let matrix = Matrix::encode(&next(), framed.ecc).unwrap();
            pdf(&matrix, &framed, Some(&logo)).unwrap()
        });
    });
    // What a save costs on top: the 512-px render and rqrr's read-back.
    group.bench_function("scannability check, framed with logo", |b| {
        b.iter(|| scannability::check(PAYLOAD, &framed, Some(&logo)).unwrap());
    });
    group.bench_function("encode+styled svg", |b| {
        let style = styled();
        let mut next = payload();
        b.iter(|| {
            let matrix = Matrix::encode(&next(), style.ecc).unwrap();
            svg(&matrix, &style)
        });
    });
    group.finish();
}

/// A 512-px logo as the media module stores it.
fn logo() -> LogoImage {
    let upload = image::RgbaImage::from_fn(512, 512, |x, y| {
        image::Rgba([(x / 2) as u8, (y / 2) as u8, 120, 255])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba8(upload)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    LogoImage::new(media::process::normalise(&bytes).unwrap().png.into())
}

criterion_group!(benches, render);
criterion_main!(benches);
