//! The batch writer's one transaction: raw events, today's visitor ids, rollups and targets.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use sqlx::{Any, AnyPool, Row, Transaction};

use super::{Cell, multi_row};
use crate::classify::Classified;
use crate::classify::visitor::day_of;
use crate::dimension::Dimension;
use crate::hit::Kind;

const HOUR_MS: i64 = 3_600_000;

/// Writes a batch in one transaction and returns how many events were new. Rollups grow only by
/// the events this call inserted, so a redelivered event changes nothing.
#[tracing::instrument(skip_all, fields(batch = rows.len()))]
pub async fn write_batch(pool: &AnyPool, rows: &[Classified]) -> Result<usize, sqlx::Error> {
    let mut seen = HashSet::with_capacity(rows.len());
    let unique: Vec<&Classified> = rows
        .iter()
        .filter(|r| seen.insert(r.occurrence.id.as_str()))
        .collect();

    let mut tx = pool.begin().await?;
    let inserted = insert_events(&mut tx, &unique).await?;
    let new: Vec<&Classified> = unique
        .into_iter()
        .filter(|r| inserted.contains(r.occurrence.id.as_str()))
        .collect();
    let first_visits = insert_visitors(&mut tx, &new).await?;
    mark_first_visits(&mut tx, &first_visits).await?;
    upsert_rollups(&mut tx, &new, &first_visits).await?;
    upsert_targets(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(new.len())
}

async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    rows: &[&Classified],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut inserted = HashSet::with_capacity(rows.len());
    let statements = multi_row(
        "INSERT INTO analytics_events (id, kind, target_id, owner_id, occurred_at, rule, \
         block_id, device, os, browser, country, referrer, language, is_bot, bot_reason, \
         human, qr_code)",
        "ON CONFLICT (id) DO NOTHING RETURNING id",
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
            ]
        }),
    );
    for statement in statements {
        for row in statement.query().fetch_all(&mut **tx).await? {
            inserted.insert(row.try_get::<String, _>(0)?);
        }
    }
    Ok(inserted)
}

/// Records today's visitor ids; returns the ids of the events that were a visitor's first of the
/// day for their target (those count as uniques).
async fn insert_visitors(
    tx: &mut Transaction<'static, Any>,
    rows: &[&Classified],
) -> Result<HashSet<String>, sqlx::Error> {
    // The first event of each (day, kind, target, visitor) in this batch stands for it.
    let mut firsts: HashMap<(i64, Kind, &str, &str), &str> = HashMap::new();
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
        for row in statement.query().fetch_all(&mut **tx).await? {
            let day: i64 = row.try_get(0)?;
            let kind: String = row.try_get(1)?;
            let target: String = row.try_get(2)?;
            let visitor: String = row.try_get(3)?;
            let Some(kind) = Kind::parse(&kind) else {
                continue;
            };
            if let Some(event_id) = firsts.get(&(day, kind, target.as_str(), visitor.as_str())) {
                new_events.insert((*event_id).to_owned());
            }
        }
    }
    Ok(new_events)
}

/// Flags the events where a visitor was first seen that day, so filtered queries (which read the
/// events) count uniques as the rollups do. Few per batch: only first visits are updated.
async fn mark_first_visits(
    tx: &mut Transaction<'static, Any>,
    event_ids: &HashSet<String>,
) -> Result<(), sqlx::Error> {
    let ids: Vec<&str> = event_ids.iter().map(String::as_str).collect();
    for chunk in ids.chunks(ROWS_PER_UPDATE) {
        // Placeholders only: the ids themselves are bound.
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "UPDATE analytics_events SET first_visit = 1 WHERE id IN ({})",
            list.join(",")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Ids per `UPDATE … IN (…)`, well under SQLite's parameter limit.
const ROWS_PER_UPDATE: usize = 200;

#[derive(Default)]
struct Counts {
    events: i64,
    humans: i64,
    bots: i64,
    uniques: i64,
}

async fn upsert_rollups(
    tx: &mut Transaction<'static, Any>,
    rows: &[&Classified],
    first_visits: &HashSet<String>,
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
            statement.query().execute(&mut **tx).await?;
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
        statement.query().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn upsert_targets(
    tx: &mut Transaction<'static, Any>,
    rows: &[&Classified],
) -> Result<(), sqlx::Error> {
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
        statement.query().execute(&mut **tx).await?;
    }
    Ok(())
}
