//! Delivery of the outbox over SMTP to a sink started by the test, on SQLite and (with
//! TEST_POSTGRES_URL) PostgreSQL: the recipient and the link arrive, the message is marked sent,
//! a temporary refusal is retried, and with the feature off nothing is sent.

use std::time::Duration;

use email::{Email, Message, Outbox};
use shared::config::Service;
use shared::shutdown::Shutdown;
use shared::testing::{self, SmtpSink, TestDb, backend_tests};

fn fast() -> email::Pacing {
    email::Pacing {
        poll: Duration::from_millis(50),
        first_retry: Duration::from_millis(100),
    }
}

async fn outbox(db: &testing::TestDb) -> Outbox {
    db.db
        .migrate(Service::Auth, sqlx::migrate!("../migrations/auth"))
        .await
        .unwrap();
    Outbox::new(db.db.pool().clone())
}

fn reset_message() -> Message {
    Message {
        to: "ola@example.com".into(),
        subject: "Reset your Scanpage password".into(),
        body: "Choose a new password: http://localhost:3000/reset/tok3n-abc".into(),
        html: None,
    }
}

async fn sent(outbox: &Outbox, id: &str) -> (Option<i64>, i64, Option<String>) {
    for _ in 0..100 {
        let status = outbox.status(id).await.unwrap().unwrap();
        if status.0.is_some() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the message was never marked sent");
}

backend_tests!(the_outbox_is_delivered_over_smtp_and_marked_sent);
async fn the_outbox_is_delivered_over_smtp_and_marked_sent(db: TestDb) {
    let label = db.backend.name();
    let outbox = outbox(&db).await;
    let mut sink = SmtpSink::start(0).await;
    let shutdown = Shutdown::new();
    let started = email::start_with(
        outbox.clone(),
        true,
        Some(&sink.url()),
        "Scanpage <noreply@scanpage.test>",
        &shutdown,
        fast(),
        None,
    )
    .unwrap();
    assert!(started, "{label}");
    let id = outbox.queue(&reset_message()).await.unwrap();
    let got = sink.next(Duration::from_secs(10)).await.expect("a message");
    assert_eq!(got.recipients, ["ola@example.com"], "{label}");
    assert!(
        got.data.contains("Subject: Reset your Scanpage password"),
        "{label}"
    );
    assert!(
        got.data.contains("http://localhost:3000/reset/tok3n-abc"),
        "{label}: {}",
        got.data
    );
    assert!(got.data.contains("noreply@scanpage.test"), "{label}");
    let (_, attempts, error) = sent(&outbox, &id).await;
    assert_eq!((attempts, error), (0, None), "{label}");
    // Sent once: nothing else arrives.
    assert!(
        sink.next(Duration::from_millis(400)).await.is_none(),
        "{label}"
    );
    shutdown.trigger();
}

backend_tests!(a_temporary_refusal_is_retried_with_the_error_recorded);
async fn a_temporary_refusal_is_retried_with_the_error_recorded(db: TestDb) {
    let label = db.backend.name();
    let outbox = outbox(&db).await;
    let mut sink = SmtpSink::start(1).await;
    let shutdown = Shutdown::new();
    email::start_with(
        outbox.clone(),
        true,
        Some(&sink.url()),
        "a@b.test",
        &shutdown,
        fast(),
        None,
    )
    .unwrap();
    let id = outbox.queue(&reset_message()).await.unwrap();
    let got = sink
        .next(Duration::from_secs(10))
        .await
        .expect("delivered on retry");
    assert_eq!(got.recipients, ["ola@example.com"], "{label}");
    let (_, attempts, _) = sent(&outbox, &id).await;
    assert_eq!(attempts, 1, "{label}: one failed attempt before");
    shutdown.trigger();
}

backend_tests!(without_smtp_url_the_outbox_fills_and_nothing_is_sent);
async fn without_smtp_url_the_outbox_fills_and_nothing_is_sent(db: TestDb) {
    let label = db.backend.name();
    let outbox = outbox(&db).await;
    let mut sink = SmtpSink::start(0).await;
    let shutdown = Shutdown::new();
    let started = email::start_with(
        outbox.clone(),
        false,
        None,
        "a@b.test",
        &shutdown,
        fast(),
        None,
    )
    .unwrap();
    assert!(!started, "{label}");
    let id = outbox.queue(&reset_message()).await.unwrap();
    assert!(
        sink.next(Duration::from_millis(500)).await.is_none(),
        "{label}"
    );
    assert_eq!(
        outbox.status(&id).await.unwrap().unwrap().0,
        None,
        "{label}: not sent"
    );
    assert_eq!(
        outbox.bodies_for("ola@example.com").await.unwrap(),
        [reset_message().body],
        "{label}: kept in the outbox"
    );
    // FEATURES=email without SMTP_URL is a start-up error naming the variable.
    let err =
        email::start_with(outbox, true, None, "a@b.test", &shutdown, fast(), None).unwrap_err();
    assert!(err.to_string().contains("SMTP_URL"), "{label}");
    shutdown.trigger();
}

backend_tests!(smtp_url_alone_turns_delivery_on_and_html_goes_as_an_alternative);
async fn smtp_url_alone_turns_delivery_on_and_html_goes_as_an_alternative(db: TestDb) {
    let label = db.backend.name();
    let outbox = outbox(&db).await;
    let mut sink = SmtpSink::start(0).await;
    let shutdown = Shutdown::new();
    // The flag is off: SMTP_URL alone is enough.
    let started = email::start_with(
        outbox.clone(),
        false,
        Some(&sink.url()),
        "a@b.test",
        &shutdown,
        fast(),
        None,
    )
    .unwrap();
    assert!(started, "{label}");
    let mut message = reset_message();
    message.html = Some("<p>Choose a <b>new</b> password</p>".into());
    outbox.queue(&message).await.unwrap();
    let got = sink.next(Duration::from_secs(10)).await.expect("a message");
    assert!(
        got.data.contains("multipart/alternative"),
        "{label}: {}",
        got.data
    );
    assert!(got.data.contains("text/plain"), "{label}");
    assert!(got.data.contains("text/html"), "{label}");
    shutdown.trigger();
}

backend_tests!(a_permanent_refusal_is_given_up_at_once_and_dead_lettered);
async fn a_permanent_refusal_is_given_up_at_once_and_dead_lettered(db: TestDb) {
    use shared::bus::DeadLetter;
    use shared::bus::{EventBus, topics};
    let label = db.backend.name();
    let outbox = outbox(&db).await;
    let sink = SmtpSink::rejecting().await;
    let bus = EventBus::memory(100);
    let mut letters = bus
        .subscribe(topics::DEAD_LETTER, "test", "test")
        .await
        .unwrap();
    let shutdown = Shutdown::new();
    email::start_with(
        outbox.clone(),
        false,
        Some(&sink.url()),
        "a@b.test",
        &shutdown,
        fast(),
        Some(bus.clone()),
    )
    .unwrap();
    let id = outbox.queue(&reset_message()).await.unwrap();
    let mut failed = None;
    for _ in 0..100 {
        failed = outbox.failed_at(&id).await.unwrap();
        if failed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed.is_some(), "{label}: given up");
    let (sent, attempts, error) = outbox.status(&id).await.unwrap().unwrap();
    assert_eq!(
        (sent, attempts),
        (None, 1),
        "{label}: tried once, never again"
    );
    assert!(error.unwrap_or_default().contains("550"), "{label}");
    let batch = letters.next_batch(1, Duration::from_secs(5)).await.unwrap();
    let event = &batch.first().expect("a dead letter in time").event;
    assert_eq!(event.topic, topics::DEAD_LETTER, "{label}");
    let letter: DeadLetter = event.payload.decode().unwrap();
    assert_eq!(letter.event.topic, email::UNDELIVERABLE.name(), "{label}");
    assert_eq!(
        letter.event.payload.to_value()["outbox_id"],
        id.as_str(),
        "{label}"
    );
    // The letter never carries the recipient or the link.
    let raw = event.payload.get();
    assert!(
        !raw.contains("ola@example.com") && !raw.contains("tok3n"),
        "{label}"
    );
    shutdown.trigger();
}

backend_tests!(the_weekly_insights_summary_goes_through_the_outbox_when_on);
async fn the_weekly_insights_summary_goes_through_the_outbox_when_on(db: TestDb) {
    use email::insights::{TextInsights, WeeklyNumbers, send_weekly};
    use shared::features::{Feature, Features};
    let label = db.backend.name();
    let outbox = outbox(&db).await;
    let numbers = WeeklyNumbers {
        week_of: "2026-11-16".into(),
        scans: 12,
        previous_scans: 0,
        top_codes: vec![("Menu".into(), 12)],
    };
    let off = TextInsights {
        features: Features::default(),
    };
    let err = send_weekly(&off, &outbox, "ada@example.com", &numbers)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "feature_not_enabled", "{label}");
    assert!(
        outbox
            .bodies_for("ada@example.com")
            .await
            .unwrap()
            .is_empty(),
        "{label}"
    );

    let on = TextInsights {
        features: Features::default().with(Feature::Insights),
    };
    send_weekly(&on, &outbox, "ada@example.com", &numbers)
        .await
        .unwrap();
    let bodies = outbox.bodies_for("ada@example.com").await.unwrap();
    assert_eq!(bodies.len(), 1, "{label}");
    assert!(
        bodies[0].contains("Scans: 12 (none the week before)"),
        "{label}: {}",
        bodies[0]
    );
    assert!(bodies[0].contains("1. Menu — 12 scans"), "{label}");
}
