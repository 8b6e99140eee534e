//! The sign-in pages as a browser uses them: the whole app (all services in one process, like
//! `scanpage serve`) driven with `oneshot`, on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; clippy.toml only exempts #[test] functions"
)]

mod common;

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

backend_tests!(sign_up_lands_on_the_dashboard_with_session_cookies);
async fn sign_up_lands_on_the_dashboard_with_session_cookies(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    let done = browser.sign_up("web@example.com").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/app"));
    let access = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("sp_access="))
        .unwrap();
    assert!(
        access.contains("HttpOnly") && access.contains("SameSite=Lax"),
        "{access}"
    );
    assert!(
        !access.contains("Secure"),
        "plain http in development: {access}"
    );
    let dashboard = browser.get("/app").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.html.contains("Your QR codes will appear here"));
    assert!(
        browser
            .get("/app/settings")
            .await
            .html
            .contains("Change password")
    );
}

backend_tests!(forms_keep_what_was_typed_but_never_the_password);
async fn forms_keep_what_was_typed_but_never_the_password(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    let csrf = browser.get("/signup").await.csrf();
    let page = browser
        .post(
            "/signup",
            &[
                ("email", "typed@example.com"),
                ("password", "password1"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("value=\"typed@example.com\""));
    assert!(page.html.contains("id=\"password-error\""));
    assert!(!page.html.contains("password1"));
}

backend_tests!(cross_site_posts_and_missing_tokens_are_403);
async fn cross_site_posts_and_missing_tokens_are_403(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    let csrf = browser.get("/login").await.csrf();
    // A form on another site posting here: refused by Origin / Sec-Fetch-Site, even if it
    // somehow carried the right token.
    for (origin, site) in [
        ("https://evil.example", "cross-site"),
        ("https://evil.example", ""),
    ] {
        let mut cross = Request::post("/login").header("origin", origin);
        if !site.is_empty() {
            cross = cross.header("sec-fetch-site", site);
        }
        let page = browser
            .send(
                cross,
                Some(encode(&[
                    ("email", "a@b.co"),
                    ("password", "x"),
                    ("csrf_token", &csrf),
                ])),
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{origin} {site}");
    }
    // Same origin but without the session's token: refused too.
    let page = browser
        .post("/login", &[("email", "a@b.co"), ("password", "x")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = browser
        .post(
            "/login",
            &[
                ("email", "a@b.co"),
                ("password", "x"),
                ("csrf_token", "forged-forged-forged-forged-forged"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

backend_tests!(next_only_follows_local_paths);
async fn next_only_follows_local_paths(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("next@example.com").await;
    for (next, expected) in [
        ("//evil.com", "/app"),
        ("/\\evil.com", "/app"),
        ("https://evil.com/", "/app"),
        ("/app/settings", "/app/settings"),
    ] {
        let csrf = browser.get("/login").await.csrf();
        let page = browser
            .post(
                "/login",
                &[
                    ("email", "next@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        assert_eq!(page.location.as_deref(), Some(expected), "next={next}");
    }
}

backend_tests!(an_expired_access_cookie_is_refreshed_transparently_and_logout_ends_it);
async fn an_expired_access_cookie_is_refreshed_transparently_and_logout_ends_it(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("refresh@example.com").await;
    browser.cookies.remove("sp_access");
    let page = browser.get("/app").await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.location);
    assert!(page.set_cookies.iter().any(|c| c.starts_with("sp_access=")));

    let csrf = page.csrf();
    let out = browser.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key("sp_access"));
    let after = browser.get("/app").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/login?next=/app"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let db = shared::testing::sqlite().await;
    let mut browser = browser(db, "https://scan.example").await;
    let csrf = browser.get("/signup").await.csrf();
    let request = Request::post("/signup")
        .header("origin", "https://scan.example")
        .header("sec-fetch-site", "same-origin");
    let done = browser
        .send(
            request,
            Some(encode(&[
                ("email", "tls@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ])),
        )
        .await;
    assert_eq!(done.status, StatusCode::ACCEPTED, "{}", done.html);
    // Confirmed through the emailed link, which signs in.
    let token = browser
        .mailed_token("tls@example.com", "https://scan.example/verify/")
        .await
        .unwrap();
    let path = format!("/verify/{token}");
    let csrf = browser.get(&path).await.csrf();
    let request = Request::post(path.as_str())
        .header("origin", "https://scan.example")
        .header("sec-fetch-site", "same-origin");
    let done = browser
        .send(request, Some(encode(&[("csrf_token", &csrf)])))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(done.set_cookies.iter().any(|c| c.starts_with("sp_access=")));
    assert!(
        done.set_cookies.iter().all(|c| c.contains("; Secure")),
        "{:?}",
        done.set_cookies
    );
}

#[tokio::test]
async fn settings_create_an_api_key_shown_once() {
    let db = shared::testing::sqlite().await;
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("keys@example.com").await;
    let csrf = browser.get("/app/settings").await.csrf();
    let page = browser
        .post(
            "/app/settings/api-keys",
            &[
                ("name", "laptop"),
                ("scope_qr_read", "1"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("spk_"), "the new key is shown");
    let again = browser.get("/app/settings").await;
    assert!(again.html.contains("laptop") && again.html.contains("qr:read"));
    let shown = page
        .html
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap();
    assert!(!again.html.contains(shown), "never shown again");
    let export = browser.get("/app/settings/export").await;
    assert_eq!(export.status, StatusCode::OK);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(export.body)).unwrap();
    let mut account = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("account.json").unwrap(), &mut account).unwrap();
    assert!(account.contains("keys@example.com") && account.contains("laptop"));
}

#[tokio::test]
async fn two_factor_from_the_settings_page_to_the_login_code_step() {
    let db = shared::testing::sqlite().await;
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("otp@example.com").await;
    let csrf = browser.get("/app/settings").await.csrf();
    let setup = browser
        .post("/app/settings/2fa/setup", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(setup.html.contains("<svg"), "a QR code to scan");
    let secret = setup
        .html
        .split("type the key <code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(secret).to_bytes().unwrap(),
        Some("Scanpage".into()),
        "otp@example.com".into(),
    )
    .unwrap();
    let code = totp.generate_current().unwrap();
    let enabled = browser
        .post(
            "/app/settings/2fa/enable",
            &[("code", &code), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert!(enabled.html.contains("recovery codes"));

    let out = browser.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let csrf = browser.get("/login").await.csrf();
    let step = browser
        .post(
            "/login",
            &[
                ("email", "otp@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(step.html.contains("name=\"mfa_token\""));
    assert!(
        !browser.cookies.contains_key("sp_access"),
        "no session before the code"
    );
    let mfa_token = step
        .html
        .split("name=\"mfa_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let done = browser
        .post(
            "/login/mfa",
            &[
                ("mfa_token", &mfa_token),
                ("code", &totp.generate_current().unwrap()),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/app"));
    assert_eq!(browser.get("/app").await.status, StatusCode::OK);
}

/// The key shown on the setup step (`type the key <code>…</code>`).
fn shown_secret(html: &str) -> String {
    html.split("type the key <code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned()
}

backend_tests!(a_mistyped_two_factor_code_keeps_the_same_secret_then_recovery_codes_can_be_copied);
async fn a_mistyped_two_factor_code_keeps_the_same_secret_then_recovery_codes_can_be_copied(
    db: TestDb,
) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("typo@example.com").await;
    let csrf = browser.get("/app/settings").await.csrf();
    let setup = browser
        .post("/app/settings/2fa/setup", &[("csrf_token", &csrf)])
        .await;
    let secret = shown_secret(&setup.html);
    let typo = browser
        .post(
            "/app/settings/2fa/enable",
            &[("code", "000000"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    assert!(typo.html.contains("<svg"), "the QR code is still there");
    assert_eq!(shown_secret(&typo.html), secret, "the same secret");
    assert!(typo.html.contains("aria-invalid=\"true\""));

    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(secret).to_bytes().unwrap(),
        Some("Scanpage".into()),
        "typo@example.com".into(),
    )
    .unwrap();
    let enabled = browser
        .post(
            "/app/settings/2fa/enable",
            &[
                ("code", &totp.generate_current().unwrap()),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert!(enabled.html.contains("data-copy=\"recovery-codes\""));
    assert!(
        enabled
            .html
            .contains("download=\"scanpage-recovery-codes.txt\"")
    );
    assert!(enabled.html.contains("copy.js"));
    let codes = enabled
        .html
        .split("readonly rows=\"5\" cols=\"13\">")
        .nth(1)
        .unwrap()
        .split("</textarea>")
        .next()
        .unwrap();
    assert_eq!(codes.lines().count(), 10, "{codes}");
}

backend_tests!(settings_list_sessions_and_sign_out_the_others);
async fn settings_list_sessions_and_sign_out_the_others(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("ses@example.com").await;
    let mut other = browser.another();
    let csrf = other.get("/login").await.csrf();
    let login = other
        .post(
            "/login",
            &[
                ("email", "ses@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let page = browser.get("/app/settings").await;
    assert!(page.html.contains("This session"));
    assert_eq!(page.html.matches("/revoke\"").count(), 2, "two sessions");
    let out = browser
        .post(
            "/app/settings/sessions/revoke-others",
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        out.location.as_deref(),
        Some("/app/settings?notice=others-ended")
    );
    let after = browser.get("/app/settings").await;
    assert_eq!(after.html.matches("/revoke\"").count(), 1);
}

backend_tests!(change_email_from_settings_then_the_link_in_the_new_inbox);
async fn change_email_from_settings_then_the_link_in_the_new_inbox(db: TestDb) {
    let pool = db.db.pool().clone();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("before@example.com").await;
    let csrf = browser.get("/app/settings").await.csrf();
    let wrong = browser
        .post(
            "/app/settings/email",
            &[
                ("new_email", "after@example.com"),
                ("password", "not the password"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.html.contains("after@example.com"),
        "keeps what was typed"
    );
    let asked = browser
        .post(
            "/app/settings/email",
            &[
                ("new_email", "after@example.com"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let mails = email::Outbox::new(pool)
        .bodies_for("after@example.com")
        .await
        .unwrap();
    let link = mails
        .iter()
        .flat_map(|m| m.split_whitespace())
        .find(|w| w.contains("/confirm-email/"))
        .unwrap();
    let path = &link[link.find("/confirm-email/").unwrap()..];
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Use this email address"));
    let done = browser.post(path, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("now uses this email address"));
    let again = browser.post(path, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again
            .html
            .contains("invalid, has been used, or has expired")
    );
    assert!(
        browser
            .get("/app/settings")
            .await
            .html
            .contains("after@example.com")
    );
}
