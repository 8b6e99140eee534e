//! Test harness: the real auth router over a fresh database, driven with `oneshot`.
#![allow(dead_code)]

use std::ops::Deref;

use axum::http::StatusCode;
use serde_json::Value;
use shared::bus::EventBus;
use shared::config::Service;
use shared::context::ServiceContext;
use shared::identity::{Identity, KeyPair};
use shared::testing::{Answer, TestDb, TestRouter};

pub struct App {
    pub client: TestRouter,
    pub keys: KeyPair,
    pub db: TestDb,
    pub ctx: ServiceContext,
    dir: std::path::PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

pub async fn app(db: TestDb, args: &[&str]) -> App {
    app_with_redis(db, args, None).await
}

pub async fn app_with_redis(db: TestDb, args: &[&str], redis: Option<String>) -> App {
    let dir = std::env::temp_dir().join(format!("scanpage-auth-{}", uuid::Uuid::new_v4().simple()));
    let mut flags = vec!["--data-dir", dir.to_str().unwrap()];
    flags.extend_from_slice(args);
    let settings = shared::testing::settings(&flags);
    let keys = KeyPair::load_or_generate(&settings).unwrap();
    db.db
        .migrate(Service::Auth, auth::migrator())
        .await
        .unwrap();
    let redis = match redis {
        Some(url) => Some(
            shared::context::connect_redis(&shared::context::RedisTarget::new(url.as_str()))
                .await
                .unwrap(),
        ),
        None => None,
    };
    let ctx = ServiceContext {
        redis,
        ..shared::testing::context(
            &db.db,
            EventBus::memory(1000),
            settings,
            Identity::new(keys.public_bytes()),
            "http://localhost:3000",
        )
    };
    let router = auth::build(ctx.clone()).await.unwrap();
    App {
        client: TestRouter::new(router),
        keys,
        db,
        ctx,
        dir,
    }
}

/// Requests go straight to auth's router (`call`, `get`, `post`, `send`, …).
impl Deref for App {
    type Target = TestRouter;
    fn deref(&self) -> &TestRouter {
        &self.client
    }
}

impl App {
    /// Signs up `email` with the standard strong password, then confirms it through the link in
    /// the email as its owner would; returns the tokens (the body of `POST /verify`).
    pub async fn signup(&self, email: &str) -> Value {
        let a = self
            .post(
                "/api/v1/auth/signup",
                None,
                serde_json::json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.json());
        assert_eq!(a.json()["status"], "check_email", "{}", a.json());
        self.confirm(email).await
    }

    /// Follows the newest confirmation link mailed to `email`: the tokens it signs in with.
    pub async fn confirm(&self, email: &str) -> Value {
        let token = self
            .link_in_mail(email, "/verify/")
            .await
            .expect("a confirmation link in the outbox");
        let a = self
            .post(
                "/api/v1/auth/verify",
                None,
                serde_json::json!({ "token": token }),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.json());
        a.json()
    }

    /// The messages queued for `email`, oldest first, as `(subject, text, html)`.
    pub async fn mails(&self, email: &str) -> Vec<(String, String, Option<String>)> {
        // Addresses are stored normalised (trimmed, lower-cased).
        let email = email.trim().to_lowercase();
        sqlx::query_as(
            "SELECT subject, body, html FROM auth_email_outbox WHERE recipient = $1 \
             ORDER BY created_at, id",
        )
        .bind(&email)
        .fetch_all(self.db.db.pool())
        .await
        .unwrap()
    }

    /// The token of the newest `{base}{path}{token}` link mailed to `email`.
    pub async fn link_in_mail(&self, email: &str, path: &str) -> Option<String> {
        let needle = format!("http://localhost:3000{path}");
        self.mails(email)
            .await
            .iter()
            .rev()
            .find_map(|(_, body, _)| {
                let at = body.find(&needle)? + needle.len();
                body[at..].split_whitespace().next().map(str::to_owned)
            })
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.post(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn count(&self, table: &str, user_id: &str) -> i64 {
        let column = if table == "auth_users" {
            "id"
        } else {
            "user_id"
        };
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE {column} = $1"
        )))
        .bind(user_id)
        .fetch_one(self.db.db.pool())
        .await
        .unwrap();
        n
    }
}

pub fn token(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
        .to_owned()
}
