//! The founder's console about people, on SQLite and PostgreSQL: the numbers count beta users
//! only (the founder left out unless asked), a user's page from the users table, the interview
//! pipeline from opted in to done with its invitation email and CSV, and the weekly digest's
//! numbers against a small seeded beta.

mod common;

use std::time::Duration;

use axum::http::{Request, StatusCode};
use common::browser::*;
use serde_json::Value;
use shared::testing::{TestDb, backend_tests};

const FOUNDER: &str = "boss@example.com";

async fn json(browser: &mut Browser, path: &str) -> Value {
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
    serde_json::from_str(&page.html).unwrap_or(Value::Null)
}

/// Lifecycle events reach analytics through the bus: wait (bounded) until `done` holds.
async fn eventually(browser: &mut Browser, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let body = json(browser, path).await;
        if done(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached the expected state; last answer: {last}");
}

async fn send_feedback(user: &mut Browser, csrf: &str, message: &str) {
    let sent = user
        .send(
            Request::post("/app/feedback")
                .header("origin", "http://localhost:3000")
                .header("sec-fetch-site", "same-origin"),
            Some(encode(&[("csrf_token", csrf), ("message", message)])),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.html);
}

/// A beta of two: ada (a code, feedback, an interview yes) and bo (signed up only); the founder
/// made a code and sent feedback too, which the numbers must leave out.
async fn seeded_beta(db: TestDb) -> (Browser, String) {
    let mut founder =
        browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    founder.sign_up_founder(FOUNDER).await;
    founder.create_code("Founder's test").await;
    let csrf = founder.get("/app").await.csrf();
    send_feedback(&mut founder, &csrf, "note to self").await;

    let mut ada = founder.another();
    ada.sign_up("ada@example.com").await;
    ada.create_code("Menu").await;
    let csrf = ada.get("/app").await.csrf();
    send_feedback(&mut ada, &csrf, "Love the menu codes").await;
    let answered = ada
        .post(
            "/app/interview",
            &[
                ("csrf_token", &csrf),
                ("answer", "yes"),
                ("contact", "+33 6 00 00 00 00"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.html);
    let mut bo = founder.another();
    bo.sign_up("bo@example.com").await;

    // Every event applied: 3 accounts, 2 codes, 2 feedback messages, the interview answer.
    eventually(&mut founder, "/api/v1/admin/overview", |o| {
        o["signups"] == 3
            && o["funnel"][1]["users"] == 2
            && o["feedback_count"] == 2
            && o["interview_optins"] == 1
    })
    .await;
    let users = json(&mut founder, "/api/v1/auth/admin/users").await;
    let ada_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ada@example.com")
        .and_then(|u| u["id"].as_str())
        .unwrap()
        .to_owned();
    (founder, ada_id)
}

backend_tests!(the_console_counts_the_beta_and_shows_each_user);
async fn the_console_counts_the_beta_and_shows_each_user(db: TestDb) {
    let backend = db.backend.name();
    let (mut founder, ada_id) = seeded_beta(db).await;

    // Beta users only by default: ada and bo, one of whom created a code.
    let page = founder.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html
            .contains("1 founder account and any demo users are left out")
    );
    assert!(
        page.html
            .contains(r#"<span class="stat-value">2</span><span class="stat-label">signups"#),
        "{}",
        page.html
    );
    assert!(
        page.html.contains(">Created a code</text>"),
        "human funnel labels"
    );
    assert!(!page.html.contains(">created_qr<"), "no raw keys");
    assert!(
        page.html.contains("1 · −1 (50%)"),
        "the drop at the code step"
    );
    assert!(page.html.contains("Signups per week, by source"));
    assert!(page.html.contains(r#"class="table retention heat""#));
    assert!(
        !page.html.contains("<code>print-studio</code>"),
        "flags moved out"
    );
    // The toggle counts everyone.
    let everyone = founder.get("/admin?everyone=1").await;
    assert!(
        everyone
            .html
            .contains(r#"<span class="stat-value">3</span><span class="stat-label">signups"#)
    );
    assert!(everyone.html.contains("2 · −1 (33%)"));
    let flags = founder.get("/admin/flags").await;
    assert!(flags.html.contains("<code>print-studio</code>"));

    // The users table links to each user's page.
    let href = format!("/admin/users/{ada_id}");
    let users = founder.get("/admin/users").await;
    assert!(
        users
            .html
            .contains(&format!(r#"<a href="{href}">ada@example.com</a>"#))
    );
    let feedback = founder.get("/admin/feedback").await;
    assert!(
        feedback
            .html
            .contains(&format!(r#"<a href="{href}">ada@example.com</a>"#))
    );
    let person = founder.get(&href).await;
    assert_eq!(person.status, StatusCode::OK);
    for text in [
        "ada@example.com",
        "Menu",
        "Love the menu codes",
        "Signed up (from direct)",
        "Created a code",
        "Said yes to an interview",
        "Opted in",
        "+33 6 00 00 00 00",
    ] {
        assert!(person.html.contains(text), "{text:?} on ada's page");
    }
    assert!(!person.html.contains("note to self"), "only her feedback");
    assert_eq!(
        founder.get("/admin/users/nobody").await.status,
        StatusCode::NOT_FOUND
    );
    println!("console people ok on {backend}");
}

backend_tests!(interviews_move_from_opted_in_to_done_and_the_digest_counts_the_week);
async fn interviews_move_from_opted_in_to_done_and_the_digest_counts_the_week(db: TestDb) {
    let backend = db.backend.name();
    let (mut founder, ada_id) = seeded_beta(db).await;

    let page = founder.get("/admin/interviews").await;
    assert!(page.html.contains(&format!(r#"id="interview-{ada_id}""#)));
    assert!(page.html.contains("Opted in <span class=\"muted\">(1)"));
    let csrf = page.csrf();

    // The invitation goes through the outbox and marks the card invited.
    let invited = founder
        .post(
            "/admin/interviews/invite",
            &[("csrf_token", &csrf), ("user_id", &ada_id)],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.html);
    let mails = founder.mails("ada@example.com").await;
    assert!(
        mails.last().unwrap().contains("suit you (Europe/Paris)?"),
        "{mails:?}"
    );
    let page = founder.get(invited.location.as_deref().unwrap()).await;
    assert!(
        page.html
            .contains("Email is off, so nothing was sent to ada@example.com")
    );
    assert!(page.html.contains("Invited <span class=\"muted\">(1)"));

    // Scheduled, then done with a note and the next step.
    for (stage, note, next) in [
        ("scheduled", "", "Call Tuesday 10:00"),
        ("done", "=Prints menus weekly", "Send the summary"),
    ] {
        let moved = founder
            .post(
                "/admin/interviews/move",
                &[
                    ("csrf_token", &csrf),
                    ("user_id", &ada_id),
                    ("stage", stage),
                    ("notes", note),
                    ("next_step", next),
                ],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    }
    let page = founder.get("/admin/interviews").await;
    assert!(page.html.contains("Done <span class=\"muted\">(1)"));
    assert!(page.html.contains("=Prints menus weekly</textarea>"));
    // Unknown stages and users who never opted in are refused.
    let bad = founder
        .post(
            "/admin/interviews/move",
            &[
                ("csrf_token", &csrf),
                ("user_id", &ada_id),
                ("stage", "lost"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = founder
        .post(
            "/admin/interviews/move",
            &[
                ("csrf_token", &csrf),
                ("user_id", "nobody"),
                ("stage", "done"),
            ],
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);

    // Each move is on her timeline; the CSV has the pipeline with formulas defused.
    let person = founder.get(&format!("/admin/users/{ada_id}")).await;
    for text in [
        "Interview: Invited (Invitation emailed)",
        "Interview: Scheduled (Call Tuesday 10:00)",
        "Interview: Done (Send the summary)",
    ] {
        assert!(person.html.contains(text), "{text:?} on the timeline");
    }
    let csv = founder.get("/admin/interviews.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let line = csv
        .html
        .lines()
        .find(|l| l.starts_with("ada@example.com"))
        .expect("ada in the CSV");
    assert!(line.contains(",done,"), "{line}");
    assert!(
        line.contains("Send the summary,'=Prints menus weekly"),
        "{line}"
    );

    // The digest: beta users only, with one open report.
    let reported = founder
        .post(
            "/report",
            &[
                ("csrf_token", &csrf),
                ("target", "AbC123x"),
                ("reason", "spam"),
            ],
        )
        .await;
    assert_eq!(reported.status, StatusCode::OK, "{}", reported.html);
    let sent = founder
        .post("/admin/digest", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    assert_eq!(sent.location.as_deref(), Some("/admin?digest=1"));
    let digest = founder.mails(FOUNDER).await.pop().unwrap();
    for line in [
        "Signups: 2 in the last 7 days, 2 in all",
        "- Signed up: 2 (100%)",
        "- Created a code: 1 (50%)",
        "New feedback: 1",
        "Open abuse reports: 1",
    ] {
        assert!(digest.contains(line), "{line:?} in {digest}");
    }
    let overview = founder.get("/admin?digest=1").await;
    assert!(
        overview
            .html
            .contains("Email is off, so nothing was sent: the digest for 1 founder(s)")
    );
    println!("interview pipeline and digest ok on {backend}");
}
