//! The database: one pool per service, SQLite or PostgreSQL chosen at run time by the URL, and
//! each service's own migrations. All SQL goes through sqlx's `Any` driver with `$1` placeholders
//! and portable types (text ids, integer epoch-ms times, integer flags, JSON as text), so one
//! query string serves both databases.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};

use crate::config::{DatabaseTarget, Service, redact_url};
use crate::error::Error;

/// Deletes, from each of `tables`, the rows where `filter` (a condition on `$1`, bound to
/// `value`) holds: a user's or an owner's rows across a service's tables, usually inside one
/// transaction. The table names and the filter are the caller's constants, never input.
pub async fn delete_from_each(
    conn: &mut AnyConnection,
    tables: &[&str],
    filter: &str,
    value: &str,
) -> Result<(), sqlx::Error> {
    for table in tables {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE {filter}"
        )))
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Starts a transaction that reads before it writes. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), waiting out the busy timeout if another connection holds it: a deferred
/// transaction whose snapshot another connection has committed past cannot become the writer,
/// and SQLite answers "database is locked" at once, without waiting (all-in-one mode puts every
/// service on one file, so any of their commits in that moment failed the write). PostgreSQL
/// needs nothing of the kind.
pub async fn begin_reading_then_writing(
    conn: &mut AnyConnection,
) -> Result<Transaction<'_, Any>, sqlx::Error> {
    if conn.backend_name() == "SQLite" {
        conn.begin_with("BEGIN IMMEDIATE").await
    } else {
        conn.begin().await
    }
}

/// Whether a database error is a unique-constraint violation. sqlx's `Any` driver does not
/// always carry the kind through, so PostgreSQL's SQLSTATE and SQLite's message are checked too.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// A value as JSON text, the portable column type both backends store documents in.
pub fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A service's connection pool and which database is behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// How long a request waits for a connection before it is answered 503 instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Every SQLite connection: write-ahead log (readers never block the writer), a 5 s busy timeout
/// instead of an immediate "database is locked", and foreign keys enforced. The page cache stays
/// at SQLite's 2 MiB per connection: 16 MiB made the analytics writer 25% faster at 10,000 busy
/// codes, but every pooled connection that reads dashboards fills its own, and the soak measured
/// 70 MB of growth in a minute from that alone.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
    PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

impl Db {
    /// Connects (creating the SQLite file and its folder when needed) and checks the database
    /// answers. Errors name the variable the URL came from and never show a password.
    pub async fn connect(target: &DatabaseTarget) -> Result<Db, Error> {
        install_drivers();
        let shown = redact_url(&target.url);
        let fail = |why: String| Error::Config(format!("{}: {why} ({shown})", target.source));

        let backend = backend_of(&target.url).ok_or_else(|| {
            fail("not a database URL; use sqlite://path or postgres://user@host/db".into())
        })?;
        if backend == Backend::Sqlite {
            prepare_sqlite_folder(&target.url).map_err(|e| fail(e.to_string()))?;
        }
        let options = AnyConnectOptions::from_str(&target.url)
            .map_err(|e| fail(format!("malformed URL: {e}")))?;

        let pool_options = AnyPoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .max_connections(match backend {
                // SQLite has one writer however many connections there are; a few readers are
                // enough and keep lock contention low.
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            });
        let pool_options = pool_options.after_release(|conn, _meta| {
            Box::pin(async move { Ok(out_of_any_transaction(conn).await) })
        });
        let pool_options = if backend == Backend::Sqlite {
            pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    Ok(())
                })
            })
        } else {
            pool_options
        };

        let pool = tokio::time::timeout(ACQUIRE_TIMEOUT * 2, pool_options.connect_with(options))
            .await
            .map_err(|_| fail("the database did not answer within 10 s".into()))?
            .map_err(|e| fail(format!("cannot connect: {}", one_line(&e))))?;
        Ok(Db { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies one service's migrations. Each service keeps its own ledger table
    /// (`_sqlx_migrations_<service>`) so that services sharing one database in all-in-one mode
    /// never see each other's migrations as missing.
    pub async fn migrate(&self, service: Service, mut migrator: Migrator) -> Result<(), Error> {
        migrator.dangerous_set_table_name(format!("_sqlx_migrations_{}", service.name()));
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> bool {
        tokio::time::timeout(
            Duration::from_secs(2),
            sqlx::query("SELECT 1").execute(&self.pool),
        )
        .await
        .is_ok_and(|r| r.is_ok())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a connection coming back to the pool is out of every transaction, so it may be
/// reused. sqlx counts transactions itself; when the database has already rolled one back on its
/// own (SQLite does on SQLITE_FULL), sqlx's ROLLBACK fails and the count stays above zero. The
/// next `begin` then opens a SAVEPOINT instead, and rolling that back leaves a real transaction
/// open holding the write lock: every other connection answered "database is locked" until a
/// restart. A miscounted connection is closed instead (closing ends whatever it had open).
async fn out_of_any_transaction(conn: &mut sqlx::AnyConnection) -> bool {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return true;
    }
    // A dropped transaction queues its ROLLBACK; a round trip lets it run before we judge.
    conn.ping().await.is_ok() && !conn.is_in_transaction()
}

fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

pub fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("sqlite:") {
        Some(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else {
        None
    }
}

/// Creates the folder of a SQLite file and checks it is writable, so an unwritable data dir is a
/// one-line error rather than sqlx's "unable to open database file".
fn prepare_sqlite_folder(url: &str) -> std::io::Result<()> {
    let Some(path) = sqlite_path(url) else {
        return Ok(()); // in-memory
    };
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display()))
    })?;
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            std::io::Error::new(e.kind(), format!("{} is not writable: {e}", dir.display()))
        })
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn one_line(err: &sqlx::Error) -> String {
    err.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_recognised() {
        assert_eq!(
            backend_of("sqlite://./data/x.db?mode=rwc"),
            Some(Backend::Sqlite)
        );
        assert_eq!(backend_of("postgres://u@h/d"), Some(Backend::Postgres));
        assert_eq!(backend_of("postgresql://u@h/d"), Some(Backend::Postgres));
        assert_eq!(backend_of("mysql://u@h/d"), None);
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://./data/x.db?mode=rwc"),
            Some(PathBuf::from("./data/x.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn malformed_and_unreachable_urls_are_one_line_errors() {
        let target = DatabaseTarget {
            url: "mysql://root:topsecret@h/d".into(),
            source: "DATABASE_URL".into(),
        };
        let err = Db::connect(&target).await.unwrap_err().to_string();
        assert!(err.starts_with("DATABASE_URL: "), "{err}");
        assert!(!err.contains("topsecret"), "{err}");

        // Port 1 on loopback: nothing listens there, so this fails fast.
        let target = DatabaseTarget {
            url: "postgres://postgres:topsecret@127.0.0.1:1/x".into(),
            source: "QR_DATABASE_URL".into(),
        };
        let err = Db::connect(&target).await.unwrap_err().to_string();
        assert!(err.starts_with("QR_DATABASE_URL: cannot connect"), "{err}");
        assert!(!err.contains("topsecret") && !err.contains('\n'), "{err}");
    }

    /// A full disk (simulated with `max_page_count`: the same SQLITE_FULL and the same automatic
    /// rollback) must not leave a pooled connection holding the write lock once space is back.
    #[tokio::test]
    async fn writes_recover_after_sqlite_reports_a_full_disk() {
        use sqlx::{AssertSqlSafe, Connection};
        let test = crate::testing::sqlite().await;
        let pool = test.db.pool();
        let insert = "INSERT INTO filler (body) VALUES ($1)";
        sqlx::query("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .execute(pool)
            .await
            .unwrap();

        let mut conn = pool.acquire().await.unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query(AssertSqlSafe(format!(
            "PRAGMA max_page_count = {}",
            pages + 4
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
        let body = "x".repeat(4000);
        let mut tx = conn.begin().await.unwrap();
        let mut full = None;
        for _ in 0..100 {
            if let Err(e) = sqlx::query(insert).bind(&body).execute(&mut *tx).await {
                full = Some(e);
                break;
            }
        }
        let full = full.expect("the page limit stops the inserts");
        let code = full
            .as_database_error()
            .and_then(sqlx::error::DatabaseError::code);
        assert_eq!(code.as_deref(), Some("13"), "SQLITE_FULL expected: {full}");
        drop(tx); // SQLite has rolled back already, so this ROLLBACK fails
        sqlx::query("PRAGMA max_page_count = 1073741823")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);

        // Every connection of the pool starts a transaction, writes and gives up (an error path);
        // a connection whose count went wrong would keep its transaction, and its write lock.
        let mut all = Vec::new();
        for _ in 0..8 {
            all.push(pool.acquire().await.unwrap());
        }
        for conn in &mut all {
            let mut tx = conn.begin().await.unwrap();
            sqlx::query(insert)
                .bind("abandoned")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.rollback().await.unwrap();
        }
        drop(all);

        let mut writers = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let pool = pool.clone();
            writers.spawn(async move {
                let mut tx = pool.begin().await?;
                sqlx::query(insert).bind("after").execute(&mut *tx).await?;
                tx.commit().await
            });
        }
        while let Some(result) = writers.join_next().await {
            result.unwrap().expect("a write once space is back");
        }
        let rows: Vec<String> = sqlx::query_scalar("SELECT body FROM filler")
            .fetch_all(pool)
            .await
            .unwrap();
        assert_eq!(
            rows,
            vec!["after"; 8],
            "nothing abandoned may have been kept"
        );
    }

    #[tokio::test]
    async fn unwritable_data_dir_is_reported() {
        let target = DatabaseTarget {
            url: "sqlite:///proc/scanpage/x.db?mode=rwc".into(),
            source: "SCANPAGE_DATA".into(),
        };
        let err = Db::connect(&target).await.unwrap_err().to_string();
        assert!(
            err.starts_with("SCANPAGE_DATA: cannot create /proc/scanpage"),
            "{err}"
        );
    }
}
