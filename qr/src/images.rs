//! Rendering with a cache: a code's image by everything that affects its bytes (payload, style,
//! format, size), its logo fetched from the media module, and the ETag and file name it is
//! served with. The drawing itself is `render`'s.

use std::time::Duration;

use bytes::Bytes;

use crate::error::QrError;
use crate::render::{self, Matrix};
use crate::style::Style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
    /// Vector PDF for print shops.
    Pdf,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Pdf => "application/pdf",
        }
    }
}

/// Rendered images, by everything that affects their bytes.
type RenderCache = moka::sync::Cache<String, Bytes>;

pub struct Images {
    renders: RenderCache,
    /// Uploaded images, for logos (set by [`Images::with_media`]).
    media: Option<media::Media>,
}

impl Default for Images {
    fn default() -> Self {
        Self {
            renders: moka::sync::Cache::builder()
                .max_capacity(64 * 1024 * 1024)
                .weigher(|k: &String, v: &Bytes| (k.len() + v.len()).try_into().unwrap_or(u32::MAX))
                .time_to_live(Duration::from_hours(1))
                .build(),
            media: None,
        }
    }
}

impl Images {
    /// Where logos come from: ownership is checked on save, bytes fetched on render.
    pub fn with_media(mut self, media: media::Media) -> Self {
        self.media = Some(media);
        self
    }

    pub fn media(&self) -> Option<&media::Media> {
        self.media.as_ref()
    }

    /// Renders (or fetches from the cache) an image, with its ETag.
    pub async fn render(
        &self,
        payload: String,
        style: Style,
        format: Format,
        size: u32,
    ) -> Result<(Bytes, String), QrError> {
        let key = format!(
            "{}|{}|{}|{}",
            payload,
            serde_json::to_string(&style).unwrap_or_default(),
            format.extension(),
            size
        );
        // The key holds the style, so the logo's id: a media id is the hash of the image's
        // bytes, so the same id always draws the same logo.
        let etag = format!("\"{}\"", content_hash(&key));
        if let Some(hit) = self.renders.get(&key) {
            return Ok((hit, etag));
        }
        if format == Format::Png && !(render::MIN_SIZE..=render::MAX_SIZE).contains(&size) {
            return Err(render::RenderError::Size.into());
        }
        let logo = self.logo_image(&style).await?;
        // Rendering a large PNG is milliseconds of CPU: keep it off the async workers.
        let bytes = tokio::task::spawn_blocking(move || -> Result<Bytes, QrError> {
            let matrix = Matrix::encode(&payload, style.ecc)?;
            Ok(match format {
                Format::Svg => Bytes::from(render::svg_with(&matrix, &style, logo.as_ref())),
                Format::Png => Bytes::from(render::png_with(&matrix, &style, size, logo.as_ref())?),
                Format::Pdf => Bytes::from(render::pdf(&matrix, &style, logo.as_ref())?),
            })
        })
        .await
        .map_err(|e| QrError::Render(render::RenderError::Raster(e.to_string())))??;
        self.renders.insert(key, bytes.clone());
        Ok((bytes, etag))
    }

    /// "Scannability guaranteed": `style` drawn with `payload` (as downloaded, logo and all)
    /// must read back with a decoder; otherwise the refusal names the choice to change.
    pub async fn check_scannable(&self, payload: String, style: &Style) -> Result<(), QrError> {
        let logo = self.logo_image(style).await?;
        let style = style.clone();
        tokio::task::spawn_blocking(move || {
            render::scannability::check(&payload, &style, logo.as_ref())
        })
        .await
        .map_err(|e| QrError::Render(render::RenderError::Raster(e.to_string())))?
        .map_err(|err| match err {
            render::scannability::CheckError::Unreadable(why) => {
                QrError::invalid(why.field, why.reason)
            }
            render::scannability::CheckError::Render(e) => QrError::Render(e),
        })
    }

    /// A style may only use its owner's uploads: another user's or a made-up id is "unknown".
    pub async fn check_logo(&self, owner_id: &str, style: &Style) -> Result<(), QrError> {
        let Some(logo) = &style.logo else {
            return Ok(());
        };
        let owned = match &self.media {
            Some(media) => media
                .owns(owner_id, &logo.id)
                .await
                .map_err(media_failure)?,
            None => false,
        };
        if owned { Ok(()) } else { Err(unknown_logo()) }
    }

    /// The logo's stored PNG, for drawing. Not owner-checked: that happened when the style was
    /// saved, and the preview may only draw images that exist (they are public anyway).
    async fn logo_image(&self, style: &Style) -> Result<Option<render::LogoImage>, QrError> {
        let Some(logo) = &style.logo else {
            return Ok(None);
        };
        let (Some(media), Some(id)) = (&self.media, media::MediaId::parse(&logo.id)) else {
            return Err(unknown_logo());
        };
        match media.png(&id).await.map_err(media_failure)? {
            Some(png) => Ok(Some(render::LogoImage::new(png))),
            None => Err(unknown_logo()),
        }
    }
}

fn unknown_logo() -> QrError {
    QrError::invalid("style.logo.id", "unknown logo")
}

/// Storage failures behind a logo are ours, not the caller's: logged and answered as internal.
pub(crate) fn media_failure(err: media::MediaError) -> QrError {
    match err {
        media::MediaError::Database(e) => QrError::Database(e),
        other => QrError::Render(render::RenderError::Raster(format!("logo: {other}"))),
    }
}

fn content_hash(key: &str) -> String {
    use std::hash::{Hash, Hasher};
    // Two independent 64-bit hashes of the key: stable across processes (SipHash with fixed
    // keys), which is all an ETag needs.
    let mut a = std::hash::DefaultHasher::new();
    key.hash(&mut a);
    let mut b = std::hash::DefaultHasher::new();
    (key, 0x5ca9_u16).hash(&mut b);
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// `scanpage-menu-ab3cd5e-1024.png`: the code's name made safe for every file system — the
/// ASCII fallback of a download, and the names inside a zip.
pub(crate) fn file_name(name: &str, code: &str, format: Format, size: u32) -> String {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            let c = fold_accent(c);
            if c.is_ascii_alphanumeric() { c } else { '-' }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("-");
    let slug = if slug.is_empty() {
        "qr".to_owned()
    } else {
        slug
    };
    match format {
        Format::Png => format!("scanpage-{slug}-{code}-{size}.png"),
        other => format!("scanpage-{slug}-{code}.{}", other.extension()),
    }
}

/// The download's name as its owner wrote it ("Café menu.png"; "Café menu 2048px.png" for a
/// size other than the default), for `filename*`. Only what no file system takes is replaced
/// (path separators, reserved punctuation, control characters); the header encoding is
/// `download::attachment`'s.
pub(crate) fn display_file_name(name: &str, format: Format, size: u32) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || r#"/\:*?"<>|"#.contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let mut base: String = words.join(" ").chars().take(80).collect();
    // A name of dots alone would be a hidden file or a path segment.
    if base.trim_matches('.').is_empty() {
        base = "QR code".to_owned();
    }
    match format {
        Format::Png if size != DEFAULT_PNG_SIZE => format!("{base} {size}px.png"),
        other => format!("{base}.{}", other.extension()),
    }
}

/// The PNG size a download has when none is asked for.
pub const DEFAULT_PNG_SIZE: u32 = 1024;

/// Latin letters with accents as their base letter, for the ASCII fallback ("café" → "cafe").
fn fold_accent(c: char) -> char {
    match c {
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_keep_the_owners_spelling_and_fall_back_to_ascii() {
        assert_eq!(
            display_file_name("Café menu", Format::Png, 1024),
            "Café menu.png"
        );
        assert_eq!(
            display_file_name("Café menu", Format::Png, 2048),
            "Café menu 2048px.png"
        );
        assert_eq!(
            display_file_name("../etc/passwd", Format::Svg, 0),
            ".. etc passwd.svg"
        );
        assert_eq!(display_file_name("..", Format::Svg, 0), "QR code.svg");
        assert_eq!(display_file_name("  ", Format::Svg, 0), "QR code.svg");
        assert_eq!(
            file_name("Café menu", "ab3cd5e", Format::Png, 1024),
            "scanpage-cafe-menu-ab3cd5e-1024.png"
        );
    }
}
