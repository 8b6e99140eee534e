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

use std::sync::Arc;

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
}

impl Media {
    pub fn new(store: Arc<dyn MediaStore>, db: Db, public_base_url: Arc<str>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                catalog: Catalog::new(db),
                public_base_url,
                decoding: tokio::sync::Semaphore::new(2),
            }),
        }
    }

    /// The stand-in: files under `<SCANPAGE_DATA>/media/`, owners in the service's database.
    pub fn local(ctx: &ServiceContext) -> Self {
        Self::new(
            Arc::new(LocalDisk::new(ctx.settings.data_dir.join("media"))),
            ctx.db.clone(),
            ctx.public_base_url.clone(),
        )
    }

    /// Checks, re-encodes and stores an upload for `owner_id`.
    pub async fn upload(&self, owner_id: &str, bytes: Bytes) -> Result<Uploaded, MediaError> {
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
