//! Names through the whole app (all-in-one, on SQLite and PostgreSQL): qr and microsite announce
//! what owners call things, analytics keeps the names, and the overview, the page dashboard and
//! the totals CSV show them, escaped in HTML and defused in the CSV; a rename reaches the CSV.

mod common;

use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

async fn phone_get(browser: &mut Browser, path: &str) -> Page {
    browser
        .send(Request::get(path).header("user-agent", IPHONE), None)
        .await
}

/// Polls `path` until `done` holds on its body (recording and naming are asynchronous).
async fn until(browser: &mut Browser, path: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = browser.get(path).await;
        if done(&page.html) {
            return page.html;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never showed it: {}",
            page.html
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

backend_tests!(codes_pages_and_links_show_by_name);
async fn codes_pages_and_links_show_by_name(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("names@example.com").await;
    let (code_id, code) = browser.create_code("=Spring <menu>").await;
    let site = browser
        .send(
            Request::post("/api/v1/microsites").header("content-type", "application/json"),
            Some(
                serde_json::json!({
                    "slug": "names-page",
                    "title": "Bakery <b>",
                    "blocks": [
                        {"type": "link", "id": "order", "label": "Order & pay", "url": "https://example.com/order"}
                    ]
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.html);
    let site: serde_json::Value = serde_json::from_str(&site.html).unwrap();
    let site_id = site["id"].as_str().unwrap().to_owned();
    let published = browser
        .send(
            Request::post(format!("/api/v1/microsites/{site_id}/publish")),
            None,
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.html);

    assert_eq!(
        phone_get(&mut browser, &format!("/r/{code}")).await.status,
        StatusCode::FOUND
    );
    assert_eq!(
        phone_get(&mut browser, "/m/names-page").await.status,
        StatusCode::OK
    );
    let click = phone_get(&mut browser, "/m/names-page/l/order").await;
    assert!(click.status.is_redirection(), "{}", click.status);

    // The overview lists the code and the page by name, escaped.
    let overview = until(&mut browser, "/app/analytics", |html| {
        html.contains("Bakery &#60;b&#62;") && html.contains("=Spring &#60;menu&#62;")
    })
    .await;
    assert!(!overview.contains("<b>"), "the title is escaped");
    assert!(
        overview.contains("class=\"chart-series\""),
        "the account's chart"
    );
    // Each headline is compared with the period before, which had nothing: "new".
    assert!(
        overview.contains(
            "<dd class=\"stat-change stat-up\">new <span class=\"muted\">vs 0 the period before</span>"
        ),
        "{overview}"
    );
    // The link opens the code's dashboard on the overview's range.
    assert!(overview.contains(&format!(
        "href=\"/app/qr/{code_id}/analytics?range=30d\">=Spring &#60;menu&#62;"
    )));

    // The page dashboard names itself and its link.
    let dashboard = until(
        &mut browser,
        &format!("/app/microsites/{site_id}/analytics"),
        |html| html.contains("Order &#38; pay"),
    )
    .await;
    assert!(dashboard.contains("Bakery &#60;b&#62;"));
    assert!(!dashboard.contains(">order<"), "the block id is not shown");

    // The totals CSV names the code, defused against formulas.
    let csv = until(
        &mut browser,
        "/api/v1/analytics/overview/export.csv",
        |csv| csv.lines().count() > 1,
    )
    .await;
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.starts_with(&format!("{code_id},\"'=Spring <menu>\",1,1,0,")),
        "{row}"
    );

    // A rename reaches the CSV.
    let renamed = browser
        .send(
            Request::patch(format!("/api/v1/qr/{code_id}"))
                .header("content-type", "application/json"),
            Some(r#"{"name":"Autumn menu"}"#.to_owned()),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.html);
    until(
        &mut browser,
        "/api/v1/analytics/overview/export.csv",
        |csv| csv.contains(&format!("{code_id},Autumn menu,")),
    )
    .await;
}
