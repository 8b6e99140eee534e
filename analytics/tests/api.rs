//! The HTTP surface: ownership on every route, range validation and the CSV export.

mod common;

use std::time::Duration;

use common::*;
use shared::bus::EventBus;
use shared::testing::{self, TestDb, backend_tests};

backend_tests!(every_route_is_owner_only);
async fn every_route_is_owner_only(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let owner = new_id();
    let (qr, site) = one_scan_and_one_view(&svc, &owner).await;

    let routes = [
        format!("/api/v1/analytics/qr/{qr}"),
        format!("/api/v1/analytics/qr/{qr}/export.csv"),
        format!("/api/v1/analytics/microsites/{site}"),
        format!("/api/v1/analytics/microsites/{site}/export.csv"),
    ];
    let stranger = new_id();
    for route in &routes {
        assert_eq!(
            get(&svc.router, route, Some(&owner)).await.0,
            200,
            "{route}"
        );
        assert_eq!(
            get(&svc.router, route, Some(&stranger)).await.0,
            404,
            "{route}"
        );
        assert_eq!(get(&svc.router, route, None).await.0, 401, "{route}");
    }
    // A QR id used as a microsite id (and the reverse) is not found either.
    let crossed = format!("/api/v1/analytics/microsites/{qr}");
    assert_eq!(get(&svc.router, &crossed, Some(&owner)).await.0, 404);
    let unknown = format!("/api/v1/analytics/qr/{}", new_id());
    assert_eq!(get(&svc.router, &unknown, Some(&owner)).await.0, 404);
    // The overview only ever shows the caller's own data.
    let (status, overview) = get_json(&svc.router, "/api/v1/analytics/overview", &stranger).await;
    assert_eq!(status, 200);
    assert_eq!(overview["total_scans"], 0);
    assert_eq!(
        get(&svc.router, "/api/v1/analytics/overview", None).await.0,
        401
    );
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn bad_ranges_are_422() {
    let db = testing::sqlite().await;
    let svc = start(&db, EventBus::memory(100), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    svc.bus
        .publish(scan(&qr, &owner, Some(IPHONE), "81.2.69.160"))
        .unwrap();
    wait_for_count(&svc.db, &qr, 1, Duration::from_secs(10)).await;
    for (query, field) in [
        ("from=2026-11-10&to=2026-11-01", "from"),
        ("from=last-week", "from"),
        ("interval=fortnight", "interval"),
        ("tz=Nowhere/Special", "tz"),
        ("from=2000-01-01&to=2026-01-01", "from"),
    ] {
        let (status, body) = get_json(
            &svc.router,
            &format!("/api/v1/analytics/qr/{qr}?{query}"),
            &owner,
        )
        .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let (status, body) = get_json(
        &svc.router,
        &format!(
            "/api/v1/analytics/qr/{qr}?interval=hour&tz=Asia/Kolkata&from=2026-11-24&to=2026-11-25"
        ),
        &owner,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"].as_array().unwrap().len(), 48);
    assert!(body["series"][0]["t"].as_str().unwrap().ends_with("+05:30"));
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

backend_tests!(the_csv_export_pages_through_every_event_without_personal_data);
async fn the_csv_export_pages_through_every_event_without_personal_data(db: TestDb) {
    let svc = start(&db, EventBus::memory(10_000), fast_settings()).await;
    let (qr, owner) = (new_id(), new_id());
    let n = 2_345; // several export pages
    let start_ms = shared::ids::now_ms() - 5 * 86_400_000;
    for i in 0..n {
        let mut e = scan(
            &qr,
            &owner,
            Some(if i % 3 == 0 { CURL } else { IPHONE }),
            "81.2.69.160",
        );
        // Many share a millisecond, so the paging cursor must use the id too.
        e.occurred_at = start_ms + i / 7 * 1_000;
        svc.bus.publish(e).unwrap();
    }
    assert_eq!(
        wait_for_count(&svc.db, &qr, n, Duration::from_secs(30)).await,
        n
    );
    let (status, body) = get(
        &svc.router,
        &format!("/api/v1/analytics/qr/{qr}/export.csv"),
        Some(&owner),
    )
    .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "timestamp,kind,device,os,browser,country,referrer_domain,language,bot,rule,block_id"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as i64, n, "every event exactly once");
    assert!(
        rows.windows(2).all(|w| w[0][..24] <= w[1][..24]),
        "in time order"
    );
    assert_eq!(
        rows.iter().filter(|r| r.contains(",1,default,")).count() as i64,
        (n + 2) / 3
    );
    assert!(
        rows[1].contains(",mobile,iOS,Mobile Safari,GB,instagram.com,de,0,default,"),
        "{}",
        rows[1]
    );
    assert!(!text.contains("81.2.69.160"), "no IP in the export");
    svc.shutdown.drain(Duration::from_secs(5)).await;
}

#[test]
fn the_openapi_document_names_the_filters() {
    let doc = serde_json::to_value(analytics::routes::openapi()).unwrap();
    let schema = &doc["components"]["schemas"]["FilterParams"]["properties"];
    for name in ["device", "country", "block", "qr", "class"] {
        assert!(schema[name].is_object(), "FilterParams.{name}: {schema}");
    }
    for path in [
        "/api/v1/analytics/qr/{id}",
        "/api/v1/analytics/microsites/{id}/export.csv",
        "/api/v1/analytics/overview",
    ] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "country" && p["in"] == "query"),
            "{path}"
        );
    }
    assert!(doc["paths"]["/api/v1/analytics/qr/{id}/live"]["get"].is_object());
}
