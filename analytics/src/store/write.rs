//! The batch writer's one transaction: raw events, today's visitor ids, rollups and targets.

use std::fmt::Write;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use sqlx::{AnyConnection, AnyPool, Row};

use super::batch_pragmas::BatchPragmas;
use super::{Cell, multi_row};
use crate::classify::Classified;
use crate::classify::visitor::day_of;
use crate::dimension::Dimension;
use crate::hit::Kind;

const HOUR_MS: i64 = 3_600_000;

/// Writes a batch in one transaction and returns how many events were new. Rollups grow only by
/// the events this call inserted, so a redelivered event changes nothing.
///
/// Each event row is written once, complete: which events are a visitor's first of the day is
/// settled (from the events not stored yet) before the rows go in. Marking them afterwards with
/// an `UPDATE` rewrote nearly every row of the batch a second time — with the batch larger than
/// SQLite's page cache, its pages were spilled to the log, read back and written again (the
/// profile of `examples/bench.rs` showed five `pwrite`s per event).
#[tracing::instrument(skip_all, fields(batch = rows.len()))]
pub async fn write_batch(pool: &AnyPool, rows: &[Classified]) -> Result<usize, sqlx::Error> {
    let mut seen = HashSet::with_capacity(rows.len());
    let unique: Vec<&Classified> = rows
        .iter()
        .filter(|r| seen.insert(r.occurrence.id.as_str()))
        .collect();
    let mut conn = pool.acquire().await?;
    let pragmas = BatchPragmas::apply(&mut conn).await?;
    let written = write_new(&mut conn, &unique).await;
    if let Some(pragmas) = pragmas
        && let Err(err) = pragmas.restore(&mut conn).await
    {
        // Never hand the pool a connection whose sorts would all stay in memory.
        tracing::warn!(%err, "analytics: cannot restore a connection's settings; closing it");
        conn.close_on_drop();
    }
    written
}

/// The events of `unique` not stored yet, with their visitors, rollups and targets, in one
/// transaction.
async fn write_new(conn: &mut AnyConnection, unique: &[&Classified]) -> Result<usize, sqlx::Error> {
    for _ in 0..ATTEMPTS {
        let mut tx = shared::db::begin_reading_then_writing(conn).await?;
        let stored = stored_ids(&mut tx, unique).await?;
        let new: Vec<&Classified> = unique
            .iter()
            .copied()
            .filter(|r| !stored.contains(r.occurrence.id.as_str()))
            .collect();
        let first_visits = insert_visitors(&mut tx, &new).await?;
        let inserted = insert_events(&mut tx, &new, &first_visits).await?;
        if inserted != new.len() {
            // Another writer (a second analytics process on the same database) stored some of
            // these since the check: start over, and the check sees them this time.
            tx.rollback().await?;
            continue;
        }
        upsert_rollups(&mut tx, &new, &first_visits).await?;
        upsert_targets(&mut tx, &new).await?;
        tx.commit().await?;
        return Ok(new.len());
    }
    Err(sqlx::Error::Protocol(
        "events kept being stored by another writer during the batch".into(),
    ))
}

/// A batch that raced another writer is tried again this often before it fails (and is retried
/// by the ingestion loop, later).
const ATTEMPTS: usize = 3;

/// The ids of `rows` already stored: redeliveries, which must change nothing.
async fn stored_ids(
    conn: &mut AnyConnection,
    rows: &[&Classified],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut stored = HashSet::new();
    for chunk in rows.chunks(IDS_PER_LOOKUP) {
        // Placeholders only: the ids themselves are bound.
        let mut sql = String::with_capacity(48 + chunk.len() * 5);
        sql.push_str("SELECT id FROM analytics_events WHERE id IN (");
        for i in 1..=chunk.len() {
            if i > 1 {
                sql.push(',');
            }
            let _ = write!(sql, "${i}");
        }
        sql.push(')');
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(chunk.len() == IDS_PER_LOOKUP);
        for r in chunk {
            query = query.bind(r.occurrence.id.as_str());
        }
        for row in query.fetch_all(&mut *conn).await? {
            stored.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(stored)
}

/// Ids per lookup. SQLite finds each parameter's name by a linear search, so binding costs grow
/// with the square of the parameters per statement; this many keeps that small beside the
/// lookups themselves. Full chunks reuse one prepared statement.
const IDS_PER_LOOKUP: usize = 100;

async fn insert_events(
    conn: &mut AnyConnection,
    rows: &[&Classified],
    first_visits: &HashSet<&str>,
) -> Result<usize, sqlx::Error> {
    let statements = multi_row(
        "INSERT INTO analytics_events (id, kind, target_id, owner_id, occurred_at, rule, \
         block_id, device, os, browser, country, referrer, language, is_bot, bot_reason, \
         human, qr_code, first_visit)",
        "ON CONFLICT (id) DO NOTHING",
        rows.iter().map(|r| {
            [
                Cell::Text(&r.occurrence.id),
                Cell::Text(r.occurrence.kind.as_str()),
                Cell::Text(&r.occurrence.target_id),
                Cell::Text(&r.occurrence.owner_id),
                Cell::Int(r.occurrence.occurred_at),
                r.occurrence.rule.as_deref().into(),
                r.occurrence.block_id.as_deref().into(),
                Cell::Text(&r.device),
                Cell::Text(&r.os),
                Cell::Text(&r.browser),
                r.country.as_deref().into(),
                r.referrer.as_deref().into(),
                r.language.as_deref().into(),
                Cell::Int(i64::from(r.bot.is_some())),
                r.bot
                    .map(super::super::classify::bots::BotReason::as_str)
                    .into(),
                Cell::Int(i64::from(r.is_human())),
                r.occurrence.qr_code.as_deref().into(),
                Cell::Int(i64::from(first_visits.contains(r.occurrence.id.as_str()))),
            ]
        }),
    );
    let mut inserted = 0;
    for statement in statements {
        let done = statement.query().execute(&mut *conn).await?;
        inserted += usize::try_from(done.rows_affected()).unwrap_or(usize::MAX);
    }
    Ok(inserted)
}

/// Records today's visitor ids; returns the ids of the events that were a visitor's first of the
/// day for their target (those count as uniques).
async fn insert_visitors<'a>(
    conn: &mut AnyConnection,
    rows: &[&'a Classified],
) -> Result<HashSet<&'a str>, sqlx::Error> {
    // The first event of each (day, kind, target, visitor) in this batch stands for it.
    let mut firsts: HashMap<(i64, Kind, &str, &str), &'a str> = HashMap::new();
    for r in rows {
        if let Some(visitor) = r.visitor.as_deref() {
            firsts
                .entry((
                    day_of(r.occurrence.occurred_at),
                    r.occurrence.kind,
                    r.occurrence.target_id.as_str(),
                    visitor,
                ))
                .or_insert(r.occurrence.id.as_str());
        }
    }
    let mut new_events = HashSet::new();
    let statements = multi_row(
        "INSERT INTO analytics_daily_visitors (day, kind, target_id, visitor)",
        "ON CONFLICT (day, kind, target_id, visitor) DO NOTHING \
         RETURNING day, kind, target_id, visitor",
        firsts.keys().map(|(day, kind, target, visitor)| {
            [
                Cell::Int(*day),
                Cell::Text(kind.as_str()),
                Cell::Text(target),
                Cell::Text(visitor),
            ]
        }),
    );
    for statement in statements {
        for row in statement.query().fetch_all(&mut *conn).await? {
            let day: i64 = row.try_get(0)?;
            let kind: String = row.try_get(1)?;
            let target: String = row.try_get(2)?;
            let visitor: String = row.try_get(3)?;
            let Some(kind) = Kind::parse(&kind) else {
                continue;
            };
            if let Some(event_id) = firsts.get(&(day, kind, target.as_str(), visitor.as_str())) {
                new_events.insert(*event_id);
            }
        }
    }
    Ok(new_events)
}

#[derive(Default)]
struct Counts {
    events: i64,
    humans: i64,
    bots: i64,
    uniques: i64,
}

async fn upsert_rollups(
    conn: &mut AnyConnection,
    rows: &[&Classified],
    first_visits: &HashSet<&str>,
) -> Result<(), sqlx::Error> {
    type Key<'a> = (&'a str, Kind, i64);
    // (target, kind, day, dimension, value) → (owner, events, humans)
    type DimKey<'a> = (&'a str, Kind, i64, Dimension, &'a str);
    let mut hourly: HashMap<Key<'_>, (&str, Counts)> = HashMap::new();
    let mut daily: HashMap<Key<'_>, (&str, Counts)> = HashMap::new();
    let mut dims: HashMap<DimKey<'_>, (&str, i64, i64)> = HashMap::new();
    for r in rows {
        let human = r.is_human();
        let unique = first_visits.contains(r.occurrence.id.as_str());
        let hour = r.occurrence.occurred_at.div_euclid(HOUR_MS) * HOUR_MS;
        let day = day_of(r.occurrence.occurred_at);
        for (map, bucket) in [(&mut hourly, hour), (&mut daily, day)] {
            let (_, c) = map
                .entry((r.occurrence.target_id.as_str(), r.occurrence.kind, bucket))
                .or_insert((r.occurrence.owner_id.as_str(), Counts::default()));
            c.events += 1;
            c.humans += i64::from(human);
            c.bots += i64::from(r.bot.is_some());
            c.uniques += i64::from(unique);
        }
        for (dimension, value) in Dimension::ALL
            .into_iter()
            .filter_map(|d| Some((d, d.value_of(r)?)))
        {
            let entry = dims
                .entry((
                    r.occurrence.target_id.as_str(),
                    r.occurrence.kind,
                    day,
                    dimension,
                    value,
                ))
                .or_insert((r.occurrence.owner_id.as_str(), 0, 0));
            entry.1 += 1;
            entry.2 += i64::from(human);
        }
    }
    for (table, map) in [
        ("analytics_rollup_hourly", hourly),
        ("analytics_rollup_daily", daily),
    ] {
        let statements = multi_row(
            &format!(
                "INSERT INTO {table} (target_id, kind, bucket, owner_id, events, humans, bots, \
                 uniques)"
            ),
            &format!(
                "ON CONFLICT (target_id, kind, bucket) DO UPDATE SET \
                 events = {table}.events + excluded.events, \
                 humans = {table}.humans + excluded.humans, \
                 bots = {table}.bots + excluded.bots, \
                 uniques = {table}.uniques + excluded.uniques"
            ),
            map.iter().map(|((target, kind, bucket), (owner, c))| {
                [
                    Cell::Text(target),
                    Cell::Text(kind.as_str()),
                    Cell::Int(*bucket),
                    Cell::Text(owner),
                    Cell::Int(c.events),
                    Cell::Int(c.humans),
                    Cell::Int(c.bots),
                    Cell::Int(c.uniques),
                ]
            }),
        );
        for statement in statements {
            statement.query().execute(&mut *conn).await?;
        }
    }
    let statements = multi_row(
        "INSERT INTO analytics_rollup_dimensions (target_id, kind, day, dimension, value, \
         owner_id, events, humans)",
        "ON CONFLICT (target_id, kind, day, dimension, value) DO UPDATE SET \
         events = analytics_rollup_dimensions.events + excluded.events, \
         humans = analytics_rollup_dimensions.humans + excluded.humans",
        dims.iter().map(
            |((target, kind, day, dimension, value), (owner, events, humans))| {
                [
                    Cell::Text(target),
                    Cell::Text(kind.as_str()),
                    Cell::Int(*day),
                    Cell::Text(dimension.as_str()),
                    Cell::Text(value),
                    Cell::Text(owner),
                    Cell::Int(*events),
                    Cell::Int(*humans),
                ]
            },
        ),
    );
    for statement in statements {
        statement.query().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn upsert_targets(conn: &mut AnyConnection, rows: &[&Classified]) -> Result<(), sqlx::Error> {
    let mut targets: HashMap<(&str, &str), (&str, i64)> = HashMap::new();
    for r in rows {
        let kind = if r.occurrence.kind == Kind::Scan {
            "qr"
        } else {
            "microsite"
        };
        let entry = targets
            .entry((r.occurrence.target_id.as_str(), kind))
            .or_insert((r.occurrence.owner_id.as_str(), r.occurrence.occurred_at));
        entry.1 = entry.1.min(r.occurrence.occurred_at);
    }
    let statements = multi_row(
        "INSERT INTO analytics_targets (target_id, kind, owner_id, first_seen_at)",
        "ON CONFLICT (target_id, kind) DO NOTHING",
        targets.iter().map(|((target, kind), (owner, first))| {
            [
                Cell::Text(target),
                Cell::Text(kind),
                Cell::Text(owner),
                Cell::Int(*first),
            ]
        }),
    );
    for statement in statements {
        statement.query().execute(&mut *conn).await?;
    }
    Ok(())
}
