//! The trash as a browser uses it, on SQLite and PostgreSQL: deleting a code asks first (a page
//! of its own, no JavaScript), the code then answers "removed by its owner" and waits in the
//! trash with its days left; restoring brings it back with its scans; "delete forever" asks
//! again; microsites go the same way; and nobody else can restore or purge what is yours.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use shared::testing::{TestDb, backend_tests};

backend_tests!(a_deleted_code_waits_in_the_trash_and_comes_back_with_its_scans);
async fn a_deleted_code_waits_in_the_trash_and_comes_back_with_its_scans(db: TestDb) {
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("printer@example.com").await;
    let (id, code) = browser.create_code("Flyer").await;
    for _ in 0..2 {
        assert_eq!(scan(&mut browser, &code).await.status, StatusCode::FOUND);
    }
    eventually_counts(&mut browser, &id, |c| c["human_scans"] == 2).await;

    // The editor's delete button leads to a confirmation page, not a deletion.
    let editor = browser.get(&format!("/app/qr/{id}")).await;
    assert!(
        editor
            .html
            .contains(&format!("href=\"/app/qr/{id}/delete\"")),
        "the delete button is a link to the confirmation"
    );
    assert!(
        !editor
            .html
            .contains(&format!("action=\"/app/qr/{id}/delete\""))
    );
    let confirm = browser.get(&format!("/app/qr/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.html.contains("Move “Flyer” to the trash?"));
    assert!(confirm.html.contains("30 days"));
    assert!(
        confirm
            .html
            .contains(&format!("action=\"/app/qr/{id}/delete\""))
    );
    assert_eq!(
        scan(&mut browser, &code).await.status,
        StatusCode::FOUND,
        "asking deletes nothing"
    );

    let deleted = browser
        .post(
            &format!("/app/qr/{id}/delete"),
            &[("csrf_token", &confirm.csrf())],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(deleted.location.as_deref(), Some("/app?trashed=1"));
    let dashboard = browser.get("/app?trashed=1").await;
    assert!(dashboard.html.contains("moved to the trash"));
    assert!(dashboard.html.contains("href=\"/app/trash\""));
    assert!(!dashboard.html.contains(&format!("/app/qr/{id}/image.svg")));

    let removed = scan(&mut browser, &code).await;
    assert_eq!(removed.status, StatusCode::GONE);
    assert!(removed.html.contains("removed by its owner"));

    let trash = browser.get("/app/trash").await;
    assert_eq!(trash.status, StatusCode::OK);
    assert!(trash.html.contains("Flyer"));
    assert!(
        trash.html.contains("Deleted for good in 30 days"),
        "days left are shown"
    );
    assert!(
        trash
            .html
            .contains(&format!("http://localhost:3000/r/{code}"))
    );
    assert!(trash.html.contains("<summary>Delete forever…</summary>"));

    let restored = browser
        .post(
            &format!("/app/trash/qr/{id}/restore"),
            &[("csrf_token", &trash.csrf())],
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert!(
        browser
            .get("/app/trash?restored=1")
            .await
            .html
            .contains("Restored.")
    );
    assert_eq!(scan(&mut browser, &code).await.status, StatusCode::FOUND);
    assert!(browser.get("/app").await.html.contains("Flyer"));
    // The scans from before the trash are all there, and the new one counts on top.
    // (2 before, 1 while asking, 1 after the restore; the "removed" answer is not a scan.)
    let counts = eventually_counts(&mut browser, &id, |c| c["human_scans"] == 4).await;
    assert_eq!(counts["total_scans"], 4, "{counts}");

    // Delete forever: trash it again, then purge it.
    let csrf = browser.get(&format!("/app/qr/{id}/delete")).await.csrf();
    browser
        .post(&format!("/app/qr/{id}/delete"), &[("csrf_token", &csrf)])
        .await;
    let purged = browser
        .post(
            &format!("/app/trash/qr/{id}/purge"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(purged.status, StatusCode::SEE_OTHER);
    let trash = browser.get("/app/trash?purged=1").await;
    assert!(trash.html.contains("Deleted for good."));
    assert!(!trash.html.contains("Flyer"));
    assert_eq!(
        scan(&mut browser, &code).await.status,
        StatusCode::NOT_FOUND
    );
    println!("code trash journey ok on {backend}");
}

backend_tests!(a_deleted_microsite_waits_in_the_trash);
async fn a_deleted_microsite_waits_in_the_trash(db: TestDb) {
    let backend = db.backend.name();
    let mut browser = browser(db, "http://localhost:3000").await;
    browser.sign_up("pages@example.com").await;
    let csrf = browser.get("/app/microsites/new").await.csrf();
    let created = browser
        .post(
            "/app/microsites/new",
            &[
                ("csrf_token", &csrf),
                ("template", "event"),
                ("slug", "spring-fair"),
                ("title", "Spring Night Market"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = created
        .location
        .unwrap()
        .trim_start_matches("/app/microsites/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    browser
        .post(
            &format!("/app/microsites/{id}/publish"),
            // A template's example values: past the placeholder warning.
            &[("csrf_token", &csrf), ("anyway", "1")],
        )
        .await;
    assert_eq!(browser.get("/m/spring-fair").await.status, StatusCode::OK);

    let list = browser.get("/app/microsites").await;
    assert!(
        list.html.contains("href=\"/app/trash\""),
        "the list links to the trash"
    );
    let confirm = browser.get(&format!("/app/microsites/{id}/delete")).await;
    assert!(confirm.html.contains("Yes, move it to the trash"));
    let deleted = browser
        .post(
            &format!("/app/microsites/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        browser
            .get("/app/microsites?deleted=1")
            .await
            .html
            .contains("moved to the trash")
    );
    let removed = browser.get("/m/spring-fair").await;
    assert_eq!(removed.status, StatusCode::GONE);
    assert!(removed.html.contains("removed by its owner"));

    let trash = browser.get("/app/trash").await;
    // (The template's title: the form's title applies to blank pages.)
    assert!(trash.html.contains("Spring Night Market"), "{}", trash.html);
    assert!(trash.html.contains("http://localhost:3000/m/spring-fair"));
    let restored = browser
        .post(
            &format!("/app/trash/microsites/{id}/restore"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/m/spring-fair").await.status, StatusCode::OK);
    let list = browser.get("/app/microsites").await;
    assert!(list.html.contains("Spring Night Market"));
    println!("microsite trash journey ok on {backend}");
}

backend_tests!(nobody_else_restores_or_purges_your_trash);
async fn nobody_else_restores_or_purges_your_trash(db: TestDb) {
    let mut alice = browser(db, "http://localhost:3000").await;
    alice.sign_up("alice@example.com").await;
    let (id, code) = alice.create_code("Alice's").await;
    let csrf = alice.get(&format!("/app/qr/{id}/delete")).await.csrf();
    alice
        .post(&format!("/app/qr/{id}/delete"), &[("csrf_token", &csrf)])
        .await;

    let mut mallory = alice.another();
    mallory.sign_up("mallory@example.com").await;
    let theirs = mallory.get("/app/trash").await;
    assert!(!theirs.html.contains("Alice"));
    let csrf = theirs.csrf();
    for action in ["restore", "purge"] {
        let answer = mallory
            .post(
                &format!("/app/trash/qr/{id}/{action}"),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
    let confirm = mallory.get(&format!("/app/qr/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::NOT_FOUND);
    // Still in Alice's trash, still answering "removed".
    assert!(alice.get("/app/trash").await.html.contains("Alice"));
    assert_eq!(scan(&mut alice, &code).await.status, StatusCode::GONE);
    // An unknown kind of thing is refused, not guessed.
    let junk = alice
        .post(
            &format!("/app/trash/styles/{id}/restore"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert!(junk.status.is_client_error(), "{}", junk.status);
}
