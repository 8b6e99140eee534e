//! Names from `names.changed`: the overview, the microsite answer and the totals CSV show what
//! owners call things, an older event never overwrites a newer one, a deletion forgets the name,
//! and a name that looks like a formula is defused in the CSV.

mod common;

use std::time::Duration;

use common::*;
use shared::bus::{Event, EventBus, topics};
use shared::events::{Named, NamesChanged};
use shared::testing::{TestDb, backend_tests, wait_for};

fn names(owner: &str, at: i64, entries: &[(&str, &str, Option<&str>)]) -> Event {
    let mut event = Event::new(
        topics::NAMES_CHANGED,
        NamesChanged {
            owner_id: owner.to_owned(),
            names: entries
                .iter()
                .map(|(kind, id, name)| Named {
                    kind: (*kind).to_owned(),
                    id: (*id).to_owned(),
                    name: name.map(str::to_owned),
                })
                .collect(),
        },
    );
    event.occurred_at = at;
    event
}

async fn overview(svc: &Service_, owner: &str) -> serde_json::Value {
    get_json(&svc.router, "/api/v1/analytics/overview", owner)
        .await
        .1
}

async fn totals_csv(svc: &Service_, owner: &str) -> String {
    let (status, body) = get(
        &svc.router,
        "/api/v1/analytics/overview/export.csv",
        Some(owner),
    )
    .await;
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

backend_tests!(names_replace_ids_on_the_overview_the_page_and_the_csv);
async fn names_replace_ids_on_the_overview_the_page_and_the_csv(db: TestDb) {
    let svc = start(&db, EventBus::memory(1_000), fast_settings()).await;
    let (qr, site, owner) = (new_id(), new_id(), new_id());
    let bus = &svc.bus;
    bus.publish(scan(&qr, &owner, Some(IPHONE), "81.2.69.160"))
        .unwrap();
    bus.publish(view(&site, &owner, IPHONE, "81.2.69.160", None))
        .unwrap();
    bus.publish(click(&site, &owner, "b1")).unwrap();
    bus.publish(click(&site, &owner, "b2")).unwrap();
    wait_for_count(&svc.db, &qr, 1, Duration::from_secs(10)).await;
    wait_for_count(&svc.db, &site, 3, Duration::from_secs(10)).await;

    let now = shared::ids::now_ms();
    bus.publish(names(
        &owner,
        now,
        &[
            ("qr", &qr, Some("=HYPERLINK(\"x\")")),
            ("microsite", &site, Some("Spring <menu>")),
            ("block", "b1", Some("Shop, now")),
            ("nonsense", "b2", Some("ignored")),
        ],
    ))
    .unwrap();
    // Late and older: must not overwrite the newer name.
    bus.publish(names(
        &owner,
        now - 60_000,
        &[("qr", &qr, Some("Old name"))],
    ))
    .unwrap();
    // Someone else's names never show on this owner's pages.
    let stranger = new_id();
    bus.publish(names(&stranger, now, &[("block", "b2", Some("Theirs"))]))
        .unwrap();

    let o = wait_for(
        Duration::from_secs(10),
        || overview(&svc, &owner),
        // Wait for both names: the page's showing says nothing about the code's yet. An older
        // name that wrongly won would keep this waiting and fail the assertion below.
        |o| {
            o["top_pages"][0]["name"].is_string()
                && o["top_codes"][0]["name"] == "=HYPERLINK(\"x\")"
        },
    )
    .await;
    assert_eq!(o["top_codes"][0]["id"], qr.as_str());
    assert_eq!(o["top_codes"][0]["name"], "=HYPERLINK(\"x\")");
    assert_eq!(o["top_pages"][0]["name"], "Spring <menu>");

    let (status, page) = get_json(
        &svc.router,
        &format!("/api/v1/analytics/microsites/{site}"),
        &owner,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["name"], "Spring <menu>");
    assert_eq!(page["block_names"], serde_json::json!({"b1": "Shop, now"}));

    // The totals CSV names the code, the formula defused and the quote doubled.
    let csv = totals_csv(&svc, &owner).await;
    let row = csv.lines().nth(1).expect("one code row");
    assert!(
        row.starts_with(&format!("{qr},\"'=HYPERLINK(\"\"x\"\")\",1,1,0,")),
        "{row}"
    );

    // Deleted: the name is forgotten, and the CSV falls back to the id.
    bus.publish(names(&owner, now + 1, &[("qr", &qr, None)]))
        .unwrap();
    let o = wait_for(
        Duration::from_secs(10),
        || overview(&svc, &owner),
        |o| o["top_codes"][0].get("name").is_none(),
    )
    .await;
    assert!(o["top_codes"][0].get("name").is_none(), "{o}");
    let csv = totals_csv(&svc, &owner).await;
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{qr},{qr},")),
        "{csv}"
    );
    svc.shutdown.drain(Duration::from_secs(5)).await;
}
