//! `auth_password_resets` (single-use, 30-minute tokens, stored hashed; only the newest of a
//! user's links works, and a password change ends them all), `auth_email_verifications` and
//! `auth_email_changes`. The messages carrying their links go through the email stand-in
//! (`email::Outbox`), which owns its outbox.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool};

use crate::error::AuthError;

pub const RESET_TTL_MS: i64 = 30 * 60 * 1000;

/// Stores a new reset token and ends the user's older ones: only the latest link works.
pub async fn insert(pool: &AnyPool, user_id: &str, token_hash: &str) -> Result<(), AuthError> {
    let now = shared::ids::now_ms();
    let insert = sqlx::query(
        "INSERT INTO auth_password_resets (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(now + RESET_TTL_MS);
    replace_pending("auth_password_resets", pool, user_id, insert).await
}

/// Ends every outstanding reset link of the user (the password changed, or a link was used).
pub async fn invalidate_resets(pool: &AnyPool, user_id: &str) -> Result<(), AuthError> {
    sqlx::query("DELETE FROM auth_password_resets WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Email-change links live a day.
pub const EMAIL_CHANGE_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Stores a pending email change, replacing the user's earlier one.
pub async fn insert_email_change(
    pool: &AnyPool,
    user_id: &str,
    new_email: &str,
    token_hash: &str,
) -> Result<(), AuthError> {
    let now = shared::ids::now_ms();
    let insert = sqlx::query(
        "INSERT INTO auth_email_changes (token_hash, user_id, new_email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(new_email)
    .bind(now)
    .bind(now + EMAIL_CHANGE_TTL_MS);
    replace_pending("auth_email_changes", pool, user_id, insert).await
}

/// Swaps the user's pending link in `table` for the one `insert` stores, in one transaction, so
/// that only the newest link ever works.
async fn replace_pending(
    table: &'static str,
    pool: &AnyPool,
    user_id: &str,
    insert: Query<'_, Any, AnyArguments>,
) -> Result<(), AuthError> {
    let mut tx = pool.begin().await?;
    shared::db::delete_from_each(&mut tx, &[table], "user_id = $1", user_id).await?;
    insert.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Uses an email-change link (once): the user and the new address, unless unknown or expired.
pub async fn take_email_change(
    pool: &AnyPool,
    token_hash: &str,
) -> Result<Option<(String, String)>, AuthError> {
    Ok(sqlx::query_as(
        "DELETE FROM auth_email_changes WHERE token_hash = $1 AND expires_at > $2 \
         RETURNING user_id, new_email",
    )
    .bind(token_hash)
    .bind(shared::ids::now_ms())
    .fetch_optional(pool)
    .await?)
}

/// Uses a reset token: the user it belongs to, once, if it has not expired.
pub async fn consume(pool: &AnyPool, token_hash: &str) -> Result<Option<String>, AuthError> {
    let now = shared::ids::now_ms();
    let mut conn = pool.acquire().await?;
    let mut tx = shared::db::begin_reading_then_writing(&mut conn).await?;
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM auth_password_resets \
         WHERE token_hash = $1 AND used = 0 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id,)) = row else {
        return Ok(None);
    };
    let done =
        sqlx::query("UPDATE auth_password_resets SET used = 1 WHERE token_hash = $1 AND used = 0")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(user_id))
}

/// The user a live (unused, unexpired) reset token belongs to.
pub async fn user_for(pool: &AnyPool, token_hash: &str) -> Result<Option<String>, AuthError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM auth_password_resets WHERE token_hash = $1 AND used = 0 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(shared::ids::now_ms())
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Email verification links live a week.
pub const VERIFY_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// A confirmation link; `password_hash` is set on the account when it is used (a second sign-up
/// of a never-activated account: that link activates the password typed with it).
pub async fn insert_verification(
    pool: &AnyPool,
    user_id: &str,
    token_hash: &str,
    password_hash: Option<&str>,
) -> Result<(), AuthError> {
    let now = shared::ids::now_ms();
    sqlx::query(
        "INSERT INTO auth_email_verifications \
         (token_hash, user_id, created_at, expires_at, password_hash) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(now + VERIFY_TTL_MS)
    .bind(password_hash)
    .execute(pool)
    .await?;
    Ok(())
}

/// Uses a verification link (once): marks the user's email verified and the account activated.
/// The user's id; `None` when the link is unknown, used or expired.
pub async fn verify_email(pool: &AnyPool, token_hash: &str) -> Result<Option<String>, AuthError> {
    let now = shared::ids::now_ms();
    let mut conn = pool.acquire().await?;
    let mut tx = shared::db::begin_reading_then_writing(&mut conn).await?;
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "DELETE FROM auth_email_verifications WHERE token_hash = $1 AND expires_at > $2 \
         RETURNING user_id, password_hash",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user_id, password_hash)) = row else {
        return Ok(None);
    };
    if let Some(hash) = password_hash {
        // Only an account not yet activated takes a link's password.
        sqlx::query(
            "UPDATE auth_users SET password_hash = $1, password_changed_at = $2 \
             WHERE id = $3 AND activated_at IS NULL",
        )
        .bind(hash)
        .bind(now)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE auth_users SET email_verified_at = COALESCE(email_verified_at, $1), \
         activated_at = COALESCE(activated_at, $1) WHERE id = $2",
    )
    .bind(now)
    .bind(&user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(user_id))
}

/// Ends every pending verification link of a user (a newer one replaces them).
pub async fn drop_verifications(pool: &AnyPool, user_id: &str) -> Result<(), AuthError> {
    sqlx::query("DELETE FROM auth_email_verifications WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}
