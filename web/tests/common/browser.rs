//! A cookie-keeping browser over the whole app (all services in one process), driven with
//! `oneshot`.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use http_body_util::BodyExt;
use shared::config::Settings;
use shared::shutdown::Shutdown;
use shared::testing::TestDb;
use tower::ServiceExt;
use web::app::{Mode, build};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Browser {
    app: Router,
    pub cookies: BTreeMap<String, String>,
    resources: Arc<Resources>,
}

/// The database and data folder of one app, kept while any browser on it lives.
struct Resources {
    db: TestDb,
    dir: std::path::PathBuf,
}

impl Drop for Resources {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub html: String,
    pub headers: axum::http::HeaderMap,
    /// The body as sent (a download that is not text: a zip).
    pub body: Vec<u8>,
}

impl Page {
    pub fn csrf(&self) -> String {
        let start = self
            .html
            .find("name=\"csrf_token\" value=\"")
            .expect("a CSRF field")
            + 25;
        self.html[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn browser(db: TestDb, public: &str) -> Browser {
    browser_with(db, public, &[]).await
}

/// A browser on an app started with `extra` command-line settings (e.g. `--founder-emails`).
pub async fn browser_with(db: TestDb, public: &str, extra: &[&str]) -> Browser {
    let dir = std::env::temp_dir().join(format!("scanpage-web-{}", uuid::Uuid::new_v4().simple()));
    let mut argv = vec![
        "scanpage",
        "--data-dir",
        dir.to_str().unwrap(),
        "--database-url",
        &db.url,
    ];
    argv.extend_from_slice(extra);
    let settings = Cli::parse_from(argv).settings;
    let app = build(Arc::new(settings), Mode::AllInOne, public, &Shutdown::new())
        .await
        .unwrap();
    Browser {
        app,
        cookies: BTreeMap::new(),
        resources: Arc::new(Resources { db, dir }),
    }
}

impl Browser {
    /// Creates a url code through the form (the session must be signed in); returns its id and
    /// short code.
    pub async fn create_code(&mut self, name: &str) -> (String, String) {
        let csrf = self.get("/app/qr/new").await.csrf();
        let created = self
            .post(
                "/app/qr/new",
                &[
                    ("csrf_token", &csrf),
                    ("name", name),
                    ("destination", "https://example.com/menu"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
        let id = created
            .location
            .unwrap()
            .trim_start_matches("/app/qr/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let view = self.get(&format!("/api/v1/qr/{id}")).await;
        let view: serde_json::Value = serde_json::from_str(&view.html).unwrap_or_default();
        let code = view["code"]
            .as_str()
            .expect("the code's short code")
            .to_owned();
        (id, code)
    }

    /// Another browser (its own cookies) on the same app: a second person.
    pub fn another(&self) -> Browser {
        Browser {
            app: self.app.clone(),
            cookies: BTreeMap::new(),
            resources: self.resources.clone(),
        }
    }

    pub async fn send(
        &mut self,
        request: axum::http::request::Builder,
        body: Option<String>,
    ) -> Page {
        self.send_bytes(request, body.map(String::into_bytes)).await
    }

    /// Like [`Browser::send`], for bodies that are not text (uploaded images).
    pub async fn send_bytes(
        &mut self,
        request: axum::http::request::Builder,
        body: Option<Vec<u8>>,
    ) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = request.header("host", "localhost:3000");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        let typed = request
            .headers_ref()
            .is_some_and(|h| h.contains_key(header::CONTENT_TYPE));
        let request = match body {
            Some(body) if typed => request.body(Body::from(body)),
            Some(form) => request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form)),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            set_cookies,
            html: String::from_utf8_lossy(&bytes).into_owned(),
            headers,
            body: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), None).await
    }

    /// A same-origin form post, as the browser sends it from our own page.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = Request::post(path)
            .header("origin", "http://localhost:3000")
            .header("sec-fetch-site", "same-origin");
        self.send(request, Some(encode(form))).await
    }

    /// A same-origin `multipart/form-data` post: `(name, file name, value)` per part.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> Page {
        let parts: Vec<(&str, Option<&str>, &[u8])> = parts
            .iter()
            .map(|(name, file, value)| (*name, *file, value.as_bytes()))
            .collect();
        self.post_multipart_typed(path, "text/csv", &parts).await
    }

    /// A same-origin `multipart/form-data` post whose files (of type `file_type`) are bytes.
    pub async fn post_multipart_typed(
        &mut self,
        path: &str,
        file_type: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> Page {
        let boundary = "----scanpage-test-boundary";
        let mut body = Vec::new();
        for (name, file, value) in parts {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"")
                    .as_bytes(),
            );
            if let Some(file) = file {
                body.extend_from_slice(
                    format!("; filename=\"{file}\"\r\nContent-Type: {file_type}").as_bytes(),
                );
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header("origin", "http://localhost:3000")
            .header("sec-fetch-site", "same-origin")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            );
        self.send_bytes(request, Some(body)).await
    }

    /// Signs up with a FOUNDER_EMAILS address: the confirmation link verifies it, which is what
    /// the founder role waits for.
    pub async fn sign_up_founder(&mut self, email: &str) -> Page {
        self.sign_up(email).await
    }

    /// Signs up through the form and, when the page says to check the email, follows the link
    /// in it (read from the outbox) and presses its button: the answer to that (a redirect to
    /// the dashboard with session cookies). Any other answer (waitlist, errors) is returned as is.
    pub async fn sign_up(&mut self, email: &str) -> Page {
        let csrf = self.get("/signup").await.csrf();
        let page = self
            .post(
                "/signup",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        if page.status != StatusCode::ACCEPTED || !page.html.contains("Check your email") {
            return page;
        }
        self.confirm(email).await
    }

    /// The links mailed to `email` (text bodies, oldest first).
    pub async fn mails(&self, email: &str) -> Vec<String> {
        email::Outbox::new(self.resources.db.db.pool().clone())
            .bodies_for(&email.trim().to_lowercase())
            .await
            .unwrap()
    }

    /// The token after `path` in the newest message to `email` holding such a link.
    pub async fn mailed_token(&self, email: &str, path: &str) -> Option<String> {
        self.mails(email).await.iter().rev().find_map(|body| {
            let at = body.find(path)? + path.len();
            body[at..].split_whitespace().next().map(str::to_owned)
        })
    }

    /// Follows the newest confirmation link mailed to `email` and presses its button.
    pub async fn confirm(&mut self, email: &str) -> Page {
        let token = self
            .mailed_token(email, "/verify/")
            .await
            .expect("a confirmation link in the outbox");
        let path = format!("/verify/{token}");
        let csrf = self.get(&path).await.csrf();
        self.post(&path, &[("csrf_token", &csrf)]).await
    }
}

pub fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The dashboard's headline figure labelled `label`, as shown.
pub fn figure(html: &str, label: &str) -> Option<String> {
    let at = html.find(&format!("<dt>{label}</dt>"))?;
    let rest = &html[at..];
    let start = rest.find("stat-value\">")? + 12;
    Some(rest[start..].split('<').next()?.trim().to_owned())
}

/// The code's analytics once `done` holds (analytics consumes scans asynchronously; bounded wait).
pub async fn eventually_counts(
    browser: &mut Browser,
    id: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..100 {
        let page = browser.get(&format!("/api/v1/analytics/qr/{id}")).await;
        // 404 until analytics has recorded a first event of the code.
        assert!(
            matches!(page.status, StatusCode::OK | StatusCode::NOT_FOUND),
            "{}",
            page.html
        );
        last = serde_json::from_str(&page.html).unwrap_or(serde_json::Value::Null);
        if page.status == StatusCode::OK && done(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the analytics of {id} never reached the expected state; last: {last}");
}

pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// Scans `/r/{code}` as a phone would.
pub async fn scan(browser: &mut Browser, code: &str) -> Page {
    browser
        .send(
            Request::get(format!("/r/{code}")).header("user-agent", IPHONE),
            None,
        )
        .await
}
