//! Test harness: the real auth router over a fresh database, driven with `oneshot`.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use clap::Parser;
use http_body_util::BodyExt;
use serde_json::Value;
use shared::bus::EventBus;
use shared::config::{Service, Settings};
use shared::context::ServiceContext;
use shared::identity::{Identity, KeyPair};
use shared::shutdown::Shutdown;
use shared::testing::TestDb;
use tower::ServiceExt;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

pub struct App {
    pub router: Router,
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
    let mut argv = vec!["scanpage", "--data-dir", dir.to_str().unwrap()];
    argv.extend_from_slice(args);
    let settings = Cli::parse_from(argv).settings;
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
        db: db.db.clone(),
        bus: EventBus::memory(1000),
        redis,
        settings: Arc::new(settings),
        public_base_url: Arc::from("http://localhost:3000"),
        shutdown: Shutdown::new(),
        identity: Identity::new(keys.public_bytes()),
    };
    let router = auth::build(ctx.clone()).await.unwrap();
    App {
        router,
        keys,
        db,
        ctx,
        dir,
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl App {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(json) => request
                .header("content-type", "application/json")
                .body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.raw(request).await
    }

    pub async fn raw(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            json,
        }
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, bearer, Some(body)).await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Answer {
        self.call(Method::GET, path, bearer, None).await
    }

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
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.json);
        assert_eq!(a.json["status"], "check_email", "{}", a.json);
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
        assert_eq!(a.status, StatusCode::OK, "{}", a.json);
        a.json
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
