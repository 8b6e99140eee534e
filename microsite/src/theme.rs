//! Built-in themes: palettes, a system font stack and a button shape each. A page may tweak the
//! accent and background colours (validated `#rrggbb`); text colours on top of them are chosen
//! for contrast, so a tweak can never make a page unreadable. No custom CSS: it is an XSS and
//! phishing vector.

use serde::{Deserialize, Serialize};

use crate::text::FieldError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Light,
    Dark,
    Sunset,
    Forest,
    Ocean,
    Mono,
    Candy,
}

struct Palette {
    bg: &'static str,
    card: &'static str,
    fg: &'static str,
    muted: &'static str,
    accent: &'static str,
    font: &'static str,
    radius: &'static str,
}

const SANS: &str =
    "system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif";
const SERIF: &str = "ui-serif,Georgia,Cambria,\"Times New Roman\",serif";
const MONO: &str = "ui-monospace,\"SF Mono\",Menlo,Consolas,monospace";
const ROUNDED: &str = "ui-rounded,\"SF Pro Rounded\",system-ui,sans-serif";

impl Theme {
    pub const ALL: [Theme; 7] = [
        Theme::Light,
        Theme::Dark,
        Theme::Sunset,
        Theme::Forest,
        Theme::Ocean,
        Theme::Mono,
        Theme::Candy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Sunset => "sunset",
            Theme::Forest => "forest",
            Theme::Ocean => "ocean",
            Theme::Mono => "mono",
            Theme::Candy => "candy",
        }
    }

    pub fn is_dark(self) -> bool {
        matches!(self, Theme::Dark | Theme::Forest | Theme::Ocean)
    }

    fn palette(self) -> Palette {
        match self {
            Theme::Light => Palette {
                bg: "#f6f7f9",
                card: "#ffffff",
                fg: "#111827",
                muted: "#4b5563",
                accent: "#2563eb",
                font: SANS,
                radius: "12px",
            },
            Theme::Dark => Palette {
                bg: "#0b0f19",
                card: "#161b2b",
                fg: "#f3f4f6",
                muted: "#b6bdcc",
                accent: "#8ab4ff",
                font: SANS,
                radius: "12px",
            },
            Theme::Sunset => Palette {
                bg: "#fff4ec",
                card: "#ffffff",
                fg: "#3b1d12",
                muted: "#6f4330",
                accent: "#c2410c",
                font: SERIF,
                radius: "999px",
            },
            Theme::Forest => Palette {
                bg: "#0f241b",
                card: "#173528",
                fg: "#eefbf3",
                muted: "#b5d4c2",
                accent: "#6ee7a8",
                font: SANS,
                radius: "6px",
            },
            Theme::Ocean => Palette {
                bg: "#06283d",
                card: "#0b3954",
                fg: "#f0f9ff",
                muted: "#bcdcf0",
                accent: "#38bdf8",
                font: ROUNDED,
                radius: "16px",
            },
            Theme::Mono => Palette {
                bg: "#ffffff",
                card: "#ffffff",
                fg: "#000000",
                muted: "#333333",
                accent: "#000000",
                font: MONO,
                radius: "0",
            },
            Theme::Candy => Palette {
                bg: "#fdf2f8",
                card: "#ffffff",
                fg: "#3b0a2a",
                muted: "#6b2150",
                accent: "#be185d",
                font: ROUNDED,
                radius: "999px",
            },
        }
    }
}

/// Colour tweaks on top of a theme.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tweaks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
}

impl Tweaks {
    pub fn validate(&mut self) -> Result<(), FieldError> {
        for (name, value) in [
            ("accent", &mut self.accent),
            ("background", &mut self.background),
        ] {
            if let Some(v) = value {
                let rgb = parse_hex(v).ok_or_else(|| {
                    FieldError::new(format!("tweaks.{name}"), "a colour is written #rrggbb")
                })?;
                *v = format!("#{:02x}{:02x}{:02x}", rgb.0, rgb.1, rgb.2);
            }
        }
        Ok(())
    }
}

fn parse_hex(v: &str) -> Option<(u8, u8, u8)> {
    let hex = v.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

/// A page's colours as `#rrggbb`, for what is drawn outside its stylesheet (the `og:image`
/// card, `crate::og`): the same choice `css` makes — the theme's palette, or a tweaked
/// background with black or white text on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Colours {
    pub bg: String,
    pub fg: String,
    pub muted: String,
    pub accent: String,
    pub on_accent: String,
}

pub fn colours(theme: Theme, tweaks: &Tweaks) -> Colours {
    let p = theme.palette();
    let accent = tweaks.accent.as_deref().unwrap_or(p.accent);
    let (bg, fg, muted) = match tweaks.background.as_deref() {
        Some(bg) => (bg, readable_on(bg), readable_on(bg)),
        None => (p.bg, p.fg, p.muted),
    };
    Colours {
        bg: bg.to_owned(),
        fg: fg.to_owned(),
        muted: muted.to_owned(),
        accent: accent.to_owned(),
        on_accent: readable_on(accent).to_owned(),
    }
}

/// WCAG relative luminance.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// Black or white, whichever reads better on `bg`.
fn readable_on(bg: &str) -> &'static str {
    match parse_hex(bg) {
        Some(rgb) if luminance(rgb) > 0.179 => "#111111",
        _ => "#ffffff",
    }
}

/// The largest corner a picture, video or card may have. Buttons may be pills (`--r`); a 16:9
/// video or a photo with a pill radius becomes an oval, so media take the theme's radius capped
/// here (`--r-media`).
const MAX_MEDIA_RADIUS_PX: u32 = 16;

fn media_radius(radius: &str) -> String {
    let px = radius
        .strip_suffix("px")
        .unwrap_or(radius)
        .parse::<u32>()
        .unwrap_or(0);
    format!("{}px", px.min(MAX_MEDIA_RADIUS_PX))
}

/// The page's whole stylesheet: small enough to inline (its hash goes in the CSP).
pub fn css(theme: Theme, tweaks: &Tweaks) -> String {
    let p = theme.palette();
    let accent = tweaks.accent.as_deref().unwrap_or(p.accent);
    let (bg, fg, muted, card) = match tweaks.background.as_deref() {
        Some(bg) => {
            let fg = readable_on(bg);
            let card = if fg == "#ffffff" {
                "rgba(255,255,255,.08)"
            } else {
                "rgba(255,255,255,.7)"
            };
            (bg, fg, fg, card)
        }
        None => (p.bg, p.fg, p.muted, p.card),
    };
    let on_accent = readable_on(accent);
    let scheme = if readable_on(bg) == "#ffffff" {
        "dark"
    } else {
        "light"
    };
    format!(
        ":root{{--bg:{bg};--card:{card};--fg:{fg};--muted:{muted};--ac:{accent};--on-ac:{on_accent};--r:{radius};--r-media:{media_radius};color-scheme:{scheme}}}\
*{{box-sizing:border-box}}\
body{{margin:0;background:var(--bg);color:var(--fg);font:17px/1.5 {font};-webkit-text-size-adjust:100%}}\
main{{max-width:560px;margin:0 auto;padding:32px 16px 24px}}\
a{{color:inherit}}\
:focus-visible{{outline:3px solid var(--ac);outline-offset:3px}}\
.skip{{position:absolute;left:-999px}}.skip:focus{{left:8px;top:8px;background:var(--card);padding:8px}}\
.profile{{text-align:center;margin-bottom:16px}}\
.avatar{{width:96px;height:96px;border-radius:50%;object-fit:cover}}\
h1{{font-size:1.6rem;margin:8px 0 4px}}h2{{font-size:1.25rem;margin:24px 0 8px;text-align:center}}\
.bio,.muted{{color:var(--muted)}}\
.text{{margin:12px 0}}\
.btn{{display:flex;align-items:center;justify-content:center;gap:8px;min-height:52px;margin:12px 0;padding:12px 20px;border-radius:var(--r);background:var(--ac);color:var(--on-ac);text-decoration:none;font-weight:600;text-align:center}}\
.btn:hover{{filter:brightness(1.08)}}\
.social{{display:flex;flex-wrap:wrap;justify-content:center;gap:10px;list-style:none;padding:0;margin:16px 0}}\
.social a{{display:inline-flex;align-items:center;justify-content:center;width:48px;height:48px;border-radius:50%;background:var(--card);color:var(--fg);text-decoration:none;border:1px solid var(--muted)}}.social svg{{width:22px;height:22px;display:block}}\
figure{{margin:16px 0}}figure img{{width:100%;height:auto;border-radius:var(--r-media);display:block}}\
.video{{position:relative;aspect-ratio:16/9;margin:16px 0}}.video iframe{{position:absolute;inset:0;width:100%;height:100%;border:0;border-radius:var(--r-media)}}\
.contact{{background:var(--card);border-radius:var(--r-media);padding:12px 16px;margin:12px 0}}.contact a{{display:block;padding:6px 0}}\
hr{{border:0;border-top:1px solid var(--muted);opacity:.4;margin:20px 0}}\
.sp-s{{height:12px}}.sp-m{{height:28px}}.sp-l{{height:56px}}\
.qr{{text-align:center;margin:16px 0}}.qr svg{{width:180px;max-width:100%;height:auto;background:#fff;color:#000;padding:8px;border-radius:8px}}\
footer{{text-align:center;font-size:.85rem;color:var(--muted);padding:24px 0}}\
.sr{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}}\
@media (prefers-reduced-motion:reduce){{*{{transition:none!important}}}}",
        radius = p.radius,
        media_radius = media_radius(p.radius),
        font = p.font,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_light_and_dark_themes() {
        assert!(Theme::ALL.len() >= 6);
        assert!(Theme::ALL.iter().any(|t| t.is_dark()));
        assert!(Theme::ALL.iter().any(|t| !t.is_dark()));
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (
            luminance(parse_hex(a).unwrap()),
            luminance(parse_hex(b).unwrap()),
        );
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_theme_meets_wcag_aa_contrast() {
        for theme in Theme::ALL {
            let p = theme.palette();
            let on_accent = readable_on(p.accent);
            for (what, fg, bg) in [
                ("text", p.fg, p.bg),
                ("text on cards", p.fg, p.card),
                ("muted text", p.muted, p.bg),
                ("muted text on cards", p.muted, p.card),
                ("buttons", on_accent, p.accent),
            ] {
                let ratio = contrast(fg, bg);
                assert!(ratio >= 4.5, "{theme:?} {what}: {ratio:.2}");
            }
            // The focus ring is the accent: 3:1 against the page is the non-text minimum.
            assert!(contrast(p.accent, p.bg) >= 3.0, "{theme:?} focus ring");
        }
    }

    /// The `border-radius` of the first rule whose selector is `selector`.
    fn radius_of<'a>(css: &'a str, selector: &str) -> &'a str {
        let rule = css
            .split('}')
            .find_map(|r| r.strip_prefix(selector).and_then(|r| r.strip_prefix('{')))
            .unwrap_or_else(|| panic!("no rule for {selector}"));
        rule.split(';')
            .find_map(|d| d.strip_prefix("border-radius:"))
            .unwrap_or_else(|| panic!("{selector} has no border-radius"))
    }

    /// The value of custom property `name` in `:root`.
    fn var<'a>(css: &'a str, name: &str) -> &'a str {
        let decl = format!("{name}:");
        css.split([';', '{'])
            .find_map(|d| d.strip_prefix(decl.as_str()))
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn media_are_never_pill_shaped_in_any_theme() {
        let mut saw_pill_buttons = false;
        for theme in Theme::ALL {
            let css = css(theme, &Tweaks::default());
            saw_pill_buttons |= var(&css, "--r") == "999px";
            for selector in [".video iframe", "figure img", ".contact"] {
                let radius = radius_of(&css, selector);
                let px: u32 = match radius {
                    "var(--r-media)" => var(&css, "--r-media")
                        .strip_suffix("px")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("{theme:?}: --r-media is not in px")),
                    other => panic!("{theme:?} {selector}: radius {other} is not the media radius"),
                };
                assert!(
                    px <= 16,
                    "{theme:?} {selector}: {px}px rounds a 16:9 video into an oval"
                );
            }
        }
        // The cap matters: some theme really has pill buttons.
        assert!(saw_pill_buttons);
    }

    #[test]
    fn tweaks_are_colours_only() {
        let mut ok = Tweaks {
            accent: Some("#FF8800".into()),
            background: Some("#000000".into()),
        };
        ok.validate().unwrap();
        assert_eq!(ok.accent.as_deref(), Some("#ff8800"));
        for bad in [
            "red",
            "#fff",
            "#ff8800;}body{display:none",
            "url(x)",
            "#12345g",
        ] {
            let mut t = Tweaks {
                accent: Some(bad.into()),
                background: None,
            };
            assert_eq!(t.validate().unwrap_err().field, "tweaks.accent", "{bad}");
        }
    }

    #[test]
    fn text_on_a_tweaked_colour_stays_readable() {
        assert_eq!(readable_on("#000000"), "#ffffff");
        assert_eq!(readable_on("#ffff00"), "#111111");
        let css = css(
            Theme::Light,
            &Tweaks {
                accent: None,
                background: Some("#101010".into()),
            },
        );
        assert!(css.contains("--fg:#ffffff"));
    }
}
