//! Reads of the raw events under [`Filters`]: the rollups keep one dimension at a time, so "scans
//! from France on mobile" can only be counted from the events themselves. Used when an answer
//! has filters, and by the live view (whose minutes the rollups do not keep).
//!
//! Every value is bound; the SQL text holds only column names from [`column`] and placeholders.

use std::fmt::Write;

use sqlx::AnyPool;

use super::read::{DimensionCount, HourRow, Scope, TargetTotals};
use crate::dimension::Dimension;
use crate::filter::{Audience, Filters};
use crate::hit::Kind;

/// The events column a dimension is stored in.
fn column(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Device => "device",
        Dimension::Os => "os",
        Dimension::Browser => "browser",
        Dimension::Country => "country",
        Dimension::Referrer => "referrer",
        Dimension::Language => "language",
        Dimension::Rule => "rule",
        Dimension::Block => "block_id",
        Dimension::Qr => "qr_code",
    }
}

/// `WHERE` conditions and the texts their `$n` stand for.
struct Conditions<'a> {
    sql: String,
    texts: Vec<&'a str>,
}

impl<'a> Conditions<'a> {
    /// The scope, the time window (`$n` numbers written inline: they are ours) and the filters.
    fn of(scope: Scope<'a>, kind: Option<Kind>, from: i64, to: i64, filters: &'a Filters) -> Self {
        let mut c = Conditions {
            sql: String::new(),
            texts: Vec::new(),
        };
        match scope {
            Scope::Target(id) => {
                let n = c.bind(id);
                let _ = write!(c.sql, "target_id = ${n}");
            }
            // Through the owner's targets, so the (target, time) index serves the read.
            Scope::Owner(id) => {
                let n = c.bind(id);
                let _ = write!(
                    c.sql,
                    "target_id IN (SELECT target_id FROM analytics_targets WHERE owner_id = ${n}) \
                     AND owner_id = ${n}"
                );
            }
        }
        if let Some(kind) = kind {
            let n = c.bind(kind.as_str());
            let _ = write!(c.sql, " AND kind = ${n}");
        }
        let _ = write!(c.sql, " AND occurred_at >= {from} AND occurred_at < {to}");
        let (sql, texts) = filter_conditions(filters, c.texts.len() + 1);
        c.sql.push_str(&sql);
        c.texts.extend(texts);
        c
    }

    fn bind(&mut self, text: &'a str) -> usize {
        self.texts.push(text);
        self.texts.len()
    }

    fn query<O>(
        self,
        select: String,
    ) -> sqlx::query::QueryAs<'a, sqlx::Any, O, sqlx::any::AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(select)).persistent(false);
        for text in self.texts {
            query = query.bind(text);
        }
        query
    }
}

/// Events of a scope and kind in `[from, to)` matching `filters`, counted per `bucket_ms`
/// (an hour for the dashboards, a minute for the live view), in time order.
pub async fn filtered_series(
    pool: &AnyPool,
    scope: Scope<'_>,
    kind: Kind,
    (from, to): (i64, i64),
    bucket_ms: i64,
    filters: &Filters,
) -> Result<Vec<HourRow>, sqlx::Error> {
    let c = Conditions::of(scope, Some(kind), from, to, filters);
    let sql = format!(
        "SELECT (occurred_at / {bucket_ms}) * {bucket_ms} AS bucket, \
         CAST(COUNT(*) AS BIGINT) AS events, CAST(SUM(human) AS BIGINT) AS humans, \
         CAST(SUM(is_bot) AS BIGINT) AS bots, CAST(SUM(first_visit) AS BIGINT) AS uniques \
         FROM analytics_events WHERE {} GROUP BY bucket ORDER BY bucket",
        c.sql
    );
    c.query(sql).fetch_all(pool).await
}

/// Per-dimension counts of a target's events in `[from, to)` matching `filters`, as the
/// dimension rollup gives them. `humans` counts people, or every matching event when the filter
/// picks a class (the breakdowns of "bots only" count bots).
pub async fn filtered_dimensions(
    pool: &AnyPool,
    target_id: &str,
    kind: Kind,
    (from, to): (i64, i64),
    filters: &Filters,
) -> Result<Vec<DimensionCount>, sqlx::Error> {
    let c = Conditions::of(Scope::Target(target_id), Some(kind), from, to, filters);
    let counted = if filters.class().is_some() {
        "COUNT(*)"
    } else {
        "SUM(human)"
    };
    // One pass per dimension, glued with UNION ALL: the conditions' `$n` are shared.
    let parts: Vec<String> = Dimension::ALL
        .into_iter()
        .map(|dimension| {
            let col = column(dimension);
            let (value, present) = match dimension.absent() {
                Some(absent) => (format!("COALESCE({col}, '{absent}')"), String::new()),
                None => (col.to_owned(), format!(" AND {col} IS NOT NULL")),
            };
            format!(
                "SELECT '{name}' AS dimension, {value} AS value, \
                 CAST(COUNT(*) AS BIGINT) AS events, CAST({counted} AS BIGINT) AS humans \
                 FROM analytics_events WHERE {conditions}{present} GROUP BY {col}",
                name = dimension.as_str(),
                conditions = c.sql,
            )
        })
        .collect();
    let sql = parts.join(" UNION ALL ");
    c.query(sql).fetch_all(pool).await
}

#[derive(sqlx::FromRow)]
struct TotalsRow {
    target_id: String,
    kind: String,
    events: i64,
    humans: i64,
    bots: i64,
    uniques: i64,
}

/// Totals per target and kind of one owner's events in `[from, to)` matching `filters` (the
/// account overview under filters).
pub async fn filtered_owner_totals(
    pool: &AnyPool,
    owner_id: &str,
    (from, to): (i64, i64),
    filters: &Filters,
) -> Result<Vec<TargetTotals>, sqlx::Error> {
    let c = Conditions::of(Scope::Owner(owner_id), None, from, to, filters);
    let sql = format!(
        "SELECT target_id, kind, CAST(COUNT(*) AS BIGINT) AS events, \
         CAST(SUM(human) AS BIGINT) AS humans, CAST(SUM(is_bot) AS BIGINT) AS bots, \
         CAST(SUM(first_visit) AS BIGINT) AS uniques FROM analytics_events WHERE {} \
         GROUP BY target_id, kind",
        c.sql
    );
    let rows: Vec<TotalsRow> = c.query(sql).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(TargetTotals {
                kind: Kind::parse(&r.kind)?,
                target_id: r.target_id,
                events: r.events,
                humans: r.humans,
                bots: r.bots,
                uniques: r.uniques,
            })
        })
        .collect())
}

/// The `AND …` conditions of `filters` alone, numbered from `$first` (for the export's paging
/// query, which has its own first parameters), with the texts to bind after its own.
pub(crate) fn filter_conditions(filters: &Filters, first: usize) -> (String, Vec<&str>) {
    let mut sql = String::new();
    let mut texts = Vec::new();
    for (dimension, value) in filters.values() {
        let col = column(dimension);
        if dimension.absent() == Some(value) {
            let _ = write!(sql, " AND {col} IS NULL");
        } else {
            texts.push(value);
            let _ = write!(sql, " AND {col} = ${}", first + texts.len() - 1);
        }
    }
    match filters.class() {
        Some(Audience::Human) => sql.push_str(" AND human = 1"),
        Some(Audience::Bot) => sql.push_str(" AND is_bot = 1"),
        None => {}
    }
    (sql, texts)
}
