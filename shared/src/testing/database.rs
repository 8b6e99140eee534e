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
    /// Where [`TestDb::scratch_dir`] makes folders; removed with the database.
    scratch: std::path::PathBuf,
}

/// A folder name of the test's own under the system's temporary folder.
fn temp_folder(prefix: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()))
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
    let dir = temp_folder("scanpage-test");
    let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
    let db = Db::connect(&target(&url))
        .await
        .expect("open a SQLite test database");
    TestDb {
        db,
        url,
        backend: Backend::Sqlite,
        cleanup: Cleanup::File(dir),
        scratch: temp_folder("scanpage-test-files"),
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
        scratch: temp_folder("scanpage-test-files"),
    }
}

/// The logical database tests use when `TEST_REDIS_URL` names none: never 0, where a developer's
/// own data usually is.
pub const TEST_REDIS_DB: u32 = 13;

/// `TEST_REDIS_URL` on a logical database of its own ([`TEST_REDIS_DB`] unless the URL names
/// another), or `None` after printing that Redis was skipped for `test`. A URL naming database 0
/// is refused: the tests write streams and keys there.
pub fn redis_url(test: &str) -> Option<String> {
    let Some(url) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("SKIPPED redis for {test}: TEST_REDIS_URL is not set");
        return None;
    };
    Some(on_test_database(&url))
}

fn on_test_database(url: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_REDIS_URL is a URL");
    match parsed.path().trim_matches('/') {
        "" => parsed.set_path(&format!("/{TEST_REDIS_DB}")),
        "0" => panic!(
            "TEST_REDIS_URL names Redis database 0; the tests write to it, so give them another \
             (e.g. /{TEST_REDIS_DB}) or none"
        ),
        _ => {}
    }
    parsed.to_string()
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

impl TestDb {
    /// A path for a folder of the test's files (an app's data folder, say), not created yet;
    /// removed with the database at the end of the test, so nothing is left in the system's
    /// temporary folder. Restarting an app on the same path finds its files again.
    pub fn scratch_dir(&self) -> std::path::PathBuf {
        self.scratch.join(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_tests_never_use_database_0() {
        assert_eq!(
            on_test_database("redis://127.0.0.1:6379"),
            format!("redis://127.0.0.1:6379/{TEST_REDIS_DB}")
        );
        assert_eq!(
            on_test_database("rediss://u:p@db.example:6380/"),
            format!("rediss://u:p@db.example:6380/{TEST_REDIS_DB}")
        );
        assert_eq!(
            on_test_database("redis://127.0.0.1:6379/7"),
            "redis://127.0.0.1:6379/7"
        );
        let zero = std::panic::catch_unwind(|| on_test_database("redis://127.0.0.1:6379/0"));
        assert!(zero.is_err());
    }
}
