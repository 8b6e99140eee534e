//! The qr domain: creating, editing and deleting codes with every input validated, resolving a
//! short code for the redirect from memory, and rendering with a cache. Knows nothing of HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use shared::bus::{Event, EventBus, topics};
use shared::features::Features;
use shared::ids::now_ms;

use crate::code::ShortCode;
use crate::destination::{Blocklist, Destination};
use crate::error::QrError;
use crate::gate::{self, Attempts};
use crate::microsite::{self, Caller, MicrositeDirectory};
use crate::model::{Content, Kind, QrCode};
use crate::moderation::Moderation;
use crate::redis_cache::RedisTargets;
use crate::render::{self, Matrix};
use crate::rules::{Rules, Utm};
use crate::store::{ListQuery, Page, Store};
use crate::style::Style;

pub const MAX_NAME: usize = 120;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_LEN: usize = 32;

/// What the redirect needs of a code, kept in memory (and in Redis, shared by instances).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub qr_id: String,
    pub owner_id: String,
    pub code: String,
    pub destination: String,
    pub paused: bool,
    pub rules: Rules,
    pub utm: Option<Utm>,
    /// The founder disabled this code (see `moderation`). Absent in entries cached in Redis
    /// before the field existed: those are read as not disabled and expire within minutes.
    #[serde(default)]
    pub disabled: bool,
}

/// The fields a create or an edit may set.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = QrChanges)]
pub struct Changes {
    pub name: Option<String>,
    pub destination: Option<String>,
    pub kind: Option<Kind>,
    /// `microsite` codes: the id of one of the caller's microsites.
    pub microsite_id: Option<String>,
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

/// Counters of where the redirect found a code: plain atomics on the scan path, read by the
/// metrics exporter only when scraped (hit ratio = memory / all lookups).
#[derive(Debug, Default)]
pub struct Lookups {
    pub memory: AtomicU64,
    pub shared: AtomicU64,
    pub database: AtomicU64,
}

pub struct QrService {
    store: Store,
    bus: EventBus,
    /// Disabled codes and owners, and the blocklist (the file's and the founder's domains).
    moderation: Moderation,
    public_base_url: Arc<str>,
    /// code → target (`None` caches "no such code" briefly, so junk never reaches the database).
    targets: moka::sync::Cache<String, Option<Arc<Target>>>,
    renders: RenderCache,
    /// Live human-scan counts of codes that have a `max_scans` rule.
    counts: moka::sync::Cache<String, Arc<AtomicU64>>,
    /// Where redirect lookups were answered (exported at scrape time, see `lib.rs`).
    pub lookups: Lookups,
    counted: tokio::sync::mpsc::Sender<String>,
    /// The second cache level, shared by instances, when Redis is configured.
    shared_targets: Option<RedisTargets>,
    directory: Arc<dyn MicrositeDirectory>,
    attempts: Attempts,
    /// Uploaded images, for logos (set by [`QrService::with_media`]).
    media: Option<media::Media>,
    /// The future services switched on (A/B tests, print sheets).
    features: Features,
}

/// What a [`QrService`] is built from besides its store and bus.
pub struct Parts {
    pub blocklist: Blocklist,
    pub public_base_url: Arc<str>,
    pub counted: tokio::sync::mpsc::Sender<String>,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub directory: Arc<dyn MicrositeDirectory>,
}

impl QrService {
    pub fn new(store: Store, bus: EventBus, parts: Parts) -> Self {
        let Parts {
            blocklist,
            public_base_url,
            counted,
            redis,
            directory,
        } = parts;
        Self {
            shared_targets: redis.map(RedisTargets::new),
            directory,
            attempts: Attempts::default(),
            store,
            bus,
            moderation: Moderation::new(blocklist),
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
            lookups: Lookups::default(),
            counted,
            media: None,
            features: Features::default(),
        }
    }

    /// Which future services are on (`FEATURES`); all off unless this is called.
    pub fn with_features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }

    pub fn features(&self) -> Features {
        self.features
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

    pub fn attempts(&self) -> &Attempts {
        &self.attempts
    }

    pub fn moderation(&self) -> &Moderation {
        &self.moderation
    }

    pub async fn create(&self, caller: &Caller, mut changes: Changes) -> Result<QrCode, QrError> {
        let kind = changes.kind.unwrap_or_default();
        let mut qr = QrCode::blank(&caller.owner_id, kind, now_ms());
        let page = self
            .microsite_page(caller, kind, changes.microsite_id.take(), None)
            .await?;
        let custom = changes.code.clone();
        self.apply(&mut qr, changes, true)?;
        if let Some((id, url)) = page {
            qr.microsite_id = Some(id);
            qr.destination = Some(url);
        }
        hash_new_password(&mut qr.rules).await?;
        self.check_logo(&caller.owner_id, &qr.style).await?;
        match custom {
            Some(raw) => {
                qr.code = ShortCode::parse_custom(&raw)?.to_string();
                self.store.insert(&qr).await?;
            }
            None => self.insert_with_fresh_code(&mut qr).await?,
        }
        self.announce_created(std::slice::from_ref(&qr));
        Ok(qr)
    }

    /// `qr.created` for the founder's product metrics; a full bus only costs the console a count.
    fn announce_created(&self, codes: &[QrCode]) {
        for qr in codes {
            let event = Event::new(
                topics::QR_CREATED,
                shared::events::QrCreated {
                    qr_id: qr.id.clone(),
                    owner_id: qr.owner_id.clone(),
                },
            );
            if let Err(err) = self.bus.publish(event) {
                tracing::warn!(%err, "could not announce a new code");
            }
        }
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

    /// Validates many url-code rows (CPU work: run it on the blocking pool). Every row's problem
    /// is reported, by its index.
    pub fn prepare_many(
        &self,
        owner_id: &str,
        rows: Vec<Changes>,
    ) -> Result<Vec<QrCode>, Vec<(usize, QrError)>> {
        let now = now_ms();
        let mut codes = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        for (i, mut changes) in rows.into_iter().enumerate() {
            let mut qr = QrCode::blank(owner_id, Kind::Url, now);
            qr.code = ShortCode::generate().to_string();
            // Bulk rows are plain url codes: nothing that needs another service or a hash.
            changes.kind = None;
            changes.microsite_id = None;
            changes.rules = None;
            match self.apply(&mut qr, changes, true) {
                Ok(()) => codes.push(qr),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(codes)
        } else {
            Err(errors)
        }
    }

    /// Inserts prepared codes in one transaction: all or none.
    pub async fn insert_many(&self, codes: &[QrCode]) -> Result<(), QrError> {
        self.store.insert_all(codes).await?;
        self.announce_created(codes);
        Ok(())
    }

    pub async fn get(&self, owner_id: &str, id: &str) -> Result<QrCode, QrError> {
        self.store.get(owner_id, id).await
    }

    pub async fn list(&self, query: ListQuery<'_>) -> Result<Page, QrError> {
        self.store.list(query).await
    }

    pub async fn update(
        &self,
        caller: &Caller,
        id: &str,
        mut changes: Changes,
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
        let mut qr = self.store.get(&caller.owner_id, id).await?;
        // Every save of a microsite code looks its slug up again (see `microsite`'s known gap).
        let page = self
            .microsite_page(
                caller,
                qr.kind,
                changes.microsite_id.take(),
                qr.microsite_id.clone(),
            )
            .await?;
        let old_hash = qr.rules.password_hash.take();
        let rules_given = changes.rules.is_some();
        self.apply(&mut qr, changes, false)?;
        if let Some((id, url)) = page {
            qr.microsite_id = Some(id);
            qr.destination = Some(url);
        }
        // New rules without a password keep the old one: the form cannot show it back.
        if !rules_given || qr.rules.password.is_none() {
            qr.rules.password_hash = old_hash;
        }
        hash_new_password(&mut qr.rules).await?;
        self.check_logo(&caller.owner_id, &qr.style).await?;
        qr.updated_at = now_ms();
        self.store.update(&qr).await?;
        self.forget(&qr.code).await;
        Ok(qr)
    }

    /// For a `microsite` code: the microsite's id and public URL, asked of microsite as the
    /// caller. `given` is the id in the request, `current` the stored one (on edit).
    async fn microsite_page(
        &self,
        caller: &Caller,
        kind: Kind,
        given: Option<String>,
        current: Option<String>,
    ) -> Result<Option<(String, String)>, QrError> {
        if kind != Kind::Microsite {
            return match given {
                Some(_) => Err(QrError::invalid(
                    "microsite_id",
                    "only microsite codes point at a microsite",
                )),
                None => Ok(None),
            };
        }
        let editing = given.is_none() && current.is_some();
        let Some(id) = given.or(current) else {
            return Err(QrError::invalid(
                "microsite_id",
                "choose one of your microsites",
            ));
        };
        if !microsite::valid_id(&id) {
            return Err(QrError::invalid("microsite_id", "no such microsite"));
        }
        let slug = match self.directory.slug_of(caller, &id).await {
            Ok(Some(slug)) => slug,
            Ok(None) => return Err(QrError::invalid("microsite_id", "no such microsite")),
            // An edit of other fields need not fail because microsite is briefly away.
            Err(QrError::Unavailable(_)) if editing => return Ok(None),
            Err(e) => return Err(e),
        };
        let url = microsite::page_url(&self.public_base_url, &slug)
            .ok_or_else(|| QrError::Unavailable("microsite answered an unusable slug".into()))?;
        Ok(Some((id, url)))
    }

    pub async fn delete(&self, owner_id: &str, id: &str) -> Result<(), QrError> {
        let code = self.store.delete(owner_id, id).await?;
        self.forget(&code).await;
        Ok(())
    }

    pub async fn delete_owner(&self, owner_id: &str) -> Result<usize, QrError> {
        let codes = self.store.delete_owner(owner_id).await?;
        for code in &codes {
            self.forget(code).await;
        }
        // The media module lives in this service: its record of the user's uploads goes too.
        if let Some(media) = &self.media {
            let images = media.delete_owner(owner_id).await.map_err(media_failure)?;
            tracing::info!(images, "forgot a deleted user's uploads");
        }
        Ok(codes.len())
    }

    /// Drops a code from this instance's cache and Redis, and tells the other instances to drop
    /// it too (they delete the Redis key again, which covers a fill that raced this edit).
    pub(crate) async fn forget(&self, code: &str) {
        self.invalidate(code).await;
        let event = Event::new(topics::QR_CHANGED, serde_json::json!({ "code": code }));
        if let Err(err) = self.bus.publish(event) {
            tracing::warn!(%err, "could not announce a code change; other instances catch up within 5 minutes");
        }
    }

    /// Drops a code from this instance's cache and from Redis.
    pub async fn invalidate(&self, code: &str) {
        self.targets.invalidate(code);
        if let Some(shared) = &self.shared_targets {
            shared.delete(code).await;
        }
    }

    /// Validates `changes` and writes them into `qr`. On create, missing required fields are
    /// errors; on edit, absent fields stay as they are.
    fn apply(&self, qr: &mut QrCode, changes: Changes, creating: bool) -> Result<(), QrError> {
        // One snapshot for the whole change: the founder may add a domain meanwhile.
        let blocklist = self.moderation.blocklist();
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
        if qr.kind == Kind::Microsite {
            if changes.destination.is_some() || changes.content.is_some() {
                return Err(QrError::invalid(
                    if changes.destination.is_some() {
                        "destination"
                    } else {
                        "content"
                    },
                    "a microsite code goes to its microsite: set microsite_id",
                ));
            }
        } else if qr.kind.is_dynamic() {
            if let Some(raw) = changes.destination {
                let destination = Destination::parse(&raw, &blocklist).map_err(|source| {
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
        if let Some(mut rules) = changes.rules {
            // A hash is never taken from a client; the caller decides what the stored one becomes.
            rules.password_hash = None;
            let sets_variants = !rules.variants.is_empty();
            let rules = rules.validated(&blocklist);
            if sets_variants {
                // Flag off, a mistake in new variants is still "not enabled", not a field error.
                let new = rules.as_ref().map_or(&[][..], |r| &r.variants[..]);
                crate::experiments::check_allowed(self.features, &qr.rules.variants, new)?;
            }
            qr.rules = rules?;
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

    /// The code's target for the redirect: memory first, then Redis (when configured), the
    /// database only on a miss of both. A Redis failure is a miss, never an error.
    pub async fn resolve(&self, code: &ShortCode) -> Result<Option<Arc<Target>>, QrError> {
        if let Some(hit) = self.targets.get(code.as_str()) {
            self.lookups.memory.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        if let Some(shared) = &self.shared_targets
            && let Some(target) = shared.get(code.as_str()).await
        {
            self.lookups.shared.fetch_add(1, Ordering::Relaxed);
            let target = Some(Arc::new(target));
            self.targets
                .insert(code.as_str().to_owned(), target.clone());
            return Ok(target);
        }
        self.lookups.database.fetch_add(1, Ordering::Relaxed);
        let target = self
            .store
            .target_by_code(code.as_str())
            .await?
            .and_then(|(qr, disabled)| {
                let destination = qr.destination.filter(|_| qr.kind.is_dynamic())?;
                Some(Arc::new(Target {
                    qr_id: qr.id,
                    owner_id: qr.owner_id,
                    code: qr.code,
                    destination,
                    paused: qr.paused,
                    rules: qr.rules,
                    utm: qr.utm,
                    disabled,
                }))
            });
        self.targets
            .insert(code.as_str().to_owned(), target.clone());
        // Only found codes go to Redis: "no such code" stays a short-lived local answer.
        // Filled in the background: the redirect does not wait for a write.
        if let (Some(shared), Some(found)) = (&self.shared_targets, &target) {
            let (shared, found) = (shared.clone(), found.clone());
            tokio::spawn(async move { shared.put(&found).await });
        }
        Ok(target)
    }

    /// The cached-only lookup: never touches the database.
    pub fn resolve_cached(&self, code: &ShortCode) -> Option<Option<Arc<Target>>> {
        let hit = self.targets.get(code.as_str());
        if hit.is_some() {
            self.lookups.memory.fetch_add(1, Ordering::Relaxed);
        }
        hit
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

/// Replaces a newly given password by its hash (`""` removes protection). Hashing is tens of
/// milliseconds of CPU, so it runs on the blocking pool.
async fn hash_new_password(rules: &mut Rules) -> Result<(), QrError> {
    match rules.password.take() {
        Some(password) if password.is_empty() => rules.password_hash = None,
        Some(password) => rules.password_hash = Some(gate::hash(password).await?),
        None => {}
    }
    Ok(())
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
