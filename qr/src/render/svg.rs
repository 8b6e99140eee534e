//! SVG from a matrix and a validated style. Every attribute value written here is a number, a
//! colour formatted from three bytes, or a constant; the only text — a frame caption — is
//! XML-escaped and limited to 24 characters by the style's validation.

use std::fmt::Write;

use super::logo::{LogoImage, clear_area};
use super::{EYE_RING_RADIUS, EYE_STONE_RADIUS, Matrix};
use crate::style::{EyeShape, ModuleShape, Style};

/// Height of the caption band under the symbol's quiet zone, in modules (band + padding).
const FRAME_BAND: usize = 7;

/// The SVG of a style without its logo image (the pad is left clear).
pub fn svg(matrix: &Matrix, style: &Style) -> String {
    svg_with(matrix, style, None)
}

/// The SVG, with the style's logo drawn from `logo` when given: an `<image>` whose only `href` is
/// a `data:image/png;base64,` URI of our own re-encoded PNG — never a URL, never user bytes.
pub fn svg_with(matrix: &Matrix, style: &Style, logo: Option<&LogoImage>) -> String {
    let margin = usize::from(style.margin);
    let side = matrix.width() + 2 * margin;
    let height = side + if style.frame.is_some() { FRAME_BAND } else { 0 };
    let fg = style.fg.hex();
    let bg = style.bg.hex();
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {height}" width="{side}0" height="{height}0" shape-rendering="{rendering}">"#,
        rendering = if style.modules == ModuleShape::Square && style.eyes == EyeShape::Square {
            "crispEdges"
        } else {
            "geometricPrecision"
        },
    );
    let _ = write!(
        out,
        r#"<rect width="{side}" height="{height}" fill="{bg}"/>"#
    );

    // Modules outside the finder patterns, and outside the logo's clear area.
    let cleared = clear_area(matrix, style);
    let _ = write!(out, r#"<path fill="{fg}" d=""#);
    for y in 0..matrix.width() {
        for x in 0..matrix.width() {
            if !matrix.is_dark(x, y) || matrix.in_finder(x, y) || cleared.contains(x, y) {
                continue;
            }
            let (px, py) = (x + margin, y + margin);
            match style.modules {
                ModuleShape::Square => {
                    let _ = write!(out, "M{px} {py}h1v1h-1z");
                }
                ModuleShape::Rounded => {
                    // A rounded square: 0.3-module corner radius.
                    let _ = write!(
                        out,
                        "M{x0} {py}h0.4a0.3 0.3 0 0 1 0.3 0.3v0.4a0.3 0.3 0 0 1 -0.3 0.3h-0.4a0.3 0.3 0 0 1 -0.3 -0.3v-0.4a0.3 0.3 0 0 1 0.3 -0.3z",
                        x0 = format_args!("{}.3", px),
                    );
                }
                ModuleShape::Dots => {
                    let _ = write!(
                        out,
                        "M{px}.5 {py}.05a0.45 0.45 0 1 1 0 0.9a0.45 0.45 0 1 1 0 -0.9z"
                    );
                }
            }
        }
    }
    out.push_str(r#""/>"#);

    for (fx, fy) in matrix.finders() {
        let (x, y) = (fx + margin, fy + margin);
        match style.eyes {
            EyeShape::Square => {
                let _ = write!(
                    out,
                    r#"<path fill="{fg}" fill-rule="evenodd" d="M{x} {y}h7v7h-7zM{x1} {y1}v5h5v-5z"/><rect x="{x2}" y="{y2}" width="3" height="3" fill="{fg}"/>"#,
                    x1 = x + 1,
                    y1 = y + 1,
                    x2 = x + 2,
                    y2 = y + 2,
                );
            }
            EyeShape::Rounded => {
                let ring = rounded_rect_path(x as f32, y as f32, 7.0, EYE_RING_RADIUS);
                let stone =
                    rounded_rect_path(x as f32 + 2.0, y as f32 + 2.0, 3.0, EYE_STONE_RADIUS);
                let _ = write!(
                    out,
                    r#"<path fill="{fg}" fill-rule="evenodd" d="{ring}M{x1} {y1}v5h5v-5z"/><path fill="{fg}" d="{stone}"/>"#,
                    x1 = x + 1,
                    y1 = y + 1,
                );
            }
        }
    }

    if let Some(logo) = logo
        && cleared.side > 0
    {
        let (at, side) = cleared.inner();
        let _ = write!(
            out,
            r#"<image x="{x}" y="{x}" width="{side}" height="{side}" preserveAspectRatio="xMidYMid meet" href="{uri}"/>"#,
            x = margin as f32 + at,
            uri = logo.data_uri(),
        );
    }

    if let Some(frame) = &style.frame {
        let _ = write!(
            out,
            r#"<rect x="{m}" y="{top}" width="{w}" height="5" rx="1" fill="{fg}"/><text x="{cx}" y="{ty}" fill="{bg}" font-family="DejaVu Sans, Arial, sans-serif" font-weight="700" font-size="2.6" text-anchor="middle">{text}</text>"#,
            m = margin,
            // Below the full quiet zone: a caption closer than that can stop phones reading it.
            top = side,
            w = matrix.width(),
            cx = side as f64 / 2.0,
            ty = side as f64 + 3.4,
            text = shared::ui::escape(&frame.text),
        );
    }
    out.push_str("</svg>");
    out
}

/// A square of side `w` at (x, y) with corner radius `r`, as SVG path data (numbers only).
fn rounded_rect_path(x: f32, y: f32, w: f32, r: f32) -> String {
    let s = w - 2.0 * r;
    format!(
        "M{x0} {y}h{s}a{r} {r} 0 0 1 {r} {r}v{s}a{r} {r} 0 0 1 -{r} {r}h-{s}a{r} {r} 0 0 1 -{r} -{r}v-{s}a{r} {r} 0 0 1 {r} -{r}z",
        x0 = x + r,
    )
}
