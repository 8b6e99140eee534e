//! Property tests of the web frontend's own parsers: the `next` redirect after signing in, and
//! the analytics page's range picker. Properties: nothing panics; `next` only ever leads to a
//! path on this site; every range the page accepts is one the analytics API accepts too.

use axum::http::HeaderValue;
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use proptest::prelude::*;
use proptest::sample::select;
use url::Url;
use web::pages::analytics::{RangeParams, Window};
use web::pages::session::safe_next;

fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        3 => select(vec![
            '/', '\\', '?', '#', '&', '=', '%', '@', ':', '.', '<', '>', '"', '\'', '`', ' ',
            '\t', '\n', '\r', '\0', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}', '\u{2028}',
            '\u{3000}', '\u{feff}', '／', '＼', '⁄', '∕', 'é', '2',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn next_like() -> impl Strategy<Value = String> {
    let start = select(vec![
        "/",
        "/",
        "//",
        "/\\",
        "\\",
        "\\\\",
        "/\t/",
        "/%2F",
        "/%5C",
        "/./",
        "/../",
        "https:",
        "https://",
        "javascript:",
        " /",
        "\u{1}/",
        "/\u{3000}/",
        "///",
        "/;/",
        "",
    ]);
    let host = select(vec![
        "",
        "app",
        "evil.com",
        "evil.com/",
        "@evil.com",
        ":443",
    ]);
    (start, host, tricky_text(30)).prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

fn check_next(raw: Option<&str>) -> Result<(), TestCaseError> {
    let next = safe_next(raw);
    if let Some(raw) = raw {
        prop_assert!(next == raw || next == "/app", "{:?} became {:?}", raw, next);
    }
    prop_assert!(next.starts_with('/'), "{:?}", next);
    prop_assert!(
        !next.starts_with("//") && !next.starts_with("/\\"),
        "{:?}",
        next
    );
    prop_assert!(!next.contains('\\'));
    prop_assert!(
        !next.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{:?}",
        next
    );
    // It fits in a `Location` header (axum's `Redirect` panics on one that does not).
    prop_assert!(HeaderValue::from_str(&next).is_ok(), "{:?}", next);
    // A browser resolving it against our page stays on our origin.
    let base = Url::parse("https://scanpage.test/login").unwrap();
    let resolved = base.join(&next).expect("a relative reference");
    prop_assert_eq!(resolved.origin(), base.origin(), "{:?} left the site", next);
    // And it is stable: checked again, it is kept.
    prop_assert_eq!(safe_next(Some(&next)), next.clone());
    Ok(())
}

fn date_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        (-3_000i64..400).prop_map(|back| {
            let today: Date = "2026-11-25".parse().unwrap();
            today
                .checked_sub(Span::new().days(back))
                .unwrap()
                .to_string()
        }),
        (-9_999i16..=9_999, 1i8..=12, 1i8..=28)
            .prop_map(|(y, m, d)| Date::new(y, m, d).unwrap().to_string()),
        select(vec![
            "",
            " ",
            "-009999-01-01",
            "9999-12-31",
            "2026-02-30",
            "yesterday"
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn next_near_valid(raw in next_like()) {
        check_next(Some(&raw))?;
    }

    #[test]
    fn next_arbitrary(raw in prop::option::of(any::<String>())) {
        check_next(raw.as_deref())?;
    }

    #[test]
    fn page_ranges_are_api_ranges(
        range in prop::option::of(prop_oneof![
            select(vec!["24h", "7d", "30d", "90d", "all", "custom", " custom ", "year"]).prop_map(str::to_owned),
            "\\PC{0,8}",
        ]),
        from in date_text(),
        to in date_text(),
        back in 0i64..3_000,
    ) {
        let today = "2026-11-25".parse::<Date>().unwrap().checked_sub(Span::new().days(back)).unwrap();
        let (window, _message) = Window::parse(&RangeParams { range, from, to }, today);
        prop_assert!(window.from <= window.to);
        // The page's own link to this range reads back as the same range.
        let page: RangeParams = read_query(&window.page_query());
        prop_assert_eq!(Window::parse(&page, today), (window.clone(), None));
        // And the analytics API accepts what the page asks it for.
        let api: RangeParams = read_query(&window.api_query());
        let query = analytics::range::RangeQuery {
            from: api.from,
            to: api.to,
            interval: Some(window.interval.to_owned()),
            tz: Some("UTC".into()),
        };
        let now = today.to_zoned(jiff::tz::TimeZone::UTC).map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp());
        let accepted = analytics::range::Range::parse(&query, now);
        prop_assert!(accepted.is_ok(), "{} was refused: {:?}", window.api_query(), accepted.err());
    }
}

/// The page's and API's query strings are `key=value&…` of dates and words: read them back.
fn read_query(query: &str) -> RangeParams {
    let mut params = RangeParams::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = Some(value.into_owned());
        match &*key {
            "range" => params.range = value,
            "from" => params.from = value,
            "to" => params.to = value,
            _ => {}
        }
    }
    params
}
