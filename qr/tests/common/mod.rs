//! A qr service on a fresh database, driven through its real router, with tokens minted for
//! test users by a key of the test's own.

#![allow(dead_code)]

use std::ops::Deref;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use shared::bus::EventBus;
use shared::context::ServiceContext;
pub use shared::testing::{Answer, settings};
use shared::testing::{TestDb, TestRouter, process_keys};

pub struct Qr {
    pub client: TestRouter,
    pub bus: EventBus,
    pub ctx: ServiceContext,
}

/// Requests go straight to the service's router (`call`, `send`, `send_from`, …).
impl Deref for Qr {
    type Target = TestRouter;
    fn deref(&self) -> &TestRouter {
        &self.client
    }
}

impl Qr {
    pub async fn start(db: &TestDb) -> Qr {
        Self::start_with(db, EventBus::memory(10_000), &[]).await
    }

    pub async fn start_with(db: &TestDb, bus: EventBus, extra: &[&str]) -> Qr {
        Self::start_full(
            &db.db,
            bus,
            None,
            Arc::new(qr::microsite::NoDirectory),
            extra,
        )
        .await
    }

    /// A qr service on `db` with Redis (second cache level) and a microsite directory of the
    /// test's choosing. Several of these on one database and Redis act as several instances;
    /// they verify each other's tokens (one test key for the whole process).
    pub async fn start_full(
        db: &shared::db::Db,
        bus: EventBus,
        redis: Option<redis::aio::ConnectionManager>,
        directory: Arc<dyn qr::microsite::MicrositeDirectory>,
        extra: &[&str],
    ) -> Qr {
        db.migrate(shared::config::Service::Qr, qr::migrator())
            .await
            .unwrap();
        let ctx = ServiceContext {
            redis,
            ..shared::testing::context(
                db,
                bus.clone(),
                settings(extra),
                process_keys().identity.clone(),
                "http://scan.test",
            )
        };
        let router = shared::http::finish(
            qr::build_with(ctx.clone(), directory).await.unwrap(),
            shared::http::Limits::default(),
        );
        Qr {
            client: TestRouter::new(router),
            bus,
            ctx,
        }
    }

    /// An access token for `user`.
    pub fn token(&self, user: &str) -> String {
        process_keys().token(user)
    }

    /// An access token for `user` as a founder.
    pub fn founder_token(&self, user: &str) -> String {
        process_keys().founder_token(user)
    }

    pub fn token_with(&self, user: &str, scopes: Vec<String>) -> String {
        process_keys().token_with(user, scopes)
    }

    /// Creates a url code for `user` and returns its JSON.
    pub async fn create(&self, user: &str, body: serde_json::Value) -> serde_json::Value {
        let answer = self
            .call(
                Method::POST,
                "/api/v1/qr",
                Some(&self.token(user)),
                Some(body),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()
    }

    /// Scans a code as a phone would.
    pub async fn scan(&self, code: &str, user_agent: &str) -> Answer {
        self.send(
            Request::get(format!("/r/{code}"))
                .header("user-agent", user_agent)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
pub const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
pub const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const WHATSAPP: &str = "WhatsApp/2.23.20.0";

/// Decodes a PNG of ours back to the text its QR code holds, with the decoder the service's
/// save-time check uses (rqrr; transparent pixels as on white paper). With
/// `KEEP_FAILED_DECODE=1`, a failure is kept in the temp folder to look at (off by default:
/// some tests expect undecodable codes, and tests leave nothing behind).
pub fn decode_png(bytes: &[u8]) -> String {
    qr::render::scannability::decode(bytes).unwrap_or_else(|| {
        if std::env::var_os("KEEP_FAILED_DECODE").is_some() {
            std::fs::write(
                std::env::temp_dir().join("scanpage-failed-decode.png"),
                bytes,
            )
            .ok();
        }
        "undecodable".to_owned()
    })
}
