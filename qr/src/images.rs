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
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
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
            })
        })
        .await
        .map_err(|e| QrError::Render(render::RenderError::Raster(e.to_string())))??;
        self.renders.insert(key, bytes.clone());
        Ok((bytes, etag))
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

/// `scanpage-menu-ab3cd5e-1024.png`: the code's name made safe for every file system.
pub(crate) fn file_name(name: &str, code: &str, format: Format, size: u32) -> String {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
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
        Format::Svg => format!("scanpage-{slug}-{code}.svg"),
        Format::Png => format!("scanpage-{slug}-{code}-{size}.png"),
    }
}
