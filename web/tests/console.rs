//! The founder's console and what beta users tell us, on SQLite and PostgreSQL: who may see the
//! console, exact funnel numbers for a scripted user, feedback and pricing round trips, the
//! waitlist, invite codes, the CSV export and the abuse form's rate limit.

mod common;

use std::time::Duration;

use axum::http::{Request, StatusCode};
use common::TestApp;
use common::browser::*;
use serde_json::Value;
use shared::testing::{TestDb, backend_tests};

const FOUNDER: &str = "boss@example.com";

async fn founder_app(db: shared::testing::TestDb, extra: &[&str]) -> Browser {
    let mut args = vec!["--founder-emails", FOUNDER];
    args.extend_from_slice(extra);
    browser_with(db, "http://localhost:3000", &args).await
}

async fn json(browser: &mut Browser, path: &str) -> (StatusCode, Value) {
    let page = browser.get(path).await;
    (
        page.status,
        serde_json::from_str(&page.html).unwrap_or(Value::Null),
    )
}

/// Lifecycle events reach analytics through the bus: wait (bounded) until `done` holds.
async fn eventually(browser: &mut Browser, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let (status, body) = json(browser, path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if done(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached the expected state; last answer: {last}");
}

backend_tests!(only_founders_see_the_console);
async fn only_founders_see_the_console(db: TestDb) {
    let backend = db.backend.name();
    let mut founder = founder_app(db, &[]).await;
    let mut anonymous = founder.another();
    let mut user = founder.another();

    let page = anonymous.get("/admin").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login"));
    let (status, _) = json(&mut anonymous, "/api/v1/admin/overview").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    user.sign_up("user@example.com").await;
    for path in [
        "/admin",
        "/admin/users",
        "/admin/users.csv",
        "/admin/waitlist",
        "/admin/invites",
        "/admin/feedback",
        "/admin/reports",
        "/admin/interviews",
        "/admin/interviews.csv",
        "/admin/flags",
        "/admin/users/someone",
        "/api/v1/admin/overview",
        "/api/v1/admin/users",
        "/api/v1/admin/retention",
        "/api/v1/auth/admin/users",
        "/api/v1/auth/admin/invites",
    ] {
        let page = user.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path} for a user");
    }
    let csrf = user.get("/app").await.csrf();
    let post = user
        .post("/admin/invites", &[("csrf_token", &csrf), ("count", "3")])
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);

    founder.sign_up_founder(FOUNDER).await;
    let page = founder.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Activation funnel"));
    let flags = founder.get("/admin/flags").await;
    assert!(
        flags.html.contains("<code>print-studio</code>"),
        "feature flags listed on their own page"
    );
    // Who the numbers leave out is one of the documented words; anything else is refused.
    for path in [
        "/api/v1/admin/overview?demo=exclude",
        "/api/v1/admin/signups?demo=include",
        "/api/v1/admin/retention?demo=",
    ] {
        let (status, _) = json(&mut founder, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    for path in [
        "/api/v1/admin/overview?demo=yes",
        "/api/v1/admin/signups?demo=%C2%84",
        "/api/v1/admin/retention?demo=Exclude",
    ] {
        let (status, body) = json(&mut founder, path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{path}: {body}");
        assert_eq!(body["error"]["field"], "demo", "{path}: {body}");
    }
    println!("console roles ok on {backend}");
}

backend_tests!(a_users_journey_shows_up_in_the_funnel_and_the_export);
async fn a_users_journey_shows_up_in_the_funnel_and_the_export(db: TestDb) {
    let backend = db.backend.name();
    let mut founder = founder_app(db, &[]).await;
    founder.sign_up_founder(FOUNDER).await;
    let mut ada = founder.another();

    // Ada arrives from a newsletter link and signs up.
    let signup = ada.get("/signup?utm_source=Newsletter").await;
    assert!(
        signup
            .html
            .contains("name=\"utm_source\" value=\"newsletter\"")
    );
    let csrf = signup.csrf();
    let done = ada
        .post(
            "/signup",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
                ("utm_source", "newsletter"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{}", done.html);
    let done = ada.confirm("ada@example.com").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);

    // She creates a code, sends feedback, picks a plan and opts in to an interview.
    let csrf = ada.get("/app/qr/new").await.csrf();
    let created = ada
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Menu"),
                ("destination", "https://example.com/menu"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);

    let feedback = ada
        .send(
            Request::post("/app/feedback")
                .header("origin", "http://localhost:3000")
                .header("sec-fetch-site", "same-origin")
                .header("hx-request", "true")
                .header("referer", "http://localhost:3000/app/qr/new?secret=1"),
            Some(encode(&[
                ("csrf_token", &csrf),
                ("message", "<b>Love</b> it"),
                ("rating", "5"),
            ])),
        )
        .await;
    assert_eq!(feedback.status, StatusCode::OK);
    assert!(feedback.html.contains("Thank you"), "{}", feedback.html);
    let bad = ada
        .post(
            "/app/feedback",
            &[("csrf_token", &csrf), ("message", "  "), ("rating", "9")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let pricing = ada.get("/pricing").await;
    assert!(pricing.html.contains("Choose Pro"));
    let chose = ada
        .post("/pricing/choose", &[("csrf_token", &csrf), ("plan", "Pro")])
        .await;
    assert_eq!(chose.status, StatusCode::OK);
    assert!(chose.html.contains("the beta is free"));
    let unknown = ada
        .post(
            "/pricing/choose",
            &[("csrf_token", &csrf), ("plan", "Gold")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let interview = ada
        .post(
            "/app/interview",
            &[
                ("csrf_token", &csrf),
                ("answer", "yes"),
                ("contact", "=HYPERLINK(\"x\")"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(
        interview.status,
        StatusCode::SEE_OTHER,
        "{}",
        interview.html
    );

    // The founder's numbers, from the events. Each topic has its own consumer, so the
    // events land in any order: wait until every one of them has been applied.
    let pro_chosen = serde_json::json!([{"plan": "Pro", "users": 1}]);
    let overview = eventually(&mut founder, "/api/v1/admin/overview", |o| {
        o["signups"] == 2
            && o["feedback_count"] == 1
            && o["interview_optins"] == 1
            && o["funnel"][1]["users"] == 1
            && o["pricing_interest"] == pro_chosen
    })
    .await;
    assert_eq!(overview["funnel"][0]["step"], "signed_up");
    assert_eq!(overview["funnel"][1]["step"], "created_qr");
    assert_eq!(overview["funnel"][2]["users"], 0, "nobody has scanned yet");

    let users = founder.get("/admin/users?q=ada").await;
    assert!(users.html.contains("ada@example.com"));
    assert!(users.html.contains("utm:newsletter"));
    assert!(!users.html.contains(FOUNDER), "the search filters");

    let csv = founder.get("/admin/users.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let ada_line = csv
        .html
        .lines()
        .find(|l| l.starts_with("ada@example.com"))
        .expect("ada in the export");
    assert!(ada_line.contains(",utm:newsletter,"), "{ada_line}");
    assert!(ada_line.contains(",Pro,yes,"), "{ada_line}");
    assert!(
        ada_line.contains("'=HYPERLINK"),
        "a formula is defused: {ada_line}"
    );

    let feedback = founder.get("/admin/feedback").await;
    assert!(feedback.html.contains("&#60;b&#62;Love&#60;/b&#62; it"));
    assert!(
        feedback.html.contains("<code>/app/qr/new</code>"),
        "page path kept, query dropped"
    );
    println!("console funnel and export ok on {backend}");
}

backend_tests!(the_waitlist_and_single_use_invites);
async fn the_waitlist_and_single_use_invites(db: TestDb) {
    let backend = db.backend.name();
    let mut founder = founder_app(db, &["--signup-mode", "waitlist"]).await;
    let mut lee = founder.another();
    let waitlisted = lee.sign_up("lee@example.com").await;
    assert!(
        waitlisted.html.contains("on the list"),
        "{}",
        waitlisted.html
    );
    assert_eq!(
        lee.get("/app").await.status,
        StatusCode::SEE_OTHER,
        "not in yet"
    );

    // Founders named in FOUNDER_EMAILS are not gated: they run the beta.
    let up = founder.sign_up_founder(FOUNDER).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.html);

    let list = founder.get("/admin/waitlist").await;
    assert!(list.html.contains("lee@example.com"));
    let csrf = list.csrf();
    let approved = founder
        .post(
            "/admin/waitlist/decide",
            &[
                ("csrf_token", &csrf),
                ("email", "lee@example.com"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let (_, waitlist) = json(&mut founder, "/api/v1/auth/admin/waitlist").await;
    let code = waitlist[0]["invite_code"].as_str().unwrap().to_owned();
    assert_eq!(waitlist[0]["status"], "approved");

    // Approval made the account with the password lee chose on the waitlist, and told lee.
    let mails = lee.mails("lee@example.com").await;
    assert!(
        mails
            .last()
            .unwrap()
            .contains("http://localhost:3000/login"),
        "{mails:?}"
    );
    let csrf = lee.get("/login").await.csrf();
    let form = [
        ("email", "lee@example.com"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    let joined = lee.post("/login", &form).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.html);
    assert_eq!(lee.get("/app").await.status, StatusCode::OK);

    // The code is spent.
    let mut mia = founder.another();
    let csrf = mia.get("/signup").await.csrf();
    let again = mia
        .post(
            "/signup",
            &[
                ("email", "mia@example.com"),
                ("password", PASSWORD),
                ("invite_code", &code),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Labelled codes from the console, and who used which.
    let csrf = founder.get("/admin/invites").await.csrf();
    let made = founder
        .post(
            "/admin/invites",
            &[
                ("csrf_token", &csrf),
                ("count", "3"),
                ("label", "cafe owners"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK);
    assert_eq!(
        made.html.matches("cafe owners").count(),
        3 + 1,
        "3 rows + the field"
    );
    assert!(made.html.contains("lee@example.com"), "who used which code");
    let too_many = founder
        .post(
            "/admin/invites",
            &[("csrf_token", &csrf), ("count", "9999")],
        )
        .await;
    assert!(too_many.html.contains("between 1 and 500"));
    println!("waitlist and invites ok on {backend}");
}

backend_tests!(abuse_reports_are_kept_and_rate_limited);
async fn abuse_reports_are_kept_and_rate_limited(db: TestDb) {
    let backend = db.backend.name();
    let app = TestApp::spawn(&db, &[]).await;
    let page = app.get("/report?target=AbC123x").await;
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("sp_csrf="))
        .expect("a CSRF cookie");
    let html = page.text().await.unwrap();
    assert!(html.contains("value=\"AbC123x\""));
    let token = cookie.trim_start_matches("sp_csrf=").to_owned();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let answer = app
            .http
            .post(app.url("/report"))
            .header("cookie", &cookie)
            .header("origin", &app.base)
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[
                ("csrf_token", token.as_str()),
                ("target", "AbC123x"),
                ("reason", "phishing"),
                ("details", &format!("<script>alert({i})</script>")),
            ]))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 200, 429],
        "5 per hour per client"
    );
    let bad = app
        .http
        .post(app.url("/report"))
        .header("cookie", &cookie)
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[
            ("csrf_token", token.as_str()),
            ("target", "javascript:x"),
            ("reason", "spam"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 429, "still limited, nothing stored");
    app.stop().await;
    println!("abuse reports ok on {backend}");
}
