//! The builder shows the owner's draft in an <iframe> on our own origin: the preview (and only
//! the preview) may be framed, and only by the same origin. Public pages refuse every frame.

mod common;

use axum::http::{Method, StatusCode};
use common::Site;
use serde_json::json;
use shared::testing::{TestDb, backend_tests};

backend_tests!(only_the_preview_may_be_framed_and_only_by_us);
async fn only_the_preview_may_be_framed_and_only_by_us(db: TestDb) {
    let site = Site::start(&db).await;
    let page = site
        .create("alice", json!({"slug": "framed", "title": "Framed"}))
        .await;
    let id = page["id"].as_str().unwrap();
    site.call(
        Method::POST,
        &format!("/api/v1/microsites/{id}/publish"),
        Some(&site.token("alice")),
        None,
    )
    .await;

    let preview = site
        .call(
            Method::GET,
            "/m/framed/preview",
            Some(&site.token("alice")),
            None,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    let csp = preview.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(!csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("default-src 'none'"),
        "still strict otherwise: {csp}"
    );
    assert_eq!(preview.header("x-frame-options"), "SAMEORIGIN");

    let public = site.visit("/m/framed").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(public.header("x-frame-options"), "DENY");
    println!("preview framing ok on {}", db.backend.name());
}
