//! Forged and stale tokens, on SQLite and PostgreSQL: `alg: none`, a token signed by another key,
//! HMAC signed with the public key, expired, for another audience or issuer, and a real token
//! after logout. Each is refused 401 by the API and sends the browser to the login page.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::TestApp;
use reqwest::StatusCode;
use shared::identity::{Claims, KeyPair, Signer};
use shared::testing::{TestDb, backend_tests};

fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&B64.decode(payload).unwrap()).expect("our claims")
}

fn unsigned(header: serde_json::Value, claims: &Claims) -> String {
    format!(
        "{}.{}.",
        B64.encode(header.to_string()),
        B64.encode(serde_json::to_string(claims).unwrap())
    )
}

/// Every forgery of `real` we try, by name.
fn forgeries(real: &str, app_key: &KeyPair) -> Vec<(&'static str, String)> {
    let claims = claims_of(real);
    let now = shared::ids::now_ms() / 1000;
    let ours = Signer::new(app_key).unwrap();
    let theirs = Signer::new(&KeyPair::generate()).unwrap();
    let signed = |f: &dyn Fn(&mut Claims)| {
        let mut c = claims.clone();
        f(&mut c);
        ours.sign(&c).unwrap()
    };
    // Key confusion: HS256 keyed with the (public) Ed25519 key.
    let hmac = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&app_key.public_bytes()),
    )
    .unwrap();
    // The real signature under a changed payload (a founder, say).
    let mut promoted = claims.clone();
    promoted.role = shared::identity::Role::Founder;
    let parts: Vec<&str> = real.split('.').collect();
    let spliced = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(serde_json::to_string(&promoted).unwrap()),
        parts[2]
    );
    vec![
        (
            "alg none",
            unsigned(serde_json::json!({"alg": "none", "typ": "JWT"}), &claims),
        ),
        (
            "alg None",
            unsigned(serde_json::json!({"alg": "None"}), &claims),
        ),
        ("another key", theirs.sign(&claims).unwrap()),
        ("hmac with the public key", hmac),
        ("payload changed under the signature", spliced),
        (
            "expired",
            signed(&|c| {
                c.iat = now - 7200;
                c.exp = now - 3600;
            }),
        ),
        ("wrong audience", signed(&|c| c.aud = "someone-else".into())),
        ("wrong issuer", signed(&|c| c.iss = "evil".into())),
        ("no signature", format!("{}.{}.", parts[0], parts[1])),
        ("garbage", "not.a.jwt".into()),
    ]
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    for path in ["/api/v1/qr", "/api/v1/auth/me", "/api/v1/microsites"] {
        let api = app
            .http
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "{what}: {path}");
        let body: serde_json::Value = api.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{what}: {body}");
    }
    let page = app
        .http
        .get(app.url("/app"))
        .header("cookie", format!("sp_access={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "{what}: the page");
    let to = page.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/login"), "{what}: sent to {to}");
}

backend_tests!(forged_tokens_are_refused);
async fn forged_tokens_are_refused(db: TestDb) {
    let backend = db.backend.name();
    let data = std::env::temp_dir().join(format!("scanpage-jwt-{}", uuid::Uuid::new_v4()));
    let app = TestApp::spawn(&db, &["--data-dir", data.to_str().unwrap()]).await;
    let key = KeyPair::load_or_generate_file(&data.join("jwt-ed25519.pem")).unwrap();
    let user = app.sign_up_api("target@example.com").await;

    // The real token works, and so does a token we sign with the app's key (the forgeries
    // below differ from it in one way each).
    let me = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let resigned = Signer::new(&key)
        .unwrap()
        .sign(&claims_of(&user.access_token))
        .unwrap();
    let ok = app
        .http
        .get(app.url("/api/v1/qr"))
        .bearer_auth(&resigned)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK, "the control token");

    for (what, token) in forgeries(&user.access_token, &key) {
        assert_refused(&app, &token, what).await;
    }
    println!("forged tokens refused on {backend}");
    app.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

backend_tests!(tokens_stop_working_after_logout);
async fn tokens_stop_working_after_logout(db: TestDb) {
    let backend = db.backend.name();
    let app = TestApp::spawn(&db, &[]).await;
    let user = app.sign_up_api("leaver@example.com").await;
    let logout = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    assert_refused(&app, &user.access_token, "after logout").await;
    let refreshed = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .json(&serde_json::json!({ "refresh_token": user.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.status(),
        StatusCode::UNAUTHORIZED,
        "the refresh token"
    );
    // Nor does the refresh cookie bring the page session back.
    let page = app
        .http
        .get(app.url("/app"))
        .header(
            "cookie",
            format!(
                "sp_access={}; sp_refresh={}",
                user.access_token, user.refresh_token
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    println!("logged-out tokens refused on {backend}");
    app.stop().await;
}
