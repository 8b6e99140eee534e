//! Unique visitors without tracking: a visitor id is SHA-256(daily salt, IP, user agent, target
//! id). The salt is random per UTC day and deleted once the day is over (see
//! `store::prune_salts`), so ids of different days cannot be linked and none can be reversed by
//! trying every IP address. Including the target id means ids cannot be joined across QR codes.

use sha2::{Digest, Sha256};

/// Milliseconds in a day; days are UTC and identified by their first millisecond.
pub const DAY_MS: i64 = 86_400_000;

pub fn day_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS) * DAY_MS
}

/// A fresh random salt, hex-encoded for storage.
pub fn new_salt() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn visitor_id(salt: &str, ip: &str, user_agent: &str, target_id: &str) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixing keeps ("ab","c") and ("a","bc") apart.
    for part in [salt, ip, user_agent, target_id] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    // 128 bits are plenty to keep a day's visitors apart and halve the index size.
    hex::encode(&hasher.finalize()[..16])
}
