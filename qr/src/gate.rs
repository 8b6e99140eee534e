//! Password-protected codes: the scanner gets a small form at `/r/{code}` and posts the password
//! back to the same address. The password is stored as an argon2id hash; hashing and checking
//! run on the blocking pool (tens of milliseconds of CPU each). Wrong guesses are limited per
//! code and visitor by an in-memory counter — per instance, which bounds guessing well enough for
//! a printed code's password; a shared limit would need Redis.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::QrError;

/// Wrong passwords allowed per code and visitor within [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_mins(15);

/// argon2id with the crate's (OWASP minimum) parameters, spelled out so an update cannot change
/// them quietly — the same as account passwords.
fn argon2() -> Argon2<'static> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap_or(argon2::Params::DEFAULT);
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub async fn hash(password: String) -> Result<String, QrError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| QrError::Internal(e.to_string()))?
    .map_err(|e| QrError::Internal(e.to_string()))
}

pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(&hash) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// Failed attempts per (code, visitor). The visitor is a keyed hash of the client address with a
/// per-process random key: nothing here can be turned back into an IP address.
#[derive(Clone)]
pub struct Attempts {
    failures: moka::sync::Cache<(String, u64), Arc<AtomicU32>>,
}

impl Default for Attempts {
    fn default() -> Self {
        Self {
            // The window starts at the first failure and is not extended by later ones.
            failures: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(WINDOW)
                .build(),
        }
    }
}

pub fn visitor(ip: Option<IpAddr>) -> u64 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new).hash_one(ip)
}

impl Attempts {
    pub fn locked(&self, code: &str, visitor: u64) -> bool {
        self.failures
            .get(&(code.to_owned(), visitor))
            .is_some_and(|n| n.load(Ordering::Relaxed) >= MAX_FAILURES)
    }

    pub fn fail(&self, code: &str, visitor: u64) {
        self.failures
            .get_with((code.to_owned(), visitor), || Arc::new(AtomicU32::new(0)))
            .fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(askama::Template)]
#[template(path = "scan_password.html")]
pub struct PasswordPage {
    pub chrome: shared::ui::Chrome,
    pub error: Option<&'static str>,
    /// Too many wrong guesses: no form, just the message.
    pub locked: bool,
}
