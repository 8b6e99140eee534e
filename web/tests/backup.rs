//! `scanpage backup`: a consistent copy of a running SQLite database, never over an existing
//! file, and a clear refusal (with the pg_dump hint) for PostgreSQL. SQLite only by design: the
//! PostgreSQL case is a refusal that needs no server.

mod common;

use common::TestApp;
use serde_json::json;
use shared::config::{DatabaseTarget, Service};
use shared::db::Db;
use web::app::Mode;

#[tokio::test]
async fn backup_copies_the_running_sqlite_database() {
    let db = shared::testing::sqlite().await;
    let settings = common::settings(&db, &[]);
    let app = TestApp::spawn_with(settings.clone(), Mode::AllInOne).await;
    for n in 0..3 {
        let answer = app
            .http
            .post(app.url("/api/v1/auth/signup"))
            .json(&json!({"email": format!("backup{n}@example.com"), "password": "correct horse battery staple 42"}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "signup: {}", answer.status());
    }

    let dir =
        std::env::temp_dir().join(format!("scanpage-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let dest = dir.join("copy.db");
    // While the server runs (and holds its connections open).
    let copied = web::backup::backup(&settings, &dest).await.expect("backup");
    assert_eq!(copied.len(), 1, "all-in-one: one database");
    assert_eq!(copied[0].services, Service::ALL.to_vec());
    assert_eq!(copied[0].to, dest);

    let copy = Db::connect(&DatabaseTarget {
        url: format!("sqlite://{}", dest.display()),
        source: "the copy".into(),
    })
    .await
    .unwrap();
    let users: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM auth_users WHERE email LIKE 'backup%'")
            .fetch_one(copy.pool())
            .await
            .unwrap();
    assert_eq!(users, 3, "the copy holds what was written before it");
    for service in Service::ALL {
        // The table name comes from the fixed service list, not from input.
        let ledger = format!("SELECT COUNT(*) FROM _sqlx_migrations_{}", service.name());
        let applied: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(ledger))
            .fetch_one(copy.pool())
            .await
            .unwrap();
        assert!(applied > 0, "{service}: the copy has its migrations ledger");
    }
    copy.close().await;
    assert!(
        !dir.join("copy.db-wal").exists()
            || std::fs::metadata(dir.join("copy.db-wal")).unwrap().len() == 0,
        "the copy is self-contained"
    );

    // A second backup to the same place is refused and leaves the first copy alone.
    let size = std::fs::metadata(&dest).unwrap().len();
    let err = web::backup::backup(&settings, &dest).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), size);

    app.stop().await;
    std::fs::remove_dir_all(&dir).ok();
    println!("backup ok on sqlite");
}

#[tokio::test]
async fn postgres_is_refused_with_the_pg_dump_hint() {
    let db = shared::testing::sqlite().await;
    let settings = common::settings(
        &db,
        &[
            "--qr-database-url",
            "postgres://postgres@127.0.0.1:5432/nowhere",
        ],
    );
    let dest = std::env::temp_dir().join(format!(
        "scanpage-backup-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let err = web::backup::backup(&settings, &dest).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("QR_DATABASE_URL") && message.contains("pg_dump"),
        "{message}"
    );
    assert!(!dest.exists(), "nothing was copied");
}
