//! Product metrics on SQLite and PostgreSQL: a page published twice counts once, a redelivered
//! event counts once, and each user's lifecycle is kept as a timeline, oldest first.

mod common;

use analytics::product::event::ProductEvent;
use analytics::product::store;
use shared::bus::Event;
use shared::events::{
    FEEDBACK_SENT, FeedbackSent, MICROSITE_PUBLISHED, MicrositePublished, QR_CREATED, QrCreated,
    USER_SIGNED_UP, UserSignedUp,
};
use shared::testing::{TestDb, backend_tests};

fn at(mut event: Event, ms: i64) -> ProductEvent {
    event.occurred_at = ms;
    ProductEvent::decode(&event).expect("a lifecycle event")
}

fn published(owner: &str, page: &str, ms: i64) -> ProductEvent {
    at(
        MICROSITE_PUBLISHED.event(MicrositePublished {
            microsite_id: page.into(),
            owner_id: owner.into(),
        }),
        ms,
    )
}

fn created(owner: &str, code: &str, ms: i64) -> ProductEvent {
    at(
        QR_CREATED.event(QrCreated {
            qr_id: code.into(),
            owner_id: owner.into(),
        }),
        ms,
    )
}

backend_tests!(codes_and_pages_count_once_each_and_the_timeline_keeps_every_event);
async fn codes_and_pages_count_once_each_and_the_timeline_keeps_every_event(db: TestDb) {
    common::migrate(&db).await;
    let pool = db.db.pool();
    let signed_up = at(
        USER_SIGNED_UP.event(UserSignedUp {
            user_id: "ada".into(),
            source: "invite".into(),
            demo: false,
        }),
        1_000,
    );
    let first_publish = published("ada", "page-1", 3_000);
    let events = [
        signed_up,
        created("ada", "code-1", 2_000),
        first_publish.clone(),
        // Published again after an edit: still one page.
        published("ada", "page-1", 4_000),
        published("ada", "page-2", 5_000),
        created("ada", "code-2", 6_000),
        at(
            FEEDBACK_SENT.event(FeedbackSent {
                user_id: "ada".into(),
                rating: None,
            }),
            7_000,
        ),
    ];
    for event in &events {
        assert!(store::apply(pool, event).await.unwrap());
    }
    assert!(
        !store::apply(pool, &first_publish).await.unwrap(),
        "a redelivered event is applied once"
    );

    let users = store::users(pool).await.unwrap();
    let ada = users.iter().find(|u| u.user_id == "ada").unwrap();
    assert_eq!(ada.microsites_published, 2, "distinct pages, not publishes");
    assert_eq!(ada.qr_created, 2);
    assert_eq!(ada.feedback_count, 1);
    assert_eq!(ada.first_published_at, Some(3_000));

    let timeline = store::timeline(pool, "ada").await.unwrap();
    let kinds: Vec<(&str, Option<&str>)> = timeline
        .iter()
        .map(|e| (e.kind.as_str(), e.subject.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("signed_up", Some("invite")),
            ("created_qr", Some("code-1")),
            ("published_microsite", Some("page-1")),
            ("published_microsite", Some("page-1")),
            ("published_microsite", Some("page-2")),
            ("created_qr", Some("code-2")),
            ("sent_feedback", None),
        ]
    );
    assert!(store::timeline(pool, "nobody").await.unwrap().is_empty());

    store::delete_user(pool, "ada").await.unwrap();
    assert!(
        store::timeline(pool, "ada").await.unwrap().is_empty(),
        "a deleted user's timeline goes with them"
    );
    println!("product distinct counts ok on {}", db.backend.name());
}
