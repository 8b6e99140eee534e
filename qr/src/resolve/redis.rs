//! The redirect cache's second level: targets in Redis, shared by every instance, so a code one
//! instance has loaded costs the others no database read. Best effort with a short timeout — a
//! slow or absent Redis is a miss (the database answers), never a failed redirect.

use std::time::Duration;

use redis::aio::ConnectionManager;

use super::target::Target;

/// How long one Redis call may take before it counts as a miss.
const TIMEOUT: Duration = Duration::from_millis(50);
/// Entries expire even if an invalidation is lost.
const TTL: Duration = Duration::from_mins(5);

#[derive(Clone)]
pub struct RedisTargets {
    redis: ConnectionManager,
}

pub fn key(code: &str) -> String {
    format!("scanpage:qr:target:{code}")
}

impl RedisTargets {
    pub fn new(redis: ConnectionManager) -> Self {
        Self { redis }
    }

    pub async fn get(&self, code: &str) -> Option<Target> {
        let mut redis = self.redis.clone();
        let mut cmd = redis::cmd("GET");
        cmd.arg(key(code));
        let read = cmd.query_async::<Option<Vec<u8>>>(&mut redis);
        match tokio::time::timeout(TIMEOUT, read).await {
            Ok(Ok(Some(bytes))) => serde_json::from_slice(&bytes).ok(),
            Ok(Err(err)) => {
                tracing::debug!(%err, "redis target read failed");
                None
            }
            Ok(Ok(None)) | Err(_) => None,
        }
    }

    pub async fn put(&self, target: &Target) {
        let Ok(bytes) = serde_json::to_vec(target) else {
            return;
        };
        let mut redis = self.redis.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(key(&target.code))
            .arg(bytes)
            .arg("PX")
            .arg(TTL.as_millis() as u64);
        let write = cmd.query_async::<()>(&mut redis);
        let _ = tokio::time::timeout(TIMEOUT, write).await;
    }

    pub async fn delete(&self, code: &str) {
        let mut redis = self.redis.clone();
        let mut cmd = redis::cmd("DEL");
        cmd.arg(key(code));
        let del = cmd.query_async::<()>(&mut redis);
        if !matches!(tokio::time::timeout(TIMEOUT, del).await, Ok(Ok(()))) {
            tracing::warn!("could not delete a code from Redis; it expires within 5 minutes");
        }
    }
}
