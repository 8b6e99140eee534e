//! Shared helpers of the analytics integration tests: a started service on a fresh database, a
//! scripted scan, polling for counts and calling the real router.

#![allow(dead_code)]

use std::time::Duration;

use analytics::Settings;
use analytics::ingest::Ingestor;
use axum::Router;
use shared::bus::{Event, EventBus, topics};
use shared::config::Service;
use shared::db::Db;
use shared::events::{MicrositeClicked, MicrositeViewed, QrScanned};
use shared::shutdown::Shutdown;
use shared::testing::{TestDb, TestRouter, process_keys, wait_for};
use shared::visit::Visit;
use sqlx::Row;

pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
pub const ANDROID: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
pub const WHATSAPP: &str = "WhatsApp/2.23.20.0";
pub const SLACK: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
pub const CURL: &str = "curl/8.4.0";

/// Settings that write quickly, so tests do not wait on the production intervals.
pub fn fast_settings() -> Settings {
    let mut settings = Settings::default();
    settings.ingest.flush_interval = Duration::from_millis(30);
    settings.ingest.poll_wait = Duration::from_millis(30);
    settings.ingest.group = format!("analytics-test-{}", uuid::Uuid::new_v4().simple());
    settings
}

pub struct Service_ {
    pub router: Router,
    pub ingestor: Ingestor,
    pub shutdown: Shutdown,
    pub bus: EventBus,
    pub db: Db,
}

pub async fn migrate(db: &TestDb) {
    db.db
        .migrate(Service::Analytics, analytics::migrator())
        .await
        .expect("analytics migrations apply");
}

pub async fn start(db: &TestDb, bus: EventBus, settings: Settings) -> Service_ {
    migrate(db).await;
    let ctx = shared::testing::context(
        &db.db,
        bus.clone(),
        shared::testing::settings(&["--database-url", &db.url]),
        process_keys().identity.clone(),
        "http://localhost",
    );
    let shutdown = ctx.shutdown.clone();
    let (router, ingestor) = analytics::start(ctx, settings)
        .await
        .expect("analytics starts");
    Service_ {
        router,
        ingestor,
        shutdown,
        bus,
        db: db.db.clone(),
    }
}

pub fn scan(qr: &str, owner: &str, ua: Option<&str>, ip: &str) -> Event {
    scan_with(qr, owner, ua, ip, "GET", false)
}

pub fn scan_with(
    qr: &str,
    owner: &str,
    ua: Option<&str>,
    ip: &str,
    method: &str,
    prefetch: bool,
) -> Event {
    Event::new(
        topics::QR_SCANNED,
        QrScanned {
            qr_id: qr.into(),
            owner_id: owner.into(),
            code: "abc123".into(),
            destination: Some("https://example.com".into()),
            rule: "default".into(),
            visit: Visit {
                method: method.into(),
                prefetch,
                user_agent: ua.map(str::to_owned),
                referrer: Some("https://www.instagram.com/p/xyz".into()),
                accept_language: Some("de-DE,de;q=0.9,en;q=0.8".into()),
                ip: Some(ip.into()),
            },
        },
    )
}

/// A view of the page `site`, as microsite publishes it (`qr_code`: came through that code).
pub fn view(site: &str, owner: &str, ua: &str, ip: &str, qr_code: Option<&str>) -> Event {
    Event::new(
        topics::MICROSITE_VIEWED,
        MicrositeViewed {
            microsite_id: site.into(),
            owner_id: owner.into(),
            slug: "me".into(),
            visit: Visit {
                method: "GET".into(),
                prefetch: false,
                user_agent: Some(ua.into()),
                referrer: None,
                accept_language: None,
                ip: Some(ip.into()),
            },
            qr_code: qr_code.map(str::to_owned),
        },
    )
}

/// A phone following the link block `block` of the page `site`.
pub fn click(site: &str, owner: &str, block: &str) -> Event {
    Event::new(
        topics::MICROSITE_CLICKED,
        MicrositeClicked {
            microsite_id: site.into(),
            owner_id: owner.into(),
            slug: "me".into(),
            block_id: block.into(),
            url: "https://shop.example".into(),
            visit: Visit {
                method: "GET".into(),
                prefetch: false,
                user_agent: Some(IPHONE.into()),
                referrer: None,
                accept_language: None,
                ip: Some("81.2.69.160".into()),
            },
        },
    )
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new code scanned once and a new page viewed once (both from an iPhone in GB) by `owner`,
/// stored: their ids.
pub async fn one_scan_and_one_view(svc: &Service_, owner: &str) -> (String, String) {
    let (qr, site) = (new_id(), new_id());
    svc.bus
        .publish(scan(&qr, owner, Some(IPHONE), "81.2.69.160"))
        .unwrap();
    svc.bus
        .publish(view(&site, owner, IPHONE, "81.2.69.160", None))
        .unwrap();
    wait_for_count(&svc.db, &qr, 1, Duration::from_secs(10)).await;
    wait_for_count(&svc.db, &site, 1, Duration::from_secs(10)).await;
    (qr, site)
}

/// Raw events stored for a target.
pub async fn stored(db: &Db, target: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM analytics_events WHERE target_id = $1")
        .bind(target)
        .fetch_one(db.pool())
        .await
        .map_or(-1, |r| r.try_get::<i64, _>(0).unwrap())
}

/// Waits until `target` has `expected` stored events (or the deadline passes) and returns the
/// last count seen.
pub async fn wait_for_count(db: &Db, target: &str, expected: i64, within: Duration) -> i64 {
    wait_for(within, || stored(db, target), |n| *n >= expected).await
}

/// An access token for `user`, as auth would mint it.
pub fn token(user: &str) -> String {
    process_keys().token(user)
}

/// `path` as `owner` (or anonymously): the status and the body.
pub async fn get(router: &Router, path: &str, owner: Option<&str>) -> (u16, Vec<u8>) {
    let token = owner.map(token);
    let answer = TestRouter::new(router.clone())
        .get(path, token.as_deref())
        .await;
    (answer.status.as_u16(), answer.body.to_vec())
}

pub async fn get_json(router: &Router, path: &str, owner: &str) -> (u16, serde_json::Value) {
    let (status, body) = get(router, path, Some(owner)).await;
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

/// Every text value in every analytics table, for privacy assertions.
pub async fn all_text(db: &Db) -> String {
    let mut out = String::new();
    for table in [
        "analytics_events",
        "analytics_targets",
        "analytics_rollup_hourly",
        "analytics_rollup_daily",
        "analytics_rollup_dimensions",
        "analytics_daily_salts",
        "analytics_daily_visitors",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(db.pool())
            .await
            .unwrap();
        for row in rows {
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    out.push_str(&text);
                    out.push('\n');
                }
            }
        }
    }
    out
}
