//! `auth_refresh_tokens`: one family per sign-in, one row per issued refresh token.

use sqlx::{AnyPool, FromRow};

use crate::error::AuthError;

/// Refresh tokens live 30 days; each use replaces the token.
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, FromRow)]
pub struct RefreshRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub rotated: i64,
    pub revoked: i64,
    pub expires_at: i64,
    /// The family's device label (kept on every rotation).
    pub device: Option<String>,
}

pub async fn insert(
    pool: &AnyPool,
    user_id: &str,
    family_id: &str,
    token_hash: &str,
    device: Option<&str>,
) -> Result<(), AuthError> {
    let now = shared::ids::now_ms();
    sqlx::query(
        "INSERT INTO auth_refresh_tokens \
         (id, user_id, family_id, token_hash, created_at, expires_at, device) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(shared::ids::new_id())
    .bind(user_id)
    .bind(family_id)
    .bind(token_hash)
    .bind(now)
    .bind(now + REFRESH_TTL_MS)
    .bind(device)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn by_hash(pool: &AnyPool, token_hash: &str) -> Result<Option<RefreshRow>, AuthError> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, family_id, rotated, revoked, expires_at, device \
         FROM auth_refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?)
}

/// Marks a token used. False when another request rotated it first (a race counts as reuse).
pub async fn mark_rotated(pool: &AnyPool, id: &str) -> Result<bool, AuthError> {
    let done = sqlx::query(
        "UPDATE auth_refresh_tokens SET rotated = 1 WHERE id = $1 AND rotated = 0 AND revoked = 0",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke_family(pool: &AnyPool, family_id: &str) -> Result<(), AuthError> {
    sqlx::query("UPDATE auth_refresh_tokens SET revoked = 1 WHERE family_id = $1")
        .bind(family_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Revokes every live session of a user except `keep`; returns the families ended.
pub async fn revoke_others(
    pool: &AnyPool,
    user_id: &str,
    keep: Option<&str>,
) -> Result<Vec<String>, AuthError> {
    let keep = keep.unwrap_or("");
    let families: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT family_id FROM auth_refresh_tokens \
         WHERE user_id = $1 AND revoked = 0 AND family_id <> $2",
    )
    .bind(user_id)
    .bind(keep)
    .fetch_all(pool)
    .await?;
    sqlx::query(
        "UPDATE auth_refresh_tokens SET revoked = 1 WHERE user_id = $1 AND family_id <> $2",
    )
    .bind(user_id)
    .bind(keep)
    .execute(pool)
    .await?;
    Ok(families.into_iter().map(|(f,)| f).collect())
}

/// Revokes one family if it is `user_id`'s and still live; false otherwise (someone else's, or
/// already over), so one user can never end another's session.
pub async fn revoke_family_of(
    pool: &AnyPool,
    user_id: &str,
    family_id: &str,
) -> Result<bool, AuthError> {
    let done = sqlx::query(
        "UPDATE auth_refresh_tokens SET revoked = 1 \
         WHERE family_id = $1 AND user_id = $2 AND revoked = 0",
    )
    .bind(family_id)
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// One live session for the sessions list.
#[derive(Debug, Clone, FromRow)]
pub struct LiveSession {
    pub family_id: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub device: Option<String>,
}

/// The user's live sessions, most recently used first: a family is live while none of its
/// tokens is revoked and its newest has not expired. Its first token's time is the sign-in;
/// its newest token's is the last refresh.
pub async fn live_sessions(pool: &AnyPool, user_id: &str) -> Result<Vec<LiveSession>, AuthError> {
    Ok(sqlx::query_as(
        "SELECT family_id, MIN(created_at) AS created_at, MAX(created_at) AS last_used_at, \
         MAX(device) AS device FROM auth_refresh_tokens WHERE user_id = $1 \
         GROUP BY family_id HAVING MAX(revoked) = 0 AND MAX(expires_at) > $2 \
         ORDER BY MAX(created_at) DESC, family_id",
    )
    .bind(user_id)
    .bind(shared::ids::now_ms())
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct SessionSummary {
    pub family_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The user's live sessions (for the data export): the newest token of each live family.
pub async fn live_for_user(
    pool: &AnyPool,
    user_id: &str,
) -> Result<Vec<SessionSummary>, AuthError> {
    Ok(sqlx::query_as(
        "SELECT family_id, MAX(created_at) AS created_at, MAX(expires_at) AS expires_at \
         FROM auth_refresh_tokens WHERE user_id = $1 AND revoked = 0 GROUP BY family_id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?)
}
