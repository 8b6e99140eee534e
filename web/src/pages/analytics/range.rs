//! The dashboards' date range: a preset (24 h, 7 d, 30 d, 90 d, all) or a custom pair of dates,
//! from a GET form so it works without JavaScript. Turned into the analytics API's
//! `from`/`to`/`interval` (UTC days); the API validates again and has the last word.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Deserialize;

/// What the page's query string may carry.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RangeParams {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// An analytics page's query string: the range it picks, and the whole of it for the filters,
/// which take any dimension's name. Rejects as `Query<RangeParams>` does.
pub struct PageQuery {
    pub range: RangeParams,
    pub raw: String,
}

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, QueryRejection> {
        let Query(range) = Query::<RangeParams>::from_request_parts(parts, state).await?;
        let raw = parts.uri.query().unwrap_or_default().to_owned();
        Ok(PageQuery { range, raw })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Day,
    Week,
    Month,
    Quarter,
    All,
    Custom,
}

impl Preset {
    pub const LISTED: [Preset; 5] = [
        Preset::Day,
        Preset::Week,
        Preset::Month,
        Preset::Quarter,
        Preset::All,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Preset::Day => "24h",
            Preset::Week => "7d",
            Preset::Month => "30d",
            Preset::Quarter => "90d",
            Preset::All => "all",
            Preset::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Day => "24 h",
            Preset::Week => "7 days",
            Preset::Month => "30 days",
            Preset::Quarter => "90 days",
            Preset::All => "All time",
            Preset::Custom => "Custom",
        }
    }

    fn parse(key: &str) -> Option<Preset> {
        Preset::LISTED
            .into_iter()
            .chain([Preset::Custom])
            .find(|p| p.key() == key)
    }
}

/// How far back "all time" reaches: the API's longest range (1,830 days).
const ALL_DAYS: i64 = 1_829;
/// The earliest start date a custom range may have.
const EARLIEST: Date = jiff::civil::date(2000, 1, 1);

/// A resolved range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub preset: Preset,
    pub from: Date,
    pub to: Date,
    pub interval: &'static str,
}

impl Window {
    /// The range the page asked for; a bad custom range gives the default (30 days) plus a
    /// message saying what was wrong.
    pub fn parse(params: &RangeParams, today: Date) -> (Window, Option<String>) {
        let preset = params
            .range
            .as_deref()
            .map(str::trim)
            .and_then(Preset::parse)
            // A custom form sends dates without naming the preset when JavaScript is off.
            .unwrap_or(if has(params.from.as_ref()) || has(params.to.as_ref()) {
                Preset::Custom
            } else {
                Preset::Month
            });
        match preset {
            Preset::Custom => match custom(params, today) {
                Ok(window) => (window, None),
                Err(message) => (Window::preset(Preset::Month, today), Some(message)),
            },
            preset => (Window::preset(preset, today), None),
        }
    }

    pub fn preset(preset: Preset, today: Date) -> Window {
        let back = |days: i64| today.checked_sub(days.days()).unwrap_or(today);
        let (from, interval) = match preset {
            // Dates are whole days: "24 h" is yesterday and today, hour by hour.
            Preset::Day => (back(1), "hour"),
            Preset::Week => (back(6), "day"),
            Preset::Month | Preset::Custom => (back(29), "day"),
            Preset::Quarter => (back(89), "day"),
            Preset::All => (back(ALL_DAYS), "month"),
        };
        Window {
            preset,
            from,
            to: today,
            interval,
        }
    }

    /// The analytics API's query string (dates in UTC).
    pub fn api_query(&self) -> String {
        format!(
            "from={}&to={}&interval={}&tz=UTC",
            self.from, self.to, self.interval
        )
    }

    /// This range as the page's own query string (for links such as the CSV download).
    pub fn page_query(&self) -> String {
        match self.preset {
            Preset::Custom => format!("range=custom&from={}&to={}", self.from, self.to),
            preset => format!("range={}", preset.key()),
        }
    }

    /// Leading empty buckets are left out of the "all time" chart (it starts years back).
    pub fn trims_leading_empty(&self) -> bool {
        self.preset == Preset::All
    }
}

fn has(value: Option<&String>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}

fn custom(params: &RangeParams, today: Date) -> Result<Window, String> {
    let date = |name: &str, value: &Option<String>| -> Result<Date, String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("Choose a {name} date."))?
            .parse::<Date>()
            .map_err(|_| format!("The {name} date must look like 2026-01-31."))
    };
    let from = date("start", &params.from)?;
    let to = date("end", &params.to)?;
    if from > to {
        return Err("The start date must not be after the end date.".into());
    }
    if from > today {
        return Err("The start date is in the future.".into());
    }
    // Scans cannot predate the product; an earlier year is a typo, and the API cannot turn
    // dates near the calendar's limits (-9999) into times at all.
    if from < EARLIEST {
        return Err(format!("The start date must be {EARLIEST} or later."));
    }
    let days = (to - from).get_days() + 1;
    if i64::from(days) > ALL_DAYS + 1 {
        return Err(format!("A range covers at most {} days.", ALL_DAYS + 1));
    }
    let interval = match days {
        ..=2 => "hour",
        3..=92 => "day",
        93..=730 => "week",
        _ => "month",
    };
    Ok(Window {
        preset: Preset::Custom,
        from,
        to,
        interval,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-11-25".parse().unwrap()
    }

    fn params(range: &str, from: &str, to: &str) -> RangeParams {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        RangeParams {
            range: opt(range),
            from: opt(from),
            to: opt(to),
        }
    }

    #[test]
    fn presets_become_api_ranges() {
        for (key, from, interval) in [
            ("24h", "2026-11-24", "hour"),
            ("7d", "2026-11-19", "day"),
            ("30d", "2026-10-27", "day"),
            ("90d", "2026-08-28", "day"),
            ("all", "2021-11-22", "month"),
        ] {
            let (window, error) = Window::parse(&params(key, "", ""), today());
            assert_eq!(error, None);
            assert_eq!(window.preset.key(), key);
            assert_eq!(
                window.api_query(),
                format!("from={from}&to=2026-11-25&interval={interval}&tz=UTC"),
                "{key}"
            );
            assert_eq!(window.page_query(), format!("range={key}"));
        }
    }

    #[test]
    fn no_range_or_an_unknown_one_is_30_days() {
        for p in [params("", "", ""), params("fortnight", "", "")] {
            let (window, error) = Window::parse(&p, today());
            assert_eq!(window.preset, Preset::Month);
            assert_eq!(error, None);
        }
    }

    #[test]
    fn custom_ranges_pick_an_interval_and_survive_without_the_preset_name() {
        let (window, error) = Window::parse(&params("", "2026-11-01", "2026-11-10"), today());
        assert_eq!(error, None);
        assert_eq!(window.preset, Preset::Custom);
        assert_eq!(
            window.api_query(),
            "from=2026-11-01&to=2026-11-10&interval=day&tz=UTC"
        );
        assert_eq!(
            window.page_query(),
            "range=custom&from=2026-11-01&to=2026-11-10"
        );
        let (window, _) = Window::parse(&params("custom", "2026-11-25", "2026-11-25"), today());
        assert_eq!(window.interval, "hour");
        let (window, _) = Window::parse(&params("custom", "2025-01-01", "2026-11-25"), today());
        assert_eq!(window.interval, "week");
        let (window, _) = Window::parse(&params("custom", "2023-01-01", "2026-11-25"), today());
        assert_eq!(window.interval, "month");
    }

    #[test]
    fn bad_custom_ranges_fall_back_to_30_days_with_a_message() {
        for (from, to, said) in [
            ("2026-11-10", "2026-11-01", "after"),
            ("yesterday", "2026-11-01", "2026-01-31"),
            ("", "2026-11-01", "start"),
            ("2030-01-01", "2030-01-02", "future"),
            ("2010-01-01", "2026-11-01", "at most"),
            ("2026-11-01<script>", "2026-11-02", "2026-01-31"),
            ("-009999-01-01", "-009999-01-01", "2000-01-01 or later"),
            ("1999-12-31", "2000-01-02", "2000-01-01 or later"),
        ] {
            let (window, error) = Window::parse(&params("custom", from, to), today());
            assert_eq!(window.preset, Preset::Month, "{from}..{to}");
            let error = error.expect("a message");
            assert!(error.contains(said), "{error}");
            assert!(!error.contains('<'), "the input is not echoed");
        }
    }
}
