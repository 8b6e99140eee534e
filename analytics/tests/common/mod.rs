//! Shared helpers of the analytics integration tests: a started service on a fresh database, a
//! scripted scan, polling for counts and calling the real router.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use analytics::Settings;
use analytics::ingest::Ingestor;
use axum::Router;
use axum::body::Body;
use clap::Parser;
use http_body_util::BodyExt;
use shared::bus::{Event, EventBus, topics};
use shared::config::Service;
use shared::context::ServiceContext;
use shared::db::Db;
use shared::events::QrScanned;
use shared::shutdown::Shutdown;
use shared::testing::{TestDb, TestKeys};
use sqlx::Row;
use tower::ServiceExt;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: shared::config::Settings,
}

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
    let shutdown = Shutdown::new();
    let ctx = ServiceContext {
        db: db.db.clone(),
        bus: bus.clone(),
        redis: None,
        settings: Arc::new(
            Args::try_parse_from(["scanpage", "--database-url", &db.url])
                .unwrap()
                .settings,
        ),
        public_base_url: "http://localhost".into(),
        shutdown: shutdown.clone(),
        identity: keys().identity.clone(),
    };
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
            method: method.into(),
            prefetch,
            user_agent: ua.map(str::to_owned),
            referrer: Some("https://www.instagram.com/p/xyz".into()),
            accept_language: Some("de-DE,de;q=0.9,en;q=0.8".into()),
            ip: Some(ip.into()),
        },
    )
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Raw events stored for a target.
pub async fn stored(db: &Db, target: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM analytics_events WHERE target_id = $1")
        .bind(target)
        .fetch_one(db.pool())
        .await
        .map(|r| r.try_get::<i64, _>(0).unwrap())
        .unwrap_or(-1)
}

/// Waits until `target` has `expected` stored events (or the deadline passes) and returns the
/// last count seen.
pub async fn wait_for_count(db: &Db, target: &str, expected: i64, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let n = stored(db, target).await;
        if n >= expected || Instant::now() >= deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One signing key for the test process: tokens minted here verify in every test service.
fn keys() -> &'static TestKeys {
    static KEYS: std::sync::OnceLock<TestKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(TestKeys::new)
}

/// An access token for `user`, as auth would mint it.
pub fn token(user: &str) -> String {
    keys().token(user)
}

pub async fn get(router: &Router, path: &str, owner: Option<&str>) -> (u16, Vec<u8>) {
    let mut request = axum::http::Request::get(path);
    if let Some(owner) = owner {
        request = request.header("authorization", format!("Bearer {}", token(owner)));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
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
