//! "Scannability guaranteed": before a style is saved the code is drawn as it will be
//! downloaded and read back with a decoder (rqrr, which locates finder patterns geometrically
//! and is stricter than phone scanners). A style that does not read back is refused, and the
//! refusal names the choice to change: each of the style's choices is put back to its plain
//! default in turn, and the first whose default makes the code read is the one to blame.

use super::{LogoImage, Matrix, RenderError, png_with};
use crate::style::{Color, EyeShape, ModuleShape, Style};

/// The size the check draws at: the smallest PNG the code page offers.
pub const CHECK_SIZE: u32 = 512;

/// Why a style was refused by the read-back check: the field to change and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub field: &'static str,
    pub reason: &'static str,
}

/// `Ok` when `style` drawn with `payload` reads back as exactly `payload`.
pub fn check(payload: &str, style: &Style, logo: Option<&LogoImage>) -> Result<(), CheckError> {
    if reads_back(payload, style, logo)? {
        return Ok(());
    }
    Err(CheckError::Unreadable(diagnose(payload, style, logo)?))
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{}: {}", .0.field, .0.reason)]
    Unreadable(Unreadable),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Which choice stops the code reading: the first whose plain default fixes it.
fn diagnose(
    payload: &str,
    style: &Style,
    logo: Option<&LogoImage>,
) -> Result<Unreadable, RenderError> {
    type Revert = fn(&mut Style);
    // Colours first (the commonest mistake), then the shapes and the frame, the logo last: a
    // logo's size is already bounded by validation for its level, so when a fancier shape or
    // frame is what tips a code over, that is the choice to name.
    let candidates: [(Revert, Unreadable); 5] = [
        (
            |s| {
                s.fg = Color::BLACK;
                s.bg = Color::WHITE;
                s.transparent = false;
                s.gradient = None;
                s.eye_color = None;
            },
            Unreadable {
                field: "style.fg",
                reason: "phones cannot tell these colours apart; choose a darker foreground (or gradient end) and a lighter background",
            },
        ),
        (
            |s| s.eyes = EyeShape::Square,
            Unreadable {
                field: "style.eyes",
                reason: "this corner (eye) shape does not read reliably with the rest of the style; choose square corners",
            },
        ),
        (
            |s| s.modules = ModuleShape::Square,
            Unreadable {
                field: "style.modules",
                reason: "this module shape does not read reliably with the rest of the style; choose square modules",
            },
        ),
        (
            |s| s.frame = None,
            Unreadable {
                field: "style.frame.template",
                reason: "this frame leaves the code too small to read with the rest of the style; choose another frame or no caption",
            },
        ),
        (
            |s| s.logo = None,
            Unreadable {
                field: "style.logo.size",
                reason: "the logo covers too much of the code for a phone to read it; make it smaller or choose error correction H",
            },
        ),
    ];
    let mut trial = style.clone();
    for (revert, blame) in candidates {
        revert(&mut trial);
        if reads_back(payload, &trial, logo)? {
            return Ok(blame);
        }
    }
    Ok(Unreadable {
        field: "style",
        reason: "this style does not scan; start again from the default style",
    })
}

fn reads_back(payload: &str, style: &Style, logo: Option<&LogoImage>) -> Result<bool, RenderError> {
    let matrix = Matrix::encode(payload, style.ecc)?;
    let png = png_with(&matrix, style, CHECK_SIZE, logo)?;
    Ok(decode(&png).as_deref() == Some(payload))
}

/// The text of the one QR code in a PNG of ours, as a phone would see it printed on white paper
/// (transparent pixels over white), or `None`.
pub fn decode(png: &[u8]) -> Option<String> {
    let mut decoder = png_crate::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png_crate::Transformations::EXPAND);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let (colour, _) = reader.output_color_type();
    let channels = colour.samples();
    let has_alpha = matches!(
        colour,
        png_crate::ColorType::Rgba | png_crate::ColorType::GrayscaleAlpha
    );
    let grey = channels < 3;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(
        info.width as usize,
        info.height as usize,
        |x, y| {
            let i = y * info.line_size + x * channels;
            let luma = if grey {
                u32::from(buf[i])
            } else {
                (u32::from(buf[i]) * 299
                    + u32::from(buf[i + 1]) * 587
                    + u32::from(buf[i + 2]) * 114)
                    / 1000
            };
            let alpha = if has_alpha {
                u32::from(buf[i + channels - 1])
            } else {
                255
            };
            ((luma * alpha + 255 * (255 - alpha)) / 255) as u8
        },
    );
    let grids = image.detect_grids();
    let [grid] = grids.as_slice() else {
        return None;
    };
    grid.decode().ok().map(|(_, text)| text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::{Ecc, Logo};

    const PAYLOAD: &str = "http://localhost:3000/r/ab3cd5e";

    /// An opaque black square: a logo that hides every module under it.
    fn black_logo() -> LogoImage {
        let image = image::RgbaImage::from_pixel(64, 64, image::Rgba([0, 0, 0, 255]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(image)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        LogoImage::new(png.into())
    }

    #[test]
    fn accepted_styles_read_back() {
        check(PAYLOAD, &Style::default(), None).unwrap();
        let logo = Style {
            ecc: Ecc::H,
            logo: Some(Logo {
                id: "ab".repeat(32),
                size: 0.3,
            }),
            ..Style::default()
        };
        check(PAYLOAD, &logo, Some(&black_logo())).unwrap();
    }

    /// Light on light: validation refuses it first, but the read-back check (which sees the
    /// pixels, not the numbers) blames the colours too.
    #[test]
    fn light_on_light_is_blamed_on_the_colours() {
        let style = Style {
            fg: Color::parse("#e6e6e6").unwrap(),
            bg: Color::WHITE,
            ..Style::default()
        };
        let Err(CheckError::Unreadable(why)) = check(PAYLOAD, &style, None) else {
            panic!("light on light read back");
        };
        assert_eq!(why.field, "style.fg");
        assert!(why.reason.contains("colours"), "{}", why.reason);
    }

    /// A logo far beyond what level L can restore (which validation would have refused).
    #[test]
    fn a_logo_too_large_for_the_level_is_blamed_on_the_logo() {
        let style = Style {
            ecc: Ecc::L,
            logo: Some(Logo {
                id: "ab".repeat(32),
                size: 0.45,
            }),
            ..Style::default()
        };
        let Err(CheckError::Unreadable(why)) = check(PAYLOAD, &style, Some(&black_logo())) else {
            panic!("a hidden centre read back");
        };
        assert_eq!(why.field, "style.logo.size");
        assert!(why.reason.contains("smaller"), "{}", why.reason);
    }
}
