//! PNG output, written straight from the module matrix — no SVG round trip for the common
//! styles, because at 1,024 px the generic path (rasterise the SVG, encode RGB) costs ~30 ms
//! and this one a few.
//!
//! - Plain styles: each pixel is looked up in the matrix; a 1-bit, two-colour PNG.
//! - Shaped modules and eyes: one module shape and one eye shape are rasterised (anti-aliased,
//!   by tiny-skia) as small coverage masks, then stamped at integer module positions; the
//!   coverage becomes a 16-level palette blended from background to foreground (4-bit PNG).
//! - Captions (text): the SVG rasterised by resvg, encoded as RGB.
//! - Logos: the modules under the logo are left out (see `logo`), then the logo's pixels are
//!   stamped over the rasterised code and the result is encoded as RGB.

use resvg::tiny_skia::{self, FillRule, Mask, PathBuilder, Rect, Transform};

use super::logo::{self, LogoImage};
use super::{EYE_RING_RADIUS, EYE_STONE_RADIUS, Matrix, RenderError, svg};
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
    let logo = match logo {
        Some(image) if style.logo.is_some() => Some(image.decode()?),
        _ => None,
    };
    if style.frame.is_some() {
        return rasterised(matrix, style, size, logo.as_ref());
    }
    if style.modules == ModuleShape::Square
        && style.eyes == EyeShape::Square
        && style.logo.is_none()
    {
        return plain(matrix, style, size);
    }
    stamped(matrix, style, size, logo.as_ref())
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
    logo: Option<&image::RgbaImage>,
) -> Result<Vec<u8>, RenderError> {
    let size_px = size as usize;
    let margin = usize::from(style.margin);
    let total = matrix.width() + 2 * margin;
    // Whole pixels per module keeps every module identical; the remainder widens the margin.
    let m = (size_px / total).max(1);
    let origin = (size_px - m * total) / 2 + margin * m;
    let mut coverage = vec![0_u8; size_px * size_px];

    let module = module_mask(style.modules, m)?;
    let clear = logo::clear_area(matrix, style);
    for y in 0..matrix.width() {
        for x in 0..matrix.width() {
            if matrix.is_dark(x, y) && !matrix.in_finder(x, y) && !clear.contains(x, y) {
                stamp(
                    &mut coverage,
                    size_px,
                    &module,
                    m,
                    origin + x * m,
                    origin + y * m,
                );
            }
        }
    }
    let eye = eye_mask(style.eyes, m)?;
    for (fx, fy) in matrix.finders() {
        stamp(
            &mut coverage,
            size_px,
            &eye,
            7 * m,
            origin + fx * m,
            origin + fy * m,
        );
    }

    if let Some(image) = logo
        && clear.side > 0
    {
        // Full colour from here: the logo's pixels are not two colours.
        let mut rgb = logo::coverage_to_rgb(&coverage, style.bg, style.fg);
        let (at, side) = clear.inner();
        let unit = m as f32;
        let corner = origin as f32 + at * unit;
        logo::stamp_rgb(&mut rgb, size_px, image, corner, corner, side * unit);
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
    let side = m as f32;
    let mut pb = PathBuilder::new();
    match shape {
        ModuleShape::Square => return Ok(vec![255; m * m]),
        ModuleShape::Rounded => rounded_rect(&mut pb, 0.0, 0.0, side, side, 0.3 * side),
        ModuleShape::Dots => pb.push_circle(side / 2.0, side / 2.0, 0.45 * side),
    }
    fill(pb, m, FillRule::Winding)
}

fn eye_mask(shape: EyeShape, m: usize) -> Result<Vec<u8>, RenderError> {
    let u = m as f32;
    let mut pb = PathBuilder::new();
    let (outer_r, stone_r) = match shape {
        EyeShape::Square => (0.0, 0.0),
        EyeShape::Rounded => (EYE_RING_RADIUS * u, EYE_STONE_RADIUS * u),
    };
    rounded_rect(&mut pb, 0.0, 0.0, 7.0 * u, 7.0 * u, outer_r);
    rounded_rect(&mut pb, u, u, 5.0 * u, 5.0 * u, 0.0);
    let ring = fill(pb, 7 * m, FillRule::EvenOdd)?;
    let mut pb = PathBuilder::new();
    rounded_rect(&mut pb, 2.0 * u, 2.0 * u, 3.0 * u, 3.0 * u, stone_r);
    let stone = fill(pb, 7 * m, FillRule::Winding)?;
    Ok(ring.iter().zip(&stone).map(|(a, b)| *a.max(b)).collect())
}

fn rounded_rect(pb: &mut PathBuilder, x: f32, y: f32, w: f32, h: f32, r: f32) {
    if r <= 0.0 {
        if let Some(rect) = Rect::from_xywh(x, y, w, h) {
            pb.push_rect(rect);
        }
        return;
    }
    // Quarter circles as cubics (k = 0.5523 is the usual circle approximation).
    let k = 0.552_284_8 * r;
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
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
    logo: Option<&image::RgbaImage>,
) -> Result<Vec<u8>, RenderError> {
    // Without the logo's <image>: it is stamped below, so resvg never decodes an image.
    let svg = svg(matrix, style);
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
    let tree = resvg::usvg::Tree::from_str(&svg, &options)
        .map_err(|e| RenderError::Raster(e.to_string()))?;
    // Whole pixels per module, as in `stamped`: fractional module sizes blur every edge.
    let (w, h) = (tree.size().width(), tree.size().height());
    let scale = (size as f32 / w).floor().max(1.0);
    let height = (size as f32 * h / w).round() as u32;
    let mut pixmap = tiny_skia::Pixmap::new(size, height)
        .ok_or_else(|| RenderError::Raster("empty image".into()))?;
    pixmap.fill(tiny_skia::Color::from_rgba8(
        style.bg.r, style.bg.g, style.bg.b, 255,
    ));
    let dx = ((size as f32 - scale * w) / 2.0).floor();
    let dy = ((height as f32 - scale * h) / 2.0).floor();
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale).post_translate(dx, dy),
        &mut pixmap.as_mut(),
    );
    // The background is opaque, so alpha carries nothing: write RGB.
    let mut rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let clear = logo::clear_area(matrix, style);
    if let Some(image) = logo
        && clear.side > 0
    {
        let (at, side) = clear.inner();
        let module = f32::from(style.margin) + at;
        logo::stamp_rgb(
            &mut rgb,
            size as usize,
            image,
            module * scale + dx,
            module * scale + dy,
            side * scale,
        );
    }
    encode(size, height, Pixels::Rgb, &rgb)
}

/// The one font captions are drawn with, embedded so that rendering never depends on what the
/// host has installed (slim containers have no fonts at all).
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
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
    match pixels {
        Pixels::Rgb => {
            encoder.set_color(png_crate::ColorType::Rgb);
            encoder.set_depth(png_crate::BitDepth::Eight);
        }
        Pixels::Indexed { depth, palette } => {
            encoder.set_color(png_crate::ColorType::Indexed);
            encoder.set_depth(depth);
            encoder.set_palette(palette.to_vec());
            // Filters rarely help palette images and cost a pass over every row.
            encoder.set_filter(png_crate::Filter::NoFilter);
        }
    }
    encoder.set_compression(png_crate::Compression::Fast);
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
