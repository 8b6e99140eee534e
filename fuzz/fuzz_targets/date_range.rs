//! Analytics date ranges: no panic for any `from`, `to`, `interval`, `tz` and clock; an
//! accepted range is ordered and bounded, its buckets are in order, and written back as a query
//! it parses to the same range.
#![no_main]

use analytics::range::{Range, RangeQuery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64
)| {
    let (from, to, interval, tz, now) = input;
    let now = jiff::Timestamp::from_millisecond(now % 253_402_207_200_000)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let query = RangeQuery {
        from,
        to,
        interval,
        tz,
    };
    let Ok(range) = Range::parse(&query, now) else {
        return;
    };
    assert!(range.from <= range.to && range.from_ms < range.to_ms);
    let buckets = range.bucket_starts();
    assert!(!buckets.is_empty() && buckets.len() <= 3_000);
    assert!(buckets.windows(2).all(|w| w[0] < w[1]));
    let again = Range::parse(
        &RangeQuery {
            from: Some(range.from.to_string()),
            to: Some(range.to.to_string()),
            interval: Some(range.interval.as_str().to_owned()),
            tz: Some(range.tz_name.clone()),
        },
        now,
    )
    .expect("a range written back is accepted");
    assert_eq!(
        (
            again.from,
            again.to,
            again.from_ms,
            again.to_ms,
            again.interval
        ),
        (
            range.from,
            range.to,
            range.from_ms,
            range.to_ms,
            range.interval
        )
    );
});
