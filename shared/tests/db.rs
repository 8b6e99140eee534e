//! The storage conventions every service relies on, checked on each backend: one SQL text for
//! SQLite and PostgreSQL, per-service migration ledgers in one shared database, and the pragmas
//! SQLite needs.

use shared::config::Service;
use shared::db::Backend;
use shared::testing::{self, TestDb, backend_tests};
use sqlx::Row;

fn alpha() -> sqlx::migrate::Migrator {
    sqlx::migrate!("tests/migrations/alpha")
}

fn beta() -> sqlx::migrate::Migrator {
    sqlx::migrate!("tests/migrations/beta")
}

backend_tests!(two_services_migrate_one_database_independently);
async fn two_services_migrate_one_database_independently(t: TestDb) {
    t.db.migrate(Service::Auth, alpha()).await.unwrap();
    t.db.migrate(Service::Qr, beta()).await.unwrap();
    // Running again is a no-op, and neither sees the other's migration as "missing".
    t.db.migrate(Service::Auth, alpha()).await.unwrap();
    t.db.migrate(Service::Qr, beta()).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations_auth")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(applied, 1, "{}", t.backend.name());
    println!("migrations ok on {}", t.backend.name());
}

backend_tests!(portable_sql_round_trips_on_every_backend);
async fn portable_sql_round_trips_on_every_backend(t: TestDb) {
    t.db.migrate(Service::Auth, alpha()).await.unwrap();
    let pool = t.db.pool();
    let id = shared::ids::new_id();
    let now = shared::ids::now_ms();
    // Placeholders reordered and repeated; flags as integers; JSON as text.
    sqlx::query(
        "INSERT INTO alpha_widgets (created_at, id, name, enabled, settings) VALUES ($2, $1, $3, $4, $5)",
    )
    .bind(&id)
    .bind(now)
    .bind("first")
    .bind(1_i64)
    .bind(r##"{"colour":"#000000"}"##)
    .execute(pool)
    .await
    .unwrap();

    // Upsert with RETURNING works on both.
    let row = sqlx::query(
        "INSERT INTO alpha_widgets (id, name, enabled, created_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (name) DO UPDATE SET enabled = 0 RETURNING id, enabled",
    )
    .bind(shared::ids::new_id())
    .bind("first")
    .bind(now)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("id"), id, "{}", t.backend.name());
    assert_eq!(row.get::<i64, _>("enabled"), 0);

    let row = sqlx::query("SELECT created_at, settings FROM alpha_widgets WHERE id = $1")
        .bind(&id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("created_at"), now);
    let settings: serde_json::Value =
        serde_json::from_str(&row.get::<String, _>("settings")).unwrap();
    assert_eq!(settings["colour"], "#000000");

    // Uniqueness is enforced and reported as a database error, not a panic.
    let dup = sqlx::query("INSERT INTO alpha_widgets (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(shared::ids::new_id())
        .bind("first")
        .bind(now)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(
        dup.as_database_error()
            .is_some_and(sqlx::error::DatabaseError::is_unique_violation),
        "{dup}"
    );
    println!("portable SQL ok on {}", t.backend.name());
}

#[tokio::test]
async fn sqlite_connections_use_wal_and_a_busy_timeout() {
    let t = testing::sqlite().await;
    assert_eq!(t.backend, Backend::Sqlite);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(timeout, 5000);
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    assert!(t.db.ping().await);
}

/// `sslmode` in the URL turns TLS on with the same binary: against the test server (whose `ssl`
/// is on, as Debian's default cluster is) the connection is encrypted, as PostgreSQL itself
/// reports. `scripts/prod-sim` covers `verify-full`, a wrong CA and a TLS-only role.
#[tokio::test]
async fn sslmode_in_the_url_encrypts_the_connection() {
    let Some(admin) = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!(
            "SKIPPED postgres for sslmode_in_the_url_encrypts_the_connection: TEST_POSTGRES_URL is not set"
        );
        return;
    };
    let separator = if admin.contains('?') { '&' } else { '?' };
    for (mode, encrypted) in [("require", true), ("disable", false)] {
        let target = shared::config::DatabaseTarget {
            url: format!("{admin}{separator}sslmode={mode}"),
            source: "DATABASE_URL".into(),
        };
        let db = shared::db::Db::connect(&target).await.unwrap();
        let ssl: i32 = sqlx::query_scalar(
            "SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        let ssl = ssl == 1;
        assert_eq!(ssl, encrypted, "sslmode={mode}");
        db.close().await;
    }
}
