//! The beta gate: `auth_invites` and `auth_waitlist`.

use sqlx::AnyPool;

use crate::error::AuthError;

pub async fn create_invite(
    pool: &AnyPool,
    code: &str,
    label: Option<&str>,
) -> Result<(), AuthError> {
    sqlx::query("INSERT INTO auth_invites (code, created_at, label) VALUES ($1, $2, $3)")
        .bind(code)
        .bind(shared::ids::now_ms())
        .bind(label)
        .execute(pool)
        .await?;
    Ok(())
}

/// Claims an unused invite inside the sign-up transaction; false when it is unknown or used.
pub async fn claim_invite(
    conn: &mut sqlx::AnyConnection,
    code: &str,
    user_id: &str,
) -> Result<bool, AuthError> {
    let done = sqlx::query(
        "UPDATE auth_invites SET used_by = $1, used_at = $2 WHERE code = $3 AND used_by IS NULL",
    )
    .bind(user_id)
    .bind(shared::ids::now_ms())
    .bind(code)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn invite_is_open(pool: &AnyPool, code: &str) -> Result<bool, AuthError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT code FROM auth_invites WHERE code = $1 AND used_by IS NULL")
            .bind(code)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// Joins the waitlist with the password hash chosen at sign-up. Again is fine: the first date is
/// kept, and while the entry is pending the newest password replaces the older one.
pub async fn join_waitlist(
    pool: &AnyPool,
    email: &str,
    password_hash: &str,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO auth_waitlist (email, created_at, password_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash \
         WHERE auth_waitlist.approved = 0 AND auth_waitlist.rejected = 0",
    )
    .bind(email)
    .bind(shared::ids::now_ms())
    .bind(password_hash)
    .execute(pool)
    .await?;
    Ok(())
}

/// An approved waitlist entry: the invite code issued for it and the password hash kept from
/// its sign-up (absent for entries made before passwords were kept).
pub struct Approved {
    pub code: String,
    pub password_hash: Option<String>,
}

/// Approves a waitlisted email: issues an invite code for it (and forgets the kept password
/// hash, which the caller now owns). None when not on the list.
pub async fn approve(
    pool: &AnyPool,
    email: &str,
    code: &str,
) -> Result<Option<Approved>, AuthError> {
    let mut tx = pool.begin().await?;
    // Write first: on SQLite a transaction that reads and then writes cannot wait for another
    // writer (the lock upgrade fails at once with "database is locked").
    let done = sqlx::query(
        "UPDATE auth_waitlist SET approved = 1, rejected = 0, invite_code = $1 \
         WHERE email = $2 AND approved = 0",
    )
    .bind(code)
    .bind(email)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let (password_hash,): (Option<String>,) =
        sqlx::query_as("SELECT password_hash FROM auth_waitlist WHERE email = $1")
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
    // The hash moves to the account the caller makes; the waitlist keeps no copy.
    sqlx::query("UPDATE auth_waitlist SET password_hash = NULL WHERE email = $1")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO auth_invites (code, created_at, label) VALUES ($1, $2, 'waitlist')")
        .bind(code)
        .bind(shared::ids::now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Approved {
        code: code.to_owned(),
        password_hash,
    }))
}

pub async fn waitlist_count(pool: &AnyPool) -> Result<i64, AuthError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM auth_waitlist WHERE approved = 0 AND rejected = 0")
            .fetch_one(pool)
            .await?;
    Ok(n)
}

/// Says no to a waitlisted email that is still pending. False when it is not pending.
pub async fn reject(pool: &AnyPool, email: &str) -> Result<bool, AuthError> {
    let done = sqlx::query(
        "UPDATE auth_waitlist SET rejected = 1 WHERE email = $1 AND approved = 0 AND rejected = 0",
    )
    .bind(email)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct WaitlistEntry {
    pub email: String,
    pub created_at: i64,
    #[serde(skip)]
    pub approved: i32,
    #[serde(skip)]
    pub rejected: i32,
    pub invite_code: Option<String>,
}

impl WaitlistEntry {
    pub fn status(&self) -> &'static str {
        match (self.approved, self.rejected) {
            (1, _) => "approved",
            (_, 1) => "rejected",
            _ => "pending",
        }
    }
}

/// The waitlist, pending first, oldest first within each status.
pub async fn waitlist(pool: &AnyPool) -> Result<Vec<WaitlistEntry>, AuthError> {
    Ok(sqlx::query_as(
        "SELECT email, created_at, approved, rejected, invite_code FROM auth_waitlist \
         ORDER BY approved + rejected, created_at",
    )
    .fetch_all(pool)
    .await?)
}

#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    sqlx::FromRow,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct Invite {
    pub code: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub used_by_email: Option<String>,
    pub used_at: Option<i64>,
}

/// Every invite code, newest first, with who used it.
pub async fn invites(pool: &AnyPool) -> Result<Vec<Invite>, AuthError> {
    Ok(sqlx::query_as(
        "SELECT i.code, i.label, i.created_at, u.email AS used_by_email, i.used_at \
         FROM auth_invites i LEFT JOIN auth_users u ON u.id = i.used_by \
         ORDER BY i.created_at DESC, i.code",
    )
    .fetch_all(pool)
    .await?)
}
