//! Rendering throughput: first renders (no cache) of a styled 1,024-px PNG, a plain one, and an
//! SVG. Target: ≥ 200 styled 1,024-px PNG renders per second per core.
//!
//! Run: `cargo bench -p qr --bench render`

use criterion::{Criterion, criterion_group, criterion_main};
use qr::render::{Matrix, png, svg};
use qr::style::{Color, Ecc, EyeShape, ModuleShape, Style};

const PAYLOAD: &str = "https://scanpage.example/r/ab3cd5e";

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
        b.iter(|| {
            let matrix = Matrix::encode(PAYLOAD, style.ecc).unwrap();
            png(&matrix, &style, 1024).unwrap()
        });
    });
    group.bench_function("encode+plain png 1024", |b| {
        let style = Style::default();
        b.iter(|| {
            let matrix = Matrix::encode(PAYLOAD, style.ecc).unwrap();
            png(&matrix, &style, 1024).unwrap()
        });
    });
    group.bench_function("encode+styled svg", |b| {
        let style = styled();
        b.iter(|| {
            let matrix = Matrix::encode(PAYLOAD, style.ecc).unwrap();
            svg(&matrix, &style)
        });
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
