//! The analytics CSV exports downloaded through the whole app (the all-in-one router with every
//! layer the binary serves, compression included) with the encodings browsers negotiate:
//! identity, gzip, br and Chromium's list. Each download is decoded here, independently of the
//! compression layer, and parsed as CSV: header, every row, the bot column; for a code (thousands
//! of rows, several pages) and a microsite. Also the account's totals per code, which lists the
//! caller's codes only.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode, header};
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const CURL: &str = "curl/8.4.0";
/// What Chromium sends.
const CHROMIUM_ENCODINGS: &str = "gzip, deflate, br, zstd";
const EVENTS_HEADER: [&str; 11] = [
    "timestamp",
    "kind",
    "device",
    "os",
    "browser",
    "country",
    "referrer_domain",
    "language",
    "bot",
    "rule",
    "block_id",
];

/// One scan of `code` through the short link, as a phone (or a script) makes it.
async fn scan(browser: &mut Browser, code: &str, user_agent: &str) {
    let answer = browser
        .send(
            Request::get(format!("/r/{code}")).header(header::USER_AGENT, user_agent),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
}

/// A download as sent, decoded by its `Content-Encoding`.
fn decoded(page: &Page) -> String {
    let mut text = String::new();
    match page
        .headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap())
    {
        None => text = String::from_utf8(page.body.clone()).expect("UTF-8"),
        Some("gzip") => {
            flate2::read::GzDecoder::new(page.body.as_slice())
                .read_to_string(&mut text)
                .expect("a whole gzip stream");
        }
        Some("br") => {
            brotli_decompressor::Decompressor::new(page.body.as_slice(), 4096)
                .read_to_string(&mut text)
                .expect("a whole br stream");
        }
        Some(other) => panic!("an encoding the client did not offer: {other}"),
    }
    text
}

/// The header and the rows of a CSV file; fails on any row that does not parse.
fn parsed(text: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("every row parses");
    (header, rows)
}

/// Follows the page's CSV link (`link`, which refreshes the session and hands over to the API)
/// and requests the file with `accept_encoding`, whatever the answer.
async fn request(browser: &mut Browser, link: &str, accept_encoding: &str) -> Page {
    let hop = browser.get(link).await;
    assert_eq!(hop.status, StatusCode::SEE_OTHER, "{}", hop.html);
    let api = hop.location.expect("the export's address");
    assert!(api.starts_with("/api/v1/analytics/"), "{api}");
    browser
        .send(
            Request::get(&api).header(header::ACCEPT_ENCODING, accept_encoding),
            None,
        )
        .await
}

/// [`request`], answered with a CSV file.
async fn download(browser: &mut Browser, link: &str, accept_encoding: &str) -> Page {
    let file = request(browser, link, accept_encoding).await;
    assert_eq!(file.status, StatusCode::OK, "{link} with {accept_encoding}");
    assert!(
        file.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    file
}

/// Requests `link` until its file has `rows` rows, then returns them: scans are written a moment
/// after the redirect, and until the first one is, analytics does not know the code (a 404).
async fn wait_for_rows(browser: &mut Browser, link: &str, rows: usize) -> Vec<csv::StringRecord> {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let file = request(browser, link, "identity").await;
        let found = if file.status == StatusCode::OK {
            parsed(&decoded(&file)).1
        } else {
            Vec::new()
        };
        if found.len() >= rows || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

backend_tests!(a_large_export_downloads_whole_with_every_encoding);
async fn a_large_export_downloads_whole_with_every_encoding(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("exporter@example.com").await;
    let (id, code) = browser.create_code("Big menu").await;
    // Several export pages (1,000 rows each); every 7th scan is a script, a bot.
    let scans = 2_345;
    for i in 0..scans {
        let agent = if i % 7 == 0 { CURL } else { IPHONE };
        scan(&mut browser, &code, agent).await;
    }
    let link = format!("/app/qr/{id}/analytics/export.csv?range=7d");
    assert_eq!(wait_for_rows(&mut browser, &link, scans).await.len(), scans);

    for (offered, expected) in [
        ("identity", None),
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        (CHROMIUM_ENCODINGS, Some("br|gzip")),
    ] {
        let file = download(&mut browser, &link, offered).await;
        let encoding = file
            .headers
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_owned());
        match (expected, &encoding) {
            (None, None) => {}
            (Some(allowed), Some(got)) => {
                assert!(allowed.split('|').any(|a| a == got), "{offered}: {got}");
            }
            _ => panic!("{offered}: answered with {encoding:?}, expected {expected:?}"),
        }
        let text = decoded(&file);
        let (header, rows) = parsed(&text);
        assert_eq!(header, EVENTS_HEADER, "{offered}");
        assert_eq!(rows.len(), scans, "{offered}: every scan exactly once");
        assert!(rows.iter().all(|r| r.len() == EVENTS_HEADER.len()));
        let bots = rows.iter().filter(|r| &r[8] == "1").count();
        assert_eq!(bots, scans.div_ceil(7), "{offered}: the scripts are bots");
        let ios = rows.iter().filter(|r| &r[3] == "iOS" && &r[8] == "0");
        assert_eq!(ios.count(), scans - scans.div_ceil(7), "{offered}");
        let times: Vec<jiff::Timestamp> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{offered}: in time order"
        );
    }
}

backend_tests!(a_microsite_export_downloads_whole_compressed);
async fn a_microsite_export_downloads_whole_compressed(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("pages@example.com").await;
    let csrf = browser.get("/app/microsites/new").await.csrf();
    let created = browser
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", "creator"),
                ("slug", "export-page"),
                ("title", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let builder = created.location.unwrap();
    let id = builder
        .trim_start_matches("/app/microsites/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned();
    let csrf = browser.get(&builder).await.csrf();
    let published = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            // A template's example values: past the placeholder warning.
            &[("csrf_token", &csrf), ("anyway", "1")],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let views = 5;
    for _ in 0..views {
        let page = browser
            .send(
                Request::get("/m/export-page").header(header::USER_AGENT, IPHONE),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
    }

    let link = format!("/app/microsites/{id}/analytics/export.csv?range=7d");
    assert_eq!(wait_for_rows(&mut browser, &link, views).await.len(), views);
    for offered in ["gzip", "br", CHROMIUM_ENCODINGS] {
        let file = download(&mut browser, &link, offered).await;
        assert!(
            file.headers.contains_key(header::CONTENT_ENCODING),
            "{offered}"
        );
        let (header, rows) = parsed(&decoded(&file));
        assert_eq!(header, EVENTS_HEADER);
        assert_eq!(rows.len(), views, "{offered}");
        assert!(
            rows.iter().all(|r| &r[1] == "view" && &r[3] == "iOS"),
            "{offered}"
        );
    }
}

backend_tests!(the_totals_export_lists_the_callers_codes_only);
async fn the_totals_export_lists_the_callers_codes_only(db: TestDb) {
    let mut alice = browser(db, "http://localhost:3000").await;
    alice.sign_up("alice@example.com").await;
    let (menu, menu_code) = alice.create_code("Menu").await;
    let (poster, poster_code) = alice.create_code("Poster").await;
    let (_never, _) = alice.create_code("Never scanned").await;
    let mut mallory = alice.another();
    mallory.sign_up("mallory@example.com").await;
    let (theirs, their_code) = mallory.create_code("Mallory's").await;

    for agent in [IPHONE, IPHONE, CURL] {
        scan(&mut alice, &menu_code, agent).await;
    }
    scan(&mut alice, &poster_code, IPHONE).await;
    scan(&mut mallory, &their_code, IPHONE).await;

    // The overview links to the export of its range.
    let overview = alice.get("/app/analytics?range=30d").await;
    assert_eq!(overview.status, StatusCode::OK);
    let link = "/app/analytics/export.csv?range=30d";
    assert!(overview.html.contains(link), "{}", overview.html);

    // Written a moment after the scans: wait for Alice's four, then Mallory's one.
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = parsed(&decoded(&download(&mut alice, link, "gzip").await)).1;
        let counted: i64 = rows.iter().map(|r| r[2].parse::<i64>().unwrap()).sum();
        if counted == 4 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let file = download(&mut alice, link, CHROMIUM_ENCODINGS).await;
    let (header, again) = parsed(&decoded(&file));
    assert_eq!(
        header,
        [
            "code_id",
            "name",
            "total_scans",
            "human_scans",
            "bot_scans",
            "first_scan_hour",
            "last_scan_hour"
        ]
    );
    assert_eq!(again, rows, "the same file whatever the encoding");

    let mut expected = [
        (menu.as_str(), "3", "2", "1"),
        (poster.as_str(), "1", "1", "0"),
    ];
    expected.sort_unstable();
    let got: Vec<(&str, &str, &str, &str)> =
        rows.iter().map(|r| (&r[0], &r[2], &r[3], &r[4])).collect();
    assert_eq!(got, expected, "one row per scanned code, ordered by id");
    let name_of = |id: &str| if id == menu { "Menu" } else { "Poster" };
    assert!(
        rows.iter().all(|r| &r[1] == name_of(&r[0])),
        "the name column holds each code's name: {rows:?}"
    );
    let two_hours_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2);
    for r in &rows {
        let (first, last): (jiff::Timestamp, jiff::Timestamp) =
            (r[5].parse().unwrap(), r[6].parse().unwrap());
        assert!(two_hours_ago < first && first <= last, "{r:?}");
    }

    let text = decoded(&download(&mut mallory, link, "br").await);
    assert!(!text.contains(&menu) && !text.contains(&poster));
    let deadline = Instant::now() + Duration::from_secs(30);
    let theirs_rows = loop {
        let rows = parsed(&decoded(&download(&mut mallory, link, "br").await)).1;
        if !rows.is_empty() || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(theirs_rows.len(), 1);
    assert_eq!(&theirs_rows[0][0], theirs.as_str());
    assert_eq!(&theirs_rows[0][2], "1");

    // The API refuses the anonymous.
    let mut stranger = alice.another();
    let anonymous = stranger.get("/api/v1/analytics/overview/export.csv").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
