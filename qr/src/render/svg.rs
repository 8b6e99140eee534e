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
/// The gradient's id is derived from its colours, so two codes inlined in one page never point
/// at each other's definitions with different colours.
fn write_paint(out: &mut String, matrix: &Matrix, style: &Style, layout: &Layout) -> String {
    let Some(gradient) = style.gradient else {
        return style.fg.hex();
    };
    let (from, to) = (style.fg.hex(), gradient.to.hex());
    let margin = f32::from(style.margin);
    let (x0, y0) = (layout.code_x + margin, layout.code_y + margin);
    let w = matrix.width() as f32;
    let id = format!(
        "ink-{}{}{}",
        &from[1..],
        &to[1..],
        match gradient.kind {
            GradientKind::Linear => 'l',
            GradientKind::Radial => 'r',
        }
    );
    let stops =
        format!(r#"<stop offset="0" stop-color="{from}"/><stop offset="1" stop-color="{to}"/>"#);
    let _ = match gradient.kind {
        GradientKind::Linear => write!(
            out,
            r#"<defs><linearGradient id="{id}" gradientUnits="userSpaceOnUse" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}">{stops}</linearGradient></defs>"#,
            x1 = x0 + w,
            y1 = y0 + w,
        ),
        GradientKind::Radial => write!(
            out,
            r#"<defs><radialGradient id="{id}" gradientUnits="userSpaceOnUse" cx="{c}" cy="{cy}" r="{r}">{stops}</radialGradient></defs>"#,
            c = x0 + w / 2.0,
            cy = y0 + w / 2.0,
            // To the symbol's corners.
            r = w * std::f32::consts::FRAC_1_SQRT_2,
        ),
    };
    format!("url(#{id})")
}
