//! The JSON API under `/api/v1/auth`. Handlers are thin: extract, authorise, call [`Auth`],
//! answer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use shared::extract::Json;
use shared::identity::{Identity, Principal};

use crate::domain::Attribution;
use crate::error::AuthError;
use crate::service::{Auth, LoginOutcome, SignupOutcome};

#[derive(Clone)]
pub struct AuthState {
    pub auth: Arc<Auth>,
}

impl FromRef<AuthState> for Identity {
    fn from_ref(state: &AuthState) -> Identity {
        state.auth.identity.clone()
    }
}

/// Credentials bodies are tiny: anything over 4 KiB is refused before it is read, let alone
/// hashed (a megabyte password must not cost a megabyte of argon2 input).
const CREDENTIALS_BODY_LIMIT: usize = 4 * 1024;

pub fn router(state: AuthState) -> Router {
    let small = || DefaultBodyLimit::max(CREDENTIALS_BODY_LIMIT);
    Router::new()
        .route("/api/v1/auth/signup", post(signup).layer(small()))
        .route("/api/v1/auth/login", post(login).layer(small()))
        .route("/api/v1/auth/login/mfa", post(login_mfa).layer(small()))
        .route("/api/v1/auth/refresh", post(refresh).layer(small()))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me).delete(delete_me).layer(small()))
        .route("/api/v1/auth/me/export", get(export))
        .route(
            "/api/v1/auth/password",
            post(change_password).layer(small()),
        )
        .route(
            "/api/v1/auth/password/forgot",
            post(forgot_password).layer(small()),
        )
        .route(
            "/api/v1/auth/password/reset",
            post(reset_password).layer(small()),
        )
        .route(
            "/api/v1/auth/password/reset/{token}",
            get(reset_token_status),
        )
        .route(
            "/api/v1/auth/verify-email",
            post(verify_email).layer(small()),
        )
        .route(
            "/api/v1/auth/api-keys",
            post(create_api_key).get(list_api_keys),
        )
        .route("/api/v1/auth/api-keys/{id}", delete(delete_api_key))
        .route("/api/v1/auth/2fa/setup", post(totp_setup))
        .route("/api/v1/auth/2fa/enable", post(totp_enable))
        .route("/api/v1/auth/2fa/disable", post(totp_disable))
        .route("/.well-known/jwks.json", get(jwks))
        .merge(crate::admin_routes::router())
        .with_state(state)
}

/// The client's address; only ever hashed (for rate limits), never kept or logged. From the
/// connection when there is one. A call without a connection is in-process (the web pages):
/// then the browser's address comes in a header only such a caller can make us believe.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return Ok(ClientIp(Some(addr.ip())));
        }
        Ok(ClientIp(
            parts
                .headers
                .get(crate::client::CLIENT_IP_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok()),
        ))
    }
}

#[derive(Deserialize)]
struct SignupBody {
    email: String,
    password: String,
    invite_code: Option<String>,
    utm_source: Option<String>,
    referrer: Option<String>,
}

async fn signup(
    State(s): State<AuthState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<SignupBody>,
) -> Result<Response, AuthError> {
    let outcome = s
        .auth
        .signup(
            &body.email,
            &body.password,
            body.invite_code.as_deref(),
            &Attribution::clean(body.utm_source.as_deref(), body.referrer.as_deref()),
            ip,
        )
        .await?;
    Ok(match outcome {
        SignupOutcome::Created(tokens) => (StatusCode::CREATED, Json(tokens)).into_response(),
        SignupOutcome::Waitlisted => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({
                "waitlisted": true,
                "message": "You're on the waitlist; we'll email you an invite."
            })),
        )
            .into_response(),
    })
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

async fn login(
    State(s): State<AuthState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<LoginBody>,
) -> Result<Response, AuthError> {
    Ok(match s.auth.login(&body.email, &body.password, ip).await? {
        LoginOutcome::Tokens(tokens) => Json(tokens).into_response(),
        LoginOutcome::MfaRequired { mfa_token } => Json(serde_json::json!({
            "mfa_required": true,
            "mfa_token": mfa_token,
        }))
        .into_response(),
    })
}

#[derive(Deserialize)]
struct MfaBody {
    mfa_token: String,
    code: String,
}

async fn login_mfa(
    State(s): State<AuthState>,
    Json(body): Json<MfaBody>,
) -> Result<Response, AuthError> {
    let tokens = s.auth.login_mfa(&body.mfa_token, &body.code).await?;
    Ok(Json(tokens).into_response())
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

async fn refresh(
    State(s): State<AuthState>,
    Json(body): Json<RefreshBody>,
) -> Result<Response, AuthError> {
    Ok(Json(s.auth.refresh(&body.refresh_token).await?).into_response())
}

async fn logout(State(s): State<AuthState>, principal: Principal) -> Result<StatusCode, AuthError> {
    let sid = principal.require_session()?;
    s.auth.end_session(sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(s): State<AuthState>, principal: Principal) -> Result<Response, AuthError> {
    Ok(Json(s.auth.me(&principal).await?).into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
}

async fn delete_me(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<PasswordBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.delete_account(&principal, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn export(State(s): State<AuthState>, principal: Principal) -> Result<Response, AuthError> {
    let data = s.auth.export(&principal).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"scanpage-account.json\"",
        )],
        Json(data),
    )
        .into_response())
}

#[derive(Deserialize)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<ChangePasswordBody>,
) -> Result<StatusCode, AuthError> {
    s.auth
        .change_password(&principal, &body.current_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ForgotBody {
    email: String,
}

async fn forgot_password(
    State(s): State<AuthState>,
    Json(body): Json<ForgotBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.forgot_password(&body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn verify_email(
    State(s): State<AuthState>,
    Json(body): Json<TokenBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.verify_email(&body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ResetBody {
    token: String,
    new_password: String,
}

async fn reset_password(
    State(s): State<AuthState>,
    Json(body): Json<ResetBody>,
) -> Result<StatusCode, AuthError> {
    s.auth
        .reset_password(&body.token, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lets the reset page say "this link has expired" before the user types a new password.
async fn reset_token_status(
    State(s): State<AuthState>,
    Path(token): Path<String>,
) -> Result<StatusCode, AuthError> {
    if s.auth.reset_token_is_usable(&token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AuthError::InvalidToken)
    }
}

#[derive(Deserialize)]
struct CreateKeyBody {
    name: String,
    scopes: Option<Vec<String>>,
}

async fn create_api_key(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<CreateKeyBody>,
) -> Result<Response, AuthError> {
    let (key, secret) = s
        .auth
        .create_api_key(&principal, &body.name, body.scopes)
        .await?;
    let mut json = serde_json::to_value(key).map_err(AuthError::internal)?;
    json["key"] = serde_json::Value::String(secret);
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

async fn list_api_keys(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    let keys = s.auth.list_api_keys(&principal).await?;
    Ok(Json(serde_json::json!({ "api_keys": keys })).into_response())
}

async fn delete_api_key(
    State(s): State<AuthState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, AuthError> {
    s.auth.delete_api_key(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn totp_setup(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    Ok(Json(s.auth.totp_setup(&principal).await?).into_response())
}

#[derive(Deserialize)]
struct CodeBody {
    code: String,
}

async fn totp_enable(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<CodeBody>,
) -> Result<Response, AuthError> {
    let codes = s.auth.totp_enable(&principal, &body.code).await?;
    Ok(Json(serde_json::json!({ "enabled": true, "recovery_codes": codes })).into_response())
}

async fn totp_disable(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<CodeBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.totp_disable(&principal, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn jwks(State(s): State<AuthState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(s.auth.identity.jwks()),
    )
        .into_response()
}
