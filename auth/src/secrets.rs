//! Password hashing and random secrets.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::AuthError;

/// argon2id at the OWASP minimum (m = 19 MiB, t = 2, p = 1): the crate's defaults, spelled out
/// so a dependency update cannot quietly change them.
fn argon2() -> Argon2<'static> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap_or(argon2::Params::DEFAULT);
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub const ARGON2_PARAMS: &str = "argon2id m=19456 KiB, t=2, p=1";

/// Hashes on the blocking pool: one hash is tens of milliseconds of CPU and would stall every
/// request sharing the async worker.
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(AuthError::internal)
    })
    .await
    .map_err(AuthError::internal)?
}

/// Whether `password` matches `hash`. With `hash = None` (unknown email) it checks against a
/// dummy hash, so both cases cost one argon2 verification and answer in the same time.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AuthError> {
    let known = hash.is_some();
    let hash = match hash {
        Some(hash) => hash,
        None => dummy_hash().await?,
    };
    let matches = tokio::task::spawn_blocking(move || {
        let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(&hash) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(AuthError::internal)?;
    Ok(known && matches)
}

async fn dummy_hash() -> Result<String, AuthError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(random_token()).await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

/// 256 random bits, base64url: refresh tokens, reset tokens, API key secrets, invite codes.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256, hex. Enough for high-entropy tokens (256 random bits cannot be brute-forced, so a
/// slow hash would only cost CPU); passwords use argon2 instead.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A keyed hash of a client IP for rate-limit keys: the raw address is never stored or logged,
/// and without the key the hash cannot be reversed by enumerating addresses.
pub fn ip_key(salt: &[u8; 32], ip: std::net::IpAddr) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(ip.to_string().as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hash = hash_password("correct horse battery staple".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password("correct horse battery staple".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(hash)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }
}
