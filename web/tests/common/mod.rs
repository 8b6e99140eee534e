//! The test harness: the real application, started on port 0 with a fresh database of its own.

#![allow(dead_code)]

pub mod browser;
pub mod html;

use shared::config::Settings;
use shared::testing::TestDb;
use web::app::{Mode, Server};

/// Settings as the command line would give them; `--port 0` and the test's database unless
/// `extra` says otherwise.
pub fn settings(db: &TestDb, extra: &[&str]) -> Settings {
    // Keys and files go to a folder of the test's own, never to ./data, removed with its
    // database.
    let data_dir = db.scratch_dir().display().to_string();
    let mut flags = extra.to_vec();
    for (flag, value) in [
        ("--port", "0"),
        ("--database-url", db.url.as_str()),
        ("--data-dir", data_dir.as_str()),
    ] {
        if !extra.contains(&flag) {
            flags.extend([flag, value]);
        }
    }
    shared::testing::settings(&flags)
}

pub struct TestApp {
    pub base: String,
    /// The app's database (the outbox holds the links a test follows).
    pub database_url: String,
    pub http: reqwest::Client,
    pub shutdown: shared::shutdown::Shutdown,
    task: tokio::task::JoinHandle<Result<(), shared::Error>>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb, extra: &[&str]) -> TestApp {
        Self::spawn_with(settings(db, extra), Mode::AllInOne).await
    }

    pub async fn spawn_with(settings: Settings, mode: Mode) -> TestApp {
        let database_url = settings.database_for(shared::config::Service::Auth).url;
        let server = Server::start(settings, mode).await.expect("the app starts");
        let base = format!("http://{}", server.addr);
        let shutdown = server.shutdown();
        let task = tokio::spawn(server.run_until_stopped());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        TestApp {
            base,
            database_url,
            http,
            shutdown,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.expect("server task").expect("clean stop");
    }
}

/// A signed-up user's tokens, as the API hands them out.
pub struct ApiUser {
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    /// Signs `email` up through the JSON API and confirms it with the link from the email (read
    /// from the outbox in the app's database), as its owner would: the tokens that signs in with.
    pub async fn sign_up_api(&self, email: &str) -> ApiUser {
        let answer = self
            .http
            .post(self.url("/api/v1/auth/signup"))
            .json(&serde_json::json!({ "email": email, "password": browser::PASSWORD }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(answer.status(), 202, "signup");
        self.confirm_api(email).await
    }

    /// Follows the newest confirmation link mailed to `email` through the API.
    pub async fn confirm_api(&self, email: &str) -> ApiUser {
        let token = self
            .mailed_token(email, "/verify/")
            .await
            .expect("a confirmation link in the outbox");
        let answer = self
            .http
            .post(self.url("/api/v1/auth/verify"))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .expect("request sent");
        assert!(answer.status().is_success(), "verify: {}", answer.status());
        let tokens: serde_json::Value = answer.json().await.expect("JSON tokens");
        ApiUser {
            access_token: tokens["access_token"]
                .as_str()
                .expect("an access token")
                .into(),
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("a refresh token")
                .into(),
        }
    }

    /// The token of the newest `…{path}{token}` link mailed to `email`.
    pub async fn mailed_token(&self, email: &str, path: &str) -> Option<String> {
        let bodies = outbox_bodies(&self.database_url, email).await;
        token_in(&bodies, path)
    }
}

/// The bodies queued for `email` in the outbox of the database at `url`, oldest first.
pub async fn outbox_bodies(url: &str, email: &str) -> Vec<String> {
    let target = shared::config::DatabaseTarget {
        url: url.to_owned(),
        source: "test".into(),
    };
    let db = shared::db::Db::connect(&target)
        .await
        .expect("the test database");
    email::Outbox::new(db.pool().clone())
        .bodies_for(&email.trim().to_lowercase())
        .await
        .expect("the outbox")
}

/// The token after `path` in the newest body holding such a link.
pub fn token_in(bodies: &[String], path: &str) -> Option<String> {
    bodies.iter().rev().find_map(|body| {
        let at = body.find(path)? + path.len();
        body[at..].split_whitespace().next().map(str::to_owned)
    })
}
