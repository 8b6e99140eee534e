//! The analytics dashboards as a browser uses them, on SQLite and PostgreSQL: a scan through the
//! short link shows up on its code's dashboard, other people's dashboards are 404 pages, the
//! range picker works without JavaScript, names are escaped, and a missing analytics service
//! degrades the page instead of failing it.

mod common;

use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// The text of one breakdown chart (from its heading to the end of its figure).
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"bars-{id}\"")).expect("the chart");
    let rest = &html[start..];
    &rest[..rest.find("</figure>").unwrap_or(rest.len())]
}

backend_tests!(a_scan_through_the_short_link_shows_on_the_dashboard);
async fn a_scan_through_the_short_link_shows_on_the_dashboard(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("counter@example.com").await;
    let (id, code) = browser.create_code("Spring menu").await;
    let dashboard = format!("/app/qr/{id}/analytics");

    let empty = browser.get(&dashboard).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
    assert_eq!(figure(&empty.html, "Scans").as_deref(), Some("0"));
    assert!(empty.html.contains("No scans in this range yet"));

    let scan = browser
        .send(
            Request::get(format!("/r/{code}")).header("user-agent", IPHONE),
            None,
        )
        .await;
    assert_eq!(scan.status, StatusCode::FOUND);

    // Recorded asynchronously: the page shows it within a couple of seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = browser.get(&dashboard).await;
        if figure(&page.html, "Scans").as_deref() == Some("1") || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        figure(&page.html, "Scans").as_deref(),
        Some("1"),
        "{}",
        page.html
    );
    assert_eq!(figure(&page.html, "Human scans").as_deref(), Some("1"));
    assert_eq!(figure(&page.html, "Bots").as_deref(), Some("0"));
    assert!(
        chart(&page.html, "os").contains(">iOS</text>"),
        "{}",
        page.html
    );
    assert!(chart(&page.html, "device").contains(">mobile</text>"));
    // Uniques say what they are: each day's distinct scanners, added up, and how. (This
    // in-process request has no client address, so it has no visitor id and the figure is 0.)
    assert!(figure(&page.html, "Daily unique scanners, added up").is_some());
    assert!(
        page.html
            .contains("someone who scans on three days counts three times")
    );
    assert!(page.html.contains("id=\"uniques-method\""));
    assert!(page.html.contains("<svg class=\"chart-series\""));
    assert!(page.html.contains("<title>"), "charts carry titles");
    assert!(
        page.html
            .contains(&format!("{dashboard}/export.csv?range=30d"))
    );

    // The CSV link refreshes the session and hands over to the streaming export.
    let csv = browser
        .get(&format!("{dashboard}/export.csv?range=7d"))
        .await;
    assert_eq!(csv.status, StatusCode::SEE_OTHER);
    let export = csv.location.unwrap();
    assert!(export.starts_with(&format!("/api/v1/analytics/qr/{id}/export.csv?from=")));
    let file = browser.get(&export).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.html.lines().count(), 2, "a header and the one scan");
    assert!(file.html.contains(",iOS,"));

    // The account overview names the code.
    let overview = browser.get("/app/analytics").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert_eq!(figure(&overview.html, "Human scans").as_deref(), Some("1"));
    assert!(
        overview.html.contains(">Spring menu</a>"),
        "{}",
        overview.html
    );
}

backend_tests!(other_peoples_dashboards_are_not_found);
async fn other_peoples_dashboards_are_not_found(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("alice@example.com").await;
    let (id, _) = browser.create_code("Alice's code").await;
    assert_eq!(
        browser.get(&format!("/app/qr/{id}/analytics")).await.status,
        StatusCode::OK
    );

    browser.cookies.clear();
    browser.sign_up("mallory@example.com").await;
    let page = browser.get(&format!("/app/qr/{id}/analytics")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.html.contains("Alice's code"));
    let page = browser
        .get(&format!("/app/microsites/{id}/analytics"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.html.contains("stat-value"));

    // Signed out: sent to log in.
    browser.cookies.clear();
    let page = browser.get(&format!("/app/qr/{id}/analytics")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login?next="));
}

#[tokio::test]
async fn ranges_are_picked_without_javascript_and_names_are_escaped() {
    let mut browser = browser(shared::testing::sqlite().await, "http://localhost:3000").await;
    browser.sign_up("ranges@example.com").await;
    let (id, _) = browser.create_code("<script>alert(1)</script>").await;
    let base = format!("/app/qr/{id}/analytics");

    let page = browser.get(&format!("{base}?range=7d")).await;
    assert_eq!(page.status, StatusCode::OK);
    let current = format!("href=\"/app/qr/{id}/analytics?range=7d\" aria-current=\"page\"");
    assert!(page.html.contains(&current), "{}", page.html);
    assert!(page.html.contains("by day"));
    assert!(!page.html.contains("<script>alert(1)"));
    assert!(
        page.html
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );

    let page = browser.get(&format!("{base}?range=24h")).await;
    assert!(page.html.contains("by hour"));
    let page = browser.get(&format!("{base}?range=all")).await;
    assert!(page.html.contains("by month"));

    let custom = browser
        .get(&format!(
            "{base}?range=custom&from=2026-01-01&to=2026-01-10"
        ))
        .await;
    assert_eq!(custom.status, StatusCode::OK);
    assert!(custom.html.contains("value=\"2026-01-01\""));
    assert!(
        custom
            .html
            .contains("2026-01-01 to 2026-01-10 (UTC), by day")
    );

    let bad = browser
        .get(&format!(
            "{base}?range=custom&from=2026-02-10&to=2026-02-01"
        ))
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.html
            .contains("The start date must not be after the end date.")
    );
    let hostile = browser
        .get(&format!("{base}?range=custom&from=%3Cb%3Ex&to=2026-02-01"))
        .await;
    assert!(!hostile.html.contains("<b>x"));
}

#[tokio::test]
async fn the_dashboards_degrade_when_analytics_is_unavailable() {
    // The web reaches analytics over HTTP at an address where nothing listens.
    let mut browser = browser_with(
        shared::testing::sqlite().await,
        "http://localhost:3000",
        &["--analytics-url", "http://127.0.0.1:9"],
    )
    .await;
    browser.sign_up("degraded@example.com").await;
    let (id, _) = browser.create_code("Still works").await;
    for path in [
        format!("/app/qr/{id}/analytics"),
        "/app/analytics".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.html.contains("Analytics unavailable"), "{path}");
        assert!(!page.html.contains("stat-value"), "{path}");
    }
}
