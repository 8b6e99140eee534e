//! Cross-site request forgery, on SQLite and PostgreSQL. The test walks every page a signed-in
//! founder with a code, a microsite, a style and an API key can reach, collects every
//! `<form method="post">` on them (so a new form is covered without touching this file), and
//! sends each one as another site would: without the CSRF token, with a wrong one, and with the
//! right token but a foreign `Origin` or `Sec-Fetch-Site: cross-site`. Each is refused 403 and
//! changes nothing. The JSON API, which also takes the session cookie, refuses cross-site posts
//! the same way.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Request, StatusCode, header};
use common::browser::{Browser, browser_with, encode};
use common::html::{Form, local_links, post_forms};
use shared::testing::{TestDb, backend_tests};
use std::fmt::Write as _;

const FOUNDER: &str = "boss@example.com";

/// Pages the walk starts from; links found on them are followed.
const SEEDS: [&str; 14] = [
    "/",
    "/app",
    "/app/qr/new",
    "/app/qr/bulk",
    "/app/qr/styles",
    "/app/microsites",
    "/app/microsites/new",
    "/app/analytics",
    "/app/settings",
    "/pricing",
    "/report",
    "/admin",
    "/admin/reports",
    "/admin/blocklist",
];

/// Every page reachable from the seeds (GET only, local, no downloads), with its post forms.
async fn crawl(browser: &mut Browser) -> BTreeMap<String, Vec<Form>> {
    let mut queue: Vec<String> = SEEDS.iter().map(|s| (*s).to_owned()).collect();
    let mut seen = BTreeSet::new();
    let mut forms = BTreeMap::new();
    while let Some(path) = queue.pop() {
        let key = path.split('?').next().unwrap_or_default().to_owned();
        if !seen.insert(key) || seen.len() > 200 {
            continue;
        }
        let page = browser.get(&path).await;
        if page.status != StatusCode::OK {
            continue;
        }
        for form in post_forms(&page.html, &path) {
            forms
                .entry(form.action.split('?').next().unwrap_or_default().to_owned())
                .or_insert_with(Vec::new)
                .push(form);
        }
        for link in local_links(&page.html) {
            let skip = ["/static/", "/media/", "/r/", "/m/", "/api/", "/logout"]
                .iter()
                .any(|p| link.starts_with(p))
                || [".csv", ".zip", ".png", ".svg", "/export"]
                    .iter()
                    .any(|s| link.split('?').next().unwrap_or_default().ends_with(s));
            if !skip {
                queue.push(link);
            }
        }
    }
    forms
}

/// What the founder owns and sees, to compare before and after the forged posts.
async fn state(browser: &mut Browser) -> Vec<String> {
    let mut all = Vec::new();
    for path in [
        "/api/v1/qr",
        "/api/v1/microsites",
        "/api/v1/qr/styles",
        "/api/v1/auth/me",
        "/api/v1/auth/admin/invites",
        "/api/v1/auth/admin/waitlist",
        "/api/v1/auth/admin/users",
        "/api/v1/qr/admin/blocklist",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
        all.push(page.html);
    }
    // API keys carry a last-used time that moves with these reads: their ids only.
    let keys: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/auth/api-keys").await.html).unwrap();
    all.push(
        keys.as_array()
            .into_iter()
            .flatten()
            .map(|k| k["id"].to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    all
}

/// `form` posted with `csrf` as its token (removed when `None`) and the given request headers.
async fn forge(
    browser: &mut Browser,
    form: &Form,
    csrf: Option<&str>,
    headers: &[(&str, &str)],
) -> StatusCode {
    let mut fields: Vec<(&str, &str)> = form
        .fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(csrf) = csrf {
        fields.push(("csrf_token", csrf));
    }
    let mut request = Request::post(form.action.as_str());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if form.multipart {
        let boundary = "----forged";
        let mut body = String::new();
        for (k, v) in &fields {
            let _ = write!(
                body,
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            );
        }
        let _ = write!(body, "--{boundary}--\r\n");
        request = request.header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        browser.send(request, Some(body)).await.status
    } else {
        browser.send(request, Some(encode(&fields))).await.status
    }
}

backend_tests!(every_form_refuses_cross_site_posts);
async fn every_form_refuses_cross_site_posts(db: TestDb) {
    let backend = db.backend.name();
    let mut boss = browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    boss.sign_up_founder(FOUNDER).await;
    let (code, _) = boss.create_code("Menu").await;
    let csrf = boss.get("/app/microsites/new").await.csrf();
    let made = boss
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", "creator"),
                ("slug", "boss-page"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let style = boss
        .post(
            "/app/qr/styles",
            &[
                ("csrf_token", &csrf),
                ("style_name", "Brand"),
                ("fg", "#112233"),
                ("bg", "#ffffff"),
                ("modules", "rounded"),
                ("eyes", "square"),
                ("ecc", "Q"),
            ],
        )
        .await;
    assert_eq!(style.status, StatusCode::SEE_OTHER, "{}", style.html);
    let key = boss
        .post(
            "/app/settings/api-keys",
            &[
                ("csrf_token", &csrf),
                ("name", "laptop"),
                ("scope_qr_read", "1"),
            ],
        )
        .await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.html);

    let forms = crawl(&mut boss).await;
    // The walk found the forms it must have found (a sanity floor, not a list to keep).
    for must in [
        "/logout",
        "/app/qr/new",
        &format!("/app/qr/{code}"),
        &format!("/app/qr/{code}/delete"),
        "/app/microsites/new",
        "/app/settings/password",
        "/app/settings/api-keys",
        "/app/feedback",
        "/admin/invites",
        "/admin/blocklist",
    ] {
        assert!(
            forms.contains_key(must),
            "{backend}: no form posts to {must}: {:?}",
            forms.keys()
        );
    }
    let before = state(&mut boss).await;
    let token = boss.get("/app").await.csrf();
    let mut tried = 0;
    for (action, variants) in &forms {
        for form in variants {
            let same_site = [
                ("origin", "http://localhost:3000"),
                ("sec-fetch-site", "same-origin"),
            ];
            for (what, csrf, headers) in [
                ("no token", None, &same_site[..]),
                ("a wrong token", Some("0".repeat(43)), &same_site[..]),
                ("an empty token", Some(String::new()), &same_site[..]),
                (
                    "a foreign Origin",
                    Some(token.clone()),
                    &[
                        ("origin", "https://evil.example"),
                        ("sec-fetch-site", "cross-site"),
                    ][..],
                ),
                (
                    "Sec-Fetch-Site: cross-site",
                    Some(token.clone()),
                    &[("sec-fetch-site", "cross-site")][..],
                ),
                (
                    "Origin: null",
                    Some(token.clone()),
                    &[("origin", "null")][..],
                ),
            ] {
                let status = forge(&mut boss, form, csrf.as_deref(), headers).await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{backend}: {action} with {what}"
                );
                tried += 1;
            }
        }
    }
    // Still signed in (the logout form was refused too) and nothing changed.
    assert_eq!(boss.get("/app").await.status, StatusCode::OK);
    assert_eq!(
        state(&mut boss).await,
        before,
        "{backend}: forged posts changed nothing"
    );
    println!(
        "{tried} forged posts to {} forms refused on {backend}",
        forms.len()
    );
}

backend_tests!(the_api_refuses_cross_site_posts_made_with_the_session_cookie);
async fn the_api_refuses_cross_site_posts_made_with_the_session_cookie(db: TestDb) {
    let backend = db.backend.name();
    let mut user = browser_with(db, "http://localhost:3000", &[]).await;
    user.sign_up("victim@example.com").await;
    let (code, _) = user.create_code("Menu").await;
    let before = state_of(&mut user, &code).await;
    // What a foreign page can send without a preflight: form-encoded, multipart or text
    // bodies, and bodiless posts. The cookie rides along when the browser allows it.
    for (path, content_type, body) in [
        ("/api/v1/auth/logout", None, ""),
        (
            "/api/v1/auth/api-keys",
            Some("text/plain"),
            "{\"name\":\"stolen\"}",
        ),
        (
            "/api/v1/qr",
            Some("text/plain"),
            "{\"destination\":\"https://evil.example/\"}",
        ),
        (
            "/api/v1/qr/bulk",
            Some("multipart/form-data; boundary=x"),
            "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nname,destination\r\nx,https://evil.example/\r\n--x--\r\n",
        ),
        ("/api/v1/auth/2fa/setup", None, ""),
    ] {
        let mut request = Request::post(path)
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site");
        if let Some(t) = content_type {
            request = request.header(header::CONTENT_TYPE, t);
        }
        let page = user.send(request, Some(body.to_owned())).await;
        assert!(
            page.status == StatusCode::FORBIDDEN,
            "{backend}: a cross-site POST {path}: {} {}",
            page.status,
            page.html
        );
    }
    assert_eq!(
        user.get("/app").await.status,
        StatusCode::OK,
        "still signed in"
    );
    assert_eq!(state_of(&mut user, &code).await, before);
    println!("cross-site API posts refused on {backend}");
}

async fn state_of(user: &mut Browser, code: &str) -> Vec<String> {
    let mut all = Vec::new();
    for path in [
        "/api/v1/qr",
        "/api/v1/auth/me",
        &format!("/api/v1/qr/{code}"),
    ] {
        all.push(user.get(path).await.html);
    }
    let keys = user.get("/api/v1/auth/api-keys").await.html;
    all.push(keys);
    all
}

backend_tests!(a_link_hops_ping_passes_the_cross_site_guard_and_nothing_else_does);
/// A page seen on a custom domain pings the hop on the canonical address, cross-site: the guard
/// lets that `POST` reach the hop (here a 404, no such page) and refuses every other route.
async fn a_link_hops_ping_passes_the_cross_site_guard_and_nothing_else_does(db: TestDb) {
    let backend = db.backend.name();
    let mut user = browser_with(db, "http://localhost:3000", &[]).await;
    for (path, expected) in [
        ("/m/no-such-page/l/b1", StatusCode::NOT_FOUND),
        ("/m/no-such-page/l/b1/2", StatusCode::NOT_FOUND),
        ("/m/no-such-page/l/b1/x", StatusCode::FORBIDDEN),
        ("/m/no-such-page/preview", StatusCode::FORBIDDEN),
        ("/m/no-such-page", StatusCode::FORBIDDEN),
        ("/app/microsites/new", StatusCode::FORBIDDEN),
    ] {
        let request = Request::post(path)
            .header("origin", "https://links.creator.example")
            .header("sec-fetch-site", "cross-site")
            .header(header::CONTENT_TYPE, "text/ping");
        let page = user.send(request, Some("PING".to_owned())).await;
        assert_eq!(page.status, expected, "{backend}: cross-site POST {path}");
    }
    println!("only link hops take cross-site pings on {backend}");
}
