//! `auth_users`.

use shared::identity::Role;
use sqlx::{AnyPool, FromRow};

use crate::error::AuthError;

#[derive(Debug, Clone, FromRow)]
struct Row {
    id: String,
    email: String,
    password_hash: String,
    role: String,
    created_at: i64,
    email_verified_at: Option<i64>,
    disabled_at: Option<i64>,
    activated_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: i64,
    pub email_verified: bool,
    /// The founder disabled the account: no login, no refresh, no API key.
    pub disabled: bool,
    /// The owner followed the confirmation link (or was let in from the waitlist): only then
    /// can the account sign in. Accounts older than this rule are activated.
    pub activated: bool,
}

impl From<Row> for User {
    fn from(row: Row) -> User {
        User {
            id: row.id,
            email: row.email,
            password_hash: row.password_hash,
            role: Role::parse(&row.role).unwrap_or(Role::User),
            created_at: row.created_at,
            email_verified: row.email_verified_at.is_some(),
            disabled: row.disabled_at.is_some(),
            activated: row.activated_at.is_some(),
        }
    }
}

const COLUMNS: &str =
    "id, email, password_hash, role, created_at, email_verified_at, disabled_at, activated_at";

/// A new account, not yet activated (it waits for its confirmation link).
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    email: &str,
    password_hash: &str,
    role: Role,
) -> Result<User, AuthError> {
    let id = shared::ids::new_id();
    let now = shared::ids::now_ms();
    sqlx::query(
        "INSERT INTO auth_users (id, email, password_hash, role, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e) {
            AuthError::EmailTaken
        } else {
            e.into()
        }
    })?;
    Ok(User {
        id,
        email: email.to_owned(),
        password_hash: password_hash.to_owned(),
        role,
        created_at: now,
        email_verified: false,
        disabled: false,
        activated: false,
    })
}

/// Activates an account whose address is proven (the waitlist approval email goes there, and
/// only its owner can act on it): verified and able to sign in.
pub async fn activate(conn: &mut sqlx::AnyConnection, id: &str) -> Result<(), AuthError> {
    let now = shared::ids::now_ms();
    sqlx::query(
        "UPDATE auth_users SET activated_at = COALESCE(activated_at, $1), \
         email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn by_email(pool: &AnyPool, email: &str) -> Result<Option<User>, AuthError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM auth_users WHERE email = $1"
    )))
    .bind(email)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(User::from))
}

pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<User>, AuthError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM auth_users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(User::from))
}

pub async fn set_password(pool: &AnyPool, id: &str, hash: &str) -> Result<(), AuthError> {
    sqlx::query("UPDATE auth_users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(shared::ids::now_ms())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Moves the account to `email`, which its owner just proved (so it is verified). `EmailTaken`
/// when another account took the address meanwhile.
pub async fn set_verified_email(pool: &AnyPool, id: &str, email: &str) -> Result<(), AuthError> {
    sqlx::query("UPDATE auth_users SET email = $1, email_verified_at = $2 WHERE id = $3")
        .bind(email)
        .bind(shared::ids::now_ms())
        .bind(id)
        .execute(pool)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                AuthError::EmailTaken
            } else {
                e.into()
            }
        })?;
    Ok(())
}

pub async fn set_role_by_email(pool: &AnyPool, email: &str, role: Role) -> Result<bool, AuthError> {
    let done = sqlx::query("UPDATE auth_users SET role = $1 WHERE email = $2")
        .bind(role.as_str())
        .bind(email)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes the user and every row auth holds about them, in one transaction. Explicit deletes
/// rather than relying on `ON DELETE CASCADE`, which SQLite only honours with a pragma.
pub async fn delete(pool: &AnyPool, id: &str) -> Result<(), AuthError> {
    let mut tx = pool.begin().await?;
    shared::db::delete_from_each(
        &mut tx,
        &[
            "auth_refresh_tokens",
            "auth_api_keys",
            "auth_password_resets",
            "auth_email_verifications",
            "auth_email_changes",
            "auth_totp",
            "auth_devices",
        ],
        "user_id = $1",
        id,
    )
    .await?;
    sqlx::query("DELETE FROM auth_users WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// One account as the founder's console lists it.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Listed {
    pub id: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
    pub source: Option<String>,
    pub invite_code: Option<String>,
    #[serde(skip)]
    pub email_verified_at: Option<i64>,
    #[serde(skip)]
    pub demo: i32,
    #[serde(skip)]
    pub disabled_at: Option<i64>,
}

/// Every account, newest first, with the invite code it used.
pub async fn list(pool: &AnyPool) -> Result<Vec<Listed>, AuthError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.email, u.role, u.created_at, u.signup_source AS source, \
         i.code AS invite_code, u.email_verified_at, u.demo, u.disabled_at FROM auth_users u \
         LEFT JOIN auth_invites i ON i.used_by = u.id ORDER BY u.created_at DESC, u.id",
    )
    .fetch_all(pool)
    .await?)
}

pub async fn set_source(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    source: &str,
) -> Result<(), AuthError> {
    sqlx::query("UPDATE auth_users SET signup_source = $2 WHERE id = $1")
        .bind(id)
        .bind(source)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A demo account (`scanpage demo seed`): signed up at `created_at`, verified, marked `demo`.
pub async fn insert_demo(
    pool: &AnyPool,
    email: &str,
    password_hash: &str,
    created_at: i64,
    source: &str,
) -> Result<String, AuthError> {
    let id = shared::ids::new_id();
    sqlx::query(
        "INSERT INTO auth_users (id, email, password_hash, role, created_at, \
         password_changed_at, email_verified_at, activated_at, signup_source, demo) \
         VALUES ($1, $2, $3, 'user', $4, $4, $4, $4, $5, 1)",
    )
    .bind(&id)
    .bind(email)
    .bind(password_hash)
    .bind(created_at)
    .bind(source)
    .execute(pool)
    .await?;
    Ok(id)
}

/// Disables (`Some(at)`) or enables (`None`) an account; false when there is no such user.
pub async fn set_disabled(pool: &AnyPool, id: &str, at: Option<i64>) -> Result<bool, AuthError> {
    let done = sqlx::query("UPDATE auth_users SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every demo account; returns their ids (so their data elsewhere can go too).
pub async fn delete_demo(pool: &AnyPool) -> Result<Vec<String>, AuthError> {
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM auth_users WHERE demo = 1")
        .fetch_all(pool)
        .await?;
    sqlx::query("DELETE FROM auth_users WHERE demo = 1")
        .execute(pool)
        .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}
