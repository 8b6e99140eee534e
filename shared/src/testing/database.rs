//! A fresh database per test on every backend this machine offers. SQLite always; PostgreSQL
//! when `TEST_POSTGRES_URL` is set (a new database is created and dropped per test); Redis when
//! `TEST_REDIS_URL` is set. A backend that is not configured is reported as skipped on stderr
//! (`SKIPPED …`, which CI looks for), so a run never silently claims coverage it did not have.

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

/// A fresh PostgreSQL database when `TEST_POSTGRES_URL` is set; otherwise `None`, after printing
/// that PostgreSQL was skipped for `test`.
pub async fn postgres_if_configured(test: &str) -> Option<TestDb> {
    if let Some(admin_url) = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(postgres(&admin_url).await)
    } else {
        eprintln!("SKIPPED postgres for {test}: TEST_POSTGRES_URL is not set");
        None
    }
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
