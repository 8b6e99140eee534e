//! The product metrics' SQL (tables `analytics_product_*`), portable between SQLite and
//! PostgreSQL.

use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool, FromRow};

use super::event::{Change, ProductEvent};
use super::week_of;

/// Applies one lifecycle event in one transaction; false when its id was applied before.
pub async fn apply(pool: &AnyPool, event: &ProductEvent) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO analytics_product_applied (event_id, applied_at) VALUES ($1, $2) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event.id())
    .bind(shared::ids::now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(false);
    }
    match event {
        ProductEvent::Waitlist { at, pending, .. } => {
            sqlx::query(
                "INSERT INTO analytics_product_gauges (name, value, updated_at) \
                 VALUES ('waitlist', $1, $2) ON CONFLICT (name) DO UPDATE SET \
                 value = excluded.value, updated_at = excluded.updated_at \
                 WHERE analytics_product_gauges.updated_at <= excluded.updated_at",
            )
            .bind(*pending)
            .bind(*at)
            .execute(&mut *tx)
            .await?;
        }
        ProductEvent::User {
            id,
            user_id,
            at,
            change,
        } => {
            let first_of_subject = record_on_timeline(&mut tx, id, user_id, *at, change).await?;
            apply_user_change(&mut tx, user_id, *at, change, first_of_subject).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Adds the event to the user's timeline; true when no earlier event of its kind named the same
/// subject (the first publish of a page, the first event of a code), so counters stay distinct.
async fn record_on_timeline(
    conn: &mut AnyConnection,
    event_id: &str,
    user_id: &str,
    at: i64,
    change: &Change,
) -> Result<bool, sqlx::Error> {
    let Some(kind) = change.kind() else {
        return Ok(true);
    };
    let subject = change.subject();
    let seen: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM analytics_product_timeline WHERE user_id = $1 AND kind = $2 \
         AND subject = $3 LIMIT 1",
    )
    .bind(user_id)
    .bind(kind)
    .bind(subject)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO analytics_product_timeline (event_id, user_id, at, kind, subject) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(user_id)
    .bind(at)
    .bind(kind)
    .bind(subject)
    .execute(&mut *conn)
    .await?;
    Ok(seen.is_none())
}

async fn apply_user_change(
    conn: &mut AnyConnection,
    user_id: &str,
    at: i64,
    change: &Change,
    first_of_subject: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO analytics_product_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    // Every change is also activity: the week it happened in, and the latest time seen.
    sqlx::query(
        "UPDATE analytics_product_users SET last_active_at = $2 \
         WHERE user_id = $1 AND (last_active_at IS NULL OR last_active_at < $2)",
    )
    .bind(user_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO analytics_product_activity (user_id, week) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(week_of(at))
    .execute(&mut *conn)
    .await?;

    let update = match change {
        Change::SignedUp { source, demo } => sqlx::query(
            "UPDATE analytics_product_users SET signed_up_at = $2, source = $3, demo = $4 \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(at)
        .bind(source.as_str())
        .bind(i32::from(*demo)),
        // The counters count distinct codes and pages: `$3` is 0 for one seen before.
        Change::CreatedQr { .. } => sqlx::query(
            "UPDATE analytics_product_users SET qr_created = qr_created + $3, first_qr_at = \
             CASE WHEN first_qr_at IS NULL OR first_qr_at > $2 THEN $2 ELSE first_qr_at END \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(at)
        .bind(i64::from(first_of_subject)),
        Change::PublishedMicrosite { .. } => sqlx::query(
            "UPDATE analytics_product_users SET microsites_published = microsites_published + $3, \
             first_published_at = CASE WHEN first_published_at IS NULL \
             OR first_published_at > $2 THEN $2 ELSE first_published_at END WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(at)
        .bind(i64::from(first_of_subject)),
        Change::SentFeedback => sqlx::query(
            "UPDATE analytics_product_users SET feedback_count = feedback_count + 1 \
             WHERE user_id = $1",
        )
        .bind(user_id),
        Change::ChosePlan { plan } => {
            sqlx::query("UPDATE analytics_product_users SET pricing_plan = $2 WHERE user_id = $1")
                .bind(user_id)
                .bind(plan.as_str())
        }
        Change::AnsweredInterview { opted_in } => {
            sqlx::query("UPDATE analytics_product_users SET interview = $2 WHERE user_id = $1")
                .bind(user_id)
                .bind(i32::from(*opted_in))
        }
        Change::Active => return Ok(()),
    };
    update.execute(&mut *conn).await?;
    Ok(())
}

/// One user's product row.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub user_id: String,
    pub signed_up_at: Option<i64>,
    pub source: Option<String>,
    pub demo: i32,
    pub first_qr_at: Option<i64>,
    pub qr_created: i64,
    pub first_published_at: Option<i64>,
    pub microsites_published: i64,
    pub feedback_count: i64,
    pub pricing_plan: Option<String>,
    pub interview: Option<i32>,
    pub last_active_at: Option<i64>,
}

/// Every user the metrics know. A beta has hundreds, not millions: the console's maths runs in
/// memory over this list.
pub async fn users(pool: &AnyPool) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, signed_up_at, source, demo, first_qr_at, qr_created, \
         first_published_at, microsites_published, feedback_count, pricing_plan, interview, \
         last_active_at FROM analytics_product_users ORDER BY signed_up_at DESC, user_id",
    )
    .fetch_all(pool)
    .await
}

/// `(user, week)` pairs of activity.
pub async fn activity(pool: &AnyPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT user_id, week FROM analytics_product_activity")
        .fetch_all(pool)
        .await
}

/// Human scans per owner: when the first came (hour bucket) and how many in all. From the hourly
/// rollups the scan ingestion keeps, so no raw event is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanScans {
    pub first_at: i64,
    pub total: i64,
}

pub async fn human_scans(pool: &AnyPool) -> Result<HashMap<String, HumanScans>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT owner_id, MIN(bucket), CAST(SUM(humans) AS BIGINT) FROM analytics_rollup_hourly \
         WHERE kind = 'scan' AND humans > 0 GROUP BY owner_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(owner, first_at, total)| (owner, HumanScans { first_at, total }))
        .collect())
}

pub async fn waitlist(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT value FROM analytics_product_gauges WHERE name = 'waitlist'")
            .fetch_optional(pool)
            .await?;
    Ok(row.map_or(0, |(n,)| n))
}

/// Removes a deleted user's product rows.
pub async fn delete_user(pool: &AnyPool, user_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    shared::db::delete_from_each(
        &mut tx,
        &[
            "analytics_product_users",
            "analytics_product_activity",
            "analytics_product_timeline",
        ],
        "user_id = $1",
        user_id,
    )
    .await?;
    tx.commit().await
}

/// One lifecycle event of a user's timeline.
#[derive(
    Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct TimelineEntry {
    pub at: i64,
    /// `signed_up`, `created_qr`, `published_microsite`, `sent_feedback`, `chose_plan`,
    /// `answered_interview`.
    pub kind: String,
    pub subject: Option<String>,
}

/// A user's lifecycle events, oldest first.
pub async fn timeline(pool: &AnyPool, user_id: &str) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, kind, subject FROM analytics_product_timeline WHERE user_id = $1 \
         ORDER BY at, event_id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// People's scans (codes) and views (pages) per target of one owner, from the hourly rollups.
pub async fn human_hits_by_target(
    pool: &AnyPool,
    owner_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT target_id, kind, CAST(SUM(humans) AS BIGINT) FROM analytics_rollup_hourly \
         WHERE owner_id = $1 AND kind IN ('scan', 'view') GROUP BY target_id, kind",
    )
    .bind(owner_id)
    .fetch_all(pool)
    .await
}
