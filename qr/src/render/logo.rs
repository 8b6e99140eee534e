//! Centre logos: where one goes on the symbol, and drawing it. The modules under the logo's
//! square are left out (a background-coloured pad) and the image sits inside the pad with a small
//! quiet border, so no module is half covered; error correction (at least Q, enforced by the
//! style) restores the missing codewords.
//!
//! The image is always a PNG the media module encoded itself (never a user's bytes): it is
//! embedded in SVG as a `data:` URI and, for PNG output, decoded here and stamped onto the
//! rasterised pixels — resvg never loads an image, so its resolver cannot be made to read files.

use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use bytes::Bytes;
use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits, RgbaImage};

use super::{Matrix, RenderError};
use crate::style::{Color, Style};

/// Modules kept clear between a finder pattern (7 modules + 1 separator) and the logo pad.
const FINDER_ZONE: usize = 8;

/// A logo ready to draw.
#[derive(Clone, Debug)]
pub struct LogoImage {
    png: Bytes,
}

impl LogoImage {
    /// `png` must come from the media store (re-encoded by us); it is decoded under limits all
    /// the same.
    pub fn new(png: Bytes) -> Self {
        Self { png }
    }

    pub(super) fn data_uri(&self) -> String {
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&self.png)
        )
    }

    /// The logo's pixels, decoded once per content (see `Cached`): a code's first render at
    /// each size still draws everything else, but no longer decodes the same upload again.
    pub(super) fn decode(&self) -> Result<Arc<RgbaImage>, RenderError> {
        self.cached((self.hash(), 0, 0), || self.decode_uncached())
    }

    /// The logo resized to fit a `side`-pixel square (aspect kept), once per content and size:
    /// resizing a 512-px upload costs more than drawing the code.
    pub(super) fn fitted(&self, side: f32) -> Result<Arc<RgbaImage>, RenderError> {
        let source = self.decode()?;
        let (tw, th) = fit(source.width(), source.height(), side);
        if (tw, th) == source.dimensions() {
            return Ok(source);
        }
        self.cached((self.hash(), tw, th), || {
            Ok(image::imageops::resize(
                source.as_ref(),
                tw,
                th,
                FilterType::Triangle,
            ))
        })
    }

    /// The image cached under `key` for this logo's bytes, else `make`'s, then kept.
    fn cached(
        &self,
        key: (u64, u32, u32),
        make: impl FnOnce() -> Result<RgbaImage, RenderError>,
    ) -> Result<Arc<RgbaImage>, RenderError> {
        if let Some(hit) = cache().get(&key)
            && hit.png == self.png
        {
            return Ok(hit.image.clone());
        }
        let image = Arc::new(make()?);
        cache().insert(
            key,
            Arc::new(Cached {
                png: self.png.clone(),
                image: image.clone(),
            }),
        );
        Ok(image)
    }

    /// The content's hash under a per-process random key; a hit is confirmed by comparing the
    /// bytes, so a collision can only cost a miss, never draw another logo.
    fn hash(&self) -> u64 {
        static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
        KEYS.get_or_init(Default::default).hash_one(&self.png[..])
    }

    fn decode_uncached(&self) -> Result<RgbaImage, RenderError> {
        let mut limits = Limits::default();
        limits.max_image_width = Some(4_096);
        limits.max_image_height = Some(4_096);
        limits.max_alloc = Some(80 * 1024 * 1024);
        let mut reader =
            ImageReader::with_format(std::io::Cursor::new(&self.png), ImageFormat::Png);
        reader.limits(limits);
        reader
            .decode()
            .map(image::DynamicImage::into_rgba8)
            .map_err(|e| RenderError::Raster(format!("logo: {e}")))
    }
}

/// A decoded (or decoded and fitted) logo, with the bytes it came from.
struct Cached {
    png: Bytes,
    image: Arc<RgbaImage>,
}

/// Decoded and fitted logos by (content hash, width, height); (…, 0, 0) is the decoded original.
/// Bounded by pixel bytes: a handful of logos at the common download sizes.
fn cache() -> &'static moka::sync::Cache<(u64, u32, u32), Arc<Cached>> {
    static CACHE: OnceLock<moka::sync::Cache<(u64, u32, u32), Arc<Cached>>> = OnceLock::new();
    CACHE.get_or_init(|| {
        moka::sync::Cache::builder()
            .max_capacity(64 * 1024 * 1024)
            .weigher(|_, v: &Arc<Cached>| {
                u32::try_from(v.image.as_raw().len() + v.png.len()).unwrap_or(u32::MAX)
            })
            .build()
    })
}

/// The size of a `w × h` image fitted into a `side`-pixel square, aspect kept.
fn fit(w: u32, h: u32, side: f32) -> (u32, u32) {
    let (lw, lh) = (w.max(1) as f32, h.max(1) as f32);
    let scale = side / lw.max(lh);
    (
        (lw * scale).round().max(1.0) as u32,
        (lh * scale).round().max(1.0) as u32,
    )
}

/// The square of modules left empty under a centred logo, in module coordinates of the symbol
/// (without the quiet zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clear {
    pub from: usize,
    pub side: usize,
}

impl Clear {
    pub const NONE: Clear = Clear { from: 0, side: 0 };

    pub fn contains(&self, x: usize, y: usize) -> bool {
        let range = self.from..self.from + self.side;
        range.contains(&x) && range.contains(&y)
    }

    /// The logo's own square inside the pad, in modules: the pad minus a quiet border.
    pub fn inner(&self) -> (f32, f32) {
        let pad = (self.side as f32 * 0.08).max(0.5);
        (self.from as f32 + pad, self.side as f32 - 2.0 * pad)
    }
}

/// Where the logo of `style` goes on `matrix`. The side is `logo.size` of the symbol's width,
/// rounded down to the symbol's parity so the pad sits exactly in the middle of the module grid, and
/// never reaching the finder patterns of small symbols.
pub fn clear_area(matrix: &Matrix, style: &Style) -> Clear {
    let Some(logo) = &style.logo else {
        return Clear::NONE;
    };
    let w = matrix.width();
    // Rounded down, never up: the cleared share of the symbol stays within what the style's
    // validation allowed for its error-correction level.
    let mut side =
        (((w as f64) * logo.size).floor() as usize).min(w.saturating_sub(2 * FINDER_ZONE));
    if side % 2 != w % 2 {
        side = side.saturating_sub(1);
    }
    if side == 0 {
        return Clear::NONE;
    }
    Clear {
        from: (w - side) / 2,
        side,
    }
}

/// Draws `fitted` (a logo already fitted to the square, see `LogoImage::fitted`) centred in the
/// square at (`x`, `y`) of `side` pixels over an RGB or RGBA (`channels`) buffer `width` pixels
/// wide, blending its alpha over what is there (the pad).
pub(super) fn stamp(
    pixels: &mut [u8],
    width: usize,
    channels: usize,
    fitted: &RgbaImage,
    x: f32,
    y: f32,
    side: f32,
) {
    let (tw, th) = fitted.dimensions();
    let ox = (x + (side - tw as f32) / 2.0).round().max(0.0) as usize;
    let oy = (y + (side - th as f32) / 2.0).round().max(0.0) as usize;
    let height = pixels.len() / (channels * width);
    for (px, py, pixel) in fitted.enumerate_pixels() {
        let (tx, ty) = (ox + px as usize, oy + py as usize);
        if tx >= width || ty >= height {
            continue;
        }
        let i = (ty * width + tx) * channels;
        let a = u32::from(pixel[3]);
        if channels == 4 {
            // "Over" onto a transparent pad: the result's alpha, then its straight colour.
            let under_a = u32::from(pixels[i + 3]);
            let out_a = a * 255 + under_a * (255 - a); // × 255
            if out_a == 0 {
                continue;
            }
            for c in 0..3 {
                let under = u32::from(pixels[i + c]);
                pixels[i + c] =
                    ((u32::from(pixel[c]) * a * 255 + under * under_a * (255 - a) + out_a / 2)
                        / out_a) as u8;
            }
            pixels[i + 3] = ((out_a + 127) / 255) as u8;
            continue;
        }
        for c in 0..3 {
            let under = u32::from(pixels[i + c]);
            pixels[i + c] = ((u32::from(pixel[c]) * a + under * (255 - a) + 127) / 255) as u8;
        }
    }
}

/// An RGB buffer from coverage levels blended between two colours (the stamped renderer's
/// palette), so a logo can be drawn over it.
pub(super) fn coverage_to_rgb(coverage: &[u8], bg: Color, fg: Color) -> Vec<u8> {
    let mix = |a: u8, b: u8, c: u8| {
        ((u32::from(a) * (255 - u32::from(c)) + u32::from(b) * u32::from(c) + 127) / 255) as u8
    };
    coverage
        .iter()
        .flat_map(|&c| [mix(bg.r, fg.r, c), mix(bg.g, fg.g, c), mix(bg.b, fg.b, c)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::{Ecc, Logo};

    fn with_logo(size: f64) -> Style {
        Style {
            ecc: Ecc::H,
            logo: Some(Logo {
                id: "0".repeat(64),
                size,
            }),
            ..Style::default()
        }
    }

    #[test]
    fn the_pad_is_centred_and_keeps_off_the_finders() {
        // Version 4: 33 modules.
        let matrix = Matrix::encode("http://localhost:3000/r/ab3cd5e", Ecc::H).unwrap();
        assert_eq!(matrix.width(), 33);
        let clear = clear_area(&matrix, &with_logo(0.3));
        assert_eq!(clear, Clear { from: 12, side: 9 });
        assert_eq!(clear.from * 2 + clear.side, matrix.width());
        // Version 1 (21 modules): the pad stops short of the finder zone.
        let small = Matrix::encode("hi", Ecc::H).unwrap();
        let clear = clear_area(&small, &with_logo(0.44));
        assert_eq!(clear, Clear { from: 8, side: 5 });
        assert_eq!(clear_area(&small, &Style::default()), Clear::NONE);
    }

    fn png_of(image: &RgbaImage) -> LogoImage {
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(image.clone())
            .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        LogoImage::new(png.into())
    }

    /// Fitted logos are kept by content and size: the same upload at the same size is one
    /// resize, another upload (even a second copy of its bytes) draws its own pixels.
    #[test]
    fn fitted_logos_are_cached_by_content_and_size() {
        let red = png_of(&RgbaImage::from_pixel(
            40,
            20,
            image::Rgba([200, 0, 0, 255]),
        ));
        let first = red.fitted(10.0).unwrap();
        assert_eq!(first.dimensions(), (10, 5), "aspect kept");
        assert!(Arc::ptr_eq(&first, &red.fitted(10.0).unwrap()));
        let copy = LogoImage::new(Bytes::copy_from_slice(&red.png));
        assert!(
            Arc::ptr_eq(&first, &copy.fitted(10.0).unwrap()),
            "by content"
        );
        assert_eq!(red.fitted(20.0).unwrap().dimensions(), (20, 10));
        let blue = png_of(&RgbaImage::from_pixel(
            40,
            20,
            image::Rgba([0, 0, 200, 255]),
        ));
        assert_eq!(
            blue.fitted(10.0).unwrap().get_pixel(3, 3).0,
            [0, 0, 200, 255]
        );
        assert_eq!(first.get_pixel(3, 3).0, [200, 0, 0, 255]);
        assert!(
            LogoImage::new(Bytes::from_static(b"not a png"))
                .decode()
                .is_err()
        );
    }

    #[test]
    fn stamping_blends_alpha_over_the_pad() {
        let mut rgb = vec![255_u8; 4 * 4 * 3];
        let mut logo = RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 0, 255]));
        logo.put_pixel(1, 1, image::Rgba([0, 0, 0, 0]));
        stamp(&mut rgb, 4, 3, &logo, 1.0, 1.0, 2.0);
        assert_eq!(&rgb[(4 + 1) * 3..(4 + 1) * 3 + 3], &[0, 0, 0]);
        assert_eq!(&rgb[(2 * 4 + 2) * 3..(2 * 4 + 2) * 3 + 3], &[255, 255, 255]);
        assert_eq!(&rgb[0..3], &[255, 255, 255]);
    }
}
