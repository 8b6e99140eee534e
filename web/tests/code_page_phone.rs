//! The code page as a creator uses it on a phone, on SQLite and PostgreSQL: preview and
//! downloads before the form, a copy button for the short link, a logo chosen while creating,
//! times typed in the owner's time zone (summer time included), several country rules, and the
//! dashboard's state badges.

mod common;

use axum::http::StatusCode;
use base64::Engine as _;
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

/// A 24×24 PNG (the one the data-export test uploads).
const LOGO_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAYAAADgdz34AAAAdElEQVR4AbXBQQ0DMQxE0d/RgvCpDMogKAw0EHoymLBoEcQbrTTvvb7vzw8jYSbMhJkwE2bC7OLAmIudyqAjboy56Iy56IjGmIsTYy52hJkwE2bCTJgJM9GoDE5UBjviRmXQqQw6Fwcqg6eEmTATZsJMmP0BhC8Saj3Q5bMAAAAASUVORK5CYII=";

fn id_from(location: &str) -> String {
    location
        .trim_start_matches("/app/qr/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

async fn view(browser: &mut Browser, id: &str) -> serde_json::Value {
    let page = browser.get(&format!("/api/v1/qr/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    serde_json::from_str(&page.html).unwrap()
}

/// Creates a code from `fields` (plus name, destination and token) through the page's form.
async fn create(browser: &mut Browser, name: &str, fields: &[(&str, &str)]) -> String {
    let csrf = browser.get("/app/qr/new").await.csrf();
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("name", name),
        ("destination", "https://example.com/"),
    ];
    form.extend_from_slice(fields);
    let created = browser.post("/app/qr/new", &form).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    id_from(&created.location.unwrap())
}

backend_tests!(a_logo_chosen_while_creating_is_on_the_new_code);
async fn a_logo_chosen_while_creating_is_on_the_new_code(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("logo-first@example.com").await;
    let new = browser.get("/app/qr/new").await;
    assert!(new.html.contains("enctype=\"multipart/form-data\""));
    assert!(new.html.contains("name=\"logo_file\""));
    let csrf = new.csrf();

    // Not an image: a form error on the file, and everything typed comes back.
    let refused = browser
        .post_multipart_typed(
            "/app/qr/new",
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("name", None, b"Cafe poster"),
                ("destination", None, b"https://example.com/cafe"),
                ("frame_text", None, b"Menu inside"),
                ("country", None, b"FR"),
                ("country_url", None, b"https://example.fr/"),
                ("logo_file", Some("logo.png"), b"this is not a picture"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("id=\"logo-error\""),
        "{}",
        refused.html
    );
    for kept in [
        "value=\"Cafe poster\"",
        "value=\"https://example.com/cafe\"",
        "value=\"Menu inside\"",
        "value=\"FR\" selected",
        "value=\"https://example.fr/\"",
    ] {
        assert!(refused.html.contains(kept), "{kept} kept after the refusal");
    }
    assert!(
        view_count(&mut browser).await == 0,
        "nothing is created when the logo is refused"
    );

    let png = base64::engine::general_purpose::STANDARD
        .decode(LOGO_PNG)
        .unwrap();
    // "Add a country" re-shows the form; the file chosen with it is uploaded and kept (a
    // browser cannot refill a file input), so the create below needs no file again.
    let added = browser
        .post_multipart_typed(
            "/app/qr/new",
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("name", None, b"Cafe poster"),
                ("destination", None, b"https://example.com/cafe"),
                ("add_country", None, b"1"),
                ("logo_file", Some("logo.png"), &png),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    assert!(
        added
            .html
            .contains("(uploaded; choose another to replace it)")
    );
    let kept = added
        .html
        .split("name=\"logo_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(
        !kept.is_empty(),
        "the uploaded logo's id is carried by the form"
    );
    assert_eq!(
        view_count(&mut browser).await,
        0,
        "adding a row saves nothing"
    );
    let created = browser
        .post_multipart_typed(
            "/app/qr/new",
            "image/png",
            &[
                ("csrf_token", None, csrf.as_bytes()),
                ("name", None, b"Cafe poster"),
                ("destination", None, b"https://example.com/cafe"),
                ("logo_id", None, kept.as_bytes()),
                ("logo_size", None, b"0.3"),
                ("logo_file", Some(""), b""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = id_from(&created.location.unwrap());
    let code = view(&mut browser, &id).await;
    let logo = code["style"]["logo"]["id"]
        .as_str()
        .expect("style.logo set");
    let media: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/media").await.html).unwrap();
    assert_eq!(
        media["items"][0]["id"], logo,
        "the uploaded image is the logo"
    );

    // The saved code's page: preview and downloads before the form, and a copy button for the
    // short link (hidden until copy.js shows it; the link itself is selectable text).
    let page = browser.get(&format!("/app/qr/{id}")).await;
    let preview = page.html.find("id=\"preview\"").unwrap();
    let downloads = page.html.find("image.png?size=1024").unwrap();
    let form = page.html.find("id=\"qr-form\"").unwrap();
    assert!(
        preview < form && downloads < form,
        "preview and downloads come first"
    );
    assert!(page.html.contains("data-copy=\"short-url\""));
    assert!(page.html.contains("copy.js"));
    let short = code["short_url"].as_str().unwrap();
    assert!(
        page.html
            .contains(&format!("id=\"short-url\" value=\"{short}\" readonly"))
    );
}

/// How many codes the signed-in user has.
async fn view_count(browser: &mut Browser) -> usize {
    let list: serde_json::Value =
        serde_json::from_str(&browser.get("/api/v1/qr").await.html).unwrap();
    list["items"].as_array().map_or(0, Vec::len)
}

backend_tests!(times_are_typed_and_shown_in_the_owners_zone);
async fn times_are_typed_and_shown_in_the_owners_zone(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("zones@example.com").await;
    let new = browser.get("/app/qr/new").await;
    assert!(
        new.html.contains("data-browser-zone"),
        "a new code's zone is the browser's (codepage.js)"
    );
    assert!(new.html.contains("<option>America/New_York</option>"));
    assert!(new.html.contains("<option selected>UTC</option>"));

    // New York keeps summer time (UTC−4) in July and standard time (UTC−5) in January.
    for (typed, utc) in [
        ("2030-07-01T12:00", "2030-07-01T16:00:00Z"),
        ("2030-01-15T12:00", "2030-01-15T17:00:00Z"),
    ] {
        let id = create(
            &mut browser,
            "Summer sale",
            &[
                ("time_zone", "America/New_York"),
                ("expires_at", typed),
                ("schedule_from", "09:00"),
                ("schedule_to", "17:00"),
                ("schedule_url", "https://example.com/open"),
            ],
        )
        .await;
        let code = view(&mut browser, &id).await;
        let expected = utc.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        assert_eq!(code["rules"]["expires_at"], expected, "{typed} in New York");
        assert_eq!(code["rules"]["time_zone"], "America/New_York");
        assert_eq!(code["rules"]["routes"][0]["time_zone"], "America/New_York");
        let page = browser.get(&format!("/app/qr/{id}")).await;
        assert!(
            page.html.contains(&format!("value=\"{typed}\"")),
            "shown back"
        );
        assert!(
            page.html
                .contains("<option selected>America/New_York</option>")
        );
    }

    // 02:30 on the night clocks spring forward does not exist: said so, nothing lost.
    let csrf = browser.get("/app/qr/new").await.csrf();
    let gap = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Gap"),
                ("destination", "https://example.com/"),
                ("time_zone", "America/New_York"),
                ("expires_at", "2030-03-10T02:30"),
            ],
        )
        .await;
    assert_eq!(gap.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(gap.html.contains("id=\"expires_at-error\""), "{}", gap.html);
    assert!(gap.html.contains("does not exist in America/New_York"));
    assert!(gap.html.contains("value=\"2030-03-10T02:30\""));
    assert!(gap.html.contains("value=\"Gap\""));
    // 01:30 on the night they fall back happens twice: also said, not guessed.
    let fold = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Fold"),
                ("destination", "https://example.com/"),
                ("time_zone", "America/New_York"),
                ("expires_at", "2030-11-03T01:30"),
            ],
        )
        .await;
    assert_eq!(fold.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fold.html.contains("happens twice"));
    // A zone not in the list is refused by name.
    let unknown = browser
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Mars"),
                ("destination", "https://example.com/"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.html.contains("id=\"time_zone-error\""));
}

backend_tests!(several_country_rules_are_saved_shown_added_and_removed);
async fn several_country_rules_are_saved_shown_added_and_removed(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("countries@example.com").await;
    let new = browser.get("/app/qr/new").await;
    assert_eq!(
        new.html.matches("name=\"country\"").count(),
        1,
        "one blank row to start"
    );
    let csrf = new.csrf();
    let rows = [
        ("csrf_token", csrf.as_str()),
        ("name", "Worldwide"),
        ("destination", "https://example.com/"),
        ("ios_url", "https://apps.apple.com/app/x"),
        ("country", "DE"),
        ("country_url", "https://example.de/"),
        ("country", ""),
        ("country_url", ""),
        ("country", "FR"),
        ("country_url", "https://example.fr/"),
    ];

    // "Add a country" without JavaScript: the form again, one row more, nothing saved.
    let mut adding = rows.to_vec();
    adding.push(("add_country", "1"));
    let added = browser.post("/app/qr/new", &adding).await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(added.html.matches("name=\"country\"").count(), 4);
    assert!(added.html.contains("value=\"FR\" selected"));
    assert_eq!(view_count(&mut browser).await, 0);
    // "Remove" on the first row: DE goes, FR stays.
    let mut removing = rows.to_vec();
    removing.push(("remove_country", "0"));
    let removed = browser.post("/app/qr/new", &removing).await;
    assert!(!removed.html.contains("value=\"DE\" selected"));
    assert!(removed.html.contains("value=\"FR\" selected"));

    // A mistake on the third row is shown on that row (FR's route is qr's third: iOS, DE, FR).
    let mut bad = rows.to_vec();
    bad[8] = ("country", "XX");
    let refused = browser.post("/app/qr/new", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("id=\"country-2-error\""),
        "{}",
        refused.html
    );
    assert!(!refused.html.contains("id=\"country-0-error\""));
    assert!(refused.html.contains("value=\"XX\" selected"));

    let created = browser.post("/app/qr/new", &rows).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = id_from(&created.location.unwrap());
    let code = view(&mut browser, &id).await;
    let countries: Vec<(&str, &str)> = code["rules"]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "country")
        .map(|r| (r["country"].as_str().unwrap(), r["url"].as_str().unwrap()))
        .collect();
    assert_eq!(
        countries,
        [("DE", "https://example.de/"), ("FR", "https://example.fr/")]
    );
    let page = browser.get(&format!("/app/qr/{id}")).await;
    assert!(page.html.contains("value=\"DE\" selected"));
    assert!(page.html.contains("value=\"FR\" selected"));
    assert!(page.html.contains("value=\"https://example.fr/\""));
}

backend_tests!(dashboard_cards_say_what_state_each_code_is_in);
async fn dashboard_cards_say_what_state_each_code_is_in(db: TestDb) {
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("states@example.com").await;
    let _active = create(&mut browser, "Fresh poster", &[]).await;
    let paused = create(&mut browser, "Quiet poster", &[]).await;
    let csrf = browser.get(&format!("/app/qr/{paused}")).await.csrf();
    let saved = browser
        .post(
            &format!("/app/qr/{paused}"),
            &[
                ("csrf_token", &csrf),
                ("name", "Quiet poster"),
                ("destination", "https://example.com/"),
                ("paused", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let _expired = create(
        &mut browser,
        "Old poster",
        &[
            ("time_zone", "Europe/Berlin"),
            ("expires_at", "2021-05-01T09:00"),
        ],
    )
    .await;
    let limited = create(&mut browser, "Busy poster", &[("max_scans", "1")]).await;
    let code = view(&mut browser, &limited).await;
    let short = code["code"].as_str().unwrap().to_owned();
    assert_eq!(scan(&mut browser, &short).await.status, StatusCode::FOUND);
    eventually_counts(&mut browser, &limited, |a| a["total_scans"] == 1).await;

    let dashboard = browser.get("/app").await;
    let badge = |name: &str| {
        let card = &dashboard.html[dashboard.html.find(&format!(">{name}</a>")).unwrap()..];
        let card = &card[..card.find("</h2>").unwrap()];
        card.split("class=\"state ")
            .nth(1)
            .map(|rest| rest.split(['<']).next().unwrap().to_owned())
    };
    assert_eq!(
        badge("Fresh poster").as_deref(),
        Some("state-active\">Active")
    );
    assert_eq!(
        badge("Quiet poster").as_deref(),
        Some("state-paused\">Paused")
    );
    assert_eq!(
        badge("Old poster").as_deref(),
        Some("state-expired\">Expired")
    );
    assert_eq!(
        badge("Busy poster").as_deref(),
        Some("state-limit\">Scan limit reached")
    );
}
