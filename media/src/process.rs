//! What happens to an uploaded file before it is stored: recognised by its first bytes (never by
//! its name or declared type), decoded under explicit limits, turned upright, scaled down to what
//! logos and page images need, and re-encoded as a PNG of pixels only — so no metadata, no
//! colour-profile or comment chunk, and none of the uploader's bytes survive. CPU-bound: callers
//! run it in `spawn_blocking`.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use crate::error::MediaError;

/// Largest upload, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// Largest accepted width or height of an upload, in pixels.
pub const MAX_DIMENSION: u32 = 4_096;
/// Longest side of what is stored: a logo covers under half of a QR code and microsite images
/// are shown at most a column wide, so more pixels would only cost bytes.
pub const MAX_STORED_SIDE: u32 = 1_024;
/// Memory the decoder may allocate: a 4,096² image at 8-bit RGBA (64 MiB) plus its working
/// buffers. A 16-bit or otherwise larger image is refused rather than decoded.
const MAX_DECODE_ALLOC: u64 = 80 * 1024 * 1024;

/// The formats we take, as recognised by their signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Png => "PNG",
            Kind::Jpeg => "JPEG",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Png => ImageFormat::Png,
            Kind::Jpeg => ImageFormat::Jpeg,
        }
    }
}

/// The stored form of an upload.
#[derive(Debug)]
pub struct Normalised {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Recognises a PNG or a JPEG by its magic bytes; names what else it is when that is useful.
pub fn sniff(bytes: &[u8]) -> Result<Kind, MediaError> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    const JPEG: &[u8] = b"\xff\xd8\xff";
    if bytes.starts_with(PNG) {
        return Ok(Kind::Png);
    }
    if bytes.starts_with(JPEG) {
        return Ok(Kind::Jpeg);
    }
    let text = bytes
        .strip_prefix(b"\xef\xbb\xbf".as_slice())
        .unwrap_or(bytes)
        .trim_ascii_start();
    Err(MediaError::Unsupported(if text.starts_with(b"<") {
        "SVG and other markup files are not accepted (they can carry scripts); upload a PNG or JPEG"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "GIF images are not accepted; upload a PNG or JPEG"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "WebP images are not accepted; upload a PNG or JPEG"
    } else {
        "the file is not a PNG or JPEG image"
    }))
}

/// Checks, decodes, scales down and re-encodes an upload.
pub fn normalise(bytes: &[u8]) -> Result<Normalised, MediaError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge);
    }
    let kind = sniff(bytes)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);

    // The header first, without the limits: it is small, and lets the error name the size.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), kind.format())
        .into_dimensions()
        .map_err(|e| decode_error(e, kind))?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(MediaError::Dimensions { width, height });
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(e, kind))?;
    // Phone photos are often stored sideways with an EXIF note; that note is about to go.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, kind))?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    if image.width().max(image.height()) > MAX_STORED_SIDE {
        image = image.resize(MAX_STORED_SIDE, MAX_STORED_SIDE, FilterType::CatmullRom);
    }
    // 8 bits per channel; alpha only where there was some.
    let image = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };

    let mut png = Vec::new();
    let encoder =
        PngEncoder::new_with_quality(&mut png, CompressionType::Default, PngFilter::Adaptive);
    image
        .write_with_encoder(encoder)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(Normalised {
        png,
        width: image.width(),
        height: image.height(),
    })
}

fn decode_error(err: ImageError, kind: Kind) -> MediaError {
    match err {
        ImageError::Limits(_) => MediaError::DecodeLimit,
        _ => MediaError::Undecodable(kind.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_not_names() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap(), Kind::Png);
        assert_eq!(sniff(b"\xff\xd8\xff\xe0rest").unwrap(), Kind::Jpeg);
        for (bytes, says) in [
            (&b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..], "SVG"),
            (b"\xef\xbb\xbf  <?xml version='1.0'?><svg/>", "SVG"),
            (b"GIF89a....", "GIF"),
            (b"RIFF\0\0\0\0WEBPVP8 ", "WebP"),
            (b"%PDF-1.7", "not a PNG or JPEG"),
            (b"", "not a PNG or JPEG"),
        ] {
            let err = sniff(bytes).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn a_truncated_png_is_undecodable_not_a_panic() {
        let err = normalise(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err();
        assert!(matches!(err, MediaError::Undecodable("PNG")), "{err:?}");
    }

    #[test]
    fn large_images_are_scaled_down_keeping_their_shape() {
        let mut source = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            2000,
            500,
            image::Rgb([9, 99, 199]),
        ))
        .write_to(&mut Cursor::new(&mut source), ImageFormat::Png)
        .unwrap();
        let out = normalise(&source).unwrap();
        assert_eq!((out.width, out.height), (1024, 256));
        let back = image::load_from_memory_with_format(&out.png, ImageFormat::Png).unwrap();
        assert_eq!((back.width(), back.height()), (1024, 256));
        assert_eq!(back.to_rgb8().get_pixel(10, 10).0, [9, 99, 199]);
    }
}
