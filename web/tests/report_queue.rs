//! The founder's abuse-report queue end to end, on SQLite and PostgreSQL: reports about codes,
//! pages and anything else, grouped by what they name; each action on each kind (disable a code,
//! unpublish a page, disable the owner's account, dismiss) does what it says through the owning
//! service and closes the group's open reports as acted or dismissed, with the founder and the
//! time recorded; actions that do not fit a kind are refused; the reporter's answer is unchanged.

mod common;

use axum::http::{Request, StatusCode};
use common::browser::*;
use serde_json::Value;
use shared::testing::{TestDb, backend_tests};
use sqlx::AnyPool;
use web::beta::report_store::{self, Report, ReportStatus};

const FOUNDER: &str = "boss@example.com";

fn json(page: &Page) -> Value {
    serde_json::from_str(&page.html).unwrap_or(Value::Null)
}

/// A published page at `slug`, made through the API as its owner.
async fn publish_page(owner: &mut Browser, slug: &str) {
    let site = owner
        .send(
            Request::post("/api/v1/microsites").header("content-type", "application/json"),
            Some(
                serde_json::json!({"slug": slug, "title": format!("Page {slug}"), "blocks": []})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.html);
    let id = json(&site)["id"].as_str().unwrap().to_owned();
    let published = owner
        .send(
            Request::post(format!("/api/v1/microsites/{id}/publish")),
            None,
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.html);
}

async fn file(pool: &AnyPool, target: &str, reason: &str) {
    report_store::insert_report(pool, target, reason, Some("seen on a poster"))
        .await
        .unwrap();
}

/// The founder's form on the queue: `action` on `target` (a queue key such as `code:abc123`).
async fn act(founder: &mut Browser, target: &str, action: &str) -> Page {
    let csrf = founder.get("/admin/reports").await.csrf();
    founder
        .post(
            "/admin/reports/act",
            &[
                ("csrf_token", &csrf),
                ("target", target),
                ("action", action),
                ("reason", "Reported: phishing"),
            ],
        )
        .await
}

async fn in_state(pool: &AnyPool, status: ReportStatus) -> Vec<Report> {
    report_store::reports(pool, status, 1_000).await.unwrap()
}

fn about<'a>(reports: &'a [Report], needle: &str) -> Vec<&'a Report> {
    reports
        .iter()
        .filter(|r| r.target.to_ascii_lowercase().contains(needle))
        .collect()
}

async fn account(founder: &mut Browser, email: &str) -> Value {
    let users = json(&founder.get("/api/v1/auth/admin/users").await);
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap()
}

backend_tests!(each_kind_and_each_action);
async fn each_kind_and_each_action(db: TestDb) {
    let backend = db.backend.name();
    let pool = db.db.pool().clone();
    let mut founder =
        browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    founder.sign_up_founder(FOUNDER).await;
    let founder_id = account(&mut founder, FOUNDER).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ada = founder.another();
    ada.sign_up("ada@example.com").await;
    let mut bob = founder.another();
    bob.sign_up("bob@example.com").await;
    let mut cy = founder.another();
    cy.sign_up("cy@example.com").await;
    let (_, menu) = ada.create_code("Menu").await;
    let (_, flyer) = ada.create_code("Flyer").await;
    let (_, bobs) = bob.create_code("Bob's").await;
    publish_page(&mut ada, "ada-bad-page").await;
    publish_page(&mut ada, "ada-fine-page").await;
    publish_page(&mut cy, "cy-page").await;
    let (menu, flyer, bobs) = (
        menu.to_ascii_lowercase(),
        flyer.to_ascii_lowercase(),
        bobs.to_ascii_lowercase(),
    );

    // One report through the public form: the reporter's answer says nothing about internals.
    let mut reporter = founder.another();
    let csrf = reporter.get("/report").await.csrf();
    let sent = reporter
        .post(
            "/report",
            &[
                ("csrf_token", &csrf),
                (
                    "target",
                    &format!("https://scan.example/r/{}", menu.to_uppercase()),
                ),
                ("reason", "phishing"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.html);
    assert!(sent.html.contains("Thank you. We look at every report"));
    assert!(!sent.html.contains("ada@example.com"));
    // The rest straight into the table, as the form stores them.
    file(&pool, &menu, "malware").await;
    file(
        &pool,
        &format!("http://localhost:3000/r/{menu}"),
        "phishing",
    )
    .await;
    file(&pool, &flyer, "spam").await;
    file(&pool, &bobs, "illegal").await;
    file(&pool, "https://scan.example/m/ada-bad-page", "phishing").await;
    file(&pool, "http://localhost:3000/m/ada-bad-page/", "spam").await;
    file(&pool, "https://scan.example/m/ada-fine-page", "other").await;
    file(&pool, "https://scan.example/m/cy-page", "illegal").await;
    file(&pool, "https://evil.example/login", "phishing").await;

    // Grouped by target: three spellings of one code are one row with three reports.
    let queue = founder.get("/admin/reports").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    assert_eq!(
        queue.html.matches("class=\"card report-card\"").count(),
        7,
        "{}",
        queue.html
    );
    assert!(queue.html.contains("3 reports"), "{}", queue.html);
    assert!(queue.html.contains("Phishing or a scam × 2"));
    assert!(
        queue
            .html
            .contains("“Page ada-bad-page” by <a href=\"/admin/users/"),
        "{}",
        queue.html
    );
    // The owner's email links to their page in the console.
    assert!(
        queue.html.contains("\">ada@example.com</a>"),
        "{}",
        queue.html
    );
    assert!(queue.html.contains("Not one of our codes or pages"));
    assert!(queue.html.contains("value=\"unpublish_page\""));
    assert_eq!(in_state(&pool, ReportStatus::Open).await.len(), 10);

    // Actions that do not fit a kind are refused, and nothing is closed.
    for (target, action) in [
        (format!("code:{menu}"), "unpublish_page"),
        ("microsite:ada-bad-page".to_owned(), "disable_code"),
        (
            "other:https://evil.example/login".to_owned(),
            "disable_account",
        ),
        ("other:https://evil.example/login".to_owned(), "sing"),
        ("code:https://evil.example/login".to_owned(), "dismiss"),
    ] {
        let refused = act(&mut founder, &target, action).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target} {action}"
        );
    }
    assert_eq!(in_state(&pool, ReportStatus::Open).await.len(), 10);

    // Code × disable: it shows the disabled page; its three reports are acted on.
    let before = shared::ids::now_ms();
    let done = act(&mut founder, &format!("code:{menu}"), "disable_code").await;
    assert_eq!(
        done.location.as_deref(),
        Some("/admin/reports?notice=disable_code")
    );
    assert_eq!(scan(&mut ada, &menu).await.status, StatusCode::GONE);
    // Code × dismiss: nothing changes for the code.
    act(&mut founder, &format!("code:{flyer}"), "dismiss").await;
    assert_eq!(scan(&mut ada, &flyer).await.status, StatusCode::FOUND);
    // Code × disable account: its owner is disabled.
    act(&mut founder, &format!("code:{bobs}"), "disable_account").await;
    assert_eq!(
        account(&mut founder, "bob@example.com").await["disabled"],
        true
    );
    // Page × unpublish: visitors get "not found".
    let done = act(&mut founder, "microsite:ada-bad-page", "unpublish_page").await;
    assert_eq!(
        done.location.as_deref(),
        Some("/admin/reports?notice=unpublish_page")
    );
    assert_eq!(
        ada.get("/m/ada-bad-page").await.status,
        StatusCode::NOT_FOUND
    );
    // Page × dismiss: still published.
    act(&mut founder, "microsite:ada-fine-page", "dismiss").await;
    assert_eq!(ada.get("/m/ada-fine-page").await.status, StatusCode::OK);
    // Page × disable account: its owner is disabled; Ada is not.
    act(&mut founder, "microsite:cy-page", "disable_account").await;
    assert_eq!(
        account(&mut founder, "cy@example.com").await["disabled"],
        true
    );
    assert_eq!(
        account(&mut founder, "ada@example.com").await["disabled"],
        false
    );
    // Other × dismiss.
    act(&mut founder, "other:https://evil.example/login", "dismiss").await;
    let after = shared::ids::now_ms();

    // States, actions, who and when.
    assert!(in_state(&pool, ReportStatus::Open).await.is_empty());
    let acted = in_state(&pool, ReportStatus::Acted).await;
    let dismissed = in_state(&pool, ReportStatus::Dismissed).await;
    assert_eq!((acted.len(), dismissed.len()), (7, 3));
    let expect = [
        (&acted, menu.as_str(), "disable_code", 3),
        (&acted, bobs.as_str(), "disable_account", 1),
        (&acted, "ada-bad-page", "unpublish_page", 2),
        (&acted, "cy-page", "disable_account", 1),
        (&dismissed, flyer.as_str(), "dismiss", 1),
        (&dismissed, "ada-fine-page", "dismiss", 1),
        (&dismissed, "evil.example", "dismiss", 1),
    ];
    for (reports, needle, action, count) in expect {
        let found = about(reports, needle);
        assert_eq!(found.len(), count, "{needle}");
        for r in found {
            assert_eq!(r.action.as_deref(), Some(action), "{needle}");
            assert_eq!(r.acted_by.as_deref(), Some(founder_id.as_str()));
            assert_eq!(r.acted_by_email.as_deref(), Some(FOUNDER));
            let at = r.acted_at.unwrap();
            assert!((before..=after).contains(&at), "{needle} acted at {at}");
        }
    }

    // The tabs: nothing open; the decisions with who made them.
    let open = founder.get("/admin/reports").await;
    assert!(open.html.contains("No open reports."));
    let acted = founder.get("/admin/reports?state=acted").await;
    assert_eq!(acted.html.matches("class=\"card report-card\"").count(), 4);
    assert!(
        acted
            .html
            .contains("Page unpublished</strong> by boss@example.com"),
        "{}",
        acted.html
    );
    assert!(acted.html.contains("Account disabled</strong>"));
    assert!(
        !acted.html.contains("value=\"dismiss\""),
        "closed reports offer no actions"
    );
    let dismissed = founder.get("/admin/reports?state=dismissed").await;
    assert_eq!(
        dismissed.html.matches("class=\"card report-card\"").count(),
        3
    );
    assert!(
        dismissed
            .html
            .contains("Dismissed</strong> by boss@example.com")
    );

    // Acting again on a closed group changes nothing.
    let again = act(&mut founder, &format!("code:{flyer}"), "disable_code").await;
    assert_eq!(
        again.location.as_deref(),
        Some("/admin/reports?notice=closed")
    );
    assert_eq!(scan(&mut ada, &flyer).await.status, StatusCode::FOUND);
    println!("report queue ok on {backend}");
}

backend_tests!(a_report_about_a_missing_target_can_only_be_dismissed);
async fn a_report_about_a_missing_target_can_only_be_dismissed(db: TestDb) {
    let backend = db.backend.name();
    let pool = db.db.pool().clone();
    let mut founder =
        browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    founder.sign_up_founder(FOUNDER).await;
    file(&pool, "nosuchcode1", "spam").await;
    file(&pool, "https://scan.example/m/no-such-page", "spam").await;
    let queue = founder.get("/admin/reports").await;
    assert!(queue.html.contains("No such code"), "{}", queue.html);
    assert!(queue.html.contains("No such page"), "{}", queue.html);
    assert!(!queue.html.contains("value=\"disable_code\""));
    assert!(!queue.html.contains("value=\"unpublish_page\""));
    assert_eq!(queue.html.matches("value=\"dismiss\"").count(), 2);
    // Forced anyway, the owning service's "not found" is shown and the report stays open.
    let refused = act(&mut founder, "microsite:no-such-page", "unpublish_page").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(in_state(&pool, ReportStatus::Open).await.len(), 2);
    println!("missing targets ok on {backend}");
}
