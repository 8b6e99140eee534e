//! Rendering: the `qrcode` crate encodes the payload into a module matrix; we draw the matrix
//! ourselves as SVG (styled modules and finder "eyes" need our own renderer) and rasterise that
//! SVG to PNG with resvg. A plain square style skips the SVG step and writes pixels straight
//! from the matrix, which is several times faster for the most common download. A centre logo
//! (see `logo`) is an embedded `data:` image in SVG and stamped pixels in PNG. Shapes are
//! defined once (`shapes`), frames laid out once (`frame`); `pdf` writes the same SVG as vector
//! PDF, and `scannability` reads a style back with rqrr before it is saved.

mod frame;
mod logo;
mod pdf;
mod png;
pub mod print;
pub mod scannability;
mod shapes;
mod svg;

pub use logo::LogoImage;
pub use pdf::pdf;
pub use png::{MAX_SIZE, MIN_SIZE, png, png_with};
pub use svg::{svg, svg_with};

use crate::style::Ecc;

/// Corner radii of "rounded" eyes, in modules: the ring's outer corners and the centre stone.
/// Kept modest on purpose: at larger radii the finder corners move enough that decoders which
/// locate them geometrically (rqrr, some older phone scanners) misread level-L codes.
pub const EYE_RING_RADIUS: f32 = 0.6;
pub const EYE_STONE_RADIUS: f32 = 0.3;

/// The encoded symbol: `width × width` modules, `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the content is too long to fit in a QR code at this error-correction level")]
    TooLong,
    #[error("the image size must be between {MIN_SIZE} and {MAX_SIZE} pixels")]
    Size,
    #[error("the image could not be drawn: {0}")]
    Raster(String),
}

impl Matrix {
    pub fn encode(payload: &str, ecc: Ecc) -> Result<Matrix, RenderError> {
        let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), ecc.to_qrcode())
            .map_err(|_| RenderError::TooLong)?;
        let width = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Matrix { width, dark })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Whether (x, y) belongs to one of the three 7×7 finder patterns, drawn separately as eyes.
    pub fn in_finder(&self, x: usize, y: usize) -> bool {
        let w = self.width;
        // Top-left, top-right and bottom-left corners hold the finders.
        (x < 7 || x >= w - 7) && y < 7 || x < 7 && y >= w - 7
    }

    /// Top-left corners of the three finder patterns.
    pub fn finders(&self) -> [(usize, usize); 3] {
        let far = self.width - 7;
        [(0, 0), (far, 0), (0, far)]
    }
}
