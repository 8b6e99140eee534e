//! The sign-in pages as a browser uses them: the whole app (all services in one process, like
//! `scanpage serve`) driven with `oneshot`, on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; clippy.toml only exempts #[test] functions"
)]

mod common;

use axum::http::{Request, StatusCode};
use common::browser::*;
use shared::testing::databases;

#[tokio::test]
async fn sign_up_lands_on_the_dashboard_with_session_cookies() {
    for db in databases("web_sign_up").await {
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
}

#[tokio::test]
async fn forms_keep_what_was_typed_but_never_the_password() {
    for db in databases("web_form_errors").await {
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
}

#[tokio::test]
async fn cross_site_posts_and_missing_tokens_are_403() {
    for db in databases("web_csrf").await {
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
}

#[tokio::test]
async fn next_only_follows_local_paths() {
    for db in databases("web_next").await {
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
}

#[tokio::test]
async fn an_expired_access_cookie_is_refreshed_transparently_and_logout_ends_it() {
    for db in databases("web_refresh").await {
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
    assert!(export.html.contains("keys@example.com"));
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
