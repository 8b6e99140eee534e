//! **media.** The real service stores uploaded logos and microsite images, re-encodes and
//! resizes them, and serves them from a CDN-backed object store.
//!
//! Built in the `media` crate (its own issue and branch): content-addressed storage under the
//! data dir, size limits, re-encoding, long cache headers; an S3-compatible store is its next
//! step. Flag: `media`. This file only names the boundary the core services call.

use super::BoxFuture;
use crate::error::ApiError;

/// Stores an uploaded image; answers the URL path it is served at (`/media/...`).
pub trait MediaStore: Send + Sync {
    fn put<'a>(
        &'a self,
        owner_id: &'a str,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, Result<String, ApiError>>;
}
