//! Property tests of the analytics date range (`from`, `to`, `interval`, `tz`): nothing panics,
//! even at the ends of the calendar; an accepted range is ordered, bounded and its buckets cover
//! it in order; and the range written back as a query parses to the same range.

use analytics::range::{Range, RangeQuery};
use jiff::Timestamp;
use jiff::civil::Date;
use proptest::prelude::*;
use proptest::sample::select;

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        // Near now, where real queries are.
        (-2_500i64..60).prop_map(|back| {
            let today: Date = "2026-11-25".parse().unwrap();
            today
                .checked_add(jiff::Span::new().days(back))
                .unwrap()
                .to_string()
        }),
        // Anywhere jiff can represent, including its first and last days.
        (-9_999i16..=9_999, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
            Date::new(y, m, d).map_or_else(|_| format!("{y:04}-{m:02}-{d:02}"), |d| d.to_string())
        }),
        select(vec![
            "",
            " ",
            "-009999-01-01",
            "9999-12-31",
            "2026-02-29",
            "2024-02-29",
            "2026-13-01",
            "2026-1-1",
            "26-11-25",
            "2026-11-25T10:00",
            " 2026-11-25 ",
            "yesterday",
            "+002026-11-25",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ]
}

fn query() -> impl Strategy<Value = RangeQuery> {
    let interval = prop_oneof![
        select(vec![
            "",
            "hour",
            "day",
            "week",
            "month",
            " week ",
            "Month",
            "fortnight"
        ])
        .prop_map(str::to_owned),
        "\\PC{0,8}",
    ];
    let tz = prop_oneof![
        select(vec![
            "",
            "UTC",
            "Europe/Paris",
            "America/New_York",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "Pacific/Kiritimati",
            "America/St_Johns",
            "Australia/Lord_Howe",
            "Etc/GMT+12",
            "Europe/London",
            "Mars/Olympus",
            "../../etc/passwd",
            " utc ",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,20}",
    ];
    (
        prop::option::of(date()),
        prop::option::of(date()),
        prop::option::of(interval),
        prop::option::of(tz),
    )
        .prop_map(|(from, to, interval, tz)| RangeQuery {
            from,
            to,
            interval,
            tz,
        })
}

fn now() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        4 => (1_700_000_000_000i64..1_900_000_000_000).prop_map(|ms| Timestamp::from_millisecond(ms).unwrap()),
        1 => select(vec![Timestamp::MIN, Timestamp::MAX, Timestamp::UNIX_EPOCH]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn ranges_are_bounded_ordered_and_round_trip(query in query(), now in now()) {
        let Ok(range) = Range::parse(&query, now) else { return Ok(()) };
        prop_assert!(range.from <= range.to);
        prop_assert!((range.to - range.from).get_days() < 1_830);
        prop_assert!(range.from_ms < range.to_ms);
        let buckets = range.bucket_starts();
        prop_assert!(!buckets.is_empty() && buckets.len() <= 3_000, "{} buckets", buckets.len());
        prop_assert!(buckets.windows(2).all(|w| w[0] < w[1]), "buckets in order");
        prop_assert!(buckets[0] <= range.from_ms && *buckets.last().unwrap() < range.to_ms);
        for &b in buckets.iter().take(3) {
            prop_assert_eq!(range.bucket_of(b), b, "a bucket start is its own bucket");
            let _ = range.label(b);
        }
        prop_assert_eq!(range.bucket_of(range.to_ms - 1), *buckets.last().unwrap());

        // The range spelled out again (as the web pages and CSV links do) is the same range.
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
        prop_assert_eq!(
            (again.from, again.to, again.from_ms, again.to_ms, again.interval, &again.tz_name),
            (range.from, range.to, range.from_ms, range.to_ms, range.interval, &range.tz_name)
        );
    }
}
