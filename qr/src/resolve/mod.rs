//! Resolution: a short code → its [`Target`] for the redirect, from memory first, then Redis
//! (when configured, shared by instances), the database only on a miss of both.

mod redis;
pub mod target;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::code::ShortCode;
use crate::error::QrError;
use crate::store::Store;

use self::redis::RedisTargets;
pub use self::target::Target;

/// Counters of where the redirect found a code: plain atomics on the scan path, read by the
/// metrics exporter only when scraped (hit ratio = memory / all lookups).
#[derive(Debug, Default)]
pub struct Lookups {
    pub memory: AtomicU64,
    pub shared: AtomicU64,
    pub database: AtomicU64,
}

pub struct Resolver {
    store: Store,
    /// code → target (`None` caches "no such code" briefly, so junk never reaches the database).
    targets: moka::sync::Cache<String, Option<Arc<Target>>>,
    /// The second cache level, shared by instances, when Redis is configured.
    shared_targets: Option<RedisTargets>,
    /// Where lookups were answered (exported at scrape time, see `lib.rs`).
    pub lookups: Lookups,
}

impl Resolver {
    pub fn new(store: Store, redis: Option<::redis::aio::ConnectionManager>) -> Self {
        Self {
            store,
            targets: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_mins(5))
                .build(),
            shared_targets: redis.map(RedisTargets::new),
            lookups: Lookups::default(),
        }
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
                    trashed: qr.deleted_at.is_some(),
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

    /// Drops a code from this instance's cache and from Redis.
    pub async fn invalidate(&self, code: &str) {
        self.targets.invalidate(code);
        if let Some(shared) = &self.shared_targets {
            shared.delete(code).await;
        }
    }
}
