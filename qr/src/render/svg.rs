//! SVG from a matrix and a validated style. Every attribute value written here is a number, a
//! colour formatted from three bytes, or a constant; the only text — a frame's call to action —
//! is XML-escaped and limited to 24 characters by the style's validation.

use std::fmt::Write;

use super::Matrix;
use super::frame::Layout;
use super::logo::{LogoImage, clear_area};
use super::shapes;
use crate::style::{EyeShape, GradientKind, ModuleShape, Style};

/// The SVG of a style without its logo image (the pad is left clear).
pub fn svg(matrix: &Matrix, style: &Style) -> String {
    svg_with(matrix, style, None)
}

/// The SVG, with the style's logo drawn from `logo` when given: an `<image>` whose only `href` is
/// a `data:image/png;base64,` URI of our own re-encoded PNG — never a URL, never user bytes.
pub fn svg_with(matrix: &Matrix, style: &Style, logo: Option<&LogoImage>) -> String {
    write(matrix, style, logo, true)
}

/// The background and the frame only, same size and layout: the PNG renderer stamps the code
/// over it (see `png`).
pub(super) fn svg_frame(matrix: &Matrix, style: &Style) -> String {
    write(matrix, style, None, false)
}

fn write(matrix: &Matrix, style: &Style, logo: Option<&LogoImage>, code: bool) -> String {
    let margin = usize::from(style.margin);
    let layout = Layout::of(matrix, style);
    let (width, height) = (layout.width, layout.height);
    let bg = style.bg.hex();
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{w10}" height="{h10}" shape-rendering="{rendering}">"#,
        w10 = width * 10.0,
        h10 = height * 10.0,
        rendering = if style.modules == ModuleShape::Square && style.eyes == EyeShape::Square {
            "crispEdges"
        } else {
            "geometricPrecision"
        },
    );
    let ink = if code {
        write_paint(&mut out, matrix, style, &layout)
    } else {
        String::new()
    };
    if !style.transparent {
        let _ = write!(
            out,
            r#"<rect width="{width}" height="{height}" fill="{bg}"/>"#
        );
    }
    if !code {
        layout.write_frame(&mut out, style);
        out.push_str("</svg>");
        return out;
    }
    // The code's own origin (its quiet zone's top-left corner) inside the frame.
    let (ox, oy) = (layout.code_x, layout.code_y);

    // Modules outside the finder patterns, and outside the logo's clear area.
    let cleared = clear_area(matrix, style);
    let module = shapes::module(style.modules);
    let _ = write!(out, r#"<path fill="{ink}" d=""#);
    for y in 0..matrix.width() {
        for x in 0..matrix.width() {
            if !matrix.is_dark(x, y) || matrix.in_finder(x, y) || cleared.contains(x, y) {
                continue;
            }
            module.write_svg(&mut out, ox + (x + margin) as f32, oy + (y + margin) as f32);
        }
    }
    out.push_str(r#""/>"#);

    let eye_ink = style
        .eye_color
        .map_or_else(|| ink.clone(), crate::style::Color::hex);
    let [ring, hole, stone] = shapes::eye(style.eyes);
    let _ = write!(out, r#"<path fill="{eye_ink}" fill-rule="evenodd" d=""#);
    for (fx, fy) in matrix.finders() {
        let (x, y) = (ox + (fx + margin) as f32, oy + (fy + margin) as f32);
        ring.write_svg(&mut out, x, y);
        hole.write_svg(&mut out, x, y);
        stone.write_svg(&mut out, x, y);
    }
    out.push_str(r#""/>"#);

    if let Some(logo) = logo
        && cleared.side > 0
    {
        let (at, side) = cleared.inner();
        let _ = write!(
            out,
            r#"<image x="{x}" y="{y}" width="{side}" height="{side}" preserveAspectRatio="xMidYMid meet" href="{uri}"/>"#,
            x = ox + margin as f32 + at,
            y = oy + margin as f32 + at,
            uri = logo.data_uri(),
        );
    }

    layout.write_frame(&mut out, style);
    out.push_str("</svg>");
    out
}

/// Writes the gradient's definition when the style has one; returns the modules' `fill` value.
///
/// Ids are document-wide: a microsite page that inlines two codes' SVGs must not have one
/// `url(#…)` resolve to the other's definition (the first in the page wins, with the other
/// code's coordinates), so the id is `ink-` and a hash of this code's modules and of the
/// definition itself. Deterministic (the same code and style write the same bytes, so cached
/// and fresh renders agree) and distinct for distinct codes.
fn write_paint(out: &mut String, matrix: &Matrix, style: &Style, layout: &Layout) -> String {
    let Some(gradient) = style.gradient else {
        return style.fg.hex();
    };
    let (from, to) = (style.fg.hex(), gradient.to.hex());
    let margin = f32::from(style.margin);
    let (x0, y0) = (layout.code_x + margin, layout.code_y + margin);
    let w = matrix.width() as f32;
    let stops =
        format!(r#"<stop offset="0" stop-color="{from}"/><stop offset="1" stop-color="{to}"/>"#);
    // The definition without its id ("{id}" stays a placeholder until the hash is known).
    let definition = match gradient.kind {
        GradientKind::Linear => format!(
            r#"<defs><linearGradient id="{{id}}" gradientUnits="userSpaceOnUse" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}">{stops}</linearGradient></defs>"#,
            x1 = x0 + w,
            y1 = y0 + w,
        ),
        GradientKind::Radial => format!(
            r#"<defs><radialGradient id="{{id}}" gradientUnits="userSpaceOnUse" cx="{c}" cy="{cy}" r="{r}">{stops}</radialGradient></defs>"#,
            c = x0 + w / 2.0,
            cy = y0 + w / 2.0,
            // To the symbol's corners.
            r = w * std::f32::consts::FRAC_1_SQRT_2,
        ),
    };
    let id = format!("ink-{:016x}", id_hash(matrix, &definition));
    out.push_str(&definition.replacen("{id}", &id, 1));
    format!("url(#{id})")
}

/// FNV-1a (64-bit) over the symbol's width, its modules and `salt`: fixed, unlike std's
/// per-process hasher, so an id is the same in every process and every release.
fn id_hash(matrix: &Matrix, salt: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    };
    for byte in (matrix.width() as u64).to_le_bytes() {
        eat(byte);
    }
    // Eight modules a byte.
    for chunk in matrix.dark.chunks(8) {
        eat(chunk
            .iter()
            .enumerate()
            .fold(0_u8, |b, (i, &d)| b | (u8::from(d) << i)));
    }
    for &byte in salt.as_bytes() {
        eat(byte);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::{Color, Ecc, Gradient};

    /// Every `id="…"` in an SVG.
    fn ids(svg: &str) -> Vec<&str> {
        svg.split(" id=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect()
    }

    /// Two codes inlined in one page share no element id, so neither draws with the other's
    /// gradient; the same code and style write the same id every time.
    #[test]
    fn two_codes_svgs_share_no_id() {
        for kind in [GradientKind::Linear, GradientKind::Radial] {
            let style = Style {
                gradient: Some(Gradient {
                    kind,
                    to: Color::parse("#7c3aed").unwrap(),
                }),
                ecc: Ecc::Q,
                ..Style::default()
            };
            let one = Matrix::encode("https://scanpage.example/r/aaaaaaa", Ecc::Q).unwrap();
            let two = Matrix::encode("https://scanpage.example/r/bbbbbbb", Ecc::Q).unwrap();
            // A longer payload: a larger symbol, so other gradient coordinates.
            let big = Matrix::encode(
                &format!("https://scanpage.example/{}", "x".repeat(80)),
                Ecc::Q,
            )
            .unwrap();
            assert!(big.width() > one.width());
            let svgs = [svg(&one, &style), svg(&two, &style), svg(&big, &style)];
            let mut seen = std::collections::HashSet::new();
            for out in &svgs {
                let found = ids(out);
                assert_eq!(found.len(), 1, "{out}");
                for id in found {
                    assert!(id.starts_with("ink-"), "{id}");
                    assert!(out.contains(&format!("fill=\"url(#{id})\"")), "{out}");
                    assert!(seen.insert(id.to_owned()), "{id} is in two codes' SVGs");
                }
            }
            assert_eq!(svg(&one, &style), svgs[0], "deterministic");
            // Another gradient on the same code: another id too.
            let other = Style {
                gradient: Some(Gradient {
                    kind,
                    to: Color::parse("#0f766e").unwrap(),
                }),
                ..style.clone()
            };
            assert!(!seen.contains(ids(&svg(&one, &other))[0]));
        }
    }
}
