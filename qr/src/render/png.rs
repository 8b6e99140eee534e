//! PNG output. Plain styles are written pixel by pixel from the matrix as an 8-bit indexed image
//! (two palette entries), which is small and fast; everything else is the SVG rasterised by
//! resvg, then encoded by the `png` crate at fast compression (tiny-skia's own encoder is the
//! slowest step at 1,024 px).

use super::{Matrix, RenderError, is_plain, svg};
use crate::style::Style;

pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 4_096;

/// A `size × size` PNG (taller when the style has a caption frame).
pub fn png(matrix: &Matrix, style: &Style, size: u32) -> Result<Vec<u8>, RenderError> {
    if !(MIN_SIZE..=MAX_SIZE).contains(&size) {
        return Err(RenderError::Size);
    }
    if is_plain(style) {
        plain(matrix, style, size)
    } else {
        rasterised(matrix, style, size)
    }
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
    let mut pixels = vec![0_u8; size_px * size_px];
    for (py, row) in pixels.chunks_exact_mut(size_px).enumerate() {
        let Some(my) = module_of[py] else { continue };
        for (px, pixel) in row.iter_mut().enumerate() {
            if let Some(mx) = module_of[px]
                && matrix.is_dark(mx, my)
            {
                *pixel = 1;
            }
        }
    }
    let palette = [
        style.bg.r, style.bg.g, style.bg.b, style.fg.r, style.fg.g, style.fg.b,
    ];
    encode(
        size,
        size,
        png_crate::ColorType::Indexed,
        Some(&palette),
        &pixels,
    )
}

fn rasterised(matrix: &Matrix, style: &Style, size: u32) -> Result<Vec<u8>, RenderError> {
    let svg = svg(matrix, style);
    let options = resvg::usvg::Options {
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
    let scale = size as f32 / tree.size().width();
    let height = (tree.size().height() * scale).round() as u32;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size, height)
        .ok_or_else(|| RenderError::Raster("empty image".into()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // The background is opaque, so alpha carries nothing: write RGB.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    encode(size, height, png_crate::ColorType::Rgb, None, &rgb)
}

fn encode(
    width: u32,
    height: u32,
    color: png_crate::ColorType,
    palette: Option<&[u8]>,
    data: &[u8],
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(data.len() / 8);
    let mut encoder = png_crate::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png_crate::BitDepth::Eight);
    encoder.set_compression(png_crate::Compression::Fast);
    if let Some(palette) = palette {
        encoder.set_palette(palette.to_vec());
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
