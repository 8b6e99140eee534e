//! A microsite service on a fresh database, driven through its real router, with tokens minted for
//! test users by a key of the test's own.

#![allow(dead_code)]

use std::ops::Deref;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use microsite::testing::FixedQrDirectory;
use shared::bus::EventBus;
use shared::context::ServiceContext;
use shared::testing::{Answer, TestDb, TestKeys, TestRouter, settings};

pub struct Site {
    pub client: TestRouter,
    pub bus: EventBus,
    pub ctx: ServiceContext,
    /// The qr service as this site sees it: alice owns `0190abcd` and `abc` (both `aB3dE7x`),
    /// bob owns `b0b0` (`bobCode1`).
    pub qr: Arc<FixedQrDirectory>,
    keys: TestKeys,
}

/// Requests go straight to the site's router (`call`, `send`, …).
impl Deref for Site {
    type Target = TestRouter;
    fn deref(&self) -> &TestRouter {
        &self.client
    }
}

impl Site {
    pub async fn start(db: &TestDb) -> Site {
        Self::start_with(db, EventBus::memory(10_000), &[]).await
    }

    pub async fn start_with(db: &TestDb, bus: EventBus, extra: &[&str]) -> Site {
        db.db
            .migrate(shared::config::Service::Microsite, microsite::migrator())
            .await
            .unwrap();
        let keys = TestKeys::new();
        let ctx = shared::testing::context(
            &db.db,
            bus.clone(),
            settings(extra),
            keys.identity.clone(),
            "http://scan.test",
        );
        let qr = Arc::new(
            FixedQrDirectory::new()
                .with("alice", "0190abcd", "aB3dE7x")
                .with("alice", "abc", "aB3dE7x")
                .with("bob", "b0b0", "bobCode1"),
        );
        let router = shared::http::finish(
            microsite::build_with(ctx.clone(), qr.clone())
                .await
                .unwrap(),
            shared::http::Limits::default(),
        );
        Site {
            client: TestRouter::new(router),
            bus,
            ctx,
            qr,
            keys,
        }
    }

    /// An access token for `user`.
    pub fn token(&self, user: &str) -> String {
        self.keys.token(user)
    }

    pub fn token_with(&self, user: &str, scopes: Vec<String>) -> String {
        self.keys.token_with(user, scopes)
    }

    /// Creates a page for `user` and returns its JSON.
    pub async fn create(&self, user: &str, body: serde_json::Value) -> serde_json::Value {
        let answer = self
            .call(
                Method::POST,
                "/api/v1/microsites",
                Some(&self.token(user)),
                Some(body),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()
    }

    /// Creates a page from a template for `user` and publishes it; returns its JSON.
    pub async fn published(&self, user: &str, template: &str, slug: &str) -> serde_json::Value {
        let token = self.token(user);
        let created = self
            .call(
                Method::POST,
                "/api/v1/microsites/from-template",
                Some(&token),
                Some(serde_json::json!({"template": template, "slug": slug})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let published = self
            .call(
                Method::POST,
                &format!("/api/v1/microsites/{id}/publish"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.text());
        published.json()
    }

    /// Opens a public page as a phone would.
    pub async fn visit(&self, path: &str) -> Answer {
        self.send(
            Request::get(path)
                .header("user-agent", IPHONE)
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
