//! The microsite API as its users meet it, on SQLite and PostgreSQL: create, list, read, edit,
//! reorder, publish, delete — validation that names the path — and nothing of one user's is
//! visible to another.

mod common;

use axum::http::{Method, StatusCode};
use common::Site;
use serde_json::json;
use shared::testing::{self, TestDb, backend_tests};

fn all_blocks() -> serde_json::Value {
    json!([
        {"type": "profile", "name": "Ada", "bio": "Hi", "avatar_url": "https://img.example/a.png"},
        {"type": "heading", "text": "Links"},
        {"type": "text", "text": "**Bold** and [a link](https://example.com)", "markdown": true},
        {"type": "link", "id": "shop", "label": "Shop", "url": "https://example.com/shop", "icon": "shop"},
        {"type": "social", "items": [{"network": "github", "handle": "ada"}]},
        {"type": "image", "url": "https://img.example/p.jpg", "alt": "A cake"},
        {"type": "video", "url": "https://youtu.be/dQw4w9WgXcQ"},
        {"type": "contact", "email": "ada@example.com"},
        {"type": "divider"},
        {"type": "spacer", "size": "small"},
        {"type": "qr", "qr_id": "0190abcd", "code": "aB3dE7x", "caption": "Scan me"}
    ])
}

backend_tests!(pages_round_trip_for_their_owner_only);
async fn pages_round_trip_for_their_owner_only(db: TestDb) {
    let site = Site::start(&db).await;
    let alice = site.token("alice");
    let bob = site.token("bob");
    let created = site
        .create(
            "alice",
            json!({"slug": "ada-links", "title": "Ada", "theme": "dark", "blocks": all_blocks()}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["slug"], "ada-links");
    assert_eq!(created["url"], "http://scan.test/m/ada-links");
    assert_eq!(created["published"], false);
    assert_eq!(created["theme"], "dark");
    assert_eq!(created["blocks"].as_array().unwrap().len(), 11);
    assert_eq!(created["blocks"][3]["id"], "shop");
    assert_eq!(
        created["blocks"][6]["url"],
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    );
    assert!(created["created_at"].as_i64().unwrap() > 0);

    let read = site
        .call(
            Method::GET,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["title"], "Ada");
    let list = site
        .call(Method::GET, "/api/v1/microsites", Some(&alice), None)
        .await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);

    // Reorder: every id once, in the new order.
    let mut ids: Vec<String> = created["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    ids.reverse();
    let edited = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            Some(json!({"title": "Ada L.", "order": ids, "tweaks": {"accent": "#FF0066"}})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["title"], "Ada L.");
    assert_eq!(edited.json()["blocks"][0]["type"], "qr");
    assert_eq!(edited.json()["tweaks"]["accent"], "#ff0066");
    let partial = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            Some(json!({"order": ["shop"]})),
        )
        .await;
    assert_eq!(partial.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(partial.json()["error"]["field"], "order");

    // Bob: 404 on every route, never 403; and his list is empty.
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/microsites/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/microsites/{id}"),
            Some(json!({"title": "mine"})),
        ),
        (
            Method::POST,
            format!("/api/v1/microsites/{id}/publish"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/microsites/{id}/unpublish"),
            None,
        ),
        (Method::DELETE, format!("/api/v1/microsites/{id}"), None),
        (Method::GET, "/m/ada-links/preview".to_owned(), None),
    ] {
        let answer = site.call(method.clone(), &path, Some(&bob), body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "bob {method} {path}");
    }
    let list = site
        .call(Method::GET, "/api/v1/microsites", Some(&bob), None)
        .await;
    assert_eq!(list.json()["items"], json!([]));
    // Nobody: 401.
    let anonymous = site
        .call(Method::GET, "/api/v1/microsites", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // A read-only credential cannot write.
    let reader = site.token_with("alice", vec!["microsites:read".into()]);
    let denied = site
        .call(
            Method::POST,
            &format!("/api/v1/microsites/{id}/publish"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    let gone = site
        .call(
            Method::DELETE,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let read = site
        .call(
            Method::GET,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    println!("round trip ok on {}", db.backend.name());
}

backend_tests!(every_template_creates_and_publishes);
async fn every_template_creates_and_publishes(db: TestDb) {
    let site = Site::start(&db).await;
    for template in microsite::starters::NAMES {
        let slug = template.replace('_', "-");
        let page = site.published("alice", template, &slug).await;
        assert_eq!(page["published"], true);
        assert_eq!(page["has_unpublished_changes"], false);
        let title = page["title"].as_str().unwrap();
        let answer = site.visit(&format!("/m/{slug}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{template}");
        let html = answer.text();
        assert!(
            html.contains(&format!("<title>{title}</title>")),
            "{template}"
        );
        // Every block made it to the page: each link through the tracked hop.
        for block in page["blocks"].as_array().unwrap() {
            if block["type"] == "link" {
                let hop = format!("/m/{slug}/l/{}", block["id"].as_str().unwrap());
                assert!(html.contains(&hop), "{template}: {hop}");
            }
        }
        assert!(
            html.contains(&format!("href=\"http://scan.test/m/{slug}\"")),
            "{template}"
        );
        assert!(!title.is_empty());
    }
    let names = site
        .call(
            Method::GET,
            "/api/v1/microsites/templates",
            Some(&site.token("alice")),
            None,
        )
        .await;
    assert_eq!(names.json().as_array().unwrap().len(), 5);
    let themes = site
        .call(
            Method::GET,
            "/api/v1/microsites/themes",
            Some(&site.token("alice")),
            None,
        )
        .await
        .json();
    assert!(themes.as_array().unwrap().len() >= 6);
    assert!(themes.as_array().unwrap().iter().any(|t| t["dark"] == true));
    let unknown = site
        .call(
            Method::POST,
            "/api/v1/microsites/from-template",
            Some(&site.token("alice")),
            Some(json!({"template": "wedding", "slug": "our-day"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json()["error"]["field"], "template");
}

backend_tests!(edits_are_a_draft_until_published_again);
async fn edits_are_a_draft_until_published_again(db: TestDb) {
    let site = Site::start(&db).await;
    let alice = site.token("alice");
    let page = site
        .published("alice", "business_card", "dana-okafor")
        .await;
    let id = page["id"].as_str().unwrap().to_owned();
    let first = site.visit("/m/dana-okafor").await;
    assert!(first.text().contains("Dana Okafor"));
    // Published straight from the template: the answer names the example values still in it.
    let placeholders = page["placeholders"]
        .as_array()
        .expect("placeholders listed");
    let block_ids: Vec<&str> = page["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert!(!placeholders.is_empty());
    for p in placeholders {
        assert!(block_ids.contains(&p["block_id"].as_str().unwrap()), "{p}");
        assert!(!p["values"].as_array().unwrap().is_empty(), "{p}");
    }

    let edited = site
        .call(
            Method::PATCH,
            &format!("/api/v1/microsites/{id}"),
            Some(&alice),
            Some(json!({"title": "Renamed Studio", "blocks": [{"type": "heading", "text": "Brand new draft"}]})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["published"], true);
    assert_eq!(edited.json()["has_unpublished_changes"], true);
    assert!(
        edited.json().get("placeholders").is_none(),
        "the owner's own blocks are no placeholders"
    );

    // Visitors still see the snapshot; the owner's preview shows the draft.
    let public = site.visit("/m/dana-okafor").await.text();
    assert!(public.contains("Dana Okafor") && !public.contains("Brand new draft"));
    let preview = site
        .call(Method::GET, "/m/dana-okafor/preview", Some(&alice), None)
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.text().contains("Brand new draft"));
    assert_eq!(preview.header("cache-control"), "private, no-store");

    // Publishing replaces the snapshot (and the cached page).
    site.call(
        Method::POST,
        &format!("/api/v1/microsites/{id}/publish"),
        Some(&alice),
        None,
    )
    .await;
    let public = site.visit("/m/dana-okafor").await;
    assert!(public.text().contains("Brand new draft"));
    assert_ne!(public.header("etag"), first.header("etag"));

    // Unpublishing takes it down; the draft stays.
    let down = site
        .call(
            Method::POST,
            &format!("/api/v1/microsites/{id}/unpublish"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(down.json()["published"], false);
    assert_eq!(
        site.visit("/m/dana-okafor").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(down.json()["blocks"][0]["text"], "Brand new draft");
}

backend_tests!(bad_input_is_refused_with_its_path);
async fn bad_input_is_refused_with_its_path(db: TestDb) {
    let site = Site::start(&db).await;
    let cases = [
        (
            json!({"slug": "fine-slug", "title": "x", "blocks": [{"type": "heading", "text": "a"}, {"type": "marquee"}]}),
            "blocks[1].type",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "blocks": [{"type": "link", "label": "a", "url": "https://a.example", "style": "x"}]}),
            "blocks[0].style",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "blocks": [{"type": "heading", "text": "a"}, {"type": "heading", "text": "a"}, {"type": "heading", "text": "a"}, {"type": "link", "label": "a", "url": "javascript:alert(1)"}]}),
            "blocks[3].url",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "blocks": [{"type": "image", "url": "https://a.example/x.png"}]}),
            "blocks[0].alt",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "blocks": [{"type": "video", "url": "https://evil.example/v.mp4"}]}),
            "blocks[0].url",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "css": "body{}"}),
            "css",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "theme": "neon"}),
            "theme",
        ),
        (
            json!({"slug": "fine-slug", "title": "x", "tweaks": {"accent": "red;}"}}),
            "tweaks.accent",
        ),
        (json!({"slug": "fine-slug", "title": ""}), "title"),
        (json!({"slug": "admin", "title": "x"}), "slug"),
        (json!({"slug": "../x", "title": "x"}), "slug"),
        (json!({"slug": "%2e%2e", "title": "x"}), "slug"),
        (json!({"slug": "pаypal", "title": "x"}), "slug"),
        (json!({"slug": "ab", "title": "x"}), "slug"),
        (json!({"slug": "a".repeat(41), "title": "x"}), "slug"),
        (json!({"slug": "Upper", "title": "x"}), "slug"),
    ];
    for (body, field) in cases {
        let answer = site
            .call(
                Method::POST,
                "/api/v1/microsites",
                Some(&site.token("alice")),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.text()
        );
        assert_eq!(answer.json()["error"]["field"], field, "{body}");
    }
    let too_many: Vec<_> = (0..101).map(|_| json!({"type": "divider"})).collect();
    let answer = site
        .call(
            Method::POST,
            "/api/v1/microsites",
            Some(&site.token("alice")),
            Some(json!({"slug": "many", "title": "x", "blocks": too_many})),
        )
        .await;
    assert_eq!(answer.json()["error"]["field"], "blocks");

    site.create("alice", json!({"slug": "taken", "title": "x"}))
        .await;
    let answer = site
        .call(
            Method::POST,
            "/api/v1/microsites",
            Some(&site.token("bob")),
            Some(json!({"slug": "taken", "title": "y"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["error"]["code"], "slug_taken");
}

#[tokio::test]
async fn a_deleted_user_loses_their_pages() {
    let db = testing::sqlite().await;
    let site = Site::start(&db).await;
    site.published("alice", "creator", "alex-rivera").await;
    assert_eq!(site.visit("/m/alex-rivera").await.status, StatusCode::OK);
    site.bus
        .publish(shared::bus::Event::new(
            shared::bus::topics::USER_DELETED,
            shared::events::UserDeleted {
                user_id: "alice".into(),
            },
        ))
        .unwrap();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if site.visit("/m/alex-rivera").await.status == StatusCode::NOT_FOUND {
            let list = site
                .call(
                    Method::GET,
                    "/api/v1/microsites",
                    Some(&site.token("alice")),
                    None,
                )
                .await;
            assert_eq!(list.json()["items"], json!([]));
            return;
        }
    }
    panic!("the page outlived its owner");
}
