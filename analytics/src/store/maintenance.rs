//! Daily salts, pruning and deleting a user's analytics.

use std::collections::HashMap;

use sqlx::{AnyPool, Row};

use crate::classify::visitor::{DAY_MS, new_salt};

/// The salt of each day in `days` that is still current (the day, plus `grace_ms` for late
/// deliveries, has not ended at `now`), created when missing. Past days get no salt.
pub async fn salts_for_days(
    pool: &AnyPool,
    days: &[i64],
    now: i64,
    grace_ms: i64,
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let mut salts = HashMap::new();
    for &day in days {
        if day + DAY_MS + grace_ms < now {
            continue;
        }
        // Concurrent writers (several analytics processes) agree on the first salt stored.
        sqlx::query(
            "INSERT INTO analytics_daily_salts (day, salt) VALUES ($1, $2) \
             ON CONFLICT (day) DO NOTHING",
        )
        .bind(day)
        .bind(new_salt())
        .execute(pool)
        .await?;
        let row = sqlx::query("SELECT salt FROM analytics_daily_salts WHERE day = $1")
            .bind(day)
            .fetch_one(pool)
            .await?;
        salts.insert(day, row.try_get::<String, _>(0)?);
    }
    Ok(salts)
}

/// What one pruning pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub salts: u64,
    pub visitors: u64,
}

/// Deletes raw events older than the retention and the salts and visitor ids of days that are
/// over. Rollups are kept: they hold counts, nothing about a person.
pub async fn prune(
    pool: &AnyPool,
    now: i64,
    retention_days: i64,
    grace_ms: i64,
) -> Result<Pruned, sqlx::Error> {
    let events_before = now - retention_days * DAY_MS;
    // A day is over once its end (+ grace) has passed: day + DAY_MS + grace < now.
    let days_before = now - DAY_MS - grace_ms;
    // Through the (target, time) index: raw events have no index on time alone (each index is a
    // cost on every ingested event; pruning runs once an hour).
    let events = sqlx::query(
        "DELETE FROM analytics_events WHERE target_id IN \
         (SELECT target_id FROM analytics_targets) AND occurred_at < $1",
    )
    .bind(events_before)
    .execute(pool)
    .await?
    .rows_affected();
    let salts = sqlx::query("DELETE FROM analytics_daily_salts WHERE day < $1")
        .bind(days_before)
        .execute(pool)
        .await?
        .rows_affected();
    let visitors = sqlx::query("DELETE FROM analytics_daily_visitors WHERE day < $1")
        .bind(days_before)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(Pruned {
        events,
        salts,
        visitors,
    })
}

/// Removes everything analytics holds about one user's codes and pages.
pub async fn delete_owner(pool: &AnyPool, owner_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "DELETE FROM analytics_daily_visitors WHERE target_id IN \
         (SELECT target_id FROM analytics_targets WHERE owner_id = $1)",
    )
    .bind(owner_id)
    .execute(&mut *tx)
    .await?;
    // Raw events are found through their targets (they have no owner index), so before those go.
    sqlx::query(
        "DELETE FROM analytics_events WHERE target_id IN \
         (SELECT target_id FROM analytics_targets WHERE owner_id = $1)",
    )
    .bind(owner_id)
    .execute(&mut *tx)
    .await?;
    shared::db::delete_from_each(
        &mut tx,
        &[
            "analytics_rollup_hourly",
            "analytics_rollup_daily",
            "analytics_rollup_dimensions",
            "analytics_targets",
            "analytics_names",
        ],
        "owner_id = $1",
        owner_id,
    )
    .await?;
    tx.commit().await
}
