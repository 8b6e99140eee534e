//! The main navigation: an Analytics link for every signed-in user, a Console link for founders
//! only (from the verified session, on every app page), and the phone's "Menu" disclosure with
//! the same links, which works without JavaScript.

mod common;

use common::browser::*;
use shared::testing::{TestDb, backend_tests};

const FOUNDER: &str = "boss@example.com";

backend_tests!(founders_get_a_console_link_and_everyone_analytics);
async fn founders_get_a_console_link_and_everyone_analytics(db: TestDb) {
    let backend = db.backend.name();
    let mut founder =
        browser_with(db, "http://localhost:3000", &["--founder-emails", FOUNDER]).await;
    let mut anonymous = founder.another();
    let mut user = founder.another();
    founder.sign_up_founder(FOUNDER).await;
    user.sign_up("user@example.com").await;

    for path in ["/app", "/app/settings", "/app/analytics", "/pricing"] {
        let page = founder.get(path).await;
        // Twice: the wide row and the phone's menu.
        assert_eq!(
            page.html.matches("href=\"/admin\">Console</a>").count(),
            2,
            "{path}"
        );
        assert_eq!(
            page.html
                .matches("href=\"/app/analytics\">Analytics</a>")
                .count(),
            2,
            "{path}"
        );
        assert!(page.html.contains("<details class=\"nav-menu\">"), "{path}");

        let page = user.get(path).await;
        assert!(!page.html.contains("Console"), "{path}: {}", page.html);
        assert_eq!(
            page.html
                .matches("href=\"/app/analytics\">Analytics</a>")
                .count(),
            2,
            "{path}"
        );
    }
    let page = anonymous.get("/pricing").await;
    assert!(!page.html.contains("Console"));
    assert!(!page.html.contains("/app/analytics"));
    assert!(page.html.contains("<summary>Menu</summary>"));
    println!("navigation ok on {backend}");
}
