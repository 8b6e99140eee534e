//! Test support: a fresh database per test on every backend this machine offers. SQLite always;
//! PostgreSQL when `TEST_POSTGRES_URL` is set (a new database is created and dropped per test);
//! Redis when `TEST_REDIS_URL` is set. A backend that is not configured is reported as skipped on
//! stderr, so a run never silently claims coverage it did not have.

use crate::config::DatabaseTarget;
use crate::db::{Backend, Db};

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

/// One fresh database per available backend. `test` names the test in skip messages.
pub async fn databases(test: &str) -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    match std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => all.push(postgres(&admin_url).await),
        None => eprintln!("SKIPPED postgres for {test}: TEST_POSTGRES_URL is not set"),
    }
    all
}

/// A fresh SQLite database in its own temporary folder.
pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("scanpage-test-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
    let db = Db::connect(&target(&url))
        .await
        .expect("open a SQLite test database");
    TestDb {
        db,
        url,
        backend: Backend::Sqlite,
        cleanup: Cleanup::File(dir),
    }
}

/// A fresh PostgreSQL database created through the server at `admin_url`.
pub async fn postgres(admin_url: &str) -> TestDb {
    let name = format!("scanpage_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(&target(admin_url))
        .await
        .expect("TEST_POSTGRES_URL must point at a running PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .expect("create a test database");
    admin.close().await;
    let url = with_database(admin_url, &name);
    let db = Db::connect(&target(&url))
        .await
        .expect("open the test database");
    TestDb {
        db,
        url,
        backend: Backend::Postgres,
        cleanup: Cleanup::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        },
    }
}

/// `TEST_REDIS_URL`, or `None` after printing that Redis was skipped for `test`.
pub fn redis_url(test: &str) -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("SKIPPED redis for {test}: TEST_REDIS_URL is not set");
    }
    url
}

fn target(url: &str) -> DatabaseTarget {
    DatabaseTarget {
        url: url.to_owned(),
        source: "TEST_DATABASE".into(),
    }
}

fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_POSTGRES_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime, which cannot block on itself: use a
                // short-lived thread with its own runtime.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async {
                        if let Ok(admin) = Db::connect(&target(&admin_url)).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(admin.pool())
                            .await;
                            admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A signing key of a test's own, with the matching verifier: tokens minted here pass every
/// service's `Principal` extractor given `identity`, exactly as auth's would.
pub struct TestKeys {
    signer: crate::identity::Signer,
    pub identity: crate::identity::Identity,
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TestKeys {
    pub fn new() -> Self {
        let pair = crate::identity::KeyPair::generate();
        TestKeys {
            signer: crate::identity::Signer::new(&pair).expect("a signer for a fresh key"),
            identity: crate::identity::Identity::new(pair.public_bytes()),
        }
    }

    /// An access token for `user` with every scope.
    pub fn token(&self, user: &str) -> String {
        self.token_with(user, crate::identity::Scope::all_strings())
    }

    /// An access token for `user` with every scope and the founder's role.
    pub fn founder_token(&self, user: &str) -> String {
        self.token_as(
            user,
            crate::identity::Role::Founder,
            crate::identity::Scope::all_strings(),
        )
    }

    pub fn token_with(&self, user: &str, scopes: Vec<String>) -> String {
        self.token_as(user, crate::identity::Role::User, scopes)
    }

    fn token_as(&self, user: &str, role: crate::identity::Role, scopes: Vec<String>) -> String {
        use crate::identity::{AUDIENCE, Claims, ISSUER};
        let now = crate::ids::now_ms() / 1000;
        self.signer
            .sign(&Claims {
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                sub: user.into(),
                exp: now + 900,
                iat: now,
                jti: crate::ids::new_id(),
                role,
                sid: format!("session-{user}"),
                scopes,
            })
            .expect("a signed test token")
    }
}

/// One message an [`SmtpSink`] accepted.
#[derive(Debug, Clone)]
pub struct SinkMessage {
    pub recipients: Vec<String>,
    /// The DATA section as sent (headers and body, dot-stuffing removed).
    pub data: String,
}

/// A local SMTP server for tests: speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP, QUIT) to accept messages, without TLS or authentication. The first `refuse_first`
/// recipients are answered `451` (a temporary failure), to exercise retries; [`SmtpSink::rejecting`]
/// answers every recipient `550` (a permanent one).
pub struct SmtpSink {
    pub port: u16,
    received: tokio::sync::mpsc::UnboundedReceiver<SinkMessage>,
}

impl SmtpSink {
    pub async fn start(refuse_first: usize) -> SmtpSink {
        Self::start_with(refuse_first, b"451 try again later\r\n").await
    }

    /// A sink that refuses every recipient with `550` (no such mailbox).
    pub async fn rejecting() -> SmtpSink {
        Self::start_with(usize::MAX, b"550 no such mailbox here\r\n").await
    }

    async fn start_with(refuse_first: usize, refusal: &'static [u8]) -> SmtpSink {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let (sender, received) = tokio::sync::mpsc::unbounded_channel();
        let refusals = Arc::new(AtomicUsize::new(refuse_first));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                let refusals = refusals.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut recipients = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "RCPT" => {
                                let refused = refusals
                                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                        n.checked_sub(1)
                                    })
                                    .is_ok();
                                if refused {
                                    refusal
                                } else {
                                    let address = line
                                        .split_once('<')
                                        .and_then(|(_, rest)| rest.split_once('>'))
                                        .map(|(a, _)| a.to_owned())
                                        .unwrap_or_default();
                                    recipients.push(address);
                                    b"250 OK\r\n"
                                }
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 go ahead\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                    data.push('\n');
                                }
                                let _ = sender.send(SinkMessage {
                                    recipients: std::mem::take(&mut recipients),
                                    data,
                                });
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"502 not implemented\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SmtpSink { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next accepted message, waiting up to `wait`.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<SinkMessage> {
        tokio::time::timeout(wait, self.received.recv())
            .await
            .ok()
            .flatten()
    }
}
