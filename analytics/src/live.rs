//! The last 30 minutes of a code or page, minute by minute: read from the raw events (the
//! rollups are hourly), so it shows a scan as soon as the batching writer has stored it.

use serde::{Deserialize, Serialize};
use shared::db::Db;

use crate::dimension::{Count, Dimension};
use crate::error::AnalyticsError;
use crate::filter::Filters;
use crate::hit::Kind;
use crate::query::check_owner;
use crate::store::{self, Scope};

/// Minutes the live view covers.
pub const MINUTES: i64 = 30;
const MINUTE_MS: i64 = 60_000;
/// Rows of each top list.
const TOP: usize = 5;

/// One minute of the live view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveMinute {
    /// The minute's start, RFC 3339 in UTC.
    pub t: String,
    pub human: i64,
    pub bot: i64,
}

/// `GET /api/v1/analytics/{qr|microsites}/{id}/live`: scans (or page views) of the last 30
/// minutes, the current minute included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Live {
    /// Start of the first minute and end of the last (RFC 3339, UTC).
    pub from: String,
    pub to: String,
    /// `scan` for a code, `view` for a page.
    pub kind: String,
    pub human: i64,
    pub bot: i64,
    /// 30 minutes, oldest first, empty minutes included.
    pub minutes: Vec<LiveMinute>,
    /// People by country (ISO code or `unknown`), most first, at most five.
    pub top_countries: Vec<Count>,
    /// People by device type, most first, at most five.
    pub top_devices: Vec<Count>,
}

/// The live view of `target_id` (`target_kind` `qr` or `microsite`) as of `now_ms`.
pub async fn live(
    db: &Db,
    owner: &str,
    target_id: &str,
    target_kind: &str,
    now_ms: i64,
) -> Result<Live, AnalyticsError> {
    let kind = if target_kind == "qr" {
        Kind::Scan
    } else {
        Kind::View
    };
    let to = (now_ms / MINUTE_MS + 1) * MINUTE_MS;
    let from = to - MINUTES * MINUTE_MS;
    let none = Filters::default();
    let scope = Scope::Target(target_id);
    let ((), rows, dims) = tokio::try_join!(
        check_owner(db, owner, target_id, target_kind),
        async {
            Ok(
                store::filtered_series(db.pool(), scope, kind, (from, to), MINUTE_MS, &none)
                    .await?,
            )
        },
        async {
            Ok(store::filtered_dimensions(db.pool(), target_id, kind, (from, to), &none).await?)
        },
    )?;
    let minutes: Vec<LiveMinute> = (0..MINUTES)
        .map(|i| {
            let start = from + i * MINUTE_MS;
            let row = rows.iter().find(|r| r.bucket == start);
            LiveMinute {
                t: rfc3339(start),
                human: row.map_or(0, |r| r.humans),
                bot: row.map_or(0, |r| r.bots),
            }
        })
        .collect();
    let top = |dimension: Dimension| -> Vec<Count> {
        let mut list: Vec<Count> = dims
            .iter()
            .filter(|d| d.dimension == dimension.as_str() && d.humans > 0)
            .map(|d| Count {
                key: d.value.clone(),
                count: d.humans,
            })
            .collect();
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        list.truncate(TOP);
        list
    };
    Ok(Live {
        from: rfc3339(from),
        to: rfc3339(to),
        kind: kind.as_str().to_owned(),
        human: minutes.iter().map(|m| m.human).sum(),
        bot: minutes.iter().map(|m| m.bot).sum(),
        minutes,
        top_countries: top(Dimension::Country),
        top_devices: top(Dimension::Device),
    })
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
