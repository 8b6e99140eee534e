//! The test harness: the real application, started on port 0 with a fresh database of its own.

#![allow(dead_code)]

pub mod browser;
pub mod html;

use clap::Parser;
use shared::config::Settings;
use shared::testing::TestDb;
use web::app::{Mode, Server};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: Settings,
}

/// Settings as the command line would give them; `--port 0` and the test's database unless
/// `extra` says otherwise.
pub fn settings(db: &TestDb, extra: &[&str]) -> Settings {
    // Keys and files go to a folder of the test's own, never to ./data.
    let data_dir = std::env::temp_dir()
        .join(format!("scanpage-app-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string();
    let mut argv = vec!["scanpage"];
    argv.extend_from_slice(extra);
    for (flag, value) in [
        ("--port", "0"),
        ("--database-url", db.url.as_str()),
        ("--data-dir", data_dir.as_str()),
    ] {
        if !extra.contains(&flag) {
            argv.extend([flag, value]);
        }
    }
    Args::try_parse_from(argv)
        .expect("valid test settings")
        .settings
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub shutdown: shared::shutdown::Shutdown,
    task: tokio::task::JoinHandle<Result<(), shared::Error>>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb, extra: &[&str]) -> TestApp {
        Self::spawn_with(settings(db, extra), Mode::AllInOne).await
    }

    pub async fn spawn_with(settings: Settings, mode: Mode) -> TestApp {
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
    /// Signs `email` up through the JSON API.
    pub async fn sign_up_api(&self, email: &str) -> ApiUser {
        let answer = self
            .http
            .post(self.url("/api/v1/auth/signup"))
            .json(&serde_json::json!({ "email": email, "password": browser::PASSWORD }))
            .send()
            .await
            .expect("request sent");
        assert!(answer.status().is_success(), "signup: {}", answer.status());
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
}
