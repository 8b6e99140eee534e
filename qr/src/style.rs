//! How a code looks. Every field is validated into a closed set of values before it reaches a
//! renderer, so the SVG is built from numbers and enum variants only — never from request text
//! — and every accepted style still scans: colour pairs with too little contrast, light-on-dark
//! ("inverted") codes and logos too large for the error-correction level are refused.

use serde::{Deserialize, Serialize};

/// Minimum WCAG contrast ratio between the two colours. Phone decoders binarise the image;
/// below about 3:1 they start to fail in poor light, which is where menus get scanned.
pub const MIN_CONTRAST: f64 = 3.0;
pub const MAX_MARGIN: u8 = 16;
pub const MIN_MARGIN: u8 = 2;
pub const MAX_FRAME_TEXT: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Color {
    pub const BLACK: Color = Color { r: 0, g: 0, b: 0 };
    pub const WHITE: Color = Color {
        r: 255,
        g: 255,
        b: 255,
    };

    pub fn parse(raw: &str) -> Option<Color> {
        let hex = raw.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Color {
            r: byte(0)?,
            g: byte(2)?,
            b: byte(4)?,
        })
    }

    /// `#rrggbb`, lower-case — the only form that reaches markup.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// Relative luminance (WCAG 2.x).
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.r) + 0.7152 * channel(self.g) + 0.0722 * channel(self.b)
    }

    /// Grey level as a decoder would see it (for tests and the PNG fast path).
    pub fn luma(self) -> u8 {
        let l = 0.299 * f64::from(self.r) + 0.587 * f64::from(self.g) + 0.114 * f64::from(self.b);
        l.round().clamp(0.0, 255.0) as u8
    }
}

pub fn contrast(a: Color, b: Color) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

impl Serialize for Color {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Color::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom("expected a colour like \"#1a2b3c\""))
    }
}

/// Error-correction level: how much of the symbol may be damaged (or covered by a logo).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
)]
pub enum Ecc {
    L,
    #[default]
    M,
    Q,
    H,
}

impl Ecc {
    pub fn to_qrcode(self) -> qrcode::EcLevel {
        match self {
            Ecc::L => qrcode::EcLevel::L,
            Ecc::M => qrcode::EcLevel::M,
            Ecc::Q => qrcode::EcLevel::Q,
            Ecc::H => qrcode::EcLevel::H,
        }
    }

    /// The share of the symbol a centred logo may cover at this level, leaving a safety margin
    /// under the level's recovery capacity (Q ≈ 25%, H ≈ 30%).
    pub fn max_logo_share(self) -> f64 {
        match self {
            Ecc::L | Ecc::M => 0.0,
            Ecc::Q => 0.12,
            Ecc::H => 0.20,
        }
    }
}

/// How each dark module is drawn. Every shape keeps the module's centre dark, which is where
/// decoders sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModuleShape {
    #[default]
    Square,
    Rounded,
    Dots,
    /// A square turned 45°, corners on the module's edges.
    Diamond,
    /// Two opposite corners rounded, like a leaf.
    Leaf,
    /// Narrowed to a bar, so dark modules above each other join into vertical lines.
    Bars,
}

impl ModuleShape {
    pub const ALL: [ModuleShape; 6] = [
        ModuleShape::Square,
        ModuleShape::Rounded,
        ModuleShape::Dots,
        ModuleShape::Diamond,
        ModuleShape::Leaf,
        ModuleShape::Bars,
    ];
}

/// How the three finder patterns ("eyes") are drawn: the 7×7 ring and the 3×3 stone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EyeShape {
    #[default]
    Square,
    Rounded,
    /// A square ring around a round stone.
    Dot,
    /// Ring and stone with two opposite corners rounded.
    Leaf,
}

impl EyeShape {
    pub const ALL: [EyeShape; 4] = [
        EyeShape::Square,
        EyeShape::Rounded,
        EyeShape::Dot,
        EyeShape::Leaf,
    ];
}

/// A caption frame's design: where the call-to-action sits and what surrounds the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FrameTemplate {
    /// A rounded band under the code (the original frame).
    #[default]
    Banner,
    /// The band above the code.
    Top,
    /// A border all round the code, the caption in its lower edge.
    Box,
    /// A speech bubble under the code, pointing up at it.
    Bubble,
    /// A narrow pill centred under the code.
    Pill,
    /// A ticket: a border with the caption in a stub below a dashed line.
    Ticket,
}

impl FrameTemplate {
    pub const ALL: [FrameTemplate; 6] = [
        FrameTemplate::Banner,
        FrameTemplate::Top,
        FrameTemplate::Box,
        FrameTemplate::Bubble,
        FrameTemplate::Pill,
        FrameTemplate::Ticket,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    /// The call to action, 1–24 characters ("Scan for the menu").
    pub text: String,
    #[serde(default)]
    pub template: FrameTemplate,
}

impl Frame {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            template: FrameTemplate::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GradientKind {
    /// From the top-left corner to the bottom-right.
    #[default]
    Linear,
    /// From the centre outwards.
    Radial,
}

/// The modules' colour runs from `fg` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Gradient {
    #[serde(default)]
    pub kind: GradientKind,
    /// The end colour, `#rrggbb`.
    #[schema(value_type = String, example = "#7c3aed")]
    pub to: Color,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    /// The id of an image its owner uploaded with `POST /api/v1/media` (64 hex digits).
    pub id: String,
    /// The logo's width as a share of the symbol's width, 0.1–0.45.
    #[serde(default = "Logo::default_size")]
    pub size: f64,
}

impl Logo {
    pub fn default_size() -> f64 {
        0.3
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Style {
    /// Foreground colour, `#rrggbb`.
    #[schema(value_type = String, example = "#000000")]
    pub fg: Color,
    /// Background colour, `#rrggbb`.
    #[schema(value_type = String, example = "#ffffff")]
    pub bg: Color,
    pub ecc: Ecc,
    /// Quiet zone in modules.
    #[schema(minimum = 2, maximum = 16)]
    pub margin: u8,
    pub modules: ModuleShape,
    pub eyes: EyeShape,
    pub logo: Option<Logo>,
    pub frame: Option<Frame>,
    /// No background is drawn (PNG alpha, no SVG/PDF background): for printing on coloured
    /// stock. `bg` is still the colour the code is checked against — what it is printed on.
    pub transparent: bool,
    /// The modules' colour runs from `fg` to `gradient.to`.
    pub gradient: Option<Gradient>,
    /// The finder patterns' colour, when not `fg`'s.
    #[schema(value_type = Option<String>, example = "#be123c")]
    pub eye_color: Option<Color>,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            fg: Color::BLACK,
            bg: Color::WHITE,
            ecc: Ecc::M,
            margin: 4,
            modules: ModuleShape::Square,
            eyes: EyeShape::Square,
            logo: None,
            frame: None,
            transparent: false,
            gradient: None,
            eye_color: None,
        }
    }
}

/// Why a style was refused: the field, and a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct StyleError {
    pub field: &'static str,
    pub reason: String,
}

/// A colour modules are drawn in must be darker than the background, with enough contrast.
fn check_ink(field: &'static str, what: &str, ink: Color, bg: Color) -> Result<(), StyleError> {
    if ink.luminance() > bg.luminance() {
        return Err(refuse(
            field,
            format!(
                "light modules on a dark background do not scan on many phones; use a darker {what}"
            ),
        ));
    }
    let ratio = contrast(ink, bg);
    if ratio < MIN_CONTRAST {
        return Err(refuse(
            field,
            format!(
                "the {what} and the background have a contrast of {ratio:.1}:1; at least {MIN_CONTRAST}:1 is needed to scan reliably"
            ),
        ));
    }
    Ok(())
}

fn refuse(field: &'static str, reason: impl Into<String>) -> StyleError {
    StyleError {
        field,
        reason: reason.into(),
    }
}

impl Style {
    /// Checks the style scans and normalises it (a logo raises error correction to at least Q).
    pub fn validated(mut self) -> Result<Style, StyleError> {
        // Every colour a module can take is checked against the background: the foreground, a
        // gradient's end and the eyes'.
        check_ink("style.fg", "foreground", self.fg, self.bg)?;
        if let Some(gradient) = &self.gradient {
            check_ink(
                "style.gradient.to",
                "gradient's end colour",
                gradient.to,
                self.bg,
            )?;
        }
        if let Some(eye) = self.eye_color {
            check_ink("style.eye_color", "eye colour", eye, self.bg)?;
        }
        if !(MIN_MARGIN..=MAX_MARGIN).contains(&self.margin) {
            return Err(refuse(
                "style.margin",
                format!("the quiet zone must be {MIN_MARGIN}–{MAX_MARGIN} modules"),
            ));
        }
        if let Some(frame) = &mut self.frame {
            let text = frame.text.trim().to_owned();
            if text.is_empty() || text.chars().count() > MAX_FRAME_TEXT {
                return Err(refuse(
                    "style.frame.text",
                    format!("the caption must be 1–{MAX_FRAME_TEXT} characters"),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(refuse(
                    "style.frame.text",
                    "the caption cannot contain control characters",
                ));
            }
            frame.text = text;
        }
        if let Some(logo) = &mut self.logo {
            // Thousandths: the stored JSON reads back as exactly this number (serde_json's
            // default float parsing can be a unit off in the last place for arbitrary ones).
            logo.size = (logo.size * 1000.0).round() / 1000.0;
            // The id names a file: only the media module's own form (a SHA-256 in hex) is taken,
            // so nothing else ever reaches a path or the render cache key.
            if media::MediaId::parse(&logo.id).is_none() {
                return Err(refuse("style.logo.id", "unknown logo"));
            }
            if !(0.1..=0.45).contains(&logo.size) {
                return Err(refuse(
                    "style.logo.size",
                    "the logo must be 10–45% of the code's width",
                ));
            }
            if self.ecc < Ecc::Q {
                self.ecc = Ecc::Q;
            }
            let share = logo.size * logo.size;
            if share > self.ecc.max_logo_share() {
                let max = (self.ecc.max_logo_share().sqrt() * 100.0).floor();
                return Err(refuse(
                    "style.logo.size",
                    format!(
                        "a logo this large hides too much of the code for error correction {:?}; use at most {max}% of the width or level H",
                        self.ecc
                    ),
                ));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(json: serde_json::Value) -> Result<Style, String> {
        serde_json::from_value::<Style>(json)
            .map_err(|e| e.to_string())?
            .validated()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_black_on_white_m_with_a_four_module_margin() {
        let s = style(serde_json::json!({})).unwrap();
        assert_eq!(s, Style::default());
        assert_eq!(serde_json::to_value(&s).unwrap()["fg"], "#000000");
    }

    #[test]
    fn colours_must_be_hex_triplets() {
        for bad in [
            "red",
            "#fff",
            "#12345g",
            "#1234567",
            "javascript:x",
            "\"/><script>",
        ] {
            assert!(style(serde_json::json!({"fg": bad})).is_err(), "{bad}");
        }
        assert!(style(serde_json::json!({"fg": "#1A2B3C"})).is_ok());
    }

    #[test]
    fn low_contrast_and_inverted_codes_are_refused() {
        let err = style(serde_json::json!({"fg": "#777777", "bg": "#999999"})).unwrap_err();
        assert!(err.contains("contrast"), "{err}");
        let err = style(serde_json::json!({"fg": "#ffffff", "bg": "#000000"})).unwrap_err();
        assert!(err.contains("light modules"), "{err}");
        assert!(style(serde_json::json!({"fg": "#1e3a8a", "bg": "#fef3c7"})).is_ok());
    }

    /// Found by the property tests: a size like this one came back from its own JSON a unit
    /// off in the last place, so a stored style was not the style that was validated.
    #[test]
    fn logo_sizes_survive_their_json() {
        let id = "a".repeat(64);
        let s = style(serde_json::json!({"logo": {"id": id, "size": 0.100_096_966_910_351_85}}))
            .unwrap();
        assert_eq!(s.logo.as_ref().unwrap().size, 0.1);
        let json = serde_json::to_string(&s).unwrap();
        let again: Style = serde_json::from_str(&json).unwrap();
        assert_eq!(again.validated().unwrap(), s);
    }

    #[test]
    fn unknown_fields_and_values_are_refused() {
        assert!(style(serde_json::json!({"colour": "#000000"})).is_err());
        assert!(style(serde_json::json!({"modules": "hexagons"})).is_err());
        assert!(style(serde_json::json!({"ecc": "X"})).is_err());
        assert!(style(serde_json::json!({"margin": 40})).is_err());
    }

    const LOGO: &str = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";

    #[test]
    fn a_logo_raises_error_correction_and_is_size_limited() {
        let s = style(serde_json::json!({"logo": {"id": LOGO, "size": 0.3}})).unwrap();
        assert_eq!(s.ecc, Ecc::Q);
        let err = style(serde_json::json!({"logo": {"id": LOGO, "size": 0.45}})).unwrap_err();
        assert!(err.contains("too much"), "{err}");
        assert!(style(serde_json::json!({"ecc": "H", "logo": {"id": LOGO, "size": 0.44}})).is_ok());
        let err =
            style(serde_json::json!({"ecc": "H", "logo": {"id": LOGO, "size": 0.46}})).unwrap_err();
        assert!(err.contains("10–45%"), "{err}");
    }

    #[test]
    fn logo_ids_are_media_ids_only() {
        for bad in [
            "img1",
            "../../etc/passwd",
            "",
            &LOGO.to_uppercase(),
            &LOGO[1..],
        ] {
            let err = style(serde_json::json!({"logo": {"id": bad}})).unwrap_err();
            assert_eq!(err, "style.logo.id: unknown logo", "{bad}");
        }
    }

    #[test]
    fn frame_captions_are_bounded() {
        assert!(style(serde_json::json!({"frame": {"text": "Scan me"}})).is_ok());
        assert!(style(serde_json::json!({"frame": {"text": ""}})).is_err());
        assert!(style(serde_json::json!({"frame": {"text": "x".repeat(25)}})).is_err());
    }
}
