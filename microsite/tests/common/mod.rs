//! A microsite service on a fresh database, driven through its real router, with tokens minted for
//! test users by a key of the test's own.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use clap::Parser;
use http_body_util::BodyExt;
use microsite::qr_directory::FixedQrDirectory;
use shared::bus::EventBus;
use shared::config::Settings;
use shared::context::ServiceContext;
use shared::shutdown::Shutdown;
use shared::testing::{TestDb, TestKeys};
use tower::ServiceExt;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: Settings,
}

pub struct Site {
    pub router: Router,
    pub bus: EventBus,
    pub ctx: ServiceContext,
    /// The qr service as this site sees it: alice owns `0190abcd` and `abc` (both `aB3dE7x`),
    /// bob owns `b0b0` (`bobCode1`).
    pub qr: Arc<FixedQrDirectory>,
    keys: TestKeys,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: bytes::Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

pub fn settings(extra: &[&str]) -> Settings {
    let mut argv = vec!["scanpage"];
    argv.extend_from_slice(extra);
    Args::try_parse_from(argv).unwrap().settings
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
        let ctx = ServiceContext {
            db: db.db.clone(),
            bus: bus.clone(),
            redis: None,
            settings: Arc::new(settings(extra)),
            public_base_url: "http://scan.test".into(),
            shutdown: Shutdown::new(),
            identity: keys.identity.clone(),
        };
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
            Default::default(),
        );
        Site {
            router,
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

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        request.extensions_mut().insert(ConnectInfo(
            "203.0.113.7:40000".parse::<SocketAddr>().unwrap(),
        ));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
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
