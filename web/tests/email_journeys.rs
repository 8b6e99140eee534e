//! The account emails as a person meets them, delivered over SMTP to a sink started by the test
//! (`SMTP_URL` alone turns delivery on), each link followed in the real router; and with no
//! SMTP_URL, pages that never claim a message was sent and the founder's Outbox with the links.
//! SQLite and (with TEST_POSTGRES_URL) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; clippy.toml only exempts #[test] functions"
)]

mod common;

use std::time::Duration;

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::{SinkMessage, SmtpSink, TestDb, backend_tests};

const FOUNDER: &str = "boss@example.com";

/// SMTP bodies may fold long lines (quoted-printable soft breaks): undo that to read a link.
fn unfold(data: &str) -> String {
    data.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The next message the sink accepts (its subject must contain `subject`) and the token after
/// `path` in its first link there.
async fn mail_with(sink: &mut SmtpSink, subject: &str, path: &str) -> (SinkMessage, String) {
    let mail = sink
        .next(Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no email '{subject}' arrived"));
    let data = unfold(&mail.data);
    assert!(data.contains(subject), "expected '{subject}' in {data}");
    assert!(data.contains("text/html"), "an HTML part too");
    let needle = format!("http://localhost:3000{path}");
    let at = data
        .find(&needle)
        .unwrap_or_else(|| panic!("no {needle} link in {data}"))
        + needle.len();
    let token: String = data[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (mail, token)
}

backend_tests!(every_account_email_arrives_and_its_link_works_in_the_app);
async fn every_account_email_arrives_and_its_link_works_in_the_app(db: TestDb) {
    let label = db.backend.name();
    let mut sink = SmtpSink::start(0).await;
    let url = sink.url();
    let mut ada = browser_with(db, "http://localhost:3000", &["--smtp-url", &url]).await;

    // Sign up: the page says a message was sent (delivery is on) and where to look.
    let csrf = ada.get("/signup").await.csrf();
    let form = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    let asked = ada.post("/signup", &form).await;
    assert_eq!(
        asked.status,
        StatusCode::ACCEPTED,
        "{label}: {}",
        asked.html
    );
    assert!(asked.html.contains("We sent a message"), "{label}");
    assert!(!asked.html.contains("no email was sent"), "{label}");
    let (mail, token) = mail_with(&mut sink, "Confirm your email", "/verify/").await;
    assert_eq!(mail.recipients, ["ada@example.com"], "{label}");

    // The link's page is a button (GET changes nothing: mail scanners prefetch links)…
    let path = format!("/verify/{token}");
    let page = ada.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{label}");
    assert!(page.html.contains("Confirm my email"), "{label}");
    assert_eq!(
        ada.get("/app").await.status,
        StatusCode::SEE_OTHER,
        "{label}"
    );
    // …which activates, signs in and lands on the dashboard.
    let done = ada.post(&path, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{label}: {}", done.html);
    assert_eq!(done.location.as_deref(), Some("/app"), "{label}");
    assert_eq!(ada.get("/app").await.status, StatusCode::OK, "{label}");

    // The same link again: a friendly page, not a session.
    let mut other = ada.another();
    let again_page = other.get(&path).await;
    let again = other
        .post(&path, &[("csrf_token", &again_page.csrf())])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{label}");
    assert!(
        again.html.contains("has been used, or has expired"),
        "{label}"
    );
    assert!(again.html.contains("href=\"/forgot\""), "{label}");
    assert!(
        !again
            .set_cookies
            .iter()
            .any(|c| c.starts_with("sp_access=")),
        "{label}"
    );

    // Signing up again with the registered address answers the same; the owner is told.
    let csrf = other.get("/signup").await.csrf();
    let form = [
        ("email", "ada@example.com"),
        ("password", "another sturdy passphrase"),
        ("csrf_token", csrf.as_str()),
    ];
    let dup = other.post("/signup", &form).await;
    assert_eq!(dup.status, StatusCode::ACCEPTED, "{label}");
    assert!(dup.html.contains("Check your email"), "{label}");
    let (_, _) = mail_with(&mut sink, "tried to sign up", "/login").await;

    // A sign-in from another browser (a device the account has not used) is mailed about.
    let csrf = other.get("/login").await.csrf();
    let form = [
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    let signed_in = other.post("/login", &form).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{label}: {}",
        signed_in.html
    );
    let (_, _) = mail_with(&mut sink, "New sign-in", "/app/settings").await;

    // Forgot password: the reset link works once; the change is mailed about.
    let mut third = ada.another();
    let csrf = third.get("/forgot").await.csrf();
    let forgot = third
        .post(
            "/forgot",
            &[("email", "ada@example.com"), ("csrf_token", &csrf)],
        )
        .await;
    assert!(forgot.html.contains("we have sent it a link"), "{label}");
    let (_, reset) = mail_with(&mut sink, "Reset your Scanpage password", "/reset/").await;
    let path = format!("/reset/{reset}");
    let csrf = third.get(&path).await.csrf();
    let form = [
        ("new_password", "brand new sturdy passphrase"),
        ("csrf_token", csrf.as_str()),
    ];
    let changed = third.post(&path, &form).await;
    assert_eq!(
        changed.status,
        StatusCode::SEE_OTHER,
        "{label}: {}",
        changed.html
    );
    let (_, _) = mail_with(&mut sink, "password was changed", "/forgot").await;
    let reused = third.get(&path).await;
    assert!(
        reused.html.contains("expired") || reused.html.contains("used"),
        "{label}"
    );

    // Deleting the account mails its address before the account goes.
    let csrf = third.get("/login").await.csrf();
    let form = [
        ("email", "ada@example.com"),
        ("password", "brand new sturdy passphrase"),
        ("csrf_token", csrf.as_str()),
    ];
    assert_eq!(
        third.post("/login", &form).await.status,
        StatusCode::SEE_OTHER
    );
    // (A browser this account had not used: its own "new sign-in" email comes first.)
    let (_, _) = mail_with(&mut sink, "New sign-in", "/app/settings").await;
    let request = Request::delete("/api/v1/auth/me")
        .header("origin", "http://localhost:3000")
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/json");
    let deleted = third
        .send(
            request,
            Some(
                r#"{"password":"brand new sturdy passphrase","confirm":"delete my account"}"#
                    .into(),
            ),
        )
        .await;
    assert_eq!(
        deleted.status,
        StatusCode::NO_CONTENT,
        "{label}: {}",
        deleted.html
    );
    let mail = sink
        .next(Duration::from_secs(20))
        .await
        .expect("the deletion email");
    assert!(unfold(&mail.data).contains("was deleted"), "{label}");
    assert_eq!(mail.recipients, ["ada@example.com"], "{label}");
}

backend_tests!(waitlist_approval_and_invites_arrive_by_email);
async fn waitlist_approval_and_invites_arrive_by_email(db: TestDb) {
    let label = db.backend.name();
    let mut sink = SmtpSink::start(0).await;
    let url = sink.url();
    let args = [
        "--smtp-url",
        url.as_str(),
        "--signup-mode",
        "waitlist",
        "--founder-emails",
        FOUNDER,
    ];
    let mut boss = browser_with(db, "http://localhost:3000", &args).await;
    assert_eq!(
        boss.sign_up(FOUNDER).await.status,
        StatusCode::SEE_OTHER,
        "{label}"
    );
    let _ = mail_with(&mut sink, "Confirm your email", "/verify/").await;

    let mut lee = boss.another();
    let waitlisted = lee.sign_up("lee@example.com").await;
    assert!(waitlisted.html.contains("on the list"), "{label}");
    let csrf = boss.get("/admin/waitlist").await.csrf();
    let approved = boss
        .post(
            "/admin/waitlist/decide",
            &[
                ("csrf_token", &csrf),
                ("email", "lee@example.com"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{label}");
    let (mail, _) = mail_with(&mut sink, "account is ready", "/login").await;
    assert_eq!(mail.recipients, ["lee@example.com"], "{label}");
    // The password chosen on the waitlist signs in.
    let csrf = lee.get("/login").await.csrf();
    let form = [
        ("email", "lee@example.com"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    let signed_in = lee.post("/login", &form).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{label}: {}",
        signed_in.html
    );
    assert_eq!(lee.get("/app").await.status, StatusCode::OK, "{label}");

    // A founder invites someone by address: the link carries the code to the sign-up form.
    let request = Request::post("/api/v1/auth/admin/invites")
        .header("origin", "http://localhost:3000")
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/json");
    let made = boss
        .send(request, Some(r#"{"email":"zoe@example.com"}"#.into()))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{label}: {}", made.html);
    let (_, code) = mail_with(&mut sink, "invited", "/signup?invite=").await;
    assert!(made.html.contains(&code), "{label}");
    let mut zoe = boss.another();
    let form = zoe.get(&format!("/signup?invite={code}")).await;
    assert!(form.html.contains(&format!("value=\"{code}\"")), "{label}");
}

backend_tests!(with_email_off_pages_never_say_sent_and_the_founder_gets_the_link);
async fn with_email_off_pages_never_say_sent_and_the_founder_gets_the_link(db: TestDb) {
    let label = db.backend.name();
    let mut boss = browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    let mut ola = boss.another();
    let csrf = ola.get("/signup").await.csrf();
    let form = [
        ("email", "ola@example.com"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    let asked = ola.post("/signup", &form).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{label}");
    assert!(!asked.html.contains("We sent"), "{label}: {}", asked.html);
    assert!(asked.html.contains("no email was sent"), "{label}");
    assert!(asked.html.contains("Console → Outbox"), "{label}");
    let csrf = ola.get("/forgot").await.csrf();
    let forgot = ola
        .post(
            "/forgot",
            &[("email", "ola@example.com"), ("csrf_token", &csrf)],
        )
        .await;
    assert!(
        !forgot.html.contains("we have sent"),
        "{label}: {}",
        forgot.html
    );
    assert!(forgot.html.contains("no email was sent"), "{label}");

    // Not for users: the Outbox is the founder's.
    assert_eq!(ola.get("/admin/outbox").await.status, StatusCode::SEE_OTHER);
    boss.sign_up(FOUNDER).await;
    let outbox = boss.get("/admin/outbox").await;
    assert_eq!(outbox.status, StatusCode::OK, "{label}: {}", outbox.html);
    assert!(outbox.html.contains("Email is off"), "{label}");
    assert!(outbox.html.contains("ola@example.com"), "{label}");
    assert!(outbox.html.contains(">queued<"), "{label}");
    // The link to hand over works.
    let token = ola
        .mailed_token("ola@example.com", "/verify/")
        .await
        .unwrap();
    assert!(
        outbox
            .html
            .contains(&format!("http://localhost:3000/verify/{token}")),
        "{label}"
    );
    let page = ola.get(&format!("/verify/{token}")).await;
    let done = ola
        .post(&format!("/verify/{token}"), &[("csrf_token", &page.csrf())])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{label}");
    // A signed-in user who is not a founder gets the 404 page.
    assert_eq!(ola.get("/admin/outbox").await.status, StatusCode::NOT_FOUND);
}
