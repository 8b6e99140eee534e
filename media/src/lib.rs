//! Media: uploaded logos and microsite images.
//!
//! The real media service (one of the original design's fifteen supporting services) will own
//! every image users give us: store them in an S3-compatible bucket behind a CDN, make the sizes
//! and formats each use needs, and scan and expire them. This module is its honest stand-in, and
//! the MVP really uses it (QR logos): an upload is recognised by its magic bytes, decoded under
//! explicit limits, re-encoded as a metadata-free PNG of at most 1,024 px a side, stored on the
//! local disk under its SHA-256 (`<SCANPAGE_DATA>/media/<sha256>.png`) and served at
//! `/media/<sha256>.png` with year-long immutable cache headers. Owners are recorded in the
//! `media_items` table so that a QR style can only use its owner's images.
//!
//! It is not a sixth service: it is mounted in the qr service's router (and so in all-in-one),
//! and its table lives in the qr service's database with its own migrations folder and ledger.
//! Splitting it out means implementing [`MediaStore`] over a bucket and moving these routes.
//!
//! **Feature flag:** uploads and serving are *not* gated by the `media` flag. Logos are part of
//! the product today and must work on a fresh install, and a flag that is off by default would
//! break them. The `media` flag stays in the registry for the split-out service (bucket storage,
//! variants), which is what turning it on will mean once that exists.

pub mod api;
pub mod catalog;
pub mod error;
pub mod id;
pub mod process;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use shared::context::ServiceContext;
use shared::db::Db;

pub use crate::error::MediaError;
pub use crate::id::MediaId;
pub use crate::store::{LocalDisk, MediaStore};

use crate::catalog::{Catalog, Item};

/// This module's migrations (`migrations/media/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/media")
}

/// Applies the migrations in the qr service's database, with a ledger of their own
/// (`_sqlx_migrations_media`). `Db::migrate` names the ledger after one of the five services,
/// and media is not one, so the same two steps are done here.
pub async fn migrate(db: &Db) -> Result<(), shared::Error> {
    let mut migrator = migrator();
    migrator.dangerous_set_table_name("_sqlx_migrations_media");
    migrator.run(db.pool()).await?;
    Ok(())
}

/// What an upload answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Uploaded {
    pub id: String,
    /// Where the image is served (public, cacheable for a year).
    pub url: String,
    pub width: u32,
    pub height: u32,
    /// Size of the stored PNG.
    pub bytes: usize,
}

/// One uploaded image as `GET /api/v1/media` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MediaItem {
    pub id: String,
    pub url: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub created_at: i64,
}

/// The caller's uploads and how much of their quota they use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MediaList {
    pub items: Vec<MediaItem>,
    pub used_bytes: u64,
    pub quota_bytes: u64,
}

/// How much one user may upload: a rate (so a script cannot fill the disk or the decoder in a
/// burst) and a total (so a patient one cannot either).
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub per_window: u32,
    pub window: Duration,
    pub quota_bytes: u64,
}

impl Default for UploadLimits {
    /// 30 uploads per 10 minutes (a person choosing a logo tries a handful), 50 MB in all.
    fn default() -> Self {
        UploadLimits {
            per_window: 30,
            window: Duration::from_mins(10),
            quota_bytes: 50 * 1024 * 1024,
        }
    }
}

/// The media module: a store for the bytes, the catalog of owners, and the public URL.
#[derive(Clone)]
pub struct Media {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn MediaStore>,
    catalog: Catalog,
    public_base_url: Arc<str>,
    /// Decoding a 4,096² upload holds ~64 MiB: at most two at a time, whatever the traffic.
    decoding: tokio::sync::Semaphore,
    limits: UploadLimits,
    /// Uploads per user in the current fixed window: (window start, count). Per process, which
    /// is what the decoder it protects is; the storage quota, in the database, is the shared cap.
    recent: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Media {
    pub fn new(store: Arc<dyn MediaStore>, db: Db, public_base_url: Arc<str>) -> Self {
        Self::with_limits(store, db, public_base_url, UploadLimits::default())
    }

    pub fn with_limits(
        store: Arc<dyn MediaStore>,
        db: Db,
        public_base_url: Arc<str>,
        limits: UploadLimits,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                catalog: Catalog::new(db),
                public_base_url,
                decoding: tokio::sync::Semaphore::new(2),
                limits,
                recent: Mutex::default(),
            }),
        }
    }

    /// The stand-in: files under `<SCANPAGE_DATA>/media/`, owners in the service's database,
    /// the quota from `UPLOAD_QUOTA_MB`.
    pub fn local(ctx: &ServiceContext) -> Self {
        Self::with_limits(
            Arc::new(LocalDisk::new(ctx.settings.data_dir.join("media"))),
            ctx.db.clone(),
            ctx.public_base_url.clone(),
            UploadLimits {
                quota_bytes: ctx.settings.upload_quota_mb.saturating_mul(1024 * 1024),
                ..UploadLimits::default()
            },
        )
    }

    /// Counts an upload attempt of `owner_id`; refused past the window's allowance.
    fn take_upload_slot(&self, owner_id: &str) -> Result<(), MediaError> {
        let limits = self.inner.limits;
        let now = Instant::now();
        let mut recent = self
            .inner
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Windows that have ended are dropped as we go, so the map holds active uploaders only.
        if recent.len() > 10_000 {
            recent.retain(|_, (start, _)| now.duration_since(*start) < limits.window);
        }
        let entry = recent.entry(owner_id.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= limits.window {
            *entry = (now, 0);
        }
        if entry.1 >= limits.per_window {
            let left = limits.window.saturating_sub(now.duration_since(entry.0));
            return Err(MediaError::RateLimited {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        entry.1 += 1;
        Ok(())
    }

    /// Refuses an image of `size` bytes that would take `owner_id` past the storage quota.
    async fn check_quota(
        &self,
        owner_id: &str,
        id: &MediaId,
        size: usize,
    ) -> Result<(), MediaError> {
        if self.inner.catalog.owns(owner_id, id).await? {
            return Ok(()); // the same image again takes no more room
        }
        let used = self.inner.catalog.used_bytes(owner_id).await?;
        let quota = self.inner.limits.quota_bytes;
        let size = u64::try_from(size).unwrap_or(u64::MAX);
        if used.saturating_add(size) > quota {
            #[allow(clippy::cast_precision_loss)] // a display figure
            let used_mb = format!("{:.1}", used as f64 / (1024.0 * 1024.0));
            return Err(MediaError::QuotaExceeded {
                used_mb,
                quota_mb: quota / (1024 * 1024),
                size_kb: size.div_ceil(1024),
            });
        }
        Ok(())
    }

    /// What `owner_id` uploaded, with their usage.
    pub async fn list(&self, owner_id: &str) -> Result<MediaList, MediaError> {
        let items: Vec<MediaItem> = self
            .inner
            .catalog
            .list(owner_id)
            .await?
            .into_iter()
            .map(|item| MediaItem {
                url: format!("{}/media/{}.png", self.inner.public_base_url, item.id),
                id: item.id,
                width: item.width,
                height: item.height,
                bytes: item.bytes,
                created_at: item.created_at,
            })
            .collect();
        let used_bytes = items
            .iter()
            .map(|i| u64::try_from(i.bytes).unwrap_or(0))
            .sum();
        Ok(MediaList {
            items,
            used_bytes,
            quota_bytes: self.inner.limits.quota_bytes,
        })
    }

    /// Forgets `owner_id`'s uploads (their account is deleted); answers how many there were.
    pub async fn delete_owner(&self, owner_id: &str) -> Result<u64, MediaError> {
        self.inner.catalog.delete_owner(owner_id).await
    }

    /// Checks, re-encodes and stores an upload for `owner_id`.
    pub async fn upload(&self, owner_id: &str, bytes: Bytes) -> Result<Uploaded, MediaError> {
        self.take_upload_slot(owner_id)?;
        if bytes.len() > process::MAX_UPLOAD_BYTES {
            return Err(MediaError::TooLarge);
        }
        // Cheap refusals (SVG, GIF, wrong magic) before waiting for a decoding slot.
        process::sniff(&bytes)?;
        let normalised = {
            let _slot = self
                .inner
                .decoding
                .acquire()
                .await
                .map_err(|e| MediaError::Encode(e.to_string()))?;
            tokio::task::spawn_blocking(move || process::normalise(&bytes))
                .await
                .map_err(|e| MediaError::Encode(e.to_string()))??
        };
        let id = MediaId::of(&normalised.png);
        let size = normalised.png.len();
        self.check_quota(owner_id, &id, size).await?;
        self.inner
            .store
            .put(&id, Bytes::from(normalised.png))
            .await?;
        self.inner
            .catalog
            .record(Item {
                id: &id,
                owner_id,
                width: normalised.width,
                height: normalised.height,
                bytes: size,
                created_at: shared::ids::now_ms(),
            })
            .await?;
        tracing::info!(media_id = %id, bytes = size, "image stored");
        Ok(Uploaded {
            url: self.url(&id),
            id: id.to_string(),
            width: normalised.width,
            height: normalised.height,
            bytes: size,
        })
    }

    /// Whether `owner_id` uploaded the image `id` (a malformed id is nobody's).
    pub async fn owns(&self, owner_id: &str, id: &str) -> Result<bool, MediaError> {
        match MediaId::parse(id) {
            Some(id) => self.inner.catalog.owns(owner_id, &id).await,
            None => Ok(false),
        }
    }

    /// The stored PNG — bytes we encoded, never the upload.
    pub async fn png(&self, id: &MediaId) -> Result<Option<Bytes>, MediaError> {
        Ok(self.inner.store.get(id).await?)
    }

    /// The origin links and uploads are made for, without a trailing slash.
    pub fn public_base_url(&self) -> &str {
        &self.inner.public_base_url
    }

    pub fn url(&self, id: &MediaId) -> String {
        format!("{}/media/{id}.png", self.inner.public_base_url)
    }
}

/// The module's routes (`POST /api/v1/media`, `GET /media/{id}.png`) over the local-disk store,
/// for mounting next to the qr service's router.
pub fn build(ctx: &ServiceContext) -> Router {
    api::router(api::MediaState {
        media: Media::local(ctx),
        identity: ctx.identity.clone(),
    })
}
