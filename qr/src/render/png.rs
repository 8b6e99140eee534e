//! PNG output, written straight from the module matrix — no SVG round trip for the common
//! styles, because at 1,024 px the generic path (rasterise the SVG, encode RGB) costs ~30 ms
//! and this one a few.
//!
//! - Plain styles: each pixel is looked up in the matrix; a 1-bit, two-colour PNG.
//! - Shaped modules and eyes: one module shape and one eye shape are rasterised (anti-aliased,
//!   by tiny-skia) as small coverage masks, then stamped at integer module positions; the
//!   coverage becomes a 16-level palette blended from background to foreground (4-bit PNG).
//! - Frames (text) and transparency: resvg draws the background and the frame from an SVG
//!   without the code — once per frame style, symbol size and image width, kept in a small
//!   cache shared by every code of that style (`frame_layer`) — and the code's modules and eyes
//!   are blended over a copy of it in the ink colour from the same coverage masks as above, only
//!   within the symbol's square; encoded as RGB (RGBA when transparent). Gradients and eye
//!   colours: the whole SVG rasterised by resvg, every time.
//! - Logos: the modules under the logo are left out (see `logo`), then the logo's pixels —
//!   decoded and fitted once per logo and size, see `LogoImage::fitted` — are stamped over the
//!   code and the result is encoded as RGB.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{self, FillRule, Mask, PathBuilder, Transform};

use super::frame::Layout;
use super::logo::{self, LogoImage};
use super::{Matrix, RenderError, shapes, svg};
use crate::style::{Color, EyeShape, ModuleShape, Style};

pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 4_096;

/// A `size × size` PNG (taller when the style has a caption frame), its logo pad left empty.
pub fn png(matrix: &Matrix, style: &Style, size: u32) -> Result<Vec<u8>, RenderError> {
    png_with(matrix, style, size, None)
}

/// A `size × size` PNG with the style's logo drawn from `logo` when given.
pub fn png_with(
    matrix: &Matrix,
    style: &Style,
    size: u32,
    logo: Option<&LogoImage>,
) -> Result<Vec<u8>, RenderError> {
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return Err(RenderError::Size);
    }
    // Decoded up front so that a broken logo is an error whatever the path (and cached).
    let logo = match logo {
        Some(image) if style.logo.is_some() => {
            image.decode()?;
            Some(image)
        }
        _ => None,
    };
    // Frames (text), gradients, a second colour for the eyes and transparency are drawn by
    // resvg from the SVG; the stamped fast paths know two opaque colours only.
    if style.frame.is_some()
        || style.gradient.is_some()
        || style.eye_color.is_some()
        || style.transparent
    {
        return rasterised(matrix, style, size, logo);
    }
    if style.modules == ModuleShape::Square
        && style.eyes == EyeShape::Square
        && style.logo.is_none()
    {
        return plain(matrix, style, size);
    }
    stamped(matrix, style, size, logo)
}

fn plain(matrix: &Matrix, style: &Style, size: u32) -> Result<Vec<u8>, RenderError> {
    let margin = usize::from(style.margin);
    let total = matrix.width() + 2 * margin;
    let size_px = size as usize;
    // Which module each pixel column falls in (the same mapping serves rows).
    let module_of: Vec<Option<usize>> = (0..size_px)
        .map(|p| {
            let m = p * total / size_px;
            (m >= margin && m < margin + matrix.width()).then(|| m - margin)
        })
        .collect();
    let row_bytes = size_px.div_ceil(8);
    let mut packed = vec![0_u8; row_bytes * size_px];
    for (py, row) in packed.chunks_exact_mut(row_bytes).enumerate() {
        let Some(my) = module_of[py] else { continue };
        for (px, module) in module_of.iter().enumerate() {
            if let Some(mx) = *module
                && matrix.is_dark(mx, my)
            {
                row[px / 8] |= 0x80 >> (px % 8);
            }
        }
    }
    let palette = [
        style.bg.r, style.bg.g, style.bg.b, style.fg.r, style.fg.g, style.fg.b,
    ];
    encode(
        size,
        size,
        Pixels::Indexed {
            depth: png_crate::BitDepth::One,
            palette: &palette,
        },
        &packed,
    )
}

/// Palette levels for anti-aliased edges: 16 is indistinguishable from 256 at print sizes and
/// halves what the encoder has to compress.
const LEVELS: usize = 16;

fn stamped(
    matrix: &Matrix,
    style: &Style,
    size: u32,
    logo: Option<&LogoImage>,
) -> Result<Vec<u8>, RenderError> {
    let size_px = size as usize;
    let margin = usize::from(style.margin);
    let total = matrix.width() + 2 * margin;
    // Whole pixels per module keeps every module identical; the remainder widens the margin.
    let m = (size_px / total).max(1);
    let origin = (size_px - m * total) / 2 + margin * m;
    let mut coverage = vec![0_u8; size_px * size_px];
    draw_code(&mut coverage, size_px, matrix, style, m, origin, origin)?;

    let clear = logo::clear_area(matrix, style);
    if let Some(image) = logo
        && clear.side > 0
    {
        // Full colour from here: the logo's pixels are not two colours.
        let mut rgb = logo::coverage_to_rgb(&coverage, style.bg, style.fg);
        let (at, side) = clear.inner();
        let unit = m as f32;
        let corner = origin as f32 + at * unit;
        let fitted = image.fitted(side * unit)?;
        logo::stamp(&mut rgb, size_px, 3, &fitted, corner, corner, side * unit);
        return encode(size, size, Pixels::Rgb, &rgb);
    }

    let palette = blend_palette(style.bg, style.fg);
    let row_bytes = size_px.div_ceil(2);
    let mut packed = vec![0_u8; row_bytes * size_px];
    for (row, cov) in packed
        .chunks_exact_mut(row_bytes)
        .zip(coverage.chunks_exact(size_px))
    {
        for (px, &c) in cov.iter().enumerate() {
            let level = (usize::from(c) * (LEVELS - 1) + 127) / 255;
            row[px / 2] |= (level as u8) << if px % 2 == 0 { 4 } else { 0 };
        }
    }
    encode(
        size,
        size,
        Pixels::Indexed {
            depth: png_crate::BitDepth::Four,
            palette: &palette,
        },
        &packed,
    )
}

/// Stamps the code into `coverage` (`stride` bytes a row) at `m` pixels a module, the symbol's
/// top-left corner at (`ox`, `oy`): the dark modules outside the finders and the logo's pad,
/// then the three eyes.
fn draw_code(
    coverage: &mut [u8],
    stride: usize,
    matrix: &Matrix,
    style: &Style,
    m: usize,
    ox: usize,
    oy: usize,
) -> Result<(), RenderError> {
    let module = module_mask(style.modules, m)?;
    let clear = logo::clear_area(matrix, style);
    for y in 0..matrix.width() {
        for x in 0..matrix.width() {
            if matrix.is_dark(x, y) && !matrix.in_finder(x, y) && !clear.contains(x, y) {
                stamp(coverage, stride, &module, m, ox + x * m, oy + y * m);
            }
        }
    }
    let eye = eye_mask(style.eyes, m)?;
    for (fx, fy) in matrix.finders() {
        stamp(coverage, stride, &eye, 7 * m, ox + fx * m, oy + fy * m);
    }
    Ok(())
}

/// Copies a `side × side` mask into the coverage buffer at (x, y), keeping the larger value.
fn stamp(coverage: &mut [u8], stride: usize, mask: &[u8], side: usize, x: usize, y: usize) {
    for (row, line) in mask.chunks_exact(side).enumerate() {
        let start = (y + row) * stride + x;
        let Some(target) = coverage.get_mut(start..start + side) else {
            return;
        };
        for (t, &s) in target.iter_mut().zip(line) {
            *t = (*t).max(s);
        }
    }
}

fn module_mask(shape: ModuleShape, m: usize) -> Result<Vec<u8>, RenderError> {
    if shape == ModuleShape::Square {
        return Ok(vec![255; m * m]);
    }
    let mut pb = PathBuilder::new();
    shapes::module(shape).push_to(&mut pb, m as f32);
    fill(pb, m, FillRule::Winding)
}

fn eye_mask(shape: EyeShape, m: usize) -> Result<Vec<u8>, RenderError> {
    let unit = m as f32;
    let [outside, hole, stone_outline] = shapes::eye(shape);
    let mut pb = PathBuilder::new();
    outside.push_to(&mut pb, unit);
    hole.push_to(&mut pb, unit);
    let ring = fill(pb, 7 * m, FillRule::EvenOdd)?;
    let mut pb = PathBuilder::new();
    stone_outline.push_to(&mut pb, unit);
    let stone = fill(pb, 7 * m, FillRule::Winding)?;
    Ok(ring.iter().zip(&stone).map(|(a, b)| *a.max(b)).collect())
}

fn fill(pb: PathBuilder, side: usize, rule: FillRule) -> Result<Vec<u8>, RenderError> {
    let side_u32 = u32::try_from(side).map_err(|_| RenderError::Size)?;
    let mut mask = Mask::new(side_u32, side_u32).ok_or(RenderError::Size)?;
    if let Some(path) = pb.finish() {
        mask.fill_path(&path, rule, true, Transform::identity());
    }
    Ok(mask.data().to_vec())
}

fn blend_palette(bg: Color, fg: Color) -> Vec<u8> {
    (0..LEVELS)
        .flat_map(|i| {
            let t = i as f32 / (LEVELS - 1) as f32;
            let mix =
                |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
            [mix(bg.r, fg.r), mix(bg.g, fg.g), mix(bg.b, fg.b)]
        })
        .collect()
}

fn rasterised(
    matrix: &Matrix,
    style: &Style,
    size: u32,
    logo: Option<&LogoImage>,
) -> Result<Vec<u8>, RenderError> {
    let (pixels, height) = composed(matrix, style, size, logo)?;
    let kind = if style.transparent {
        Pixels::Rgba
    } else {
        Pixels::Rgb
    };
    encode(size, height, kind, &pixels)
}

/// The framed, gradient, eye-coloured or transparent image's pixels (RGB, or straight RGBA
/// when transparent) and its height.
fn composed(
    matrix: &Matrix,
    style: &Style,
    size: u32,
    logo: Option<&LogoImage>,
) -> Result<(Vec<u8>, u32), RenderError> {
    // Issue 22's logo bug: the SVG's user units are modules, but its `width`/`height` (the
    // tree's size, which resvg draws at under an identity transform) are ten pixels per
    // module, and the logo was placed in modules on that ten-times grid — a dot in the corner.
    // Everything here works in modules from the one layout the SVG was drawn with: whole
    // pixels per module, as in `stamped` (fractional module sizes blur every edge), and the
    // logo in the same module grid as the code under it.
    let layout = Layout::of(matrix, style);
    let canvas = Canvas::of(&layout, size);
    let channels = if style.transparent { 4 } else { 3 };
    // One ink colour (no gradient, no eye colour): resvg draws only the background and the
    // frame — once per frame style, see `frame_layer` — and the code is stamped over them from
    // the same coverage masks as `stamped` (filling ~600 anti-aliased module outlines was most
    // of resvg's time). Otherwise the whole SVG, every time. Never the logo's <image>: it is
    // stamped below, so resvg never decodes one.
    let mut pixels = if style.gradient.is_none() && style.eye_color.is_none() {
        let layer = frame_layer(svg::svg_frame(matrix, style), &canvas, style)?;
        let unit = canvas.unit as usize;
        let side = matrix.width() * unit;
        let mut coverage = vec![0_u8; side * side];
        draw_code(&mut coverage, side, matrix, style, unit, 0, 0)?;
        let margin = f32::from(style.margin);
        let at = (
            (canvas.dx + (layout.code_x + margin) * canvas.unit) as usize,
            (canvas.dy + (layout.code_y + margin) * canvas.unit) as usize,
        );
        over(
            &layer,
            size as usize,
            style.transparent,
            &coverage,
            side,
            at,
            style.fg,
        )
    } else {
        let pixmap = draw(&svg(matrix, style), &canvas, style)?;
        straight(pixmap.data(), style.transparent)
    };
    let clear = logo::clear_area(matrix, style);
    if let Some(image) = logo
        && clear.side > 0
    {
        let (at, side) = clear.inner();
        let module = f32::from(style.margin) + at;
        let unit = canvas.unit;
        let fitted = image.fitted(side * unit)?;
        logo::stamp(
            &mut pixels,
            size as usize,
            channels,
            &fitted,
            (layout.code_x + module) * unit + canvas.dx,
            (layout.code_y + module) * unit + canvas.dy,
            side * unit,
        );
    }
    Ok((pixels, canvas.height))
}

/// Where a drawing of `layout` goes on a `size`-pixel-wide image: whole pixels per module
/// (`unit`), centred.
struct Canvas {
    size: u32,
    /// The drawing's width in modules.
    across: f32,
    height: u32,
    unit: f32,
    dx: f32,
    dy: f32,
}

impl Canvas {
    fn of(layout: &Layout, size: u32) -> Canvas {
        let unit = (size as f32 / layout.width).floor().max(1.0);
        let height = (size as f32 * layout.height / layout.width).round() as u32;
        Canvas {
            size,
            across: layout.width,
            height,
            unit,
            dx: ((size as f32 - unit * layout.width) / 2.0).floor(),
            dy: ((height as f32 - unit * layout.height) / 2.0).floor(),
        }
    }
}

/// resvg's drawing of `svg` (ours: its user unit is a module, its `width` ten pixels a module)
/// on the canvas, over the background colour unless transparent.
fn draw(svg: &str, canvas: &Canvas, style: &Style) -> Result<tiny_skia::Pixmap, RenderError> {
    let options = resvg::usvg::Options {
        fontdb: fonts(),
        // Our SVG never references files or URLs; refuse any, so nothing can make the renderer
        // read the disk.
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options)
        .map_err(|e| RenderError::Raster(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(canvas.size, canvas.height)
        .ok_or_else(|| RenderError::Raster("empty image".into()))?;
    if !style.transparent {
        let bg = style.bg;
        pixmap.fill(tiny_skia::Color::from_rgba8(bg.r, bg.g, bg.b, 255));
    }
    // The tree's units (its `width`, ten a module) to `unit` pixels a module.
    let scale = canvas.unit / (tree.size().width() / canvas.across);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale).post_translate(canvas.dx, canvas.dy),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// A framed style's background, frame and caption as drawn by resvg, without the code: RGB
/// when opaque, premultiplied RGBA when transparent.
struct Layer {
    pixels: Vec<u8>,
}

/// Drawn layers by (frame-only SVG, image width). The SVG names everything the drawing depends
/// on (size in modules, colours, template, caption) and the width the rest, so every code of a
/// style at one size and symbol version shares one drawing, and nothing of a code is in it.
/// Bounded by pixel bytes: about 25 frame styles at 1,024 px (3.7 MB each), 6 at 2,048 px; the
/// 4,096-px ones (58 MB) are not kept.
fn layers() -> &'static moka::sync::Cache<(String, u32), Arc<Layer>> {
    static CACHE: OnceLock<moka::sync::Cache<(String, u32), Arc<Layer>>> = OnceLock::new();
    CACHE.get_or_init(|| {
        moka::sync::Cache::builder()
            .max_capacity(LAYER_CACHE_BYTES)
            .weigher(|(svg, _): &(String, u32), layer: &Arc<Layer>| {
                u32::try_from(layer.pixels.len() + svg.len()).unwrap_or(u32::MAX)
            })
            .build()
    })
}

const LAYER_CACHE_BYTES: u64 = 96 * 1024 * 1024;

/// The drawn frame layer of `svg` on `canvas`, from the cache or drawn (and kept unless it is
/// more than a quarter of the cache: a 4,096-px frame would push out every other style).
fn frame_layer(svg: String, canvas: &Canvas, style: &Style) -> Result<Arc<Layer>, RenderError> {
    let key = (svg, canvas.size);
    if let Some(hit) = layers().get(&key) {
        return Ok(hit);
    }
    let pixmap = draw(&key.0, canvas, style)?;
    let pixels = if style.transparent {
        pixmap.take()
    } else {
        straight(pixmap.data(), false)
    };
    let layer = Arc::new(Layer { pixels });
    if (layer.pixels.len() as u64) <= LAYER_CACHE_BYTES / 4 {
        layers().insert(key, layer.clone());
    }
    Ok(layer)
}

/// `layer`'s pixels with the ink drawn over them through `coverage` (a `side`-pixel square placed
/// at `at`), as straight RGB or RGBA.
fn over(
    layer: &Layer,
    width: usize,
    transparent: bool,
    coverage: &[u8],
    side: usize,
    at: (usize, usize),
    ink: Color,
) -> Vec<u8> {
    let channels = if transparent { 4 } else { 3 };
    let ink = [ink.r, ink.g, ink.b, 255];
    let mut pixels = layer.pixels.clone();
    let stride = width * channels;
    for (row, cov) in coverage.chunks_exact(side).enumerate() {
        let start = (at.1 + row) * stride + at.0 * channels;
        let Some(target) = pixels.get_mut(start..start + side * channels) else {
            break;
        };
        for (px, &c) in target.chunks_exact_mut(channels).zip(cov) {
            match c {
                0 => {}
                255 => px.copy_from_slice(&ink[..channels]),
                _ => {
                    let c = u32::from(c);
                    for (p, &i) in px.iter_mut().zip(&ink) {
                        *p = ((u32::from(i) * c + u32::from(*p) * (255 - c) + 127) / 255) as u8;
                    }
                }
            }
        }
    }
    if transparent {
        straight(&pixels, true)
    } else {
        pixels
    }
}

/// Premultiplied RGBA (tiny-skia's) as what the PNG holds: RGB when opaque (every alpha is
/// 255, so the bytes are the colour), straight RGBA when transparent.
fn straight(premultiplied: &[u8], transparent: bool) -> Vec<u8> {
    let channels = if transparent { 4 } else { 3 };
    let mut out = Vec::with_capacity(premultiplied.len() / 4 * channels);
    for p in premultiplied.chunks_exact(4) {
        if transparent {
            let c = tiny_skia::PremultipliedColorU8::from_rgba(p[0], p[1], p[2], p[3])
                .map_or(tiny_skia::ColorU8::from_rgba(0, 0, 0, 0), |c| {
                    c.demultiply()
                });
            out.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        } else {
            out.extend_from_slice(&p[..3]);
        }
    }
    out
}

/// The one font captions are drawn with, embedded so that rendering never depends on what the
/// host has installed (slim containers have no fonts at all).
pub(super) fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> =
        std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_font_data(include_bytes!("../../fonts/DejaVuSans-Bold.ttf").to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            std::sync::Arc::new(db)
        })
        .clone()
}

enum Pixels<'a> {
    Rgb,
    Rgba,
    Indexed {
        depth: png_crate::BitDepth,
        palette: &'a [u8],
    },
}

fn encode(
    width: u32,
    height: u32,
    pixels: Pixels<'_>,
    data: &[u8],
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(data.len() / 8);
    let mut encoder = png_crate::Encoder::new(&mut out, width, height);
    // fdeflate's fast mode. `set_compression` also picks a filter (adaptive: all five tried on
    // every row), so the filter is set after it.
    encoder.set_compression(png_crate::Compression::Fast);
    match pixels {
        Pixels::Rgb | Pixels::Rgba => {
            encoder.set_color(if matches!(pixels, Pixels::Rgb) {
                png_crate::ColorType::Rgb
            } else {
                png_crate::ColorType::Rgba
            });
            encoder.set_depth(png_crate::BitDepth::Eight);
            // A code's rows mostly repeat the row above (a module is many pixels tall): "Up"
            // makes them zeros at a fifth of the adaptive filter's cost.
            encoder.set_filter(png_crate::Filter::Up);
        }
        Pixels::Indexed { depth, palette } => {
            encoder.set_color(png_crate::ColorType::Indexed);
            encoder.set_depth(depth);
            encoder.set_palette(palette.to_vec());
            // Filters rarely help palette images and cost a pass over every row.
            encoder.set_filter(png_crate::Filter::NoFilter);
        }
    }
    let mut writer = encoder
        .write_header()
        .map_err(|e| RenderError::Raster(e.to_string()))?;
    writer
        .write_image_data(data)
        .map_err(|e| RenderError::Raster(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| RenderError::Raster(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::{Ecc, Frame};

    fn framed(caption: &str, transparent: bool) -> Style {
        Style {
            fg: Color::parse("#1e3a8a").unwrap(),
            bg: Color::parse("#fef3c7").unwrap(),
            ecc: Ecc::Q,
            modules: ModuleShape::Dots,
            eyes: EyeShape::Rounded,
            frame: Some(Frame::new(caption)),
            transparent,
            ..Style::default()
        }
    }

    /// What the layer cache saves: every code of a frame style is drawn over one drawing of
    /// its frame, and a render from the cache is byte for byte the render that filled it.
    #[test]
    fn codes_of_a_frame_style_share_one_frame_drawing() {
        // A caption no other test uses, so the first render is a miss.
        let style = framed("Layer cache test 1", false);
        let one = Matrix::encode("https://scanpage.example/r/aaaaaaa", style.ecc).unwrap();
        let two = Matrix::encode("https://scanpage.example/r/bbbbbbb", style.ecc).unwrap();
        assert_eq!(one.width(), two.width());
        let first = png(&one, &style, 512).unwrap();
        assert_eq!(png(&one, &style, 512).unwrap(), first, "hit == miss");
        assert_ne!(
            png(&two, &style, 512).unwrap(),
            first,
            "the code is not cached"
        );
        let canvas = Canvas::of(&Layout::of(&one, &style), 512);
        let a = frame_layer(svg::svg_frame(&one, &style), &canvas, &style).unwrap();
        let b = frame_layer(svg::svg_frame(&two, &style), &canvas, &style).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        // Another caption, colour or size is another drawing.
        let other = framed("Layer cache test 2", false);
        let c = frame_layer(svg::svg_frame(&one, &other), &canvas, &other).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_ne!(a.pixels, c.pixels);
        let inked = Style {
            fg: Color::parse("#000000").unwrap(),
            ..style.clone()
        };
        let d = frame_layer(svg::svg_frame(&one, &inked), &canvas, &inked).unwrap();
        assert_ne!(a.pixels, d.pixels, "the frame is drawn in the ink colour");
        let wider = Canvas::of(&Layout::of(&one, &style), 600);
        let e = frame_layer(svg::svg_frame(&one, &style), &wider, &style).unwrap();
        assert!(e.pixels.len() > a.pixels.len());
    }

    /// The code blended over the cached frame is what the path this replaced drew on every
    /// render (resvg's frame drawing, then tiny-skia filling the ink through a canvas-sized
    /// coverage mask): the same pixels but for rounding.
    #[test]
    fn the_code_over_the_cached_frame_is_the_old_masked_fill() {
        let matrix = Matrix::encode("https://scanpage.example/r/ccccccc", Ecc::Q).unwrap();
        for transparent in [false, true] {
            let style = framed("Scan for the menu", transparent);
            let (pixels, height) = composed(&matrix, &style, 1024, None).unwrap();
            let layout = Layout::of(&matrix, &style);
            let canvas = Canvas::of(&layout, 1024);
            assert_eq!(height, canvas.height);
            let mut old = draw(&svg::svg_frame(&matrix, &style), &canvas, &style).unwrap();
            let mut mask = Mask::new(1024, height).unwrap();
            let margin = f32::from(style.margin);
            draw_code(
                mask.data_mut(),
                1024,
                &matrix,
                &style,
                canvas.unit as usize,
                (canvas.dx + (layout.code_x + margin) * canvas.unit) as usize,
                (canvas.dy + (layout.code_y + margin) * canvas.unit) as usize,
            )
            .unwrap();
            let mut ink = tiny_skia::Paint::default();
            ink.set_color_rgba8(style.fg.r, style.fg.g, style.fg.b, 255);
            let rect = tiny_skia::Rect::from_xywh(0.0, 0.0, 1024.0, height as f32).unwrap();
            old.fill_rect(rect, &ink, Transform::identity(), Some(&mask));
            let reference = straight(old.data(), transparent);
            assert_eq!(pixels.len(), reference.len());
            // Compared premultiplied: straight colour of a faint pixel magnifies rounding.
            let channels = if transparent { 4 } else { 3 };
            let premultiplied = |p: &[u8]| -> Vec<u32> {
                let a = if transparent { u32::from(p[3]) } else { 255 };
                p.iter().map(|&c| (u32::from(c) * a + 127) / 255).collect()
            };
            let worst = pixels
                .chunks_exact(channels)
                .zip(reference.chunks_exact(channels))
                .flat_map(|(a, b)| {
                    let (a, b) = (premultiplied(a), premultiplied(b));
                    a.into_iter().zip(b).map(|(a, b)| a.abs_diff(b))
                })
                .max()
                .unwrap();
            assert!(worst <= 2, "transparent {transparent}: off by {worst}");
            assert!(
                pixels
                    != straight(
                        draw(&svg::svg_frame(&matrix, &style), &canvas, &style)
                            .unwrap()
                            .data(),
                        transparent
                    ),
                "the code is drawn"
            );
        }
    }
}
