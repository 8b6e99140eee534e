//! The numbers a user sees: totals, series and breakdowns from the rollups and the account
//! overview (the CSV exports are `crate::export`). Ownership is checked here: an unknown id and
//! another owner's id are the same `NotFound`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::db::Db;

use crate::classify::visitor::{DAY_MS, day_of};
pub use crate::dimension::Count;
use crate::dimension::{self, Breakdowns, Dimension};
use crate::error::AnalyticsError;
use crate::filter::Filters;
use crate::hit::Kind;
use crate::names;
use crate::range::Range;
use crate::store::{self, DimensionCount, HourRow};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Window {
    pub from: String,
    pub to: String,
    pub interval: String,
    pub tz: String,
}

impl From<&Range> for Window {
    fn from(r: &Range) -> Self {
        Window {
            from: r.from.to_string(),
            to: r.to.to_string(),
            interval: r.interval.as_str().to_owned(),
            tz: r.tz_name.clone(),
        }
    }
}

/// The answer's headline numbers over the previous period: the window of the same length that
/// ends where the asked range starts. `totals` uses the answer's own field names
/// (`total_scans`, `human_scans`, …), so a client shows each number beside its previous value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Previous {
    /// First and last day of the previous window, in the range's time zone.
    pub from: String,
    pub to: String,
    pub totals: BTreeMap<String, i64>,
}

impl Previous {
    fn of(range: &Range, totals: &[(&str, i64)]) -> Previous {
        Previous {
            from: range.from.to_string(),
            to: range.to.to_string(),
            totals: totals.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        }
    }

    /// The previous value of the headline `field` (0 when it was not counted).
    pub fn of_field(&self, field: &str) -> i64 {
        self.totals.get(field).copied().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanPoint {
    pub t: String,
    pub scans: i64,
    pub human: i64,
    /// Daily unique scanners first seen in this period: each scanner counts once per UTC day, in
    /// the period of their first scan that day.
    pub unique: i64,
}

/// `GET /api/v1/analytics/qr/{id}`. Breakdowns count human scans; bots are in `bot_scans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QrStats {
    #[serde(flatten)]
    pub window: Window,
    pub total_scans: i64,
    pub human_scans: i64,
    pub bot_scans: i64,
    /// Daily unique scanners, added up: the distinct scanners of each UTC day, summed over the
    /// days of the range, so someone who scans on three days counts three times. Visitor ids are
    /// salted per day, so nobody can be matched across days; the name is kept for compatibility.
    pub unique_scanners: i64,
    pub series: Vec<ScanPoint>,
    /// `by_device`, `by_os`, … `by_rule`: one list per [`Dimension`] of a scan.
    #[serde(flatten)]
    #[schema(schema_with = dimension::scan_schema)]
    pub breakdowns: Breakdowns,
    /// Shown next to `by_country` when the country data asks for credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_attribution: Option<String>,
    /// `total_scans`, `human_scans`, `bot_scans` and `unique_scanners` over the previous period.
    #[serde(default)]
    pub previous: Previous,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ViewPoint {
    pub t: String,
    pub views: i64,
    pub human: i64,
    /// Daily unique visitors first seen in this period (each counts once per UTC day).
    pub unique: i64,
    pub clicks: i64,
}

/// `GET /api/v1/analytics/microsites/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MicrositeStats {
    #[serde(flatten)]
    pub window: Window,
    pub views: i64,
    pub human_views: i64,
    pub bot_views: i64,
    /// Daily unique visitors, added up: the distinct visitors of each UTC day, summed over the
    /// days of the range (visitor ids are salted per day; the name is kept for compatibility).
    pub unique_visitors: i64,
    pub clicks: i64,
    pub human_clicks: i64,
    /// Human clicks per human view (0 without views).
    pub click_through_rate: f64,
    pub series: Vec<ViewPoint>,
    pub clicks_by_block: Vec<Count>,
    /// Human views per QR code (its short code) that led to the page (`?src=qr_{code}`).
    pub views_by_qr: Vec<Count>,
    /// `by_device`, `by_os`, …: one list per [`Dimension`] of a view.
    #[serde(flatten)]
    #[schema(schema_with = dimension::view_schema)]
    pub breakdowns: Breakdowns,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_attribution: Option<String>,
    /// The page's title, when analytics has been told it (`names.changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The labels of the link blocks in `clicks_by_block`, by block id (those analytics knows).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub block_names: BTreeMap<String, String>,
    /// `views`, `human_views`, `bot_views`, `unique_visitors`, `clicks` and `human_clicks` over
    /// the previous period.
    #[serde(default)]
    pub previous: Previous,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopItem {
    pub id: String,
    pub count: i64,
    /// The code's name or the page's title, when analytics has been told it (`names.changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Funnel {
    pub scans: i64,
    pub views: i64,
    pub clicks: i64,
}

/// `GET /api/v1/analytics/overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overview {
    #[serde(flatten)]
    pub window: Window,
    pub total_scans: i64,
    pub human_scans: i64,
    pub bot_scans: i64,
    /// Daily unique scanners, added up over the days of the range and over the codes: someone
    /// who scans two codes on three days counts six times (the name is kept for compatibility).
    pub unique_scanners: i64,
    pub views: i64,
    pub clicks: i64,
    /// By human scans.
    pub top_codes: Vec<TopItem>,
    /// By human views.
    pub top_pages: Vec<TopItem>,
    /// Human scans → human views → human clicks.
    pub funnel: Funnel,
    /// Scans of all the account's codes per period of the range.
    #[serde(default)]
    pub series: Vec<ScanPoint>,
    /// `total_scans`, `human_scans`, `bot_scans`, `unique_scanners`, `views` and `clicks` over the
    /// previous period.
    #[serde(default)]
    pub previous: Previous,
}

const TOP_N: usize = 10;

pub(crate) async fn check_owner(
    db: &Db,
    owner: &str,
    target_id: &str,
    target_kind: &str,
) -> Result<(), AnalyticsError> {
    match store::owner_of(db.pool(), target_id, target_kind).await? {
        Some(found) if found == owner => Ok(()),
        _ => Err(AnalyticsError::NotFound),
    }
}

/// The UTC days that overlap the range (dimension rollups are per UTC day).
fn day_span(range: &Range) -> (i64, i64) {
    (day_of(range.from_ms), day_of(range.to_ms - 1) + DAY_MS)
}

#[derive(Default, Clone, Copy)]
struct Sum {
    events: i64,
    humans: i64,
    bots: i64,
    uniques: i64,
}

fn bucketed(range: &Range, rows: &[HourRow]) -> (Sum, Vec<(i64, Sum)>) {
    let mut buckets: BTreeMap<i64, Sum> = range
        .bucket_starts()
        .into_iter()
        .map(|b| (b, Sum::default()))
        .collect();
    let mut total = Sum::default();
    for row in rows {
        for sum in [
            &mut total,
            buckets.entry(range.bucket_of(row.bucket)).or_default(),
        ] {
            sum.events += row.events;
            sum.humans += row.humans;
            sum.bots += row.bots;
            sum.uniques += row.uniques;
        }
    }
    (total, buckets.into_iter().collect())
}

/// Human counts per dimension, most first (ties by key), zero counts left out.
fn by_dimension(counts: Vec<DimensionCount>) -> BTreeMap<Dimension, Vec<Count>> {
    let mut out: BTreeMap<Dimension, Vec<Count>> = BTreeMap::new();
    for c in counts.into_iter().filter(|c| c.humans > 0) {
        // A dimension this version no longer knows is left out rather than failing the answer.
        let Some(dimension) = Dimension::parse(&c.dimension) else {
            continue;
        };
        out.entry(dimension).or_default().push(Count {
            key: c.value,
            count: c.humans,
        });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    }
    out
}

/// The series rows of a scope: from the daily rollup when the buckets allow it, the hourly one
/// otherwise, and from the raw events when there are filters (the rollups cannot answer those).
async fn series_rows(
    db: &Db,
    scope: store::Scope<'_>,
    kind: Kind,
    range: &Range,
    filters: &Filters,
) -> Result<Vec<HourRow>, AnalyticsError> {
    let window = (range.from_ms, range.to_ms);
    if !filters.is_empty() {
        return Ok(store::filtered_series(db.pool(), scope, kind, window, HOUR_MS, filters).await?);
    }
    Ok(store::hourly(db.pool(), grain_of(range), scope, kind, window.0, window.1).await?)
}

const HOUR_MS: i64 = 3_600_000;

fn grain_of(range: &Range) -> store::Grain {
    if range.utc_day_aligned() {
        store::Grain::Day
    } else {
        store::Grain::Hour
    }
}

/// Per-dimension counts: from the daily dimension rollup (whole UTC days), or from the raw
/// events of the exact range under filters.
async fn dimensions_of(
    db: &Db,
    target_id: &str,
    kind: Kind,
    range: &Range,
    filters: &Filters,
) -> Result<Vec<DimensionCount>, AnalyticsError> {
    if !filters.is_empty() {
        let window = (range.from_ms, range.to_ms);
        return Ok(store::filtered_dimensions(db.pool(), target_id, kind, window, filters).await?);
    }
    let (from_day, to_day) = day_span(range);
    Ok(store::dimension_counts(db.pool(), target_id, kind, from_day, to_day).await?)
}

/// Who asks about which of their codes or pages, over which range and with which filters: what
/// every per-target answer reads.
pub struct Asked {
    pub owner: String,
    pub id: String,
    pub range: Range,
    pub filters: Filters,
}

pub async fn qr_stats(db: &Db, asked: &Asked) -> Result<QrStats, AnalyticsError> {
    let Asked {
        owner,
        id: qr_id,
        range,
        filters,
    } = asked;
    let scope = store::Scope::Target(qr_id);
    // The ownership check and both reads run at once (three pooled connections, one round trip
    // of latency); nothing is returned unless the check passed.
    let before = range.previous();
    let ((), rows, dims, previous) = tokio::try_join!(
        check_owner(db, owner, qr_id, "qr"),
        series_rows(db, scope, Kind::Scan, range, filters),
        dimensions_of(db, qr_id, Kind::Scan, range, filters),
        series_rows(db, scope, Kind::Scan, &before, filters),
    )?;
    let total = summed(&rows);
    let p = summed(&previous);
    Ok(QrStats {
        window: range.into(),
        total_scans: total.events,
        human_scans: total.humans,
        bot_scans: total.bots,
        unique_scanners: total.uniques,
        series: scan_points(range, &rows),
        breakdowns: Breakdowns::take(Kind::Scan, &mut by_dimension(dims)),
        country_attribution: None,
        previous: Previous::of(
            &before,
            &[
                ("total_scans", p.events),
                ("human_scans", p.humans),
                ("bot_scans", p.bots),
                ("unique_scanners", p.uniques),
            ],
        ),
    })
}

pub async fn microsite_stats(db: &Db, asked: &Asked) -> Result<MicrositeStats, AnalyticsError> {
    let Asked {
        owner,
        id: microsite_id,
        range,
        filters,
    } = asked;
    let scope = store::Scope::Target(microsite_id);
    let before = range.previous();
    let ((), views, clicks, view_dims, click_dims, views_before, clicks_before) = tokio::try_join!(
        check_owner(db, owner, microsite_id, "microsite"),
        series_rows(db, scope, Kind::View, range, filters),
        series_rows(db, scope, Kind::Click, range, filters),
        dimensions_of(db, microsite_id, Kind::View, range, filters),
        dimensions_of(db, microsite_id, Kind::Click, range, filters),
        series_rows(db, scope, Kind::View, &before, filters),
        series_rows(db, scope, Kind::Click, &before, filters),
    )?;
    let (v, c) = (summed(&views_before), summed(&clicks_before));
    let previous = Previous::of(
        &before,
        &[
            ("views", v.events),
            ("human_views", v.humans),
            ("bot_views", v.bots),
            ("unique_visitors", v.uniques),
            ("clicks", c.events),
            ("human_clicks", c.humans),
        ],
    );
    let (view_total, view_series) = bucketed(range, &views);
    let (click_total, click_series) = bucketed(range, &clicks);
    let mut by = by_dimension(view_dims);
    let clicks_by_block = by_dimension(click_dims)
        .remove(&Dimension::Block)
        .unwrap_or_default();
    let mut block_names = names::lookup(db, owner, "block").await;
    block_names.retain(|id, _| clicks_by_block.iter().any(|c| &c.key == id));
    let ctr = if view_total.humans > 0 {
        click_total.humans as f64 / view_total.humans as f64
    } else {
        0.0
    };
    Ok(MicrositeStats {
        window: range.into(),
        views: view_total.events,
        human_views: view_total.humans,
        bot_views: view_total.bots,
        unique_visitors: view_total.uniques,
        clicks: click_total.events,
        human_clicks: click_total.humans,
        click_through_rate: (ctr * 10_000.0).round() / 10_000.0,
        series: view_series
            .into_iter()
            .zip(click_series)
            .map(|((t, v), (_, c))| ViewPoint {
                t: range.label(t),
                views: v.events,
                human: v.humans,
                unique: v.uniques,
                clicks: c.events,
            })
            .collect(),
        clicks_by_block,
        views_by_qr: by.remove(&Dimension::Qr).unwrap_or_default(),
        breakdowns: Breakdowns::take(Kind::View, &mut by),
        country_attribution: None,
        name: names::lookup(db, owner, "microsite")
            .await
            .remove(microsite_id),
        block_names,
        previous,
    })
}

/// The account's numbers; `filters` narrow every one of them (scans, views and clicks alike).
pub async fn overview(
    db: &Db,
    owner: &str,
    range: &Range,
    filters: &Filters,
) -> Result<Overview, AnalyticsError> {
    let before = range.previous();
    let (totals, totals_before, scan_rows) = tokio::try_join!(
        owner_totals(db, owner, range, filters),
        owner_totals(db, owner, &before, filters),
        series_rows(db, store::Scope::Owner(owner), Kind::Scan, range, filters),
    )?;
    let sum = |kind: Kind, pick: fn(&store::TargetTotals) -> i64| -> i64 {
        totals.iter().filter(|t| t.kind == kind).map(pick).sum()
    };
    let sum_before = |kind: Kind, pick: fn(&store::TargetTotals) -> i64| -> i64 {
        totals_before
            .iter()
            .filter(|t| t.kind == kind)
            .map(pick)
            .sum()
    };
    let previous = Previous::of(
        &before,
        &[
            ("total_scans", sum_before(Kind::Scan, |t| t.events)),
            ("human_scans", sum_before(Kind::Scan, |t| t.humans)),
            ("bot_scans", sum_before(Kind::Scan, |t| t.bots)),
            ("unique_scanners", sum_before(Kind::Scan, |t| t.uniques)),
            ("views", sum_before(Kind::View, |t| t.events)),
            ("clicks", sum_before(Kind::Click, |t| t.events)),
        ],
    );
    let (code_names, page_names) = tokio::join!(
        names::lookup(db, owner, "qr"),
        names::lookup(db, owner, "microsite"),
    );
    let top = |kind: Kind| -> Vec<TopItem> {
        let names = if kind == Kind::Scan {
            &code_names
        } else {
            &page_names
        };
        let mut items: Vec<TopItem> = totals
            .iter()
            .filter(|t| t.kind == kind && t.humans > 0)
            .map(|t| TopItem {
                id: t.target_id.clone(),
                count: t.humans,
                name: names.get(&t.target_id).cloned(),
            })
            .collect();
        items.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
        items.truncate(TOP_N);
        items
    };
    Ok(Overview {
        window: range.into(),
        total_scans: sum(Kind::Scan, |t| t.events),
        human_scans: sum(Kind::Scan, |t| t.humans),
        bot_scans: sum(Kind::Scan, |t| t.bots),
        unique_scanners: sum(Kind::Scan, |t| t.uniques),
        views: sum(Kind::View, |t| t.events),
        clicks: sum(Kind::Click, |t| t.events),
        top_codes: top(Kind::Scan),
        top_pages: top(Kind::View),
        funnel: Funnel {
            scans: sum(Kind::Scan, |t| t.humans),
            views: sum(Kind::View, |t| t.humans),
            clicks: sum(Kind::Click, |t| t.humans),
        },
        series: scan_points(range, &scan_rows),
        previous,
    })
}

async fn owner_totals(
    db: &Db,
    owner: &str,
    range: &Range,
    filters: &Filters,
) -> Result<Vec<store::TargetTotals>, AnalyticsError> {
    if !filters.is_empty() {
        let window = (range.from_ms, range.to_ms);
        return Ok(store::filtered_owner_totals(db.pool(), owner, window, filters).await?);
    }
    Ok(store::owner_totals(
        db.pool(),
        grain_of(range),
        owner,
        range.from_ms,
        range.to_ms,
    )
    .await?)
}

/// Rollup rows as the scan series of the range (empty periods included).
fn scan_points(range: &Range, rows: &[HourRow]) -> Vec<ScanPoint> {
    bucketed(range, rows)
        .1
        .into_iter()
        .map(|(t, s)| ScanPoint {
            t: range.label(t),
            scans: s.events,
            human: s.humans,
            unique: s.uniques,
        })
        .collect()
}

/// The totals of rollup rows (the previous period needs no buckets).
fn summed(rows: &[HourRow]) -> Sum {
    rows.iter().fold(Sum::default(), |sum, row| Sum {
        events: sum.events + row.events,
        humans: sum.humans + row.humans,
        bots: sum.bots + row.bots,
        uniques: sum.uniques + row.uniques,
    })
}

/// The most ids one `qr-totals` call may ask about (one page of the codes list).
pub const MAX_TOTAL_IDS: usize = 100;

/// All-time scans of one QR code (for lists of codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct ScanTotals {
    pub total: i64,
    pub human: i64,
}

/// `GET /api/v1/analytics/qr-totals?ids=a,b`: every asked id gets an answer; ids that are not
/// the caller's (or never scanned) are zeros, so the answer reveals nothing about other users.
pub async fn qr_totals(
    db: &Db,
    owner: &str,
    ids: &str,
) -> Result<BTreeMap<String, ScanTotals>, AnalyticsError> {
    let ids: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    if ids.len() > MAX_TOTAL_IDS {
        return Err(AnalyticsError::invalid(
            "ids",
            format!("at most {MAX_TOTAL_IDS} ids per call"),
        ));
    }
    if ids.iter().any(|id| id.len() > 64) {
        return Err(AnalyticsError::invalid(
            "ids",
            "ids are at most 64 characters",
        ));
    }
    let mut out: BTreeMap<String, ScanTotals> = ids
        .iter()
        .map(|id| ((*id).to_owned(), ScanTotals::default()))
        .collect();
    if ids.is_empty() {
        return Ok(out);
    }
    for (id, total, human) in store::scan_totals(db.pool(), owner, &ids).await? {
        out.insert(id, ScanTotals { total, human });
    }
    Ok(out)
}
