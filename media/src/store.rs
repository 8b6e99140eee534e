//! Where the bytes live. [`MediaStore`] is the boundary the real media service will sit behind;
//! [`LocalDisk`] is today's stand-in: one file per image under `<SCANPAGE_DATA>/media/`.
//!
//! The documented next step is an S3-compatible store (any provider, or MinIO when
//! self-hosting): `put` becomes a `PutObject` of `<id>.png` with `If-None-Match: *` (content
//! addressing makes a second put of the same id a no-op), `get` a `GetObject`, and the
//! `/media/{id}.png` route either streams from the bucket or redirects to a CDN in front of it.
//! Several qr instances then share one set of images, which local disk cannot give them.

use std::io::{ErrorKind, Write};
use std::path::PathBuf;

use bytes::Bytes;
use futures_util::future::BoxFuture;

use crate::id::MediaId;

/// Content-addressed storage of re-encoded PNGs.
pub trait MediaStore: Send + Sync + 'static {
    /// Stores `png` under `id` (the hash of `png`). Storing an id that exists does nothing.
    fn put<'a>(&'a self, id: &'a MediaId, png: Bytes) -> BoxFuture<'a, std::io::Result<()>>;
    /// The bytes stored under `id`, if any.
    fn get<'a>(&'a self, id: &'a MediaId) -> BoxFuture<'a, std::io::Result<Option<Bytes>>>;
}

/// Files in one folder, named `<sha256>.png`, written atomically (a temporary file in the same
/// folder, flushed, then renamed), so a reader never sees half an image.
#[derive(Clone, Debug)]
pub struct LocalDisk {
    dir: PathBuf,
}

impl LocalDisk {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, id: &MediaId) -> PathBuf {
        // `MediaId` is 64 hex digits by construction: this cannot name anything outside `dir`.
        self.dir.join(format!("{id}.png"))
    }

    fn put_blocking(&self, id: &MediaId, png: &[u8]) -> std::io::Result<()> {
        let path = self.path(id);
        if path.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)?;
        let temp = self
            .dir
            .join(format!(".{id}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(png)?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
}

impl MediaStore for LocalDisk {
    fn put<'a>(&'a self, id: &'a MediaId, png: Bytes) -> BoxFuture<'a, std::io::Result<()>> {
        let this = self.clone();
        let id = id.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || this.put_blocking(&id, &png))
                .await
                .map_err(std::io::Error::other)?
        })
    }

    fn get<'a>(&'a self, id: &'a MediaId) -> BoxFuture<'a, std::io::Result<Option<Bytes>>> {
        let path = self.path(id);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || match std::fs::read(&path) {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            })
            .await
            .map_err(std::io::Error::other)?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn puts_are_atomic_idempotent_and_leave_no_temporary_files() {
        let dir = std::env::temp_dir().join(format!("media-store-{}", uuid::Uuid::new_v4()));
        let store = LocalDisk::new(&dir);
        let png = Bytes::from_static(b"not really a png, the store does not care");
        let id = MediaId::of(&png);
        assert_eq!(store.get(&id).await.unwrap(), None);
        store.put(&id, png.clone()).await.unwrap();
        store.put(&id, png.clone()).await.unwrap();
        assert_eq!(store.get(&id).await.unwrap(), Some(png));
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [format!("{id}.png")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
