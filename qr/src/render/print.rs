//! **print-studio.** The real service lays out print-ready posters, table cards, stickers and
//! menus with QR codes — several codes per sheet, brand frames, CMYK PDF with crop marks — and
//! sends them to a print partner.
//!
//! Stand-in: one QR code on an A4 or Letter sheet as SVG (units in millimetres, 3 mm bleed
//! around the trim), centred with its caption, after checks that make it scan once printed: the
//! code is at least 20 mm wide, a module at least 0.4 mm, and the code with its 4-module quiet
//! zone sits inside the 5 mm safe margin. No PDF yet (no small, well-kept writer fitted); print
//! the SVG from a browser. The caller passes the code's module rows (from [`super::Matrix`]).
//! Flag: `print-studio`. Lives with the rendering it prints, in the service that owns the codes.

use std::fmt::Write as _;

use shared::ApiError;
use shared::features::{Feature, Features};
use shared::ui::escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    A4,
    Letter,
}

impl Paper {
    /// Trim size in millimetres (width, height).
    pub fn size_mm(self) -> (f64, f64) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::Letter => (215.9, 279.4),
        }
    }
}

pub const BLEED_MM: f64 = 3.0;
pub const SAFE_MARGIN_MM: f64 = 5.0;
pub const MIN_CODE_MM: f64 = 20.0;
pub const MIN_MODULE_MM: f64 = 0.4;
pub const QUIET_ZONE_MODULES: f64 = 4.0;
pub const MAX_CAPTION: usize = 80;

/// One sheet: the code's modules (rows of dark = true, without quiet zone), its printed width,
/// and a caption under it.
#[derive(Debug, Clone)]
pub struct SheetRequest<'a> {
    pub modules: &'a [Vec<bool>],
    pub paper: Paper,
    pub code_mm: f64,
    pub caption: &'a str,
}

/// The boundary: a request in, a print-ready SVG out.
pub trait PrintStudio: Send + Sync {
    fn sheet(&self, request: &SheetRequest<'_>) -> Result<String, ApiError>;
}

pub struct SvgSheets {
    pub features: Features,
}

impl PrintStudio for SvgSheets {
    fn sheet(&self, request: &SheetRequest<'_>) -> Result<String, ApiError> {
        self.features.require(Feature::PrintStudio)?;
        let n = request.modules.len();
        if n == 0 || request.modules.iter().any(|row| row.len() != n) {
            return Err(ApiError::invalid(
                "modules",
                "The code's modules must be a square.",
            ));
        }
        let caption = request.caption.trim();
        if caption.chars().count() > MAX_CAPTION || caption.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "caption",
                format!("A caption is one line of at most {MAX_CAPTION} characters."),
            ));
        }
        let code = request.code_mm;
        let (width, height) = request.paper.size_mm();
        if !code.is_finite() || code < MIN_CODE_MM {
            return Err(ApiError::invalid(
                "code_mm",
                format!("Print the code at least {MIN_CODE_MM} mm wide, or phones will miss it."),
            ));
        }
        let module = code / n as f64;
        if module < MIN_MODULE_MM {
            return Err(ApiError::invalid(
                "code_mm",
                format!(
                    "At {code} mm each of the code's {n} modules is {module:.2} mm; print it larger (at least {MIN_MODULE_MM} mm a module)."
                ),
            ));
        }
        let with_quiet_zone = code + 2.0 * QUIET_ZONE_MODULES * module;
        let caption_space = if caption.is_empty() { 0.0 } else { 20.0 };
        let usable_w = width - 2.0 * SAFE_MARGIN_MM;
        let usable_h = height - 2.0 * SAFE_MARGIN_MM;
        if with_quiet_zone > usable_w || with_quiet_zone + caption_space > usable_h {
            return Err(ApiError::invalid(
                "code_mm",
                "The code and its quiet zone do not fit inside the sheet's safe margin.",
            ));
        }
        Ok(render(
            request,
            caption,
            module,
            with_quiet_zone,
            caption_space,
        ))
    }
}

fn render(
    request: &SheetRequest<'_>,
    caption: &str,
    module: f64,
    with_quiet_zone: f64,
    caption_space: f64,
) -> String {
    let (width, height) = request.paper.size_mm();
    let (full_w, full_h) = (width + 2.0 * BLEED_MM, height + 2.0 * BLEED_MM);
    // Trim box starts at (BLEED, BLEED); the block (quiet zone + caption) is centred in it.
    let block_x = BLEED_MM + (width - with_quiet_zone) / 2.0;
    let block_y = BLEED_MM + (height - with_quiet_zone - caption_space) / 2.0;
    let quiet = QUIET_ZONE_MODULES * module;
    let (code_x, code_y) = (block_x + quiet, block_y + quiet);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{full_w}mm\" height=\"{full_h}mm\" \
         viewBox=\"0 0 {full_w} {full_h}\">\
         <title>Print sheet ({paper:?}, {BLEED_MM} mm bleed)</title>\
         <rect width=\"{full_w}\" height=\"{full_h}\" fill=\"#ffffff\"/>\
         <rect class=\"quiet-zone\" x=\"{block_x:.3}\" y=\"{block_y:.3}\" width=\"{with_quiet_zone:.3}\" height=\"{with_quiet_zone:.3}\" fill=\"#ffffff\"/>\
         <path fill=\"#000000\" d=\"",
        paper = request.paper,
    );
    for (y, row) in request.modules.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                let _ = write!(
                    svg,
                    "M{:.3} {:.3}h{module:.3}v{module:.3}h-{module:.3}z",
                    code_x + x as f64 * module,
                    code_y + y as f64 * module
                );
            }
        }
    }
    svg.push_str("\"/>");
    if !caption.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"{:.3}\" y=\"{:.3}\" font-family=\"sans-serif\" font-size=\"8\" \
             text-anchor=\"middle\">{}</text>",
            BLEED_MM + width / 2.0,
            block_y + with_quiet_zone + 12.0,
            escape(caption)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(n: usize) -> Vec<Vec<bool>> {
        (0..n)
            .map(|y| (0..n).map(|x| (x + y) % 3 == 0).collect())
            .collect()
    }

    fn on() -> SvgSheets {
        SvgSheets {
            features: Features::default().with(Feature::PrintStudio),
        }
    }

    fn request(modules: &[Vec<bool>], code_mm: f64) -> SheetRequest<'_> {
        SheetRequest {
            modules,
            paper: Paper::A4,
            code_mm,
            caption: "Scan for the menu <today> & \"more\"",
        }
    }

    #[test]
    fn off_answers_feature_not_enabled() {
        let off = SvgSheets {
            features: Features::default(),
        };
        let m = matrix(25);
        assert_eq!(
            off.sheet(&request(&m, 60.0)).unwrap_err().code(),
            "feature_not_enabled"
        );
    }

    #[test]
    fn a4_sheet_has_bleed_every_dark_module_and_an_escaped_caption() {
        let m = matrix(25);
        let svg = on().sheet(&request(&m, 60.0)).unwrap();
        assert!(
            svg.contains("width=\"216mm\" height=\"303mm\""),
            "A4 plus 3 mm bleed each side"
        );
        let dark = m.iter().flatten().filter(|d| **d).count();
        assert_eq!(svg.matches('M').count(), dark);
        assert!(svg.contains("Scan for the menu &lt;today&gt; &amp; &quot;more&quot;"));
        assert!(!svg.contains("<today>"));
        let letter = on()
            .sheet(&SheetRequest {
                paper: Paper::Letter,
                ..request(&m, 60.0)
            })
            .unwrap();
        assert!(letter.contains("width=\"221.9mm\""));
    }

    #[test]
    fn the_code_sits_centred_with_its_quiet_zone_inside_the_safe_margin() {
        let m = matrix(25);
        let svg = on().sheet(&request(&m, 100.0)).unwrap();
        // module 4 mm, quiet zone 16 mm each side: 132 mm block centred in 210 mm → x = 3 + 39.
        assert!(svg.contains("class=\"quiet-zone\" x=\"42.000\""), "{svg}");
        assert!(svg.contains("width=\"132.000\""));
    }

    #[test]
    fn checks_refuse_sheets_that_would_not_scan() {
        let small = on().sheet(&request(&matrix(25), 15.0)).unwrap_err();
        assert_eq!(small.field(), Some("code_mm"));
        let dense = on().sheet(&request(&matrix(177), 40.0)).unwrap_err();
        assert!(dense.message().contains("larger"), "{}", dense.message());
        let huge = on().sheet(&request(&matrix(25), 190.0)).unwrap_err();
        assert!(huge.message().contains("quiet zone"));
        let ragged = vec![vec![true; 3], vec![true; 2], vec![true; 3]];
        assert_eq!(
            on().sheet(&request(&ragged, 40.0)).unwrap_err().field(),
            Some("modules")
        );
        let m = matrix(25);
        let two_lines = SheetRequest {
            caption: "a\nb",
            ..request(&m, 60.0)
        };
        assert_eq!(on().sheet(&two_lines).unwrap_err().field(), Some("caption"));
    }
}
