//! `auth_devices`: the devices each user has signed in from, as hashes (of a random cookie the
//! web sets, or of a user-agent family), so a sign-in from a new one can be mailed about.

use sqlx::AnyPool;

use crate::error::AuthError;

/// What a sign-in's device was to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The account's first recorded device (its sign-up): nothing to report.
    First,
    Known,
    /// Never seen for this account before: worth an email.
    New,
}

/// Records a sign-in from `device_hash` and says whether it was new.
pub async fn record(pool: &AnyPool, user_id: &str, device_hash: &str) -> Result<Seen, AuthError> {
    let now = shared::ids::now_ms();
    let known = sqlx::query(
        "UPDATE auth_devices SET last_seen_at = $1 WHERE user_id = $2 AND device_hash = $3",
    )
    .bind(now)
    .bind(user_id)
    .bind(device_hash)
    .execute(pool)
    .await?;
    if known.rows_affected() > 0 {
        return Ok(Seen::Known);
    }
    let (before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM auth_devices WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await?;
    // Two sign-ins racing from one new device: the second insert is a no-op, not an error.
    sqlx::query(
        "INSERT INTO auth_devices (user_id, device_hash, first_seen_at, last_seen_at) \
         VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, device_hash) DO NOTHING",
    )
    .bind(user_id)
    .bind(device_hash)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(if before == 0 { Seen::First } else { Seen::New })
}
