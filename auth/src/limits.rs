//! Fixed-window counters for abuse limits (failed logins per account and per IP, signups per
//! IP). In Redis when configured, so several instances share one count; in memory otherwise.
//!
//! Hand-written rather than `governor`: governor is in-memory only, and the Redis and memory
//! paths must behave alike. A window always ends, so an attacker can slow an account down but
//! never lock its owner out for longer than one window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::error::AuthError;

#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub limit: u64,
    pub window: Duration,
}

/// At most 10 failed logins per account per 15 minutes.
pub const LOGIN_PER_ACCOUNT: Rule = Rule {
    limit: 10,
    window: Duration::from_secs(15 * 60),
};
/// Failed logins per client IP: higher, since many people can share one address (NAT, office),
/// yet low enough that one client cannot try more than 40 passwords per 15 minutes.
pub const LOGIN_PER_IP: Rule = Rule {
    limit: 40,
    window: Duration::from_secs(15 * 60),
};
/// Sign-ups per client IP per hour.
pub const SIGNUP_PER_IP: Rule = Rule {
    limit: 20,
    window: Duration::from_secs(60 * 60),
};

/// Password-reset emails per address per hour.
pub const RESET_PER_ACCOUNT: Rule = Rule {
    limit: 5,
    window: Duration::from_secs(60 * 60),
};

#[derive(Clone)]
pub struct Limiter {
    redis: Option<ConnectionManager>,
    memory: Arc<Mutex<HashMap<String, (i64, u64)>>>,
}

const INCR_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return {n, ttl}
";

impl Limiter {
    pub fn new(redis: Option<ConnectionManager>) -> Limiter {
        Limiter {
            redis,
            memory: Arc::default(),
        }
    }

    /// 429 (with how long to wait) when `key` has already used up `rule`; counts nothing.
    pub async fn check(&self, key: &str, rule: Rule) -> Result<(), AuthError> {
        let (count, remaining) = self.read(key, rule).await?;
        if count >= rule.limit {
            return Err(AuthError::RateLimited(remaining));
        }
        Ok(())
    }

    /// Counts one event against `key`.
    pub async fn record(&self, key: &str, rule: Rule) -> Result<(), AuthError> {
        self.incr(key, rule).await.map(|_| ())
    }

    /// Counts one event and refuses it when it goes over the limit.
    pub async fn hit(&self, key: &str, rule: Rule) -> Result<(), AuthError> {
        let (count, remaining) = self.incr(key, rule).await?;
        if count > rule.limit {
            return Err(AuthError::RateLimited(remaining));
        }
        Ok(())
    }

    pub async fn reset(&self, key: &str) -> Result<(), AuthError> {
        match &self.redis {
            Some(redis) => {
                let mut conn = redis.clone();
                let _: () = redis::cmd("DEL")
                    .arg(redis_key(key))
                    .query_async(&mut conn)
                    .await
                    .map_err(AuthError::internal)?;
            }
            None => {
                self.lock().remove(key);
            }
        }
        Ok(())
    }

    async fn read(&self, key: &str, rule: Rule) -> Result<(u64, Duration), AuthError> {
        match &self.redis {
            Some(redis) => {
                let mut conn = redis.clone();
                let (count, ttl): (Option<u64>, i64) = redis::pipe()
                    .cmd("GET")
                    .arg(redis_key(key))
                    .cmd("PTTL")
                    .arg(redis_key(key))
                    .query_async(&mut conn)
                    .await
                    .map_err(AuthError::internal)?;
                Ok((count.unwrap_or(0), ttl_of(ttl, rule)))
            }
            None => {
                let now = shared::ids::now_ms();
                let memory = self.lock();
                Ok(match memory.get(key) {
                    Some(&(start, count)) if now - start < window_ms(rule) => {
                        (count, remaining(start, now, rule))
                    }
                    _ => (0, rule.window),
                })
            }
        }
    }

    async fn incr(&self, key: &str, rule: Rule) -> Result<(u64, Duration), AuthError> {
        match &self.redis {
            Some(redis) => {
                let mut conn = redis.clone();
                let (count, ttl): (u64, i64) = redis::Script::new(INCR_SCRIPT)
                    .key(redis_key(key))
                    .arg(window_ms(rule))
                    .invoke_async(&mut conn)
                    .await
                    .map_err(AuthError::internal)?;
                Ok((count, ttl_of(ttl, rule)))
            }
            None => {
                let now = shared::ids::now_ms();
                let mut memory = self.lock();
                if memory.len() > 100_000 {
                    // Bounded memory: forget windows that have ended.
                    memory.retain(|_, (start, _)| now - *start < window_ms(rule));
                }
                let entry = memory.entry(key.to_owned()).or_insert((now, 0));
                if now - entry.0 >= window_ms(rule) {
                    *entry = (now, 0);
                }
                entry.1 += 1;
                Ok((entry.1, remaining(entry.0, now, rule)))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, u64)>> {
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn redis_key(key: &str) -> String {
    format!("scanpage:auth:rl:{key}")
}

fn window_ms(rule: Rule) -> i64 {
    i64::try_from(rule.window.as_millis()).unwrap_or(i64::MAX)
}

fn remaining(start: i64, now: i64, rule: Rule) -> Duration {
    let left = (start + window_ms(rule) - now).max(1000);
    Duration::from_millis(u64::try_from(left).unwrap_or(1000))
}

fn ttl_of(ttl_ms: i64, rule: Rule) -> Duration {
    if ttl_ms > 0 {
        Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(1000))
    } else {
        rule.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        limit: 3,
        window: Duration::from_secs(60),
    };

    async fn exercise(limiter: Limiter, key: &str) {
        for _ in 0..3 {
            limiter.check(key, RULE).await.unwrap();
            limiter.record(key, RULE).await.unwrap();
        }
        match limiter.check(key, RULE).await {
            Err(AuthError::RateLimited(wait)) => assert!(wait <= RULE.window && wait.as_secs() > 0),
            other => panic!("expected a rate limit, got {other:?}"),
        }
        limiter.reset(key).await.unwrap();
        limiter.check(key, RULE).await.unwrap();
        limiter.reset(key).await.unwrap();
    }

    #[tokio::test]
    async fn memory_counter() {
        exercise(Limiter::new(None), "t").await;
    }

    #[tokio::test]
    async fn redis_counter() {
        let Some(url) = shared::testing::redis_url("redis_counter") else {
            return;
        };
        let redis =
            shared::context::connect_redis(&shared::context::RedisTarget::new(url.as_str()))
                .await
                .unwrap();
        let key = format!("test-{}", shared::ids::new_id());
        exercise(Limiter::new(Some(redis)), &key).await;
    }
}
