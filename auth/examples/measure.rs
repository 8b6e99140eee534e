//! Measures what a login and a token check cost: `cargo run -p auth --example measure`.
//! Argon2, SHA-2 and Ed25519 are optimised even in dev builds (see the root Cargo.toml), so the
//! hashing figures match a release build; the JWT parsing around them is unoptimised here.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a measuring script"
)]

use std::time::{Duration, Instant};

use shared::identity::{AUDIENCE, Claims, ISSUER, Identity, KeyPair, Role, Scope, Signer};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("argon2 parameters: {}", auth::secrets::ARGON2_PARAMS);

    let mut hashes = Vec::new();
    let mut hash = String::new();
    for _ in 0..15 {
        let started = Instant::now();
        hash = auth::secrets::hash_password("correct horse battery staple".into())
            .await
            .unwrap();
        hashes.push(started.elapsed());
    }
    println!("hash one password (signup):   median {:?}", median(hashes));

    let mut verifies = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let ok = auth::secrets::verify_password(
            "correct horse battery staple".into(),
            Some(hash.clone()),
        )
        .await
        .unwrap();
        assert!(ok);
        verifies.push(started.elapsed());
    }
    println!(
        "verify one password (login):  median {:?}",
        median(verifies)
    );

    let pair = KeyPair::generate();
    let signer = Signer::new(&pair).unwrap();
    let identity = Identity::new(pair.public_bytes());
    let now = shared::ids::now_ms() / 1000;
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: shared::ids::new_id(),
        exp: now + 900,
        iat: now,
        jti: shared::ids::new_id(),
        role: Role::User,
        sid: shared::ids::new_id(),
        scopes: Scope::all_strings(),
    };
    let n = 5_000u32;
    let started = Instant::now();
    let mut token = String::new();
    for _ in 0..n {
        token = signer.sign(&claims).unwrap();
    }
    println!(
        "sign one access token:        mean {:?}",
        started.elapsed() / n
    );
    let started = Instant::now();
    for _ in 0..n {
        identity.verify(&token).unwrap();
    }
    println!(
        "verify one access token:      mean {:?}",
        started.elapsed() / n
    );

    println!(
        "full POST /api/v1/auth/login (SQLite, in process): median {:?}",
        login_round_trip().await
    );
}

/// One whole login through the real router: JSON, rate-limit check, user lookup, argon2
/// verification, refresh-token insert, access-token signing.
async fn login_round_trip() -> Duration {
    use axum::body::Body;
    use axum::http::Request;
    use clap::Parser;
    use tower::ServiceExt;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: shared::config::Settings,
    }
    let dir = std::env::temp_dir().join(format!("scanpage-measure-{}", shared::ids::new_id()));
    let settings = Cli::parse_from(["scanpage", "--data-dir", dir.to_str().unwrap()]).settings;
    let keys = KeyPair::load_or_generate(&settings).unwrap();
    let test_db = shared::testing::sqlite().await;
    test_db
        .db
        .migrate(shared::config::Service::Auth, auth::migrator())
        .await
        .unwrap();
    let ctx = shared::context::ServiceContext {
        db: test_db.db.clone(),
        bus: shared::bus::EventBus::memory(16),
        redis: None,
        settings: std::sync::Arc::new(settings),
        public_base_url: std::sync::Arc::from("http://localhost:3000"),
        shutdown: shared::shutdown::Shutdown::new(),
        identity: Identity::new(keys.public_bytes()),
    };
    let router = auth::build(ctx).await.unwrap();
    let body = r#"{"email":"measure@example.com","password":"correct horse battery staple"}"#;
    let call = |path: &'static str| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    router
        .clone()
        .oneshot(call("/api/v1/auth/signup"))
        .await
        .unwrap();
    let mut samples = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let response = router
            .clone()
            .oneshot(call("/api/v1/auth/login"))
            .await
            .unwrap();
        assert!(response.status().is_success());
        samples.push(started.elapsed());
    }
    let _ = std::fs::remove_dir_all(dir);
    median(samples)
}
