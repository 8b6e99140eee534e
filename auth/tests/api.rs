//! The auth API as a user meets it, on SQLite and (when configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; clippy.toml only exempts #[test] functions"
)]

mod common;

use std::time::Instant;

use auth::signer::Signer;
use axum::http::{Method, StatusCode};
use common::{PASSWORD, app, app_with_redis, token};
use serde_json::json;
use shared::identity::{AUDIENCE, Claims, ISSUER, Role, Scope};
use shared::testing::{TestDb, backend_tests};

backend_tests!(signup_login_refresh_logout_me_round_trip);
async fn signup_login_refresh_logout_me_round_trip(db: TestDb) {
    let app = app(db, &[]).await;
    let created = app.signup("  Ada@Example.com ").await;
    assert_eq!(created["user"]["email"], "ada@example.com");
    assert_eq!(created["user"]["role"], "user");
    assert_eq!(created["token_type"], "Bearer");
    assert_eq!(created["expires_in"], 900);

    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.json());
    let access = token(&login.json(), "access_token");
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], "ada@example.com");
    assert!(me.json()["created_at"].as_i64().unwrap() > 0);

    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": token(&login.json(), "refresh_token")}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.json());
    let access2 = token(&refreshed.json(), "access_token");
    assert_ne!(access2, access);

    let out = app
        .post("/api/v1/auth/logout", Some(&access2), json!({}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    // Both access tokens of that session, and its refresh token, stop working.
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access2)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": token(&refreshed.json(), "refresh_token")}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    // The signup's own session is untouched.
    let first = token(&created, "access_token");
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&first)).await.status,
        StatusCode::OK
    );
}

backend_tests!(signup_does_not_tell_a_registered_address_from_a_new_one);
async fn signup_does_not_tell_a_registered_address_from_a_new_one(db: TestDb) {
    let app = app(db, &[]).await;
    app.signup("bob@example.com").await;
    // Was `409 email_taken`: an enumeration oracle.
    let started = Instant::now();
    let dup = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "BOB@example.com", "password": "another sturdy passphrase"}),
        )
        .await;
    let dup_time = started.elapsed();
    let started = Instant::now();
    let fresh = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "newbie@example.com", "password": "another sturdy passphrase"}),
        )
        .await;
    let fresh_time = started.elapsed();
    // The password is hashed on both paths: no timing gap of an argon2 run.
    let ratio = dup_time.as_secs_f64() / fresh_time.as_secs_f64();
    assert!(
        (0.25..4.0).contains(&ratio),
        "timings differ: {dup_time:?} vs {fresh_time:?}"
    );
    assert_eq!(dup.status, StatusCode::ACCEPTED, "{}", dup.json());
    assert_eq!((dup.status, &dup.json()), (fresh.status, &fresh.json()));
    assert_eq!(dup.json()["status"], "check_email");
    // What happened goes by email: the owner hears someone tried (sign-in and reset links)…
    let bob = app.mails("bob@example.com").await;
    let (subject, text, html) = bob.last().unwrap();
    assert!(subject.contains("tried to sign up"), "{subject}");
    assert!(text.contains("http://localhost:3000/login"), "{text}");
    assert!(text.contains("http://localhost:3000/forgot"), "{text}");
    assert!(
        html.as_deref()
            .unwrap()
            .contains("href=\"http://localhost:3000/login\"")
    );
    // …and the existing password still works; the new one does not.
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("bob@example.com", "another sturdy passphrase")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The new address gets a confirmation link instead.
    assert!(
        app.link_in_mail("newbie@example.com", "/verify/")
            .await
            .is_some()
    );

    for (email, password, field) in [
        ("carol@example.com", "password1", "password"),
        ("carol@example.com", "short", "password"),
        ("carol@example.com", "qwerty123456", "password"),
        ("not-an-email", PASSWORD, "email"),
    ] {
        let a = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}: {}",
            a.json()
        );
        assert_eq!(a.json()["error"]["field"], field);
    }
}

backend_tests!(unknown_email_and_wrong_password_look_the_same);
async fn unknown_email_and_wrong_password_look_the_same(db: TestDb) {
    let app = app(db, &[]).await;
    app.signup("dan@example.com").await;
    // Warm the dummy hash so the first unknown-email login is not an outlier.
    app.login("warm@example.com", "whatever").await;
    // Interleaved pairs, compared by their medians: one slow moment on a shared machine
    // must not decide it (four pairs stay under the five free failures per account).
    let (mut wrong_times, mut unknown_times) = (Vec::new(), Vec::new());
    for n in 0..4 {
        let started = Instant::now();
        let wrong = app
            .login("dan@example.com", "not the password at all")
            .await;
        wrong_times.push(started.elapsed());
        let started = Instant::now();
        let unknown = app
            .login(&format!("nobody{n}@example.com"), "not the password at all")
            .await;
        unknown_times.push(started.elapsed());
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.json(), unknown.json());
        assert_eq!(wrong.json()["error"]["code"], "invalid_credentials");
    }
    wrong_times.sort();
    unknown_times.sort();
    let (wrong_time, unknown_time) = (wrong_times[2], unknown_times[2]);
    let ratio = wrong_time.as_secs_f64() / unknown_time.as_secs_f64();
    eprintln!("wrong password {wrong_times:?}, unknown email {unknown_times:?}");
    assert!(
        (0.33..3.0).contains(&ratio),
        "median timings differ: {wrong_time:?} vs {unknown_time:?}"
    );
}

fn claims(sub: &str, sid: &str) -> Claims {
    let now = shared::ids::now_ms() / 1000;
    Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: sub.into(),
        exp: now + 900,
        iat: now,
        jti: "t".into(),
        role: Role::User,
        sid: sid.into(),
        scopes: Scope::all_strings(),
    }
}

backend_tests!(forged_expired_foreign_and_none_tokens_are_401);
async fn forged_expired_foreign_and_none_tokens_are_401(db: TestDb) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = app(db, &[]).await;
    let created = app.signup("eve@example.com").await;
    let user_id = created["user"]["id"].as_str().unwrap().to_owned();
    let signer = Signer::new(&app.keys).unwrap();
    // Our own key, our own claims: accepted (the control case).
    let good = signer.sign(&claims(&user_id, "sid-x")).unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&good)).await.status,
        StatusCode::OK
    );

    let mut expired = claims(&user_id, "sid-x");
    expired.exp -= 3600;
    let mut foreign = claims(&user_id, "sid-x");
    foreign.aud = "another-api".into();
    let other_key = Signer::new(&shared::identity::KeyPair::generate()).unwrap();
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(serde_json::to_vec(&claims(&user_id, "sid-x")).unwrap())
    );
    let mut tampered_claims = claims(&user_id, "sid-x");
    tampered_claims.role = Role::Founder;
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(serde_json::to_vec(&tampered_claims).unwrap()),
        parts[2]
    );
    for (what, bad) in [
        ("expired", signer.sign(&expired).unwrap()),
        ("other audience", signer.sign(&foreign).unwrap()),
        (
            "other key",
            other_key.sign(&claims(&user_id, "sid-x")).unwrap(),
        ),
        ("alg none", none),
        ("tampered", tampered),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let a = app.get("/api/v1/auth/me", Some(&bad)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(a.json()["error"]["code"], "unauthenticated", "{what}");
    }
    assert_eq!(
        app.get("/api/v1/auth/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

backend_tests!(refresh_token_reuse_revokes_the_family);
async fn refresh_token_reuse_revokes_the_family(db: TestDb) {
    let app = app(db, &[]).await;
    let created = app.signup("fay@example.com").await;
    let r1 = token(&created, "refresh_token");
    let second = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(second.status, StatusCode::OK);
    let r2 = token(&second.json(), "refresh_token");
    let a2 = token(&second.json(), "access_token");

    // The old token again: someone copied it. The whole family ends.
    let replay = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.json()["error"]["code"], "invalid_refresh_token");
    let r2_use = app
        .post("/api/v1/auth/refresh", None, json!({"refresh_token": r2}))
        .await;
    assert_eq!(r2_use.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&a2)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

backend_tests!(password_change_ends_every_other_session);
async fn password_change_ends_every_other_session(db: TestDb) {
    let app = app(db, &[]).await;
    app.signup("gil@example.com").await;
    let a = app.login("gil@example.com", PASSWORD).await.json();
    let b = app.login("gil@example.com", PASSWORD).await.json();
    let (a_access, b_access) = (token(&a, "access_token"), token(&b, "access_token"));

    let wrong = app
        .post(
            "/api/v1/auth/password",
            Some(&a_access),
            json!({"current_password": "nope", "new_password": "a whole new passphrase here"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.json()["error"]["field"], "current_password");

    let changed = app
        .post(
            "/api/v1/auth/password",
            Some(&a_access),
            json!({"current_password": PASSWORD, "new_password": "a whole new passphrase here"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.json());
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&a_access)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&b_access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let b_refresh = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": token(&b, "refresh_token")}),
        )
        .await;
    assert_eq!(b_refresh.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("gil@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("gil@example.com", "a whole new passphrase here")
            .await
            .status,
        StatusCode::OK
    );
}

/// A login from a given client address (the socket peer; no proxy is trusted here).
fn login_from(email: &str, password: &str, peer: &str) -> axum::http::Request<axum::body::Body> {
    let body = json!({"email": email, "password": password});
    let mut request = axum::http::Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let addr: std::net::SocketAddr = format!("{peer}:5000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    request
}

/// The finding "anyone can lock out a chosen account": many wrong passwords from client A slow
/// A down (429 + Retry-After, growing), while the owner on client B signs in at once.
async fn attacker_is_slowed_and_owner_is_not_locked_out(app: &common::App, email: &str) {
    use tower::ServiceExt;
    app.signup(email).await;
    let stack = shared::http::finish(app.router.clone(), shared::http::Limits::default());
    let send = |request| {
        let stack = stack.clone();
        async move { stack.oneshot(request).await.unwrap() }
    };
    let free = auth::limits::LOGIN_BACKOFF.free;
    for attempt in 1..=free {
        let a = send(login_from(email, "wrong wrong wrong", "203.0.113.66")).await;
        assert_eq!(a.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    for attempt in free + 1..=12 {
        let a = send(login_from(email, "wrong wrong wrong", "203.0.113.66")).await;
        assert_eq!(
            a.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "attempt {attempt}"
        );
        let wait: u64 = a.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(wait, 1, "the first wait is one second");
    }
    // The owner, elsewhere, is not affected at all.
    let owner = send(login_from(email, PASSWORD, "198.51.100.20")).await;
    assert_eq!(owner.status(), StatusCode::OK);
    // A is slowed, not locked: after the wait it may try again, and the next wait doubles.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = send(login_from(email, "wrong wrong wrong", "203.0.113.66")).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let slowed = send(login_from(email, PASSWORD, "203.0.113.66")).await;
    assert_eq!(slowed.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = slowed.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(wait, 2);
    // The owner's own typos on their device are forgotten once they get it right.
    for _ in 0..free - 1 {
        let typo = send(login_from(email, "wrong wrong wrong", "198.51.100.20")).await;
        assert_eq!(typo.status(), StatusCode::UNAUTHORIZED);
    }
    let right = send(login_from(email, PASSWORD, "198.51.100.20")).await;
    assert_eq!(right.status(), StatusCode::OK);
    let typo = send(login_from(email, "wrong wrong wrong", "198.51.100.20")).await;
    assert_eq!(typo.status(), StatusCode::UNAUTHORIZED, "a fresh count");
}

backend_tests!(failed_logins_slow_the_client_but_never_lock_out_the_owner);
async fn failed_logins_slow_the_client_but_never_lock_out_the_owner(db: TestDb) {
    let app = app(db, &[]).await;
    attacker_is_slowed_and_owner_is_not_locked_out(&app, "hal@example.com").await;
}

#[tokio::test]
async fn failed_login_counters_live_in_redis_when_configured() {
    let Some(url) = shared::testing::redis_url("login_rate_limit_redis") else {
        return;
    };
    let db = shared::testing::sqlite().await;
    let app = app_with_redis(db, &[], Some(url)).await;
    let email = format!("r{}@example.com", &shared::ids::new_id()[24..]);
    attacker_is_slowed_and_owner_is_not_locked_out(&app, &email).await;
}

backend_tests!(a_megabyte_password_is_refused_before_hashing);
async fn a_megabyte_password_is_refused_before_hashing(db: TestDb) {
    let app = app(db, &[]).await;
    let huge = "x".repeat(1024 * 1024);
    let started = Instant::now();
    let a = app.login("ivy@example.com", &huge).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    let s = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "ivy@example.com", "password": huge}),
        )
        .await;
    assert_eq!(s.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        started.elapsed().as_millis() < 500,
        "{:?}",
        started.elapsed()
    );
    // 300 characters fit in 4 KiB but not in the 256-character rule.
    let long = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "ivy@example.com", "password": "Zq9!".repeat(75)}),
        )
        .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
}

backend_tests!(invite_mode_needs_an_unused_code);
async fn invite_mode_needs_an_unused_code(db: TestDb) {
    let app = app(db, &["--signup-mode", "invite"]).await;
    let no_code = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "jo@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(no_code.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_code.json()["error"]["field"], "invite_code");

    let auth = auth::service(&app.ctx).unwrap();
    let codes = auth.create_invites(1, None).await.unwrap();
    let ok = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "jo@example.com", "password": PASSWORD, "invite_code": codes[0]}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json());
    app.confirm("jo@example.com").await;
    let reused = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "kim@example.com", "password": PASSWORD, "invite_code": codes[0]}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.json()["error"]["field"], "invite_code");
}

backend_tests!(waitlist_mode_queues_then_approval_emails_and_the_chosen_password_signs_in);
async fn waitlist_mode_queues_then_approval_emails_and_the_chosen_password_signs_in(db: TestDb) {
    let app = app(db, &["--signup-mode", "waitlist"]).await;
    let queued = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "lee@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED);
    assert_eq!(queued.json()["waitlisted"], true);
    assert_eq!(queued.json()["status"], "waitlisted");
    assert_eq!(
        app.login("lee@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    let auth = auth::service(&app.ctx).unwrap();
    auth.approve_waitlisted("lee@example.com")
        .await
        .unwrap()
        .unwrap();
    // Approval emails the person a way in…
    let mails = app.mails("lee@example.com").await;
    let (subject, text, _) = mails.last().expect("the approval email");
    assert!(subject.contains("account is ready"), "{subject}");
    assert!(text.contains("http://localhost:3000/login"), "{text}");
    // …and the password chosen when joining the waitlist signs in (it used to fail with
    // "Wrong email or password": the password was not kept).
    let login = app.login("lee@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.json());
    assert_eq!(login.json()["user"]["email_verified"], true);
    // A registered address in waitlist mode answers exactly like a new one.
    let again = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "lee@example.com", "password": PASSWORD}),
        )
        .await;
    let other = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "mia@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!((again.status, &again.json()), (other.status, &other.json()));
}

backend_tests!(an_unconfirmed_account_cannot_sign_in_and_its_link_comes_again);
async fn an_unconfirmed_account_cannot_sign_in_and_its_link_comes_again(db: TestDb) {
    let app = app(db, &[]).await;
    let a = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "una@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let first = app
        .link_in_mail("una@example.com", "/verify/")
        .await
        .unwrap();
    let right = app.login("una@example.com", PASSWORD).await;
    let wrong = app
        .login("una@example.com", "not the password at all")
        .await;
    assert_eq!(right.status, StatusCode::UNAUTHORIZED);
    assert_eq!((right.status, &right.json()), (wrong.status, &wrong.json()));
    assert!(
        right.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Confirm your email"),
        "{}",
        right.json()
    );
    // The right password re-sent the link (a new one; the old one ended).
    let second = app
        .link_in_mail("una@example.com", "/verify/")
        .await
        .unwrap();
    assert_ne!(first, second);
    let old = app
        .post("/api/v1/auth/verify", None, json!({"token": first}))
        .await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    assert_eq!(old.json()["error"]["code"], "invalid_token");
    let tokens = app.confirm("una@example.com").await;
    assert_eq!(tokens["user"]["email_verified"], true);
    assert_eq!(
        app.login("una@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    // Reused: a JSON error, not a second session.
    let reused = app
        .post("/api/v1/auth/verify", None, json!({"token": second}))
        .await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.json()["error"]["code"], "invalid_token");
}

backend_tests!(a_stranger_signing_up_a_pending_address_cannot_choose_the_owners_password);
async fn a_stranger_signing_up_a_pending_address_cannot_choose_the_owners_password(db: TestDb) {
    let app = app(db, &[]).await;
    let signup = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "own@example.com", "password": password}),
            )
            .await
        }
    };
    assert_eq!(signup(PASSWORD).await.status, StatusCode::ACCEPTED);
    let owners = app
        .link_in_mail("own@example.com", "/verify/")
        .await
        .unwrap();
    let stranger = "a stranger's sturdy passphrase";
    assert_eq!(signup(stranger).await.status, StatusCode::ACCEPTED);
    let strangers = app
        .link_in_mail("own@example.com", "/verify/")
        .await
        .unwrap();
    assert_ne!(owners, strangers);
    // The owner follows the link that came with their own sign-up: their password.
    let done = app
        .post("/api/v1/auth/verify", None, json!({"token": owners}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json());
    assert_eq!(
        app.login("own@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("own@example.com", stranger).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Once active, the other link's password is not taken any more.
    app.post("/api/v1/auth/verify", None, json!({"token": strangers}))
        .await;
    assert_eq!(
        app.login("own@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

backend_tests!(an_expired_confirmation_link_is_a_json_error_and_activates_nothing);
async fn an_expired_confirmation_link_is_a_json_error_and_activates_nothing(db: TestDb) {
    let app = app(db, &[]).await;
    let a = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "old@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let token = app
        .link_in_mail("old@example.com", "/verify/")
        .await
        .unwrap();
    // A week and a moment later.
    sqlx::query("UPDATE auth_email_verifications SET expires_at = $1")
        .bind(shared::ids::now_ms() - 1)
        .execute(app.db.db.pool())
        .await
        .unwrap();
    let late = app
        .post("/api/v1/auth/verify", None, json!({"token": token}))
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.json()["error"]["code"], "invalid_token");
    assert!(late.json()["error"]["message"].is_string());
    assert_eq!(
        app.login("old@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "still not active"
    );
}

backend_tests!(accounts_mail_their_owner_about_password_changes_new_devices_and_deletion);
async fn accounts_mail_their_owner_about_password_changes_new_devices_and_deletion(db: TestDb) {
    let app = app(db, &[]).await;
    let access = token(&app.signup("ray@example.com").await, "access_token");
    // The confirmation's device is the account's first: no "new sign-in" for it.
    let login = |agent: &'static str| {
        let app = &app;
        async move {
            let request = axum::http::Request::post("/api/v1/auth/login")
                .header("content-type", "application/json")
                .header("user-agent", agent)
                .body(axum::body::Body::from(
                    json!({"email": "ray@example.com", "password": PASSWORD}).to_string(),
                ))
                .unwrap();
            app.send(request).await
        }
    };
    let subjects = |mails: Vec<(String, String, Option<String>)>| {
        mails.into_iter().map(|(s, _, _)| s).collect::<Vec<_>>()
    };
    let before = app.mails("ray@example.com").await.len();
    assert_eq!(login("curl/8.0").await.status, StatusCode::OK);
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    assert_eq!(login(firefox).await.status, StatusCode::OK);
    let mails = app.mails("ray@example.com").await;
    let (subject, text, _) = mails.last().unwrap();
    assert!(subject.contains("New sign-in"), "{subject}");
    assert!(text.contains("Firefox on Linux"), "{text}");
    let after_new = mails.len();
    assert!(after_new > before);
    // The same device again: no email.
    assert_eq!(login(firefox).await.status, StatusCode::OK);
    assert_eq!(app.mails("ray@example.com").await.len(), after_new);

    let changed = app
        .post(
            "/api/v1/auth/password",
            Some(&access),
            json!({"current_password": PASSWORD, "new_password": "brand new sturdy passphrase"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.json());
    assert!(
        subjects(app.mails("ray@example.com").await)
            .last()
            .unwrap()
            .contains("password was changed")
    );
    let deleted = app
        .call(
            Method::DELETE,
            "/api/v1/auth/me",
            Some(&access),
            Some(
                json!({"password": "brand new sturdy passphrase", "confirm": "delete my account"}),
            ),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.json());
    assert!(
        subjects(app.mails("ray@example.com").await)
            .last()
            .unwrap()
            .contains("was deleted")
    );
}

backend_tests!(a_founder_invites_by_email_and_the_link_carries_the_code);
async fn a_founder_invites_by_email_and_the_link_carries_the_code(db: TestDb) {
    let app = app(db, &["--signup-mode", "invite"]).await;
    let auth = auth::service(&app.ctx).unwrap();
    let code = auth.invite_by_email("zoe@example.com", None).await.unwrap();
    let link = app.link_in_mail("zoe@example.com", "/signup?invite=").await;
    assert_eq!(link.as_deref(), Some(code.as_str()));
    let ok = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "zoe@example.com", "password": PASSWORD, "invite_code": code}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json());
    app.confirm("zoe@example.com").await;
}

/// The link in the newest message of `kind` ("/reset/", "/verify/", "/confirm-email/") to `to`.
async fn link_token(app: &common::App, to: &str, kind: &str) -> String {
    let mails = email::Outbox::new(app.db.db.pool().clone())
        .bodies_for(to)
        .await
        .unwrap();
    let link = mails
        .iter()
        .rev()
        .flat_map(|m| m.split_whitespace())
        .find(|w| w.contains(kind))
        .unwrap_or_else(|| panic!("no {kind} link to {to} in {mails:?}"));
    link.rsplit('/').next().unwrap().to_owned()
}

backend_tests!(founder_emails_become_founders_only_once_verified);
/// The finding "the founder role needs no verified email": an address in FOUNDER_EMAILS gets
/// the console only once it is verified (or promoted from the CLI).
async fn founder_emails_become_founders_only_once_verified(db: TestDb) {
    let app = app(db, &["--founder-emails", "boss@example.com,other@x.io"]).await;
    // Signed up but not confirmed: no way in at all, so no console.
    let pending = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "Boss@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(pending.status, StatusCode::ACCEPTED);
    assert_eq!(
        app.login("boss@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // An account that signs in without a verified address (as accounts made before
    // confirmation links did) stays an ordinary user, whatever FOUNDER_EMAILS says.
    sqlx::query("UPDATE auth_users SET activated_at = created_at WHERE email = $1")
        .bind("boss@example.com")
        .execute(app.db.db.pool())
        .await
        .unwrap();
    let unverified = app.login("boss@example.com", PASSWORD).await;
    assert_eq!(
        unverified.json()["user"]["role"],
        "user",
        "{}",
        unverified.json()
    );
    let access = token(&unverified.json(), "access_token");
    assert_eq!(
        app.get("/api/v1/auth/admin/users", Some(&access))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "no console for an unverified founder address"
    );
    // Following the emailed link verifies the address and grants the role.
    let confirmed = app.confirm("boss@example.com").await;
    assert_eq!(confirmed["user"]["role"], "founder", "{confirmed}");
    let console = app
        .get(
            "/api/v1/auth/admin/users",
            Some(&token(&confirmed, "access_token")),
        )
        .await;
    assert_eq!(console.status, StatusCode::OK);

    assert_eq!(
        app.signup("staff@example.com").await["user"]["role"],
        "user"
    );
    let auth = auth::service(&app.ctx).unwrap();
    assert!(auth.promote("staff@example.com").await.unwrap());
    let login = app.login("staff@example.com", PASSWORD).await;
    assert_eq!(
        login.json()["user"]["role"],
        "founder",
        "the CLI grants it directly"
    );
}

backend_tests!(api_keys_are_shown_once_scoped_and_revocable);
async fn api_keys_are_shown_once_scoped_and_revocable(db: TestDb) {
    let app = app(db, &[]).await;
    let access = token(&app.signup("max@example.com").await, "access_token");
    let created = app
        .post(
            "/api/v1/auth/api-keys",
            Some(&access),
            json!({"name": "CI", "scopes": ["qr:read"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    let key = token(&created.json(), "key");
    assert!(key.starts_with("spk_"));
    assert_eq!(created.json()["scopes"], json!(["qr:read"]));

    let me = app.get("/api/v1/auth/me", Some(&key)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], "max@example.com");

    // A key cannot mint keys or touch the account.
    let nested = app
        .post("/api/v1/auth/api-keys", Some(&key), json!({"name": "x"}))
        .await;
    assert_eq!(nested.status, StatusCode::FORBIDDEN);

    let bad_scope = app
        .post(
            "/api/v1/auth/api-keys",
            Some(&access),
            json!({"name": "x", "scopes": ["root"]}),
        )
        .await;
    assert_eq!(bad_scope.json()["error"]["field"], "scopes");

    let list = app.get("/api/v1/auth/api-keys", Some(&access)).await;
    assert_eq!(list.json()["api_keys"].as_array().unwrap().len(), 1);
    assert!(
        !list.json().to_string().contains(&key),
        "the key is never shown again"
    );

    let id = token(&created.json(), "id");
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/api-keys/{id}"),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&key)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Creates an API key with `scopes` (or without a list when null): (the key, its scopes).
async fn key_with(
    app: &common::App,
    access: &str,
    scopes: serde_json::Value,
) -> (String, serde_json::Value) {
    let mut body = json!({"name": "script"});
    if !scopes.is_null() {
        body["scopes"] = scopes;
    }
    let created = app.post("/api/v1/auth/api-keys", Some(access), body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    (
        token(&created.json(), "key"),
        created.json()["scopes"].clone(),
    )
}

backend_tests!(account_data_needs_the_account_read_scope);
/// Finding: a `qr:read` key read the account export (email, every key, every session) and
/// listed the API keys. Now that takes `account:read`, which nothing implies.
async fn account_data_needs_the_account_read_scope(db: TestDb) {
    let app = app(db, &[]).await;
    let access = token(&app.signup("ola@example.com").await, "access_token");
    let (qr_read, _) = key_with(&app, &access, json!(["qr:read"])).await;
    let (everything_else, _) = key_with(
        &app,
        &access,
        json!([
            "qr:read",
            "qr:write",
            "microsites:read",
            "microsites:write",
            "analytics:read"
        ]),
    )
    .await;
    let (default_key, default_scopes) = key_with(&app, &access, serde_json::Value::Null).await;
    assert!(
        !default_scopes
            .as_array()
            .unwrap()
            .contains(&json!("account:read")),
        "a key made without scopes does not get account:read: {default_scopes}"
    );
    for key in [&qr_read, &everything_else, &default_key] {
        for path in ["/api/v1/auth/me/export", "/api/v1/auth/api-keys"] {
            let denied = app.get(path, Some(key)).await;
            assert_eq!(
                denied.status,
                StatusCode::FORBIDDEN,
                "{path}: {}",
                denied.json()
            );
            assert_eq!(denied.json()["error"]["code"], "insufficient_scope");
            assert!(!denied.json().to_string().contains("ola@example.com"));
        }
    }

    let (account_read, scopes) = key_with(&app, &access, json!(["account:read"])).await;
    assert_eq!(scopes, json!(["account:read"]));
    let export = app.get("/api/v1/auth/me/export", Some(&account_read)).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.json());
    assert_eq!(export.json()["user"]["email"], "ola@example.com");
    let keys = app.get("/api/v1/auth/api-keys", Some(&account_read)).await;
    assert_eq!(keys.status, StatusCode::OK);
    assert_eq!(keys.json()["api_keys"].as_array().unwrap().len(), 4);

    // Reading is all it gives: keys and sessions stay session-only.
    let minted = app
        .post(
            "/api/v1/auth/api-keys",
            Some(&account_read),
            json!({"name": "more", "scopes": ["account:read"]}),
        )
        .await;
    assert_eq!(minted.status, StatusCode::FORBIDDEN);
    let id = keys.json()["api_keys"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/api-keys/{id}"),
            Some(&account_read),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::FORBIDDEN);
    let logout = app
        .post("/api/v1/auth/logout", Some(&account_read), json!({}))
        .await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);

    // The session itself still reads both.
    assert_eq!(
        app.get("/api/v1/auth/me/export", Some(&access))
            .await
            .status,
        StatusCode::OK
    );
}

backend_tests!(deletion_needs_the_typed_confirmation);
/// Deleting needs the password and the typed phrase; either missing or wrong deletes nothing.
async fn deletion_needs_the_typed_confirmation(db: TestDb) {
    let app = app(db, &[]).await;
    let created = app.signup("pia@example.com").await;
    let access = token(&created, "access_token");
    let user_id = token(&created["user"], "id");
    for body in [
        json!({"password": PASSWORD}),
        json!({"password": PASSWORD, "confirm": ""}),
        json!({"password": PASSWORD, "confirm": "delete"}),
        json!({"password": PASSWORD, "confirm": "pia@example.com"}),
    ] {
        let refused = app
            .call(
                Method::DELETE,
                "/api/v1/auth/me",
                Some(&access),
                Some(body.clone()),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.json()["error"]["field"], "confirm", "{body}");
        assert!(
            refused.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("delete my account")
        );
        assert_eq!(app.count("auth_users", &user_id).await, 1, "{body}");
    }
    let wrong_password = app
        .call(
            Method::DELETE,
            "/api/v1/auth/me",
            Some(&access),
            Some(json!({"password": "nope", "confirm": "delete my account"})),
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_password.json()["error"]["field"], "password");
    assert_eq!(app.count("auth_users", &user_id).await, 1);

    // Case and spacing don't matter.
    let gone = app
        .call(
            Method::DELETE,
            "/api/v1/auth/me",
            Some(&access),
            Some(json!({"password": PASSWORD, "confirm": "  Delete my  ACCOUNT "})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.json());
    assert_eq!(app.count("auth_users", &user_id).await, 0);
}

backend_tests!(deleting_the_account_removes_its_rows);
async fn deleting_the_account_removes_its_rows(db: TestDb) {
    let app = app(db, &[]).await;
    let created = app.signup("ned@example.com").await;
    let access = token(&created, "access_token");
    let user_id = token(&created["user"], "id");
    app.post("/api/v1/auth/api-keys", Some(&access), json!({"name": "k"}))
        .await;
    app.post(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": "ned@example.com"}),
    )
    .await;
    assert_eq!(app.count("auth_api_keys", &user_id).await, 1);

    let wrong = app
        .call(
            Method::DELETE,
            "/api/v1/auth/me",
            Some(&access),
            Some(json!({"password": "nope", "confirm": "delete my account"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let export = app.get("/api/v1/auth/me/export", Some(&access)).await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.json()["user"]["email"], "ned@example.com");
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );

    let gone = app
        .call(
            Method::DELETE,
            "/api/v1/auth/me",
            Some(&access),
            Some(json!({"password": PASSWORD, "confirm": "delete my account"})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    for table in [
        "auth_users",
        "auth_refresh_tokens",
        "auth_api_keys",
        "auth_password_resets",
        "auth_email_verifications",
        "auth_totp",
    ] {
        assert_eq!(app.count(table, &user_id).await, 0, "{table}");
    }
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ned@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

backend_tests!(password_reset_works_once_through_the_outbox_link);
async fn password_reset_works_once_through_the_outbox_link(db: TestDb) {
    let app = app(db, &[]).await;
    let old = token(&app.signup("ola@example.com").await, "access_token");
    let asked = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "ola@example.com"}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    // Unknown emails get the same answer.
    let unknown = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);

    let mails = email::Outbox::new(app.db.db.pool().clone())
        .bodies_for("ola@example.com")
        .await
        .unwrap();
    let link = mails
        .iter()
        .flat_map(|m| m.split_whitespace())
        .find(|w| w.contains("/reset/"))
        .unwrap();
    let reset_token = link.rsplit('/').next().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/auth/password/reset/{reset_token}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let weak = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": reset_token, "new_password": "password"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": reset_token, "new_password": "brand new sturdy passphrase"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.json());
    let twice = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": reset_token, "new_password": "another sturdy passphrase"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&old)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ola@example.com", "brand new sturdy passphrase")
            .await
            .status,
        StatusCode::OK
    );
}

backend_tests!(email_verification_link_from_the_outbox_works_once);
async fn email_verification_link_from_the_outbox_works_once(db: TestDb) {
    let app = app(db, &[]).await;
    let a = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "vic@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let verify_token = app
        .link_in_mail("vic@example.com", "/verify/")
        .await
        .unwrap();
    let done = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": verify_token}),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    // Verified through the older route: activated too.
    let login = app.login("vic@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.json());
    assert_eq!(login.json()["user"]["email_verified"], true);
    let again = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": verify_token}),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

backend_tests!(totp_second_factor);
async fn totp_second_factor(db: TestDb) {
    let app = app(db, &[]).await;
    let access = token(&app.signup("pat@example.com").await, "access_token");
    let setup = app
        .post("/api/v1/auth/2fa/setup", Some(&access), json!({}))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.json());
    assert!(token(&setup.json(), "otpauth_url").starts_with("otpauth://totp/"));
    assert!(token(&setup.json(), "qr_svg").contains("<svg"));
    let secret = token(&setup.json(), "secret");
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(secret).to_bytes().unwrap(),
        Some("Scanpage".into()),
        "pat@example.com".into(),
    )
    .unwrap();
    let wrong = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&access),
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let enabled = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&access),
            json!({"code": totp.generate_current().unwrap()}),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.json());
    let recovery = enabled.json()["recovery_codes"][0]
        .as_str()
        .unwrap()
        .to_owned();

    let step1 = app.login("pat@example.com", PASSWORD).await;
    assert_eq!(step1.json()["mfa_required"], true);
    assert!(step1.json().get("access_token").is_none());
    let mfa_token = token(&step1.json(), "mfa_token");
    // The MFA token is not an access token.
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&mfa_token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let done = app
        .post(
            "/api/v1/auth/login/mfa",
            None,
            json!({"mfa_token": mfa_token, "code": totp.generate_current().unwrap()}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json());

    // A recovery code works once.
    let again = token(
        &app.login("pat@example.com", PASSWORD).await.json(),
        "mfa_token",
    );
    let used = app
        .post(
            "/api/v1/auth/login/mfa",
            None,
            json!({"mfa_token": again, "code": recovery}),
        )
        .await;
    assert_eq!(used.status, StatusCode::OK);
    let reused = app
        .post(
            "/api/v1/auth/login/mfa",
            None,
            json!({"mfa_token": again, "code": recovery}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);

    let off = app
        .post(
            "/api/v1/auth/2fa/disable",
            Some(&access),
            json!({"code": totp.generate_current().unwrap()}),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    assert!(
        app.login("pat@example.com", PASSWORD)
            .await
            .json()
            .get("access_token")
            .is_some()
    );
}

#[tokio::test]
async fn jwks_serves_the_public_key() {
    let app = app(shared::testing::sqlite().await, &[]).await;
    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let key = &jwks.json()["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(key.get("d").is_none(), "never the private part");
}

#[tokio::test]
async fn failed_logins_are_limited_per_client_behind_a_trusted_proxy() {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use tower::ServiceExt;

    // Behind a proxy every connection comes from the proxy's range; the client is in the header.
    let login = |n: usize, forwarded: &str, peer: &str| {
        let body = json!({"email": format!("ghost{n}@example.com"), "password": "nope nope"});
        let mut request = Request::post("/api/v1/auth/login")
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(body.to_string()))
            .unwrap();
        let addr: std::net::SocketAddr = format!("{peer}:5000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
        request
    };
    // The limiter does not touch the database: SQLite is enough here.
    let app = app(shared::testing::sqlite().await, &[]).await;
    let stack = shared::http::finish(
        app.router.clone(),
        shared::http::Limits {
            client_addr: std::sync::Arc::new(shared::client_addr::Policy {
                trusted: shared::client_addr::TrustedProxies::parse("10.0.0.0/8").unwrap(),
                header: shared::client_addr::ForwardedHeader::XForwardedFor,
            }),
            ..Default::default()
        },
    );
    let status = |request: Request<Body>| {
        let stack = stack.clone();
        async move { stack.oneshot(request).await.unwrap().status() }
    };
    let limit = auth::limits::LOGIN_PER_IP.limit as usize;
    for n in 0..limit {
        // Two proxy instances, one client.
        let proxy = if n % 2 == 0 { "10.0.0.2" } else { "10.7.1.9" };
        assert_eq!(
            status(login(n, "203.0.113.9", proxy)).await,
            StatusCode::UNAUTHORIZED,
            "attempt {n}"
        );
    }
    let over = stack
        .clone()
        .oneshot(login(999, "203.0.113.9", "10.0.0.2"))
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.headers().contains_key("retry-after"));
    // Another client behind the same proxy is unaffected.
    assert_eq!(
        status(login(998, "203.0.113.10", "10.0.0.2")).await,
        StatusCode::UNAUTHORIZED
    );
    // A client claiming to be the limited one, connecting directly, is its own address.
    assert_eq!(
        status(login(997, "203.0.113.9", "198.51.100.1")).await,
        StatusCode::UNAUTHORIZED
    );
    // A spoofed hop left of the client's real one changes nothing.
    assert_eq!(
        status(login(996, "198.51.100.77, 203.0.113.9", "10.0.0.2")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn forgot(app: &common::App, email: &str) -> String {
    let asked = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": email}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    link_token(app, email, "/reset/").await
}

async fn reset_with(app: &common::App, reset_token: &str, new: &str) -> StatusCode {
    app.post(
        "/api/v1/auth/password/reset",
        None,
        json!({"token": reset_token, "new_password": new}),
    )
    .await
    .status
}

backend_tests!(a_password_change_ends_every_outstanding_reset_link);
/// The finding "old reset links survive", first half: a reset link still worked after its owner
/// changed the password. Also: links expire after 30 minutes.
async fn a_password_change_ends_every_outstanding_reset_link(db: TestDb) {
    let app = app(db, &[]).await;
    let access = token(&app.signup("rae@example.com").await, "access_token");
    let pending = forgot(&app, "rae@example.com").await;
    let changed = app
        .post(
            "/api/v1/auth/password",
            Some(&access),
            json!({"current_password": PASSWORD, "new_password": "a whole new passphrase here"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/auth/password/reset/{pending}"), None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        reset_with(&app, &pending, "the attacker's own passphrase").await,
        StatusCode::BAD_REQUEST
    );

    // A link past its 30 minutes is refused.
    let late = forgot(&app, "rae@example.com").await;
    sqlx::query("UPDATE auth_password_resets SET expires_at = $1")
        .bind(shared::ids::now_ms() - 1)
        .execute(app.db.db.pool())
        .await
        .unwrap();
    assert_eq!(
        reset_with(&app, &late, "yet another sturdy passphrase").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.login("rae@example.com", "a whole new passphrase here")
            .await
            .status,
        StatusCode::OK
    );
}

backend_tests!(only_the_newest_reset_link_works_and_only_once);
/// The finding "old reset links survive", second half: an older link still worked after a
/// newer one was used. Now asking for a new link ends the older ones, and using one ends all.
async fn only_the_newest_reset_link_works_and_only_once(db: TestDb) {
    let app = app(db, &[]).await;
    app.signup("ned@example.com").await;
    let older = forgot(&app, "ned@example.com").await;
    let newer = forgot(&app, "ned@example.com").await;
    assert_ne!(older, newer);
    assert_eq!(
        app.get(&format!("/api/v1/auth/password/reset/{older}"), None)
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "a newer link ends the older one"
    );
    assert_eq!(
        reset_with(&app, &newer, "brand new sturdy passphrase").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        reset_with(&app, &older, "the attacker's own passphrase").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        reset_with(&app, &newer, "another sturdy passphrase").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.login("ned@example.com", "brand new sturdy passphrase")
            .await
            .status,
        StatusCode::OK
    );
}

async fn login_with_agent(app: &common::App, email: &str, agent: &str) -> serde_json::Value {
    let request = axum::http::Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .header("user-agent", agent)
        .body(axum::body::Body::from(
            json!({"email": email, "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let a = app.send(request).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json());
    a.json()
}

const FIREFOX_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

backend_tests!(sessions_are_listed_and_signed_out_one_by_one_or_all_others);
async fn sessions_are_listed_and_signed_out_one_by_one_or_all_others(db: TestDb) {
    let app = app(db, &[]).await;
    let first = token(&app.signup("sid@example.com").await, "access_token");
    let laptop = token(
        &login_with_agent(&app, "sid@example.com", FIREFOX_WINDOWS).await,
        "access_token",
    );
    let phone = token(
        &login_with_agent(&app, "sid@example.com", CHROME_ANDROID).await,
        "access_token",
    );
    let listed = app.get("/api/v1/auth/sessions", Some(&laptop)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json());
    let sessions = listed.json()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox on Windows");
    assert!(
        sessions[0]["last_used_at"].as_i64().unwrap()
            >= sessions[0]["created_at"].as_i64().unwrap()
    );
    let body = listed.json().to_string();
    assert!(
        !body.contains("127.0.0.1") && !body.contains("Mozilla"),
        "no address, no raw agent"
    );
    let phone_id = sessions
        .iter()
        .find(|s| s["device"] == "Chrome on Android")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Someone else cannot end it.
    let other = token(&app.signup("eve@example.com").await, "access_token");
    let foreign = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{phone_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&phone)).await.status,
        StatusCode::OK
    );

    // Its owner can; the phone's token stops working at once.
    let out = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{phone_id}"),
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&phone)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // API keys cannot manage sessions.
    let key = app
        .post(
            "/api/v1/auth/api-keys",
            Some(&laptop),
            json!({"name": "ci"}),
        )
        .await;
    let key = token(&key.json(), "key");
    assert_eq!(
        app.get("/api/v1/auth/sessions", Some(&key)).await.status,
        StatusCode::FORBIDDEN
    );

    let others = app
        .post(
            "/api/v1/auth/sessions/revoke-others",
            Some(&laptop),
            json!({}),
        )
        .await;
    assert_eq!(others.status, StatusCode::OK);
    assert_eq!(others.json()["revoked"], 1);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&laptop)).await.status,
        StatusCode::OK
    );
    let left = app.get("/api/v1/auth/sessions", Some(&laptop)).await;
    assert_eq!(left.json()["sessions"].as_array().unwrap().len(), 1);
}

/// Turns two-factor on for a fresh account; answers its access token, a code generator and the
/// recovery codes.
async fn with_totp(app: &common::App, email: &str) -> (String, totp_rs::TOTP, Vec<String>) {
    let access = token(&app.signup(email).await, "access_token");
    let setup = app
        .post("/api/v1/auth/2fa/setup", Some(&access), json!({}))
        .await;
    let secret = token(&setup.json(), "secret");
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap(),
        Some("Scanpage".into()),
        email.into(),
    )
    .unwrap();
    // A typo keeps the pending secret: the page can show the same QR code again.
    let typo = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&access),
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    let pending = app.get("/api/v1/auth/2fa/setup", Some(&access)).await;
    assert_eq!(pending.status, StatusCode::OK, "{}", pending.json());
    assert_eq!(token(&pending.json(), "secret"), secret, "the same secret");
    let enabled = app
        .post(
            "/api/v1/auth/2fa/enable",
            Some(&access),
            json!({"code": totp.generate_current().unwrap()}),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.json());
    let codes = enabled.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (access, totp, codes)
}

backend_tests!(recovery_codes_are_unambiguous_and_typed_any_way);
async fn recovery_codes_are_unambiguous_and_typed_any_way(db: TestDb) {
    let app = app(db, &[]).await;
    let (_, _, codes) = with_totp(&app, "rex@example.com").await;
    assert_eq!(codes.len(), 10);
    for code in &codes {
        let (a, b) = code.split_once('-').unwrap();
        assert!(a.len() == 5 && b.len() == 5, "{code}");
        assert!(
            code.chars()
                .filter(|c| *c != '-')
                .all(|c| c.is_ascii_alphanumeric() && !"0oO1iIlL".contains(c)),
            "{code}"
        );
    }
    // Upper case without the dash, and lower case with it, both work (once each).
    for typed in [codes[0].to_uppercase().replace('-', ""), codes[1].clone()] {
        let step = token(
            &app.login("rex@example.com", PASSWORD).await.json(),
            "mfa_token",
        );
        let done = app
            .post(
                "/api/v1/auth/login/mfa",
                None,
                json!({"mfa_token": step, "code": typed}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{typed}: {}", done.json());
    }
    let step = token(
        &app.login("rex@example.com", PASSWORD).await.json(),
        "mfa_token",
    );
    let reused = app
        .post(
            "/api/v1/auth/login/mfa",
            None,
            json!({"mfa_token": step, "code": codes[0]}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
}

backend_tests!(wrong_second_factor_codes_are_slowed_like_passwords);
async fn wrong_second_factor_codes_are_slowed_like_passwords(db: TestDb) {
    let app = app(db, &[]).await;
    let (_, totp, _) = with_totp(&app, "mia@example.com").await;
    let step = token(
        &app.login("mia@example.com", PASSWORD).await.json(),
        "mfa_token",
    );
    let wrong = |n: u32| {
        format!(
            "{:06}",
            (totp.generate_current().unwrap().parse::<u32>().unwrap() + 500_000 + n) % 1_000_000
        )
    };
    for n in 0..auth::limits::LOGIN_BACKOFF.free {
        let a = app
            .post(
                "/api/v1/auth/login/mfa",
                None,
                json!({"mfa_token": step, "code": wrong(u32::try_from(n).unwrap())}),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let slowed = app
        .post(
            "/api/v1/auth/login/mfa",
            None,
            json!({"mfa_token": step, "code": wrong(99)}),
        )
        .await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(slowed.headers.contains_key("retry-after"));
}

backend_tests!(changing_the_email_needs_the_password_and_a_link_to_the_new_address);
async fn changing_the_email_needs_the_password_and_a_link_to_the_new_address(db: TestDb) {
    let app = app(db, &[]).await;
    let access = token(&app.signup("old@example.com").await, "access_token");
    let wrong = app
        .post(
            "/api/v1/auth/me/email",
            Some(&access),
            json!({"new_email": "new@example.com", "password": "not my password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.json()["error"]["field"],
        "password",
        "{}",
        wrong.json()
    );
    let asked = app
        .post(
            "/api/v1/auth/me/email",
            Some(&access),
            json!({"new_email": "New@Example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.json());
    // Nothing changes until the link is used.
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access)).await.json()["email"],
        "old@example.com"
    );
    let link = link_token(&app, "new@example.com", "/confirm-email/").await;
    let done = app
        .post(
            "/api/v1/auth/me/email/confirm",
            None,
            json!({"token": link}),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.json());
    let me = app.get("/api/v1/auth/me", Some(&access)).await.json();
    assert_eq!(me["email"], "new@example.com");
    assert_eq!(me["email_verified"], true);
    let notices = email::Outbox::new(app.db.db.pool().clone())
        .bodies_for("old@example.com")
        .await
        .unwrap();
    assert!(
        notices
            .iter()
            .any(|b| b.contains("was changed to new@example.com")),
        "{notices:?}"
    );
    let again = app
        .post(
            "/api/v1/auth/me/email/confirm",
            None,
            json!({"token": link}),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "single use");
    assert_eq!(
        app.login("new@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("old@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An address with an account is told, not linked; the caller sees the same answer.
    app.signup("taken@example.com").await;
    let taken = app
        .post(
            "/api/v1/auth/me/email",
            Some(&access),
            json!({"new_email": "taken@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::ACCEPTED);
    let told = email::Outbox::new(app.db.db.pool().clone())
        .bodies_for("taken@example.com")
        .await
        .unwrap();
    assert!(told.iter().any(|b| b.contains("already has an account")));
    assert!(!told.iter().any(|b| b.contains("/confirm-email/")));

    // A link older than a day is refused.
    let asked = app
        .post(
            "/api/v1/auth/me/email",
            Some(&access),
            json!({"new_email": "later@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let late = link_token(&app, "later@example.com", "/confirm-email/").await;
    sqlx::query("UPDATE auth_email_changes SET expires_at = $1")
        .bind(shared::ids::now_ms() - 1)
        .execute(app.db.db.pool())
        .await
        .unwrap();
    let expired = app
        .post(
            "/api/v1/auth/me/email/confirm",
            None,
            json!({"token": late}),
        )
        .await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
}
