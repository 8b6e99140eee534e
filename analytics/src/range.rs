//! The time window of a query: `from`/`to` as ISO dates (inclusive, in `tz`), an interval and an
//! IANA time zone (jiff's bundled database, so it works in images without `/usr/share/zoneinfo`).
//! Default: the last 30 days, by day. Invalid input is a 422 naming the field.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::Deserialize;

use crate::error::AnalyticsError;

/// The longest range one query may cover.
const MAX_DAYS: i32 = 1_830;
/// The most points one series may have.
const MAX_BUCKETS: usize = 3_000;
const DEFAULT_DAYS: i32 = 30;
const QUARTER_HOUR_MS: i64 = 15 * 60_000;

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Start (ISO date or RFC 3339 time; default 30 days ago).
    pub from: Option<String>,
    /// End (default now).
    pub to: Option<String>,
    /// `hour`, `day`, `week` or `month`.
    pub interval: Option<String>,
    /// IANA time zone of the buckets (default UTC).
    pub tz: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
    Week,
    Month,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Range {
    pub from: Date,
    pub to: Date,
    /// First millisecond of `from` in `tz`.
    pub from_ms: i64,
    /// First millisecond after `to` in `tz` (exclusive).
    pub to_ms: i64,
    pub interval: Interval,
    pub tz: TimeZone,
    pub tz_name: String,
}

impl Range {
    pub fn parse(query: &RangeQuery, now: Timestamp) -> Result<Range, AnalyticsError> {
        let tz_name = query
            .tz
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or("UTC")
            .to_owned();
        let tz = TimeZone::get(&tz_name)
            .map_err(|_| AnalyticsError::invalid("tz", "an IANA time zone such as Europe/Paris"))?;
        let today = now.to_zoned(tz.clone()).date();
        let date =
            |field: &'static str, raw: Option<&String>| -> Result<Option<Date>, AnalyticsError> {
                raw.map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<Date>()
                            .map_err(|_| AnalyticsError::invalid(field, "a date as YYYY-MM-DD"))
                    })
                    .transpose()
            };
        let to = date("to", query.to.as_ref())?.unwrap_or(today);
        let from = match date("from", query.from.as_ref())? {
            Some(from) => from,
            None => to
                .checked_sub((DEFAULT_DAYS - 1).days())
                .map_err(|_| AnalyticsError::invalid("to", "out of range"))?,
        };
        if from > to {
            return Err(AnalyticsError::invalid("from", "must not be after `to`"));
        }
        let days = (to - from).get_days() + 1;
        if days > MAX_DAYS {
            return Err(AnalyticsError::invalid(
                "from",
                format!("a range covers at most {MAX_DAYS} days"),
            ));
        }
        let interval = match query.interval.as_deref().map(str::trim) {
            None | Some("") if days <= 2 => Interval::Hour,
            None | Some("" | "day") => Interval::Day,
            Some("hour") => Interval::Hour,
            Some("week") => Interval::Week,
            Some("month") => Interval::Month,
            Some(_) => {
                return Err(AnalyticsError::invalid(
                    "interval",
                    "one of hour, day, week, month",
                ));
            }
        };
        let start = |d: Date| -> Result<i64, AnalyticsError> {
            d.to_zoned(tz.clone())
                .map(|z| z.timestamp().as_millisecond())
                .map_err(|_| AnalyticsError::invalid("from", "out of range"))
        };
        let next = to
            .tomorrow()
            .map_err(|_| AnalyticsError::invalid("to", "out of range"))?;
        let range = Range {
            from,
            to,
            from_ms: start(from)?,
            to_ms: start(next)?,
            interval,
            tz,
            tz_name,
        };
        if range.bucket_starts().len() > MAX_BUCKETS {
            return Err(AnalyticsError::invalid(
                "interval",
                "too many points for this range; choose a longer interval",
            ));
        }
        Ok(range)
    }

    /// The window of the same length that ends where this one starts (the "previous period"
    /// headline numbers are compared with), same interval and time zone.
    pub fn previous(&self) -> Range {
        let length = self.to_ms - self.from_ms;
        let (from_ms, to_ms) = (self.from_ms - length, self.from_ms);
        Range {
            from: self.zoned(from_ms).date(),
            to: self.zoned(to_ms - 1).date(),
            from_ms,
            to_ms,
            interval: self.interval,
            tz: self.tz.clone(),
            tz_name: self.tz_name.clone(),
        }
    }

    fn zoned(&self, ms: i64) -> Zoned {
        Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
    }

    fn start_of_local_day(&self, date: Date) -> i64 {
        date.to_zoned(self.tz.clone())
            .map_or(0, |z| z.timestamp().as_millisecond())
    }

    /// Whether the wall clock reads a whole hour at `ms` (local `hh:00:00`).
    fn is_local_hour_start(&self, ms: i64) -> bool {
        let z = self.zoned(ms);
        z.minute() == 0 && z.second() == 0 && z.subsec_nanosecond() == 0
    }

    /// The last instant at or before `ms` where the wall clock read a whole hour. Found by
    /// walking back over UTC quarter hours (every offset in use today is a multiple of 15
    /// minutes) rather than by setting the minutes to zero: across a half-hour shift (Lord
    /// Howe's, say) "01:00" names a different instant than the one the hour began at, and
    /// buckets would overlap. Two hours of quarters cover any shift; a zone whose offset is
    /// not on a quarter (historic local mean time) falls back to the civil truncation.
    fn hour_start_at_or_before(&self, ms: i64) -> i64 {
        let mut at = ms - ms.rem_euclid(QUARTER_HOUR_MS);
        for _ in 0..=8 {
            if self.is_local_hour_start(at) {
                return at;
            }
            at -= QUARTER_HOUR_MS;
        }
        let zoned = self.zoned(ms);
        ms - i64::from(zoned.minute()) * 60_000
            - i64::from(zoned.second()) * 1_000
            - i64::from(zoned.millisecond())
    }

    /// The first instant after `start` where the wall clock reads a whole hour.
    fn hour_start_after(&self, start: i64) -> i64 {
        let mut at = start - start.rem_euclid(QUARTER_HOUR_MS) + QUARTER_HOUR_MS;
        for _ in 0..=12 {
            if self.is_local_hour_start(at) {
                return at;
            }
            at += QUARTER_HOUR_MS;
        }
        start + 3_600_000
    }

    /// The start of the bucket holding `ms`.
    pub fn bucket_of(&self, ms: i64) -> i64 {
        let zoned = self.zoned(ms);
        let date = zoned.date();
        match self.interval {
            Interval::Hour => self.hour_start_at_or_before(ms),
            Interval::Day => self.start_of_local_day(date),
            Interval::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                self.start_of_local_day(date.checked_sub(back.days()).unwrap_or(date))
            }
            Interval::Month => self.start_of_local_day(date.first_of_month()),
        }
    }

    fn next_bucket(&self, start: i64) -> i64 {
        let date = self.zoned(start).date();
        let next = match self.interval {
            Interval::Hour => return self.hour_start_after(start),
            Interval::Day => date.checked_add(1.day()),
            Interval::Week => date.checked_add(1.week()),
            Interval::Month => date.first_of_month().checked_add(1.month()),
        };
        next.map_or(i64::MAX, |d| self.start_of_local_day(d).max(start + 1))
    }

    /// Every bucket start of the range, in order (empty buckets included, for charts).
    pub fn bucket_starts(&self) -> Vec<i64> {
        let mut out = Vec::new();
        let mut at = self.bucket_of(self.from_ms);
        while at < self.to_ms && out.len() <= MAX_BUCKETS {
            out.push(at);
            at = self.next_bucket(at);
        }
        out
    }

    /// Whether every bucket (and both ends) starts at a UTC midnight, so the per-day rollup gives
    /// exactly the answer of the hourly one with 24 times fewer rows to read (UTC, or any zone
    /// at offset zero, with day, week or month buckets).
    pub fn utc_day_aligned(&self) -> bool {
        const DAY_MS: i64 = 86_400_000;
        self.interval != Interval::Hour
            && self.from_ms.rem_euclid(DAY_MS) == 0
            && self.to_ms.rem_euclid(DAY_MS) == 0
            && self
                .bucket_starts()
                .iter()
                .all(|b| b.rem_euclid(DAY_MS) == 0)
    }

    /// RFC 3339 with the zone's offset, e.g. `2026-03-29T00:00:00+01:00`.
    pub fn label(&self, ms: i64) -> String {
        self.zoned(ms).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str, interval: &str, tz: &str) -> RangeQuery {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        RangeQuery {
            from: opt(from),
            to: opt(to),
            interval: opt(interval),
            tz: opt(tz),
        }
    }

    fn now() -> Timestamp {
        "2026-11-25T14:00:00Z".parse().unwrap()
    }

    #[test]
    fn defaults_to_the_last_30_days_by_day() {
        let r = Range::parse(&RangeQuery::default(), now()).unwrap();
        assert_eq!(r.from.to_string(), "2026-10-27");
        assert_eq!(r.to.to_string(), "2026-11-25");
        assert_eq!(r.interval, Interval::Day);
        assert_eq!(r.bucket_starts().len(), 30);
    }

    #[test]
    fn hours_across_a_half_hour_shift_neither_overlap_nor_gap() {
        // Lord Howe leaves summer time at 02:00 (+11:00) on 2026-04-05, back to 01:30 (+10:30):
        // the hour that began at 01:00 lasts ninety minutes, and the next begins at 02:00+10:30.
        let r = Range::parse(
            &q("2026-04-04", "2026-04-05", "hour", "Australia/Lord_Howe"),
            now(),
        )
        .unwrap();
        let buckets = r.bucket_starts();
        assert!(buckets.windows(2).all(|w| w[0] < w[1]));
        for &b in &buckets {
            assert_eq!(r.bucket_of(b), b, "{}", r.label(b));
        }
        assert_eq!(r.bucket_of(r.to_ms - 1), *buckets.last().unwrap());
        let labels: Vec<String> = buckets.iter().map(|&b| r.label(b)).collect();
        let at = labels
            .iter()
            .position(|l| l == "2026-04-05T01:00:00+11:00")
            .unwrap();
        assert_eq!(labels[at + 1], "2026-04-05T02:00:00+10:30");
        assert_eq!(buckets[at + 1] - buckets[at], 90 * 60_000);
    }

    #[test]
    fn local_days_follow_the_time_zone() {
        let r = Range::parse(&q("2026-03-28", "2026-03-30", "day", "Europe/Paris"), now()).unwrap();
        let labels: Vec<_> = r.bucket_starts().iter().map(|&b| r.label(b)).collect();
        assert_eq!(
            labels,
            [
                "2026-03-28T00:00:00+01:00",
                "2026-03-29T00:00:00+01:00",
                "2026-03-30T00:00:00+02:00"
            ]
        );
        let r = Range::parse(&q("2026-11-01", "2026-12-31", "month", ""), now()).unwrap();
        assert_eq!(r.bucket_starts().len(), 2);
        let r = Range::parse(&q("2026-11-04", "2026-11-18", "week", ""), now()).unwrap();
        assert_eq!(r.label(r.bucket_starts()[0]), "2026-11-02T00:00:00+00:00");
    }

    #[test]
    fn only_utc_day_buckets_may_read_the_daily_rollup() {
        let aligned = |from, to, interval, tz| {
            Range::parse(&q(from, to, interval, tz), now())
                .unwrap()
                .utc_day_aligned()
        };
        assert!(aligned("2026-08-27", "2026-11-25", "day", ""));
        assert!(aligned("2026-08-27", "2026-11-25", "month", "UTC"));
        assert!(!aligned("2026-11-20", "2026-11-25", "hour", ""));
        assert!(!aligned("2026-11-20", "2026-11-25", "day", "Europe/Paris"));
        assert!(!aligned(
            "2026-11-20",
            "2026-11-25",
            "day",
            "America/New_York"
        ));
    }

    #[test]
    fn bad_ranges_name_their_field() {
        for (query, field) in [
            (q("2026-11-10", "2026-11-01", "", ""), "from"),
            (q("yesterday", "", "", ""), "from"),
            (q("", "2026-13-01", "", ""), "to"),
            (q("", "", "fortnight", ""), "interval"),
            (q("", "", "", "Mars/Olympus"), "tz"),
            (q("2000-01-01", "2026-01-01", "", ""), "from"),
            (q("2026-01-01", "2026-11-01", "hour", ""), "interval"),
        ] {
            match Range::parse(&query, now()) {
                Err(AnalyticsError::Invalid { field: f, .. }) => assert_eq!(f, field, "{query:?}"),
                other => panic!("{query:?} gave {other:?}"),
            }
        }
    }
}
