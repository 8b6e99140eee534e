//! The sign-in pages as a browser uses them: the whole app (all services in one process, like
//! `scanpage serve`) driven with `oneshot`, on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; clippy.toml only exempts #[test] functions"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use http_body_util::BodyExt;
use shared::config::Settings;
use shared::shutdown::Shutdown;
use shared::testing::{TestDb, databases};
use tower::ServiceExt;
use web::app::{Mode, build};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

const PASSWORD: &str = "correct horse battery staple";

struct Browser {
    app: Router,
    cookies: BTreeMap<String, String>,
    _db: TestDb,
    dir: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    html: String,
}

impl Page {
    fn csrf(&self) -> String {
        let start = self
            .html
            .find("name=\"csrf_token\" value=\"")
            .expect("a CSRF field")
            + 25;
        self.html[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn browser(db: TestDb, public: &str) -> Browser {
    let dir = std::env::temp_dir().join(format!("scanpage-web-{}", uuid::Uuid::new_v4().simple()));
    let settings = Cli::parse_from([
        "scanpage",
        "--data-dir",
        dir.to_str().unwrap(),
        "--database-url",
        &db.url,
    ])
    .settings;
    let app = build(Arc::new(settings), Mode::AllInOne, public, &Shutdown::new())
        .await
        .unwrap();
    Browser {
        app,
        cookies: BTreeMap::new(),
        _db: db,
        dir,
    }
}

impl Browser {
    async fn send(&mut self, request: axum::http::request::Builder, body: Option<String>) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = request.header("host", "localhost:3000");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        let request = match body {
            Some(form) => request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form)),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            set_cookies,
            html: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), None).await
    }

    /// A same-origin form post, as the browser sends it from our own page.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = Request::post(path)
            .header("origin", "http://localhost:3000")
            .header("sec-fetch-site", "same-origin");
        self.send(request, Some(encode(form))).await
    }

    async fn sign_up(&mut self, email: &str) -> Page {
        let csrf = self.get("/signup").await.csrf();
        self.post(
            "/signup",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }
}

fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

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
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
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
