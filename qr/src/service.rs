//! The qr domain: creating, editing and deleting codes with every input validated, resolving a
//! short code for the redirect from memory, and rendering with a cache. Knows nothing of HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use shared::bus::{Event, EventBus, topics};
use shared::ids::{new_id, now_ms};

use crate::code::ShortCode;
use crate::destination::{Blocklist, Destination};
use crate::error::QrError;
use crate::model::{Content, Kind, QrCode};
use crate::render::{self, Matrix};
use crate::rules::{Rules, Utm};
use crate::store::{ListQuery, Page, Store};
use crate::style::Style;

pub const MAX_NAME: usize = 120;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_LEN: usize = 32;

/// What the redirect needs of a code, kept in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub qr_id: String,
    pub owner_id: String,
    pub code: String,
    pub destination: String,
    pub paused: bool,
    pub rules: Rules,
    pub utm: Option<Utm>,
}

/// The fields a create or an edit may set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    pub name: Option<String>,
    pub destination: Option<String>,
    pub kind: Option<Kind>,
    pub content: Option<Content>,
    pub code: Option<String>,
    pub style: Option<Style>,
    pub rules: Option<Rules>,
    pub utm: Option<Utm>,
    pub tags: Option<Vec<String>>,
    pub paused: Option<bool>,
}

/// Rendered images, by everything that affects their bytes.
type RenderCache = moka::sync::Cache<String, Bytes>;

pub struct QrService {
    store: Store,
    bus: EventBus,
    blocklist: Blocklist,
    public_base_url: Arc<str>,
    /// code → target (`None` caches "no such code" briefly, so junk never reaches the database).
    targets: moka::sync::Cache<String, Option<Arc<Target>>>,
    renders: RenderCache,
    /// Live human-scan counts of codes that have a `max_scans` rule.
    counts: moka::sync::Cache<String, Arc<AtomicU64>>,
    counted: tokio::sync::mpsc::Sender<String>,
    /// Uploaded images, for logos (set by [`QrService::with_media`]).
    media: Option<media::Media>,
}

impl QrService {
    pub fn new(
        store: Store,
        bus: EventBus,
        blocklist: Blocklist,
        public_base_url: Arc<str>,
        counted: tokio::sync::mpsc::Sender<String>,
    ) -> Self {
        Self {
            store,
            bus,
            blocklist,
            public_base_url,
            targets: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(300))
                .build(),
            renders: moka::sync::Cache::builder()
                .max_capacity(64 * 1024 * 1024)
                .weigher(|k: &String, v: &Bytes| (k.len() + v.len()).try_into().unwrap_or(u32::MAX))
                .time_to_live(Duration::from_secs(3600))
                .build(),
            counts: moka::sync::Cache::builder().max_capacity(100_000).build(),
            counted,
            media: None,
        }
    }

    /// Where logos come from: ownership is checked on save, bytes fetched on render.
    pub fn with_media(mut self, media: media::Media) -> Self {
        self.media = Some(media);
        self
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    pub async fn create(&self, owner_id: &str, changes: Changes) -> Result<QrCode, QrError> {
        let kind = changes.kind.unwrap_or_default();
        let now = now_ms();
        let mut qr = QrCode {
            id: new_id(),
            owner_id: owner_id.to_owned(),
            code: String::new(),
            name: String::new(),
            kind,
            destination: None,
            content: None,
            style: Style::default(),
            rules: Rules::default(),
            utm: None,
            tags: Vec::new(),
            paused: false,
            created_at: now,
            updated_at: now,
        };
        let custom = changes.code.clone();
        self.apply(&mut qr, changes, true)?;
        self.check_logo(owner_id, &qr.style).await?;
        match custom {
            Some(raw) => {
                qr.code = ShortCode::parse_custom(&raw)?.to_string();
                self.store.insert(&qr).await?;
            }
            None => self.insert_with_fresh_code(&mut qr).await?,
        }
        Ok(qr)
    }

    /// Generated codes collide with probability ~n/27.5e9; retry a few times rather than hope.
    async fn insert_with_fresh_code(&self, qr: &mut QrCode) -> Result<(), QrError> {
        for _ in 0..5 {
            qr.code = ShortCode::generate().to_string();
            match self.store.insert(qr).await {
                Err(QrError::CodeTaken) => continue,
                other => return other,
            }
        }
        Err(QrError::CodeTaken)
    }

    /// Validates many rows first, then inserts all of them in one transaction.
    pub async fn create_many(
        &self,
        owner_id: &str,
        rows: Vec<Changes>,
    ) -> Result<Vec<QrCode>, Vec<(usize, QrError)>> {
        let now = now_ms();
        let mut codes = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        for (i, changes) in rows.into_iter().enumerate() {
            let mut qr = QrCode {
                id: new_id(),
                owner_id: owner_id.to_owned(),
                code: ShortCode::generate().to_string(),
                name: String::new(),
                kind: Kind::Url,
                destination: None,
                content: None,
                style: Style::default(),
                rules: Rules::default(),
                utm: None,
                tags: Vec::new(),
                paused: false,
                created_at: now,
                updated_at: now,
            };
            match self.apply(&mut qr, changes, true) {
                Ok(()) => codes.push(qr),
                Err(e) => errors.push((i, e)),
            }
        }
        for (i, qr) in codes.iter().enumerate() {
            if let Err(e) = self.check_logo(owner_id, &qr.style).await {
                errors.push((i, e));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.store
            .insert_all(&codes)
            .await
            .map_err(|e| vec![(0, e)])?;
        Ok(codes)
    }

    pub async fn get(&self, owner_id: &str, id: &str) -> Result<QrCode, QrError> {
        self.store.get(owner_id, id).await
    }

    pub async fn list(&self, query: ListQuery<'_>) -> Result<Page, QrError> {
        self.store.list(query).await
    }

    pub async fn update(
        &self,
        owner_id: &str,
        id: &str,
        changes: Changes,
    ) -> Result<QrCode, QrError> {
        if changes.code.is_some() || changes.kind.is_some() {
            return Err(QrError::invalid(
                if changes.code.is_some() {
                    "code"
                } else {
                    "kind"
                },
                "the short code and kind of a printed code cannot change",
            ));
        }
        let mut qr = self.store.get(owner_id, id).await?;
        self.apply(&mut qr, changes, false)?;
        self.check_logo(owner_id, &qr.style).await?;
        qr.updated_at = now_ms();
        self.store.update(&qr).await?;
        self.forget(&qr.code);
        Ok(qr)
    }

    pub async fn delete(&self, owner_id: &str, id: &str) -> Result<(), QrError> {
        let code = self.store.delete(owner_id, id).await?;
        self.forget(&code);
        Ok(())
    }

    pub async fn delete_owner(&self, owner_id: &str) -> Result<usize, QrError> {
        let codes = self.store.delete_owner(owner_id).await?;
        for code in &codes {
            self.forget(code);
        }
        Ok(codes.len())
    }

    /// Drops a code from this instance's cache and tells the other instances to do the same.
    fn forget(&self, code: &str) {
        self.invalidate_local(code);
        let event = Event::new(topics::QR_CHANGED, serde_json::json!({ "code": code }));
        if let Err(err) = self.bus.publish(event) {
            tracing::warn!(%err, "could not announce a code change; other instances catch up within 5 minutes");
        }
    }

    pub fn invalidate_local(&self, code: &str) {
        self.targets.invalidate(code);
    }

    /// Validates `changes` and writes them into `qr`. On create, missing required fields are
    /// errors; on edit, absent fields stay as they are.
    fn apply(&self, qr: &mut QrCode, changes: Changes, creating: bool) -> Result<(), QrError> {
        if let Some(name) = changes.name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > MAX_NAME {
                return Err(QrError::invalid(
                    "name",
                    format!("the name must be 1–{MAX_NAME} characters"),
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(QrError::invalid(
                    "name",
                    "the name cannot contain control characters",
                ));
            }
            qr.name = name.to_owned();
        } else if creating {
            return Err(QrError::invalid("name", "give the code a name"));
        }
        if qr.kind.is_dynamic() {
            if let Some(raw) = changes.destination {
                let destination = Destination::parse(&raw, &self.blocklist).map_err(|source| {
                    QrError::Destination {
                        field: "destination".into(),
                        source,
                    }
                })?;
                qr.destination = Some(destination.as_str().to_owned());
            } else if creating {
                return Err(QrError::invalid("destination", "enter a destination URL"));
            }
            if changes.content.is_some() {
                return Err(QrError::invalid(
                    "content",
                    "a url code has a destination, not content",
                ));
            }
        } else {
            if changes.destination.is_some() {
                return Err(QrError::invalid(
                    "destination",
                    "static codes have content, not a destination",
                ));
            }
            if let Some(content) = changes.content {
                content.payload(qr.kind)?;
                qr.content = Some(content);
            } else if creating {
                return Err(QrError::invalid(
                    "content",
                    "static codes need their content",
                ));
            }
        }
        if let Some(style) = changes.style {
            qr.style = style.validated()?;
        }
        if let Some(rules) = changes.rules {
            qr.rules = rules
                .validated(&self.blocklist)
                .map_err(|(field, source)| QrError::Destination { field, source })?;
        }
        if let Some(utm) = changes.utm {
            for value in [
                &utm.source,
                &utm.medium,
                &utm.campaign,
                &utm.term,
                &utm.content,
            ]
            .into_iter()
            .flatten()
            {
                if value.chars().count() > 100 || value.chars().any(char::is_control) {
                    return Err(QrError::invalid(
                        "utm",
                        "UTM values are at most 100 plain characters",
                    ));
                }
            }
            qr.utm = Some(utm);
        }
        if let Some(tags) = changes.tags {
            qr.tags = normalise_tags(tags)?;
        }
        if let Some(paused) = changes.paused {
            qr.paused = paused;
        }
        // The payload must fit the chosen error-correction level.
        Matrix::encode(&qr.payload(&self.public_base_url)?, qr.style.ecc)?;
        Ok(())
    }

    /// The code's target for the redirect: memory first; the database only on a miss.
    pub async fn resolve(&self, code: &ShortCode) -> Result<Option<Arc<Target>>, QrError> {
        if let Some(hit) = self.targets.get(code.as_str()) {
            return Ok(hit);
        }
        let target = self.store.by_code(code.as_str()).await?.and_then(|qr| {
            let destination = qr.destination.filter(|_| qr.kind.is_dynamic())?;
            Some(Arc::new(Target {
                qr_id: qr.id,
                owner_id: qr.owner_id,
                code: qr.code,
                destination,
                paused: qr.paused,
                rules: qr.rules,
                utm: qr.utm,
            }))
        });
        self.targets
            .insert(code.as_str().to_owned(), target.clone());
        Ok(target)
    }

    /// The cached-only lookup: never touches the database.
    pub fn resolve_cached(&self, code: &ShortCode) -> Option<Option<Arc<Target>>> {
        self.targets.get(code.as_str())
    }

    /// Human scans so far of a code with a `max_scans` rule (loaded once, then counted here).
    pub async fn human_scans(&self, target: &Target) -> u64 {
        if let Some(count) = self.counts.get(&target.qr_id) {
            return count.load(Ordering::Relaxed);
        }
        let stored = self.store.human_scans(&target.qr_id).await.unwrap_or(0);
        let count = self
            .counts
            .get_with(target.qr_id.clone(), || Arc::new(AtomicU64::new(stored)));
        count.load(Ordering::Relaxed)
    }

    /// Records a human scan towards `max_scans`: in memory now, in the database within a second
    /// (by the background counter), never on the request's time.
    pub fn count_human_scan(&self, target: &Target) {
        if target.rules.max_scans.is_none() {
            return;
        }
        if let Some(count) = self.counts.get(&target.qr_id) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self.counted.try_send(target.qr_id.clone());
    }

    /// Renders (or fetches from the cache) an image. `format` is `svg` or `png`.
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
}

impl QrService {
    /// A style may only use its owner's uploads: another user's or a made-up id is "unknown".
    async fn check_logo(&self, owner_id: &str, style: &Style) -> Result<(), QrError> {
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
fn media_failure(err: media::MediaError) -> QrError {
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

fn normalise_tags(tags: Vec<String>) -> Result<Vec<String>, QrError> {
    if tags.len() > MAX_TAGS {
        return Err(QrError::invalid("tags", format!("at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        let ok = !tag.is_empty()
            && tag.chars().count() <= MAX_TAG_LEN
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ');
        if !ok {
            return Err(QrError::invalid(
                "tags",
                format!("tags are 1–{MAX_TAG_LEN} letters, digits, spaces, - or _"),
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}
