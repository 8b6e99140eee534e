//! Click-to-filter on a code's dashboard as a browser uses it (plain links, no JavaScript), on
//! SQLite and PostgreSQL: a device row links to the page filtered by it, every figure follows,
//! a chip removes the filter, the CSV link carries it to the export; the live page and the map.

mod common;

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// `href="…"` values in `html`, unescaped the way a browser reads them.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

backend_tests!(a_clicked_device_row_filters_the_page_its_chips_and_its_csv);
async fn a_clicked_device_row_filters_the_page_its_chips_and_its_csv(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("filters@example.com").await;
    let (id, code) = browser.create_code("Spring menu").await;
    scan(&mut browser, &code).await;
    let desktop = browser
        .send(
            Request::get(format!("/r/{code}")).header("user-agent", DESKTOP),
            None,
        )
        .await;
    assert_eq!(desktop.status, StatusCode::FOUND);
    eventually_counts(&mut browser, &id, |s| s["total_scans"] == 2).await;

    let dashboard = format!("/app/qr/{id}/analytics");
    let page = browser.get(&format!("{dashboard}?range=7d")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_eq!(figure(&page.html, "Scans").as_deref(), Some("2"));
    let links = hrefs(&page.html);
    let mobile = format!("{dashboard}?range=7d&device=mobile");
    assert!(links.contains(&mobile), "a link per device row: {links:?}");
    assert!(links.contains(&format!("{dashboard}?range=7d&os=iOS")));
    assert!(
        links.contains(&format!("{dashboard}?range=7d&class=bot")),
        "Only bots"
    );
    assert!(page.html.contains("<svg class=\"world-map\""), "the map");

    // Clicked: every figure counts the iPhone only; the chip says so and removes the filter.
    let filtered = browser.get(&mobile).await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert_eq!(figure(&filtered.html, "Scans").as_deref(), Some("1"));
    assert_eq!(figure(&filtered.html, "Human scans").as_deref(), Some("1"));
    assert!(
        filtered.html.contains("Device: <strong>mobile</strong>"),
        "{}",
        filtered.html
    );
    let links = hrefs(&filtered.html);
    assert!(
        links.contains(&format!("{dashboard}?range=7d")),
        "the chip's ×"
    );
    // Filters combine, and the range links keep them.
    assert!(links.contains(&format!("{dashboard}?range=7d&device=mobile&os=iOS")));
    assert!(links.contains(&format!("{dashboard}?range=30d&device=mobile")));

    // The CSV link carries the filter to the export, which keeps the iPhone's row only.
    let csv_link = format!("{dashboard}/export.csv?range=7d&device=mobile");
    assert!(links.contains(&csv_link), "{links:?}");
    let hop = browser.get(&csv_link).await;
    assert_eq!(hop.status, StatusCode::SEE_OTHER);
    let export = hop.location.unwrap();
    assert!(export.ends_with("&device=mobile"), "{export}");
    let file = browser.get(&export).await;
    assert_eq!(file.status, StatusCode::OK);
    let rows: Vec<&str> = file.html.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{}", file.html);
    assert!(rows[0].contains(",mobile,iOS,"), "{}", file.html);

    // A hand-made bad value is said on the page, not a failure.
    let bad = browser.get(&format!("{dashboard}?device=toaster")).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.html.contains("device: one of mobile"), "{}", bad.html);
    assert_eq!(figure(&bad.html, "Scans").as_deref(), Some("2"));
}

backend_tests!(the_live_page_reads_whole_and_its_panel_refreshes_alone);
async fn the_live_page_reads_whole_and_its_panel_refreshes_alone(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("live@example.com").await;
    let (id, code) = browser.create_code("Live menu").await;
    let live = format!("/app/qr/{id}/analytics/live");
    // Never scanned yet: an empty window, not an error.
    let empty = browser.get(&live).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
    assert!(empty.html.contains("Last 30 minutes"));
    assert!(empty.html.contains("Nobody in the last 30 minutes."));

    scan(&mut browser, &code).await;
    eventually_counts(&mut browser, &id, |s| s["total_scans"] == 1).await;
    let page = browser.get(&live).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<html"), "a whole page");
    assert!(page.html.contains("hx-trigger=\"every 10s\""));
    assert!(
        page.html
            .contains("<dt>People</dt><dd class=\"stat-value\">1</dd>"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("<td>mobile</td><td>1</td>"),
        "{}",
        page.html
    );

    let panel = browser
        .send(Request::get(&live).header("hx-request", "true"), None)
        .await;
    assert_eq!(panel.status, StatusCode::OK);
    assert!(!panel.html.contains("<html"), "the panel alone");
    assert!(
        panel
            .html
            .trim_start()
            .starts_with("<section id=\"live-panel\""),
        "{}",
        panel.html
    );

    // Someone else's code: not found.
    browser.cookies.clear();
    browser.sign_up("other@example.com").await;
    assert_eq!(browser.get(&live).await.status, StatusCode::NOT_FOUND);
}
