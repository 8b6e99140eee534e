//! A two-level cache: in-process (moka) first, then Redis when configured, so several instances
//! share what one has loaded. Values are bytes; callers choose the encoding. Redis is best effort
//! with a short timeout — a slow or absent Redis degrades to the local cache, never to an error.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::aio::ConnectionManager;

/// How long one Redis call may take before the cache treats it as a miss.
const REDIS_TIMEOUT: Duration = Duration::from_millis(50);

#[derive(Clone)]
pub struct Cache {
    local: moka::sync::Cache<Arc<str>, Bytes>,
    redis: Option<ConnectionManager>,
    ttl: Duration,
    namespace: Arc<str>,
}

impl Cache {
    /// In-process only: up to `capacity` entries, each kept at most `ttl`.
    pub fn memory(namespace: &str, capacity: u64, ttl: Duration) -> Self {
        Self {
            local: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
            redis: None,
            ttl,
            namespace: Arc::from(namespace),
        }
    }

    /// In-process first, Redis second.
    pub fn layered(
        namespace: &str,
        capacity: u64,
        ttl: Duration,
        redis: ConnectionManager,
    ) -> Self {
        Self {
            redis: Some(redis),
            ..Self::memory(namespace, capacity, ttl)
        }
    }

    fn redis_key(&self, key: &str) -> String {
        format!("scanpage:cache:{}:{key}", self.namespace)
    }

    pub async fn get(&self, key: &str) -> Option<Bytes> {
        if let Some(hit) = self.local.get(key) {
            return Some(hit);
        }
        let mut redis = self.redis.clone()?;
        let found = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("GET")
                .arg(self.redis_key(key))
                .query_async::<Option<Vec<u8>>>(&mut redis),
        )
        .await;
        match found {
            Ok(Ok(Some(value))) => {
                let value = Bytes::from(value);
                self.local.insert(Arc::from(key), value.clone());
                Some(value)
            }
            Ok(Err(err)) => {
                tracing::debug!(%err, "redis cache read failed");
                None
            }
            Ok(Ok(None)) | Err(_) => None,
        }
    }

    /// The local level only — never waits (for hot paths that must not touch the network).
    pub fn get_local(&self, key: &str) -> Option<Bytes> {
        self.local.get(key)
    }

    pub async fn set(&self, key: &str, value: Bytes) {
        self.local.insert(Arc::from(key), value.clone());
        if let Some(mut redis) = self.redis.clone() {
            let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
            let _ = tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("SET")
                    .arg(self.redis_key(key))
                    .arg(value.as_ref())
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async::<()>(&mut redis),
            )
            .await;
        }
    }

    /// Removes a key everywhere this instance can reach. Other instances' local levels are told
    /// through the event bus by the owning service.
    pub async fn invalidate(&self, key: &str) {
        self.invalidate_local(key);
        if let Some(mut redis) = self.redis.clone() {
            let _ = tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("DEL")
                    .arg(self.redis_key(key))
                    .query_async::<()>(&mut redis),
            )
            .await;
        }
    }

    pub fn invalidate_local(&self, key: &str) {
        self.local.invalidate(key);
    }
}
