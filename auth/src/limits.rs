//! Abuse limits: fixed-window counters (failed logins per client and per account, signups per
//! IP) and growing delays (failed logins per account *and* client). In Redis when configured,
//! so several instances share one count; in memory otherwise.
//!
//! Hand-written rather than `governor`: governor is in-memory only, and the Redis and memory
//! paths must behave alike.
//!
//! Password guessing (ASVS 5.0 6.3.1, documented in SECURITY.md as 6.1.1 asks) is slowed at three
//! levels, so that an attacker slows only themselves and the owner is never locked out:
//! - per (account, client address): 5 free failures, then a wait of 1 s, 2 s, 4 s, … capped at
//!   5 minutes before each further try ([`LOGIN_BACKOFF`]). The owner on another device or
//!   network is not affected at all.
//! - per client address: 40 failures per 15 minutes across all accounts ([`LOGIN_PER_IP`]).
//! - per account across every client: 1,000 failures per hour ([`LOGIN_PER_ACCOUNT`]), a ceiling
//!   only a distributed attack reaches (25+ addresses each at its own ceiling).

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

/// Failed logins per account from all clients together: generous, so that one attacker cannot
/// reach it (a single address stops at [`LOGIN_PER_IP`]: 160 an hour), while a botnet's guesses
/// stay bounded at 1,000 an hour — about 24,000 a day, nothing against a password that passed
/// the policy and the breached-password check. A password reset clears it.
pub const LOGIN_PER_ACCOUNT: Rule = Rule {
    limit: 1000,
    window: Duration::from_hours(1),
};
/// Wrong second-factor codes (TOTP or recovery) per account from all clients: lower than for
/// passwords because a 6-digit code has only a million values (about three of which are right
/// at any moment): 100 an hour gives a guesser who already has the password a 0.03% chance per
/// hour. Whoever reaches it knows the password, so the owner's way out is a password reset.
pub const MFA_PER_ACCOUNT: Rule = Rule {
    limit: 100,
    window: Duration::from_hours(1),
};

/// A growing delay after repeated failures of one (account, client) pair.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Failures allowed back to back before any wait.
    pub free: u64,
    /// The first wait; each further failure doubles it.
    pub first: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// How long after the last failure the count is forgotten.
    pub forget_after: Duration,
}

/// Per (account, client): 5 typos are free, then 1 s, 2 s, 4 s, … at most 5 minutes between
/// tries (so 12+ failures hold that pair at one guess per 5 minutes, 288 a day). A success
/// clears it; an hour without failures forgets it.
pub const LOGIN_BACKOFF: Backoff = Backoff {
    free: 5,
    first: Duration::from_secs(1),
    cap: Duration::from_mins(5),
    forget_after: Duration::from_hours(1),
};

impl Backoff {
    /// The wait required after `failures` failures in a row.
    pub fn delay(&self, failures: u64) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(failures - self.free)
            .unwrap_or(u32::MAX)
            .min(20);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }
}
/// Failed logins per client IP: higher, since many people can share one address (NAT, office),
/// yet low enough that one client cannot try more than 40 passwords per 15 minutes.
pub const LOGIN_PER_IP: Rule = Rule {
    limit: 40,
    window: Duration::from_mins(15),
};
/// Sign-ups per client IP per hour.
pub const SIGNUP_PER_IP: Rule = Rule {
    limit: 20,
    window: Duration::from_hours(1),
};

/// Password-reset emails per address per hour.
pub const RESET_PER_ACCOUNT: Rule = Rule {
    limit: 5,
    window: Duration::from_hours(1),
};

#[derive(Clone)]
pub struct Limiter {
    redis: Option<ConnectionManager>,
    memory: Arc<Mutex<HashMap<String, (i64, u64)>>>,
    /// Backoff state in memory: (failures, last failure in epoch ms).
    backoffs: Arc<Mutex<HashMap<String, (u64, i64)>>>,
}

const BACKOFF_SCRIPT: &str = r"
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n
";

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
            backoffs: Arc::default(),
        }
    }

    /// 429 (with how long to wait) while `key` is inside the wait its failures earned.
    pub async fn check_backoff(&self, key: &str, backoff: Backoff) -> Result<(), AuthError> {
        let now = shared::ids::now_ms();
        let (failures, last) = if let Some(redis) = &self.redis {
            let mut conn = redis.clone();
            let (n, t): (Option<u64>, Option<i64>) = redis::cmd("HMGET")
                .arg(backoff_key(key))
                .arg("n")
                .arg("t")
                .query_async(&mut conn)
                .await
                .map_err(AuthError::internal)?;
            (n.unwrap_or(0), t.unwrap_or(0))
        } else {
            let forget = duration_ms(backoff.forget_after);
            match self.lock_backoffs().get(key) {
                Some(&(n, t)) if now - t < forget => (n, t),
                _ => (0, 0),
            }
        };
        let ready_at = last.saturating_add(duration_ms(backoff.delay(failures)));
        if failures >= backoff.free && now < ready_at {
            let wait = u64::try_from(ready_at - now).unwrap_or(1000);
            return Err(AuthError::RateLimited(Duration::from_millis(wait)));
        }
        Ok(())
    }

    /// Counts one failure against `key`'s backoff.
    pub async fn record_backoff(&self, key: &str, backoff: Backoff) -> Result<(), AuthError> {
        let now = shared::ids::now_ms();
        let forget = duration_ms(backoff.forget_after);
        if let Some(redis) = &self.redis {
            let mut conn = redis.clone();
            let _: u64 = redis::Script::new(BACKOFF_SCRIPT)
                .key(backoff_key(key))
                .arg(now)
                .arg(forget)
                .invoke_async(&mut conn)
                .await
                .map_err(AuthError::internal)?;
        } else {
            let mut backoffs = self.lock_backoffs();
            if backoffs.len() > 100_000 {
                backoffs.retain(|_, (_, last)| now - *last < forget);
            }
            let entry = backoffs.entry(key.to_owned()).or_insert((0, now));
            if now - entry.1 >= forget {
                entry.0 = 0;
            }
            entry.0 += 1;
            entry.1 = now;
        }
        Ok(())
    }

    /// Forgets `key`'s backoff (after a success).
    pub async fn reset_backoff(&self, key: &str) -> Result<(), AuthError> {
        self.forget(backoff_key(key), || {
            self.lock_backoffs().remove(key);
        })
        .await
    }

    fn lock_backoffs(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, i64)>> {
        self.backoffs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        self.forget(redis_key(key), || {
            self.lock().remove(key);
        })
        .await
    }

    /// Drops a counter: its Redis key when limits are shared, else the in-memory entry.
    async fn forget(
        &self,
        redis_key: String,
        forget_local: impl FnOnce(),
    ) -> Result<(), AuthError> {
        match &self.redis {
            Some(redis) => {
                let mut conn = redis.clone();
                let _: () = redis::cmd("DEL")
                    .arg(redis_key)
                    .query_async(&mut conn)
                    .await
                    .map_err(AuthError::internal)?;
            }
            None => forget_local(),
        }
        Ok(())
    }

    async fn read(&self, key: &str, rule: Rule) -> Result<(u64, Duration), AuthError> {
        if let Some(redis) = &self.redis {
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
        } else {
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

    async fn incr(&self, key: &str, rule: Rule) -> Result<(u64, Duration), AuthError> {
        if let Some(redis) = &self.redis {
            let mut conn = redis.clone();
            let (count, ttl): (u64, i64) = redis::Script::new(INCR_SCRIPT)
                .key(redis_key(key))
                .arg(window_ms(rule))
                .invoke_async(&mut conn)
                .await
                .map_err(AuthError::internal)?;
            Ok((count, ttl_of(ttl, rule)))
        } else {
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, u64)>> {
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn redis_key(key: &str) -> String {
    format!("scanpage:auth:rl:{key}")
}

fn backoff_key(key: &str) -> String {
    format!("scanpage:auth:bo:{key}")
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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
        window: Duration::from_mins(1),
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

    #[test]
    fn backoff_grows_then_caps() {
        let b = LOGIN_BACKOFF;
        assert_eq!(b.delay(0), Duration::ZERO);
        assert_eq!(b.delay(4), Duration::ZERO);
        assert_eq!(b.delay(5), Duration::from_secs(1));
        assert_eq!(b.delay(6), Duration::from_secs(2));
        assert_eq!(b.delay(8), Duration::from_secs(8));
        assert_eq!(b.delay(13), Duration::from_secs(256));
        assert_eq!(b.delay(14), Duration::from_mins(5));
        assert_eq!(b.delay(u64::MAX), Duration::from_mins(5));
    }

    async fn exercise_backoff(limiter: Limiter, key: &str) {
        for _ in 0..LOGIN_BACKOFF.free {
            limiter.check_backoff(key, LOGIN_BACKOFF).await.unwrap();
            limiter.record_backoff(key, LOGIN_BACKOFF).await.unwrap();
        }
        match limiter.check_backoff(key, LOGIN_BACKOFF).await {
            Err(AuthError::RateLimited(wait)) => assert!(wait <= Duration::from_secs(1)),
            other => panic!("expected a wait, got {other:?}"),
        }
        limiter.reset_backoff(key).await.unwrap();
        limiter.check_backoff(key, LOGIN_BACKOFF).await.unwrap();
    }

    #[tokio::test]
    async fn memory_counter() {
        exercise(Limiter::new(None), "t").await;
        exercise_backoff(Limiter::new(None), "t").await;
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
        exercise(Limiter::new(Some(redis.clone())), &key).await;
        exercise_backoff(Limiter::new(Some(redis)), &key).await;
    }
}
