//! `auth_totp`: one second factor per user, pending until confirmed with a code.

use sqlx::{AnyPool, FromRow};

use crate::error::AuthError;

#[derive(Debug, Clone, FromRow)]
pub struct TotpRow {
    pub secret: String,
    pub enabled: i64,
    pub recovery_codes: String,
}

pub async fn get(pool: &AnyPool, user_id: &str) -> Result<Option<TotpRow>, AuthError> {
    Ok(
        sqlx::query_as("SELECT secret, enabled, recovery_codes FROM auth_totp WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Stores a new pending secret, replacing a pending one (never an enabled one).
pub async fn put_pending(pool: &AnyPool, user_id: &str, secret: &str) -> Result<bool, AuthError> {
    let done = sqlx::query(
        "INSERT INTO auth_totp (user_id, secret, enabled, created_at) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at \
         WHERE auth_totp.enabled = 0",
    )
    .bind(user_id)
    .bind(secret)
    .bind(shared::ids::now_ms())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn enable(pool: &AnyPool, user_id: &str, recovery_hashes: &str) -> Result<(), AuthError> {
    sqlx::query("UPDATE auth_totp SET enabled = 1, recovery_codes = $1 WHERE user_id = $2")
        .bind(recovery_hashes)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn set_recovery(
    pool: &AnyPool,
    user_id: &str,
    recovery_hashes: &str,
) -> Result<(), AuthError> {
    sqlx::query("UPDATE auth_totp SET recovery_codes = $1 WHERE user_id = $2")
        .bind(recovery_hashes)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete(pool: &AnyPool, user_id: &str) -> Result<(), AuthError> {
    sqlx::query("DELETE FROM auth_totp WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}
