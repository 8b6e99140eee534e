//! Reads for the query layer: ownership, rollups and export pages. Dashboards read rollups only;
//! the raw table is read by the export, page by page.

use sqlx::{AnyPool, Row};

use super::filtered::filter_conditions;
use crate::filter::Filters;
use crate::hit::Kind;

/// The owner of a QR code (`qr`) or microsite (`microsite`) analytics has seen.
pub async fn owner_of(
    pool: &AnyPool,
    target_id: &str,
    target_kind: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row =
        sqlx::query("SELECT owner_id FROM analytics_targets WHERE target_id = $1 AND kind = $2")
            .bind(target_id)
            .bind(target_kind)
            .fetch_optional(pool)
            .await?;
    row.map(|r| r.try_get(0)).transpose()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct HourRow {
    pub bucket: i64,
    pub events: i64,
    pub humans: i64,
    pub bots: i64,
    pub uniques: i64,
}

/// Which rollup a series is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Hour,
    /// UTC days: 24 times fewer rows, usable when every bucket starts at a UTC midnight.
    Day,
}

/// Whose series [`hourly`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// One code or page.
    Target(&'a str),
    /// All of one owner's targets of the kind, added up per bucket (the account's chart).
    Owner(&'a str),
}

/// Hourly (or daily) rollups of a [`Scope`] and kind in `[from, to)`, in time order.
pub async fn hourly(
    pool: &AnyPool,
    grain: Grain,
    scope: Scope<'_>,
    kind: Kind,
    from: i64,
    to: i64,
) -> Result<Vec<HourRow>, sqlx::Error> {
    let table = match grain {
        Grain::Hour => "analytics_rollup_hourly",
        Grain::Day => "analytics_rollup_daily",
    };
    let (column, id) = match scope {
        Scope::Target(id) => ("target_id", id),
        Scope::Owner(id) => ("owner_id", id),
    };
    // Both names are constants above; the values are bound.
    let sql = format!(
        "SELECT bucket, CAST(SUM(events) AS BIGINT) AS events, \
         CAST(SUM(humans) AS BIGINT) AS humans, CAST(SUM(bots) AS BIGINT) AS bots, \
         CAST(SUM(uniques) AS BIGINT) AS uniques FROM {table} WHERE {column} = $1 AND kind = $2 \
         AND bucket >= $3 AND bucket < $4 GROUP BY bucket ORDER BY bucket"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(kind.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DimensionCount {
    pub dimension: String,
    pub value: String,
    pub events: i64,
    pub humans: i64,
}

/// Per-dimension totals over the UTC days `[from_day, to_day)`.
pub async fn dimension_counts(
    pool: &AnyPool,
    target_id: &str,
    kind: Kind,
    from_day: i64,
    to_day: i64,
) -> Result<Vec<DimensionCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT dimension, value, CAST(SUM(events) AS BIGINT) AS events, \
         CAST(SUM(humans) AS BIGINT) AS humans \
         FROM analytics_rollup_dimensions \
         WHERE target_id = $1 AND kind = $2 AND day >= $3 AND day < $4 \
         GROUP BY dimension, value",
    )
    .bind(target_id)
    .bind(kind.as_str())
    .bind(from_day)
    .bind(to_day)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTotals {
    pub target_id: String,
    pub kind: Kind,
    pub events: i64,
    pub humans: i64,
    pub bots: i64,
    pub uniques: i64,
}

/// Totals per target and kind of one owner over `[from, to)` (hour buckets).
pub async fn owner_totals(
    pool: &AnyPool,
    grain: Grain,
    owner_id: &str,
    from: i64,
    to: i64,
) -> Result<Vec<TargetTotals>, sqlx::Error> {
    let sql = match grain {
        Grain::Hour => {
            "SELECT target_id, kind, CAST(SUM(events) AS BIGINT), CAST(SUM(humans) AS BIGINT), \
             CAST(SUM(bots) AS BIGINT), CAST(SUM(uniques) AS BIGINT) FROM analytics_rollup_hourly \
             WHERE owner_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY target_id, kind"
        }
        Grain::Day => {
            "SELECT target_id, kind, CAST(SUM(events) AS BIGINT), CAST(SUM(humans) AS BIGINT), \
             CAST(SUM(bots) AS BIGINT), CAST(SUM(uniques) AS BIGINT) FROM analytics_rollup_daily \
             WHERE owner_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY target_id, kind"
        }
    };
    let rows = sqlx::query(sql)
        .bind(owner_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: String = r.try_get(1)?;
        let Some(kind) = Kind::parse(&kind) else {
            continue;
        };
        out.push(TargetTotals {
            target_id: r.try_get(0)?,
            kind,
            events: r.try_get(2)?,
            humans: r.try_get(3)?,
            bots: r.try_get(4)?,
            uniques: r.try_get(5)?,
        });
    }
    Ok(out)
}

/// One exported event: no IP, no visitor id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub device: String,
    pub os: String,
    pub browser: String,
    pub country: Option<String>,
    pub referrer: Option<String>,
    pub language: Option<String>,
    pub is_bot: bool,
    pub rule: Option<String>,
    pub block_id: Option<String>,
}

/// Up to `limit` events of a target in `[from, to)` after the cursor `(at, id)`, in order. Keyset
/// paging keeps memory constant and never holds a read transaction open for a whole export.
/// Only events matching `filters` are read.
pub async fn export_page(
    pool: &AnyPool,
    target_id: &str,
    (from, to): (i64, i64),
    filters: &Filters,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    let (after_at, after_id) = after.unwrap_or((from - 1, String::new()));
    let (filtered, texts) = filter_conditions(filters, 7);
    // The filters' columns and placeholders only; their values are bound after ours.
    let sql = format!(
        "SELECT id, occurred_at, kind, device, os, browser, country, referrer, language, is_bot, \
         rule, block_id FROM analytics_events \
         WHERE target_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
         AND (occurred_at > $4 OR (occurred_at = $4 AND id > $5)){filtered} \
         ORDER BY occurred_at, id LIMIT $6"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(target_id)
        .bind(from)
        .bind(to)
        .bind(after_at)
        .bind(after_id)
        .bind(limit);
    for text in texts {
        query = query.bind(text);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(ExportRow {
                id: r.try_get(0)?,
                occurred_at: r.try_get(1)?,
                kind: r.try_get(2)?,
                device: r.try_get(3)?,
                os: r.try_get(4)?,
                browser: r.try_get(5)?,
                country: r.try_get(6)?,
                referrer: r.try_get(7)?,
                language: r.try_get(8)?,
                is_bot: r.try_get::<i32, _>(9)? != 0,
                rule: r.try_get(10)?,
                block_id: r.try_get(11)?,
            })
        })
        .collect()
}

/// All-time scans and human scans of the owner's QR codes among `ids` (absent: none).
pub async fn scan_totals(
    pool: &AnyPool,
    owner_id: &str,
    ids: &[&str],
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    // Placeholders only: the ids themselves are bound.
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT target_id, CAST(SUM(events) AS BIGINT), CAST(SUM(humans) AS BIGINT) \
         FROM analytics_rollup_daily WHERE owner_id = $1 AND kind = 'scan' \
         AND target_id IN ({}) GROUP BY target_id",
        list.join(",")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id);
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// One code's scans over a range, from the hourly rollups (kept after raw events are pruned).
/// Read by column name, so the query's aliases are its field names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeTotals {
    pub target_id: String,
    pub events: i64,
    pub humans: i64,
    pub bots: i64,
    /// Start of the first and last UTC hour with a scan, epoch ms.
    pub first_hour: i64,
    pub last_hour: i64,
}

/// Scan totals per QR code of one owner over `[from, to)` (hour buckets), ordered by code id.
/// Only codes with a scan in the range have rollup rows, so only those are listed.
pub async fn code_totals(
    pool: &AnyPool,
    owner_id: &str,
    from: i64,
    to: i64,
) -> Result<Vec<CodeTotals>, sqlx::Error> {
    sqlx::query_as(
        "SELECT target_id, CAST(SUM(events) AS BIGINT) AS events, \
         CAST(SUM(humans) AS BIGINT) AS humans, CAST(SUM(bots) AS BIGINT) AS bots, \
         MIN(bucket) AS first_hour, MAX(bucket) AS last_hour FROM analytics_rollup_hourly \
         WHERE owner_id = $1 AND kind = 'scan' AND bucket >= $2 AND bucket < $3 \
         GROUP BY target_id ORDER BY target_id",
    )
    .bind(owner_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}
