//! `auth_api_keys`: only a hash of each key is kept; the key is shown once at creation.

use shared::identity::Role;
use sqlx::{AnyPool, FromRow};

use crate::error::AuthError;

#[derive(Debug, Clone, FromRow)]
struct Row {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<Row> for ApiKey {
    fn from(row: Row) -> ApiKey {
        ApiKey {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            scopes: serde_json::from_str(&row.scopes).unwrap_or_default(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

pub async fn insert(
    pool: &AnyPool,
    user_id: &str,
    name: &str,
    prefix: &str,
    key_hash: &str,
    scopes: &[String],
) -> Result<ApiKey, AuthError> {
    let id = shared::ids::new_id();
    let now = shared::ids::now_ms();
    let scopes_json = serde_json::to_string(scopes).map_err(AuthError::internal)?;
    sqlx::query(
        "INSERT INTO auth_api_keys (id, user_id, name, prefix, key_hash, scopes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(key_hash)
    .bind(&scopes_json)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(ApiKey {
        id,
        name: name.to_owned(),
        prefix: prefix.to_owned(),
        scopes: scopes.to_vec(),
        created_at: now,
        last_used_at: None,
    })
}

pub async fn list(pool: &AnyPool, user_id: &str) -> Result<Vec<ApiKey>, AuthError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, prefix, scopes, created_at, last_used_at FROM auth_api_keys \
         WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

pub async fn delete(pool: &AnyPool, user_id: &str, id: &str) -> Result<bool, AuthError> {
    let done = sqlx::query("DELETE FROM auth_api_keys WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[derive(Debug, Clone, FromRow)]
struct Resolved {
    id: String,
    user_id: String,
    scopes: String,
    role: String,
}

pub struct KeyOwner {
    pub key_id: String,
    pub user_id: String,
    pub role: Role,
    pub scopes: Vec<String>,
}

/// The key with this hash and its owner, stamping `last_used_at`.
pub async fn resolve(pool: &AnyPool, key_hash: &str) -> Result<Option<KeyOwner>, AuthError> {
    let row: Option<Resolved> = sqlx::query_as(
        "SELECT k.id, k.user_id, k.scopes, u.role FROM auth_api_keys k \
         JOIN auth_users u ON u.id = k.user_id WHERE k.key_hash = $1 AND u.disabled_at IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    sqlx::query("UPDATE auth_api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(shared::ids::now_ms())
        .bind(&row.id)
        .execute(pool)
        .await?;
    Ok(Some(KeyOwner {
        key_id: row.id,
        user_id: row.user_id,
        role: Role::parse(&row.role).unwrap_or(Role::User),
        scopes: serde_json::from_str(&row.scopes).unwrap_or_default(),
    }))
}
