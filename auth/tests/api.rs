//! The auth API as a user meets it, on SQLite and (when configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; clippy.toml only exempts #[test] functions"
)]

mod common;

use std::time::Instant;

use axum::http::{Method, StatusCode};
use common::{PASSWORD, app, app_with_redis, token};
use serde_json::json;
use shared::identity::{AUDIENCE, Claims, ISSUER, Role, Scope, Signer};
use shared::testing::databases;

#[tokio::test]
async fn signup_login_refresh_logout_me_round_trip() {
    for db in databases("round_trip").await {
        let app = app(db, &[]).await;
        let created = app.signup("  Ada@Example.com ").await;
        assert_eq!(created["user"]["email"], "ada@example.com");
        assert_eq!(created["user"]["role"], "user");
        assert_eq!(created["token_type"], "Bearer");
        assert_eq!(created["expires_in"], 900);

        let login = app.login("ada@example.com", PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.json);
        let access = token(&login.json, "access_token");
        let me = app.get("/api/v1/auth/me", Some(&access)).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json["email"], "ada@example.com");
        assert!(me.json["created_at"].as_i64().unwrap() > 0);

        let refreshed = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": token(&login.json, "refresh_token")}),
            )
            .await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.json);
        let access2 = token(&refreshed.json, "access_token");
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
                json!({"refresh_token": token(&refreshed.json, "refresh_token")}),
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
}

#[tokio::test]
async fn signup_does_not_tell_a_registered_address_from_a_new_one() {
    for db in databases("duplicate_email").await {
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
        assert_eq!(dup.status, StatusCode::ACCEPTED, "{}", dup.json);
        assert_eq!((dup.status, &dup.json), (fresh.status, &fresh.json));
        assert_eq!(dup.json["status"], "check_email");
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
                a.json
            );
            assert_eq!(a.json["error"]["field"], field);
        }
    }
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    for db in databases("unknown_vs_wrong").await {
        let app = app(db, &[]).await;
        app.signup("dan@example.com").await;
        // Warm the dummy hash so the first unknown-email login is not an outlier.
        app.login("warm@example.com", "whatever").await;
        let started = Instant::now();
        let wrong = app
            .login("dan@example.com", "not the password at all")
            .await;
        let wrong_time = started.elapsed();
        let started = Instant::now();
        let unknown = app
            .login("nobody@example.com", "not the password at all")
            .await;
        let unknown_time = started.elapsed();
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.json, unknown.json);
        assert_eq!(wrong.json["error"]["code"], "invalid_credentials");
        let ratio = wrong_time.as_secs_f64() / unknown_time.as_secs_f64();
        eprintln!("wrong password {wrong_time:?}, unknown email {unknown_time:?}");
        assert!(
            (0.33..3.0).contains(&ratio),
            "timings differ: {wrong_time:?} vs {unknown_time:?}"
        );
    }
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

#[tokio::test]
async fn forged_expired_foreign_and_none_tokens_are_401() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for db in databases("bad_tokens").await {
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
            assert_eq!(a.json["error"]["code"], "unauthenticated", "{what}");
        }
        assert_eq!(
            app.get("/api/v1/auth/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_family() {
    for db in databases("refresh_reuse").await {
        let app = app(db, &[]).await;
        let created = app.signup("fay@example.com").await;
        let r1 = token(&created, "refresh_token");
        let second = app
            .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
            .await;
        assert_eq!(second.status, StatusCode::OK);
        let r2 = token(&second.json, "refresh_token");
        let a2 = token(&second.json, "access_token");

        // The old token again: someone copied it. The whole family ends.
        let replay = app
            .post("/api/v1/auth/refresh", None, json!({"refresh_token": r1}))
            .await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        assert_eq!(replay.json["error"]["code"], "invalid_refresh_token");
        let r2_use = app
            .post("/api/v1/auth/refresh", None, json!({"refresh_token": r2}))
            .await;
        assert_eq!(r2_use.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.get("/api/v1/auth/me", Some(&a2)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn password_change_ends_every_other_session() {
    for db in databases("password_change").await {
        let app = app(db, &[]).await;
        app.signup("gil@example.com").await;
        let a = app.login("gil@example.com", PASSWORD).await.json;
        let b = app.login("gil@example.com", PASSWORD).await.json;
        let (a_access, b_access) = (token(&a, "access_token"), token(&b, "access_token"));

        let wrong = app
            .post(
                "/api/v1/auth/password",
                Some(&a_access),
                json!({"current_password": "nope", "new_password": "a whole new passphrase here"}),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.json["error"]["field"], "current_password");

        let changed = app
            .post("/api/v1/auth/password", Some(&a_access), json!({"current_password": PASSWORD, "new_password": "a whole new passphrase here"}))
            .await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.json);
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
}

async fn eleventh_failure_is_429(app: &common::App, email: &str) {
    app.signup(email).await;
    for attempt in 1..=10 {
        let a = app.login(email, "wrong wrong wrong").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let eleventh = app.login(email, "wrong wrong wrong").await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(eleventh.json["error"]["code"], "rate_limited");
    let wait: u64 = eleventh.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // Even the right password waits out the window: the limit is on the account.
    assert_eq!(
        app.login(email, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn eleventh_failed_login_is_rate_limited() {
    for db in databases("login_rate_limit").await {
        let app = app(db, &[]).await;
        eleventh_failure_is_429(&app, "hal@example.com").await;
    }
}

#[tokio::test]
async fn failed_login_counters_live_in_redis_when_configured() {
    let Some(url) = shared::testing::redis_url("login_rate_limit_redis") else {
        return;
    };
    let db = shared::testing::sqlite().await;
    let app = app_with_redis(db, &[], Some(url)).await;
    let email = format!("r{}@example.com", &shared::ids::new_id()[24..]);
    eleventh_failure_is_429(&app, &email).await;
}

#[tokio::test]
async fn a_megabyte_password_is_refused_before_hashing() {
    for db in databases("huge_password").await {
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
}

#[tokio::test]
async fn invite_mode_needs_an_unused_code() {
    for db in databases("invite_mode").await {
        let app = app(db, &["--signup-mode", "invite"]).await;
        let no_code = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "jo@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(no_code.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(no_code.json["error"]["field"], "invite_code");

        let auth = auth::service(&app.ctx).unwrap();
        let codes = auth.create_invites(1, None).await.unwrap();
        let ok = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "jo@example.com", "password": PASSWORD, "invite_code": codes[0]}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);
        app.confirm("jo@example.com").await;
        let reused = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "kim@example.com", "password": PASSWORD, "invite_code": codes[0]}),
            )
            .await;
        assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reused.json["error"]["field"], "invite_code");
    }
}

#[tokio::test]
async fn waitlist_mode_queues_then_approval_emails_and_the_chosen_password_signs_in() {
    for db in databases("waitlist_mode").await {
        let app = app(db, &["--signup-mode", "waitlist"]).await;
        let queued = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "lee@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(queued.status, StatusCode::ACCEPTED);
        assert_eq!(queued.json["waitlisted"], true);
        assert_eq!(queued.json["status"], "waitlisted");
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
        assert_eq!(login.status, StatusCode::OK, "{}", login.json);
        assert_eq!(login.json["user"]["email_verified"], true);
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
        assert_eq!((again.status, &again.json), (other.status, &other.json));
    }
}

#[tokio::test]
async fn an_unconfirmed_account_cannot_sign_in_and_its_link_comes_again() {
    for db in databases("unconfirmed_login").await {
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
        assert_eq!((right.status, &right.json), (wrong.status, &wrong.json));
        assert!(
            right.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Confirm your email"),
            "{}",
            right.json
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
        assert_eq!(old.json["error"]["code"], "invalid_token");
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
        assert_eq!(reused.json["error"]["code"], "invalid_token");
    }
}

#[tokio::test]
async fn a_stranger_signing_up_a_pending_address_cannot_choose_the_owners_password() {
    for db in databases("pending_resignup").await {
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
        assert_eq!(done.status, StatusCode::OK, "{}", done.json);
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
}

#[tokio::test]
async fn an_expired_confirmation_link_is_a_json_error_and_activates_nothing() {
    for db in databases("expired_confirmation").await {
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
        assert_eq!(late.json["error"]["code"], "invalid_token");
        assert!(late.json["error"]["message"].is_string());
        assert_eq!(
            app.login("old@example.com", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED,
            "still not active"
        );
    }
}

#[tokio::test]
async fn accounts_mail_their_owner_about_password_changes_new_devices_and_deletion() {
    for db in databases("account_mails").await {
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
                app.raw(request).await
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
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.json);
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
                Some(json!({"password": "brand new sturdy passphrase"})),
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.json);
        assert!(
            subjects(app.mails("ray@example.com").await)
                .last()
                .unwrap()
                .contains("was deleted")
        );
    }
}

#[tokio::test]
async fn a_founder_invites_by_email_and_the_link_carries_the_code() {
    for db in databases("invite_email").await {
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
        assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.json);
        app.confirm("zoe@example.com").await;
    }
}

#[tokio::test]
async fn founder_emails_become_founders() {
    for db in databases("founders").await {
        let app = app(db, &["--founder-emails", "boss@example.com,other@x.io"]).await;
        // Sign-up makes an ordinary user; the founder role comes with signing in.
        app.signup("Boss@example.com").await;
        assert_eq!(
            app.login("boss@example.com", PASSWORD).await.json["user"]["role"],
            "founder"
        );
        assert_eq!(
            app.signup("staff@example.com").await["user"]["role"],
            "user"
        );
        let auth = auth::service(&app.ctx).unwrap();
        assert!(auth.promote("staff@example.com").await.unwrap());
        let login = app.login("staff@example.com", PASSWORD).await;
        assert_eq!(login.json["user"]["role"], "founder");
    }
}

#[tokio::test]
async fn api_keys_are_shown_once_scoped_and_revocable() {
    for db in databases("api_keys").await {
        let app = app(db, &[]).await;
        let access = token(&app.signup("max@example.com").await, "access_token");
        let created = app
            .post(
                "/api/v1/auth/api-keys",
                Some(&access),
                json!({"name": "CI", "scopes": ["qr:read"]}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        let key = token(&created.json, "key");
        assert!(key.starts_with("spk_"));
        assert_eq!(created.json["scopes"], json!(["qr:read"]));

        let me = app.get("/api/v1/auth/me", Some(&key)).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json["email"], "max@example.com");

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
        assert_eq!(bad_scope.json["error"]["field"], "scopes");

        let list = app.get("/api/v1/auth/api-keys", Some(&access)).await;
        assert_eq!(list.json["api_keys"].as_array().unwrap().len(), 1);
        assert!(
            !list.json.to_string().contains(&key),
            "the key is never shown again"
        );

        let id = token(&created.json, "id");
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
}

#[tokio::test]
async fn deleting_the_account_removes_its_rows() {
    for db in databases("delete_account").await {
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
                Some(json!({"password": "nope"})),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        let export = app.get("/api/v1/auth/me/export", Some(&access)).await;
        assert_eq!(export.status, StatusCode::OK);
        assert_eq!(export.json["user"]["email"], "ned@example.com");
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
                Some(json!({"password": PASSWORD})),
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
}

#[tokio::test]
async fn password_reset_works_once_through_the_outbox_link() {
    for db in databases("password_reset").await {
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

        let mails = shared::future::email::Outbox::new(app.db.db.pool().clone())
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
        assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.json);
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
}

#[tokio::test]
async fn email_verification_link_from_the_outbox_works_once() {
    for db in databases("verify_email").await {
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
        assert_eq!(login.status, StatusCode::OK, "{}", login.json);
        assert_eq!(login.json["user"]["email_verified"], true);
        let again = app
            .post(
                "/api/v1/auth/verify-email",
                None,
                json!({"token": verify_token}),
            )
            .await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn totp_second_factor() {
    for db in databases("totp").await {
        let app = app(db, &[]).await;
        let access = token(&app.signup("pat@example.com").await, "access_token");
        let setup = app
            .post("/api/v1/auth/2fa/setup", Some(&access), json!({}))
            .await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.json);
        assert!(token(&setup.json, "otpauth_url").starts_with("otpauth://totp/"));
        assert!(token(&setup.json, "qr_svg").contains("<svg"));
        let secret = token(&setup.json, "secret");
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
        assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.json);
        let recovery = enabled.json["recovery_codes"][0]
            .as_str()
            .unwrap()
            .to_owned();

        let step1 = app.login("pat@example.com", PASSWORD).await;
        assert_eq!(step1.json["mfa_required"], true);
        assert!(step1.json.get("access_token").is_none());
        let mfa_token = token(&step1.json, "mfa_token");
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
        assert_eq!(done.status, StatusCode::OK, "{}", done.json);

        // A recovery code works once.
        let again = token(
            &app.login("pat@example.com", PASSWORD).await.json,
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
                .json
                .get("access_token")
                .is_some()
        );
    }
}

#[tokio::test]
async fn jwks_serves_the_public_key() {
    let app = app(shared::testing::sqlite().await, &[]).await;
    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let key = &jwks.json["keys"][0];
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
