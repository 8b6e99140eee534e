//! The microsite builder as a browser uses it, on SQLite and PostgreSQL: a page from a template,
//! published and visible; blocks added, refused (kept as typed, nothing saved), moved and
//! removed; a QR code for the page in one click and a QR block checked against the qr service;
//! escaping everywhere; other people's pages are 404s.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

fn id_from(location: &str, prefix: &str) -> String {
    location
        .trim_start_matches(prefix)
        .split(['?', '#', '/'])
        .next()
        .unwrap()
        .to_owned()
}

/// The block ids in the order the builder lists them.
fn block_ids(html: &str) -> Vec<String> {
    html.split("<li class=\"card ms-block\" id=\"block-")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

async fn new_page(browser: &mut Browser, template: &str, slug: &str, title: &str) -> String {
    let csrf = browser.get("/app/microsites/new").await.csrf();
    let created = browser
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", template),
                ("slug", slug),
                ("title", title),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    id_from(&created.location.unwrap(), "/app/microsites/")
}

backend_tests!(a_creator_builds_publishes_and_shares_a_page);
async fn a_creator_builds_publishes_and_shares_a_page(db: TestDb) {
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("creator@example.com").await;

    let empty = browser.get("/app/microsites").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.html.contains("Your microsites will appear here"));
    assert!(empty.html.contains("href=\"/app/microsites\""), "nav link");

    let id = new_page(&mut browser, "creator", "alex-page", "").await;
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    assert!(page.html.contains("Alex Rivera"));
    assert!(page.html.contains("<span class=\"badge\">Draft</span>"));
    assert!(page.html.contains("src=\"/m/alex-page/preview?v="));
    assert!(
        page.html
            .contains("value=\"http://localhost:3000/m/alex-page\" readonly")
    );
    assert!(page.html.contains("data-copy=\"public-url\""));
    assert!(page.html.contains("/static/copy.js?v="));
    assert!(!page.html.contains("<script>"), "no inline script");
    let ids = block_ids(&page.html);
    assert_eq!(ids.len(), 7, "the creator template's blocks");

    // Not public before publishing; the preview works for the owner.
    assert_eq!(
        browser.get("/m/alex-page").await.status,
        StatusCode::NOT_FOUND
    );
    let preview = browser.get("/m/alex-page/preview").await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.html.contains("Watch my latest video"));

    let published = browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            // A template's example values: past the placeholder warning.
            &[("csrf_token", &csrf), ("anyway", "1")],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let public = browser.get("/m/alex-page").await;
    assert_eq!(public.status, StatusCode::OK);
    for text in ["Alex Rivera", "Watch my latest video", "Shop the merch"] {
        assert!(public.html.contains(text), "{text}");
    }
    let list = browser.get("/app/microsites").await;
    assert!(list.html.contains("Published"));
    assert!(list.html.contains("http://localhost:3000/m/alex-page"));
    assert!(
        list.html.contains("—"),
        "views: the analytics hook is empty"
    );

    // Add a link block; it is a draft until published again.
    let added = browser
        .post(
            &format!("/app/microsites/{id}/blocks"),
            &[
                ("csrf_token", &csrf),
                ("type", "link"),
                ("label", "Tour dates"),
                ("url", "https://tour.example.com/"),
                ("icon", "ticket"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    assert!(page.html.contains("Unpublished changes"));
    let after_add = block_ids(&page.html);
    assert_eq!(after_add.len(), 8);
    assert!(
        !browser
            .get("/m/alex-page")
            .await
            .html
            .contains("Tour dates")
    );
    assert!(
        browser
            .get("/m/alex-page/preview")
            .await
            .html
            .contains("Tour dates")
    );

    // Reorder: the new block moves up one place.
    let moved = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{}/move", after_add[7]),
            &[("csrf_token", &csrf), ("direction", "up")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let reordered = block_ids(&browser.get(&format!("/app/microsites/{id}")).await.html);
    assert_eq!(reordered[6], after_add[7]);
    assert_eq!(reordered[7], after_add[6]);
    let top = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{}/move", reordered[0]),
            &[("csrf_token", &csrf), ("direction", "up")],
        )
        .await;
    assert_eq!(
        top.status,
        StatusCode::SEE_OTHER,
        "the first block stays first"
    );

    // Drag and drop (reorder.js) posts the place to move to: the last block goes second, the
    // others keep their order.
    let dragged = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{}/move", reordered[7]),
            &[("csrf_token", &csrf), ("position", "1")],
        )
        .await;
    assert_eq!(dragged.status, StatusCode::SEE_OTHER, "{}", dragged.html);
    let builder = browser.get(&format!("/app/microsites/{id}")).await.html;
    let mut expected = reordered.clone();
    let last = expected.remove(7);
    expected.insert(1, last);
    assert_eq!(block_ids(&builder), expected);
    // The script is an external file (no inline script under the CSP); its announcements go to
    // a live region outside the part htmx swaps.
    assert!(builder.contains("/static/reorder.js?v="));
    assert!(builder.contains("id=\"ms-live\""));
    assert!(builder.find("id=\"ms-live\"") > builder.rfind("id=\"builder\""));
    for bad in ["99", "-1", "one"] {
        let refused = browser
            .post(
                &format!("/app/microsites/{id}/blocks/{}/move", expected[0]),
                &[("csrf_token", &csrf), ("position", bad)],
            )
            .await;
        assert!(
            refused.status.is_client_error(),
            "{bad}: {}",
            refused.status
        );
    }
    assert_eq!(
        block_ids(&browser.get(&format!("/app/microsites/{id}")).await.html),
        expected,
        "a refused move changes nothing"
    );

    // Edit a block, then remove it.
    let edited = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{}", after_add[7]),
            &[
                ("csrf_token", &csrf),
                ("type", "link"),
                ("label", "Tour dates 2027"),
                ("url", "https://tour.example.com/2027"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    assert!(page.html.contains("value=\"Tour dates 2027\""));
    let removed = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{}/remove", after_add[7]),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    assert_eq!(block_ids(&page.html).len(), 7);
    assert!(!page.html.contains("Tour dates 2027"));

    // Theme and accent tweak.
    let themed = browser
        .post(
            &format!("/app/microsites/{id}"),
            &[
                ("csrf_token", &csrf),
                ("title", "Alex R."),
                ("description", "All of it"),
                ("slug", "alex-page"),
                ("theme", "ocean"),
                ("accent_on", "on"),
                ("accent", "#FF0066"),
                ("background", "#ffffff"),
            ],
        )
        .await;
    assert_eq!(themed.status, StatusCode::SEE_OTHER, "{}", themed.html);
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    assert!(page.html.contains("<option value=\"ocean\" selected>"));
    assert!(page.html.contains("value=\"#ff0066\""));

    // A QR code for this page in one click, then a QR block showing it.
    let qr = browser
        .post(
            &format!("/app/microsites/{id}/qr"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(qr.status, StatusCode::SEE_OTHER, "{}", qr.html);
    let location = qr.location.unwrap();
    assert!(location.starts_with("/app/qr/"), "{location}");
    let qr_id = id_from(&location, "/app/qr/");
    let qr_page = browser.get(&location).await;
    assert!(
        qr_page
            .html
            .contains("value=\"http://localhost:3000/m/alex-page\""),
        "the code points at the public page"
    );
    assert!(qr_page.html.contains("Microsite: Alex R."));
    let builder = browser.get(&format!("/app/microsites/{id}")).await;
    assert!(builder.html.contains(&format!("<option value=\"{qr_id}\"")));
    let with_qr = browser
        .post(
            &format!("/app/microsites/{id}/blocks"),
            &[
                ("csrf_token", &csrf),
                ("type", "qr"),
                ("qr_id", &qr_id),
                ("caption", "Scan to share"),
            ],
        )
        .await;
    assert_eq!(with_qr.status, StatusCode::SEE_OTHER, "{}", with_qr.html);
    let builder = browser.get(&format!("/app/microsites/{id}")).await;
    assert!(
        builder
            .html
            .contains(&format!("<option value=\"{qr_id}\" selected>"))
    );
    browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            // A template's example values: past the placeholder warning.
            &[("csrf_token", &csrf), ("anyway", "1")],
        )
        .await;
    let public = browser.get("/m/alex-page").await;
    assert!(public.html.contains("Scan to share"));
    assert!(public.html.contains("http://localhost:3000/r/"));

    // Delete (to the trash), after a confirmation page.
    let confirm = browser.get(&format!("/app/microsites/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.html.contains("Yes, move it to the trash"));
    let deleted = browser
        .post(
            &format!("/app/microsites/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get(&format!("/app/microsites/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(browser.get("/m/alex-page").await.status, StatusCode::GONE);
    println!("builder round trip ok on {backend}");
}

backend_tests!(refused_blocks_show_their_error_keep_the_input_and_save_nothing);
async fn refused_blocks_show_their_error_keep_the_input_and_save_nothing(db: TestDb) {
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("careful@example.com").await;
    let id = new_page(&mut browser, "business_card", "card-page", "").await;
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    let csrf = page.csrf();
    let before = block_ids(&page.html);

    let refused = browser
        .post(
            &format!("/app/microsites/{id}/blocks"),
            &[
                ("csrf_token", &csrf),
                ("type", "link"),
                ("label", "Click <b>me</b>"),
                ("url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The error sits in the "add a link" form, which is open and keeps what was typed.
    let form = refused
        .html
        .split("id=\"new-link\"")
        .nth(1)
        .expect("the add-link form")
        .split("</details>")
        .next()
        .unwrap();
    assert!(form.contains("links may only use http"), "{form}");
    assert!(form.contains("value=\"javascript:alert(1)\""));
    assert!(form.contains("aria-invalid=\"true\""));
    assert!(form.contains("Click &#60;b&#62;me&#60;/b&#62;"));
    assert!(refused.html.contains("id=\"new-link\" open"));
    assert!(!refused.html.contains("<b>me</b>"));
    let after = browser.get(&format!("/app/microsites/{id}")).await;
    assert_eq!(block_ids(&after.html), before, "nothing saved");
    assert!(!after.html.contains("javascript:alert"));

    // An existing block refused: the error is shown on that block, not elsewhere.
    let target = &before[1];
    let bad_edit = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{target}"),
            &[
                ("csrf_token", &csrf),
                ("type", "contact"),
                ("email", "not-an-email"),
            ],
        )
        .await;
    assert_eq!(bad_edit.status, StatusCode::UNPROCESSABLE_ENTITY);
    let block = bad_edit
        .html
        .split(&format!("id=\"block-{target}\""))
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(block.contains("not an email address"), "{block}");
    assert!(block.contains("value=\"not-an-email\""));
    assert!(block.contains("<details open>"));

    // htmx gets the same page as 200 (htmx 2 does not swap error answers).
    let hx = browser
        .send(
            axum::http::Request::post(format!("/app/microsites/{id}/blocks"))
                .header("origin", "http://localhost:3000")
                .header("sec-fetch-site", "same-origin")
                .header("hx-request", "true"),
            Some(encode(&[
                ("csrf_token", &csrf),
                ("type", "image"),
                ("url", "https://img.example.com/x.png"),
                ("alt", ""),
            ])),
        )
        .await;
    assert_eq!(hx.status, StatusCode::OK);
    assert!(hx.html.contains("id=\"new-image\" open"));

    // A form without the session's CSRF token changes nothing.
    let forged = browser
        .post(
            &format!("/app/microsites/{id}/blocks/{target}/remove"),
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        block_ids(&browser.get(&format!("/app/microsites/{id}")).await.html),
        before
    );
    println!("refused blocks ok on {backend}");
}

backend_tests!(titles_and_text_are_escaped_in_the_builder_and_the_preview);
async fn titles_and_text_are_escaped_in_the_builder_and_the_preview(db: TestDb) {
    const XSS: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("xss@example.com").await;
    let id = new_page(&mut browser, "", "xss-page", XSS).await;
    let page = browser.get(&format!("/app/microsites/{id}")).await;
    let csrf = page.csrf();
    browser
        .post(
            &format!("/app/microsites/{id}/blocks"),
            &[("csrf_token", &csrf), ("type", "heading"), ("text", XSS)],
        )
        .await;
    let builder = browser.get(&format!("/app/microsites/{id}")).await;
    let preview = browser.get("/m/xss-page/preview").await;
    assert_eq!(preview.status, StatusCode::OK);
    for html in [&builder.html, &preview.html] {
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("alert(1)"), "the text is shown, escaped");
    }
    println!("escaping ok on {backend}");
}

backend_tests!(other_peoples_pages_and_qr_codes_are_not_yours);
async fn other_peoples_pages_and_qr_codes_are_not_yours(db: TestDb) {
    let backend = db.backend.name();
    let mut alice = browser(db, "http://localhost:3000").await;
    alice.sign_up("alice@example.com").await;
    let id = new_page(&mut alice, "event", "alice-event", "").await;
    // Alice's QR code.
    let csrf = alice.get("/app/qr/new").await.csrf();
    let qr = alice
        .post(
            "/app/qr/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Alice's code"),
                ("destination", "https://example.com/"),
            ],
        )
        .await;
    assert_eq!(qr.status, StatusCode::SEE_OTHER, "{}", qr.html);
    let alice_qr = id_from(&qr.location.unwrap(), "/app/qr/");

    // Bob, in another browser on the same app.
    alice.cookies.clear();
    alice.sign_up("bob@example.com").await;
    let mut bob = alice;
    let bob_page = new_page(&mut bob, "", "bob-page", "Bob").await;
    let csrf = bob.get(&format!("/app/microsites/{bob_page}")).await.csrf();
    assert_eq!(
        bob.get(&format!("/app/microsites/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get(&format!("/app/microsites/{id}/delete"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get("/m/alice-event/preview").await.status,
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("/app/microsites/{id}/publish"),
        format!("/app/microsites/{id}/delete"),
        format!("/app/microsites/{id}/qr"),
    ] {
        let answer = bob.post(&path, &[("csrf_token", &csrf)]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    let settings = bob
        .post(
            &format!("/app/microsites/{id}"),
            &[
                ("csrf_token", &csrf),
                ("title", "Mine now"),
                ("theme", "dark"),
            ],
        )
        .await;
    assert_eq!(settings.status, StatusCode::NOT_FOUND);
    let list = bob.get("/app/microsites").await;
    assert!(!list.html.contains("alice-event"));

    // Alice's QR code in Bob's QR block: the qr service says it is not his.
    let stolen = bob
        .post(
            &format!("/app/microsites/{bob_page}/blocks"),
            &[("csrf_token", &csrf), ("type", "qr"), ("qr_id", &alice_qr)],
        )
        .await;
    assert_eq!(
        stolen.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stolen.html
    );
    assert!(stolen.html.contains("choose one of your own QR codes"));
    assert!(block_ids(&bob.get(&format!("/app/microsites/{bob_page}")).await.html).is_empty());
    println!("ownership ok on {backend}");
}
