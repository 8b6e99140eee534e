//! "Your data, all of it", as a user meets it on SQLite and PostgreSQL: the settings page's
//! download is one zip with every part in its documented place, and deleting the account asks
//! for the password and a typed phrase, then says what was deleted. Also: `/metrics` is for a
//! local scraper or the holder of `METRICS_TOKEN` only.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use axum::http::{Request, StatusCode};
use base64::Engine as _;
use common::TestApp;
use common::browser::*;
use shared::testing::{self, TestDb, backend_tests};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const LOGO_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAYAAADgdz34AAAAdElEQVR4AbXBQQ0DMQxE0d/RgvCpDMogKAw0EHoymLBoEcQbrTTvvb7vzw8jYSbMhJkwE2bC7OLAmIudyqAjboy56Iy56IjGmIsTYy52hJkwE2bCTJgJM9GoDE5UBjviRmXQqQw6Fwcqg6eEmTATZsJMmP0BhC8Saj3Q5bMAAAAASUVORK5CYII=";

/// What a user has in the tests below: ids and names to look for.
struct Owned {
    code_id: String,
    code: String,
    slug: String,
    logo_id: String,
}

/// Signs up and makes one of everything: a code (with a logo uploaded from its page), a
/// microsite with blocks, a saved style, and one scan that analytics has recorded.
async fn user_with_everything(browser: &mut Browser, email: &str, slug: &str) -> Owned {
    browser.sign_up(email).await;
    let (code_id, code) = browser.create_code("Spring menu").await;

    let csrf = browser.get(&format!("/app/qr/{code_id}")).await.csrf();
    let png = base64::engine::general_purpose::STANDARD
        .decode(LOGO_PNG)
        .unwrap();
    let uploaded = browser
        .post_multipart_typed(
            &format!("/app/qr/{code_id}/logo"),
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("file", Some("logo.png"), &png),
            ],
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.html);
    let media: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/media").await.html).unwrap();
    let logo_id = media["items"][0]["id"]
        .as_str()
        .expect("the logo")
        .to_owned();

    let site = browser
        .send(
            Request::post("/api/v1/microsites").header("content-type", "application/json"),
            Some(
                serde_json::json!({
                    "slug": slug,
                    "title": "Bakery",
                    "blocks": [
                        {"type": "heading", "text": "Fresh bread daily"},
                        {"type": "link", "id": "order", "label": "Order", "url": "https://example.com/order"}
                    ]
                })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.html);

    let style = browser
        .send(
            Request::post("/api/v1/qr/styles").header("content-type", "application/json"),
            Some(r##"{"name":"Brand kit","style":{"fg":"#112233"}}"##.to_owned()),
        )
        .await;
    assert_eq!(style.status, StatusCode::CREATED, "{}", style.html);

    let scan = browser
        .send(
            Request::get(format!("/r/{code}")).header("user-agent", IPHONE),
            None,
        )
        .await;
    assert_eq!(scan.status, StatusCode::FOUND);
    // Recorded asynchronously: wait until analytics answers with it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let overview = browser.get("/api/v1/analytics/overview").await;
        let overview: serde_json::Value = serde_json::from_str(&overview.html).unwrap_or_default();
        if overview["total_scans"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the scan was never recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Owned {
        code_id,
        code,
        slug: slug.to_owned(),
        logo_id,
    }
}

fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut file = zip
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} is in the zip"));
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}

fn json_entry(
    zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    name: &str,
) -> serde_json::Value {
    serde_json::from_slice(&entry(zip, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

backend_tests!(the_export_is_a_zip_of_everything_the_user_has);
/// Finding: "Download my data" held only the user record, keys and sessions. Now it is a zip of
/// everything, each part where `docs/data-export.md` says.
async fn the_export_is_a_zip_of_everything_the_user_has(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    let owned = user_with_everything(&mut browser, "baker@example.com", "bakery").await;
    // Someone else's things never end up in it.
    let mut other = browser.another();
    other.sign_up("other@example.com").await;
    other.create_code("Not yours").await;

    let settings = browser.get("/app/settings").await;
    assert!(settings.html.contains("href=\"/app/settings/export\""));
    let download = browser.get("/app/settings/export").await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.html);
    assert_eq!(download.headers["content-type"], "application/zip");
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"scanpage-export-")
            && disposition.ends_with(".zip\""),
        "{disposition}"
    );
    assert_eq!(download.headers["cache-control"], "no-store");

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(download.body)).unwrap();
    let readme = String::from_utf8(entry(&mut zip, "README.txt")).unwrap();
    for part in [
        "account.json",
        "codes/codes.json",
        "microsites/<slug>.json",
        "analytics/codes/<code>.csv",
    ] {
        assert!(readme.contains(part), "the README names {part}");
    }

    let account = json_entry(&mut zip, "account.json");
    assert_eq!(account["user"]["email"], "baker@example.com");

    let codes = json_entry(&mut zip, "codes/codes.json");
    let codes = codes.as_array().unwrap();
    assert_eq!(codes.len(), 1, "only the user's own codes");
    assert_eq!(codes[0]["code"], owned.code.as_str());
    assert_eq!(codes[0]["destination"], "https://example.com/menu");
    assert!(codes[0].get("rules").is_some(), "with its rules");
    let one = json_entry(&mut zip, &format!("codes/{}.json", owned.code));
    assert_eq!(one["id"], owned.code_id.as_str());
    assert_eq!(one["style"]["logo"]["id"], owned.logo_id.as_str());

    let site = json_entry(&mut zip, &format!("microsites/{}.json", owned.slug));
    assert_eq!(site["title"], "Bakery");
    assert_eq!(site["blocks"][0]["text"], "Fresh bread daily");
    assert_eq!(site["blocks"][1]["url"], "https://example.com/order");

    let styles = json_entry(&mut zip, "styles.json");
    assert_eq!(styles[0]["name"], "Brand kit");

    let logo = entry(&mut zip, &format!("media/{}.png", owned.logo_id));
    let served = browser.get(&format!("/media/{}.png", owned.logo_id)).await;
    assert_eq!(logo, served.body, "the stored image itself");
    let media = json_entry(&mut zip, "media/media.json");
    assert_eq!(media[0]["id"], owned.logo_id.as_str());

    let csv = String::from_utf8(entry(
        &mut zip,
        &format!("analytics/codes/{}.csv", owned.code),
    ))
    .unwrap();
    assert_eq!(csv.lines().count(), 2, "a header and the one scan: {csv}");
    assert!(csv.contains(",iOS,"), "{csv}");

    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("..") && !n.starts_with('/')),
        "{names:?}"
    );
}

backend_tests!(deletion_needs_the_phrase_and_then_says_what_was_deleted);
/// Deleting asks for the password and the typed phrase; a wrong or missing phrase deletes
/// nothing, and the right one ends on a page saying what went, as each service counted it.
async fn deletion_needs_the_phrase_and_then_says_what_was_deleted(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    let owned = user_with_everything(&mut browser, "leaver@example.com", "leaver").await;
    let settings = browser.get("/app/settings").await;
    assert!(
        settings
            .html
            .contains("Type <strong>delete my account</strong> to confirm")
    );
    let csrf = settings.csrf();

    for confirm in [None, Some(""), Some("delete"), Some("leaver@example.com")] {
        let mut form = vec![("csrf_token", csrf.as_str()), ("password", PASSWORD)];
        if let Some(confirm) = confirm {
            form.push(("confirm", confirm));
        }
        let refused = browser.post("/app/settings/delete", &form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{confirm:?}"
        );
        assert!(
            refused
                .html
                .contains("Type &quot;delete my account&quot; to confirm")
                || refused
                    .html
                    .contains("Type &#34;delete my account&#34; to confirm")
                || refused
                    .html
                    .contains("Type \"delete my account\" to confirm"),
            "{}",
            refused.html
        );
        assert!(refused.html.contains("id=\"delete_confirm\""));
    }
    let wrong_password = browser
        .post(
            "/app/settings/delete",
            &[
                ("csrf_token", csrf.as_str()),
                ("password", "not my password"),
                ("confirm", "delete my account"),
            ],
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing was deleted: the code still redirects and the session still works.
    let code = browser.get(&format!("/api/v1/qr/{}", owned.code_id)).await;
    assert_eq!(code.status, StatusCode::OK);
    assert_eq!(browser.get("/app/settings").await.status, StatusCode::OK);

    let done = browser
        .post(
            "/app/settings/delete",
            &[
                ("csrf_token", csrf.as_str()),
                ("password", PASSWORD),
                ("confirm", "Delete my account"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Your account is deleted"));
    for (what, n) in [
        ("codes", 1),
        ("microsites", 1),
        ("media", 1),
        ("scans", 1),
        ("views", 0),
    ] {
        assert!(
            done.html.contains(&format!("data-count=\"{what}\">{n}<")),
            "{what} = {n}: {}",
            done.html
        );
    }
    assert_eq!(
        browser.get("/app/settings").await.status,
        StatusCode::SEE_OTHER,
        "signed out"
    );
    // The owners delete their share on hearing of it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.get(&format!("/r/{}", owned.code)).await.status != StatusCode::NOT_FOUND {
        assert!(Instant::now() < deadline, "the code still answers");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Finding: `/metrics` was public. Behind a trusted proxy (the request names a forwarded client)
/// it is 404; with `METRICS_TOKEN`, only the right bearer token reads it.
#[tokio::test]
async fn metrics_are_for_a_local_scraper_or_the_token_holder() {
    let db = testing::sqlite().await;
    let app = TestApp::spawn(&db, &["--trusted-proxies", "127.0.0.1"]).await;
    assert_eq!(
        app.get("/metrics").await.status(),
        StatusCode::OK,
        "a local scraper"
    );
    let proxied = app
        .http
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), StatusCode::NOT_FOUND);
    let body = proxied.text().await.unwrap();
    assert!(!body.contains("http_requests_total"), "{body}");
    app.stop().await;

    let app = TestApp::spawn(&db, &["--metrics-token", "scrape-me-0123456789"]).await;
    assert_eq!(
        app.get("/metrics").await.status(),
        StatusCode::NOT_FOUND,
        "no token"
    );
    for (token, status) in [
        ("Bearer wrong-token", StatusCode::NOT_FOUND),
        ("Bearer scrape-me-0123456789", StatusCode::OK),
    ] {
        let answer = app
            .http
            .get(app.url("/metrics"))
            .header("authorization", token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{token}");
    }
    app.stop().await;
}

backend_tests!(an_upload_past_the_quota_is_explained_on_the_code_page);
/// Past the storage quota, the logo form on a code's page says so in place (how much is used),
/// and the code keeps no logo.
async fn an_upload_past_the_quota_is_explained_on_the_code_page(db: TestDb) {
    let mut browser = browser_with(db, "http://localhost:3000", &["--upload-quota-mb", "0"]).await;
    browser.sign_up("full@example.com").await;
    let (id, _) = browser.create_code("Door").await;
    let csrf = browser.get(&format!("/app/qr/{id}")).await.csrf();
    let png = base64::engine::general_purpose::STANDARD
        .decode(LOGO_PNG)
        .unwrap();
    let refused = browser
        .post_multipart_typed(
            &format!("/app/qr/{id}/logo"),
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("file", Some("logo.png"), &png),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("id=\"logo-error\""),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("your images use 0.0 of your 0 MB"),
        "{}",
        refused.html
    );
    let media: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/media").await.html).unwrap();
    assert_eq!(media["items"].as_array().unwrap().len(), 0);
}

/// The settings page offers `account:read` as its own box; a key made there without it cannot
/// read the account, one made with it can.
#[tokio::test]
async fn the_key_form_offers_account_read_and_only_it_reads_the_account() {
    let db = testing::sqlite().await;
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("keys@example.com").await;
    let settings = browser.get("/app/settings").await;
    assert!(settings.html.contains("name=\"scope_account_read\""));
    let csrf = settings.csrf();
    let mut make = async |scope: &str| {
        let page = browser
            .post(
                "/app/settings/api-keys",
                &[("name", scope), (scope, "1"), ("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let start = page.html.find("spk_").expect("the new key is shown");
        page.html[start..]
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-')
            .next()
            .unwrap()
            .to_owned()
    };
    let qr_only = make("scope_qr_read").await;
    let account = make("scope_account_read").await;
    let mut anonymous = browser.another();
    for (key, status) in [(qr_only, StatusCode::FORBIDDEN), (account, StatusCode::OK)] {
        let export = anonymous
            .send(
                Request::get("/api/v1/auth/me/export")
                    .header("authorization", format!("Bearer {key}")),
                None,
            )
            .await;
        assert_eq!(export.status, status, "{}", export.html);
    }
}
