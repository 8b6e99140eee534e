//! The JSON API under `/api/v1/auth`. Handlers are thin: extract, authorise, call [`Auth`],
//! answer.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use shared::client_addr::ClientAddr;
use shared::extract::Json;
use shared::identity::{Identity, Principal};
use shared::openapi::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::contract::{
    ApiKeyCreated, ApiKeys, ChangeEmailBody, ChangePasswordBody, CodeBody, ConfirmBody,
    CreateKeyBody, DeleteAccountBody, ForgotBody, LoginAnswer, LoginBody, MfaBody, MfaRequired,
    RefreshBody, ResetBody, Revoked, Sessions, SignupAnswer, SignupBody, TokenBody, TotpEnabled,
};
use crate::domain::Attribution;
use crate::error::AuthError;
use crate::service::{Auth, Device, LoginOutcome, SignupOutcome, Tokens, TotpSetup, UserView};

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

/// The JSON API's routes with their OpenAPI entries (`routes!` registers both at once).
fn api() -> OpenApiRouter<AuthState> {
    let small = || DefaultBodyLimit::max(CREDENTIALS_BODY_LIMIT);
    OpenApiRouter::new()
        .routes(routes!(signup).layer(small()))
        .routes(routes!(login).layer(small()))
        .routes(routes!(login_mfa).layer(small()))
        .routes(routes!(refresh).layer(small()))
        .routes(routes!(logout))
        .routes(routes!(me, delete_me).layer(small()))
        .routes(routes!(export))
        .routes(routes!(change_password).layer(small()))
        .routes(routes!(forgot_password).layer(small()))
        .routes(routes!(reset_password).layer(small()))
        .routes(routes!(reset_token_status))
        .routes(routes!(verify_email).layer(small()))
        .routes(routes!(confirm).layer(small()))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(delete_api_key))
        .routes(routes!(totp_setup, totp_pending))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(revoke_other_sessions))
        .routes(routes!(change_email).layer(small()))
        .routes(routes!(confirm_email_change).layer(small()))
        .routes(routes!(totp_enable))
        .routes(routes!(totp_disable))
        .merge(crate::admin_routes::api())
}

pub fn router(state: AuthState) -> Router {
    let (api, _) = api().split_for_parts();
    api.route("/.well-known/jwks.json", get(jwks))
        .with_state(state)
}

/// The OpenAPI entries of auth's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "auth")
}

#[utoipa::path(post, path = "/api/v1/auth/signup", security(()), request_body = SignupBody,
    responses(
        (status = 202, description = "`status: check_email`: the same answer whether or not the \
            address has an account (no enumeration). A new account is not active until the link \
            in the email (`{PUBLIC_BASE_URL}/verify/{token}`, or `POST /api/v1/auth/verify`) is \
            used; a registered address is told by email that someone tried. With \
            `SIGNUP_MODE=waitlist` and no invite code: `status: waitlisted` for every address.",
            body = SignupAnswer),
    ))]
async fn signup(
    State(s): State<AuthState>,
    ClientAddr(ip): ClientAddr,
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
    let answer = match outcome {
        SignupOutcome::CheckEmail => SignupAnswer {
            status: "check_email",
            waitlisted: false,
            message: "Check your email: follow the link in it to activate your account and sign in.",
        },
        SignupOutcome::Waitlisted => SignupAnswer {
            status: "waitlisted",
            waitlisted: true,
            message: "You're on the waitlist; we'll email you when your account is ready.",
        },
    };
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// The device a sign-in came from: the caller's identifier if it sends one (the web sends its
/// long-lived device cookie), and the user agent it names or the request's own.
fn device(headers: &HeaderMap, id: Option<String>, user_agent: Option<String>) -> Device {
    Device {
        id,
        user_agent: user_agent.or_else(|| {
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        }),
    }
}

/// Answers a login-shaped outcome; a finished sign-in has its device noted.
async fn signed_in(
    auth: &Auth,
    outcome: LoginOutcome,
    device: &Device,
) -> Result<Response, AuthError> {
    Ok(match outcome {
        LoginOutcome::Tokens(tokens) => {
            auth.note_sign_in(&tokens.user.id, device).await?;
            Json(tokens).into_response()
        }
        LoginOutcome::MfaRequired { mfa_token } => Json(MfaRequired {
            mfa_required: true,
            mfa_token,
        })
        .into_response(),
    })
}

#[utoipa::path(post, path = "/api/v1/auth/login", security(()), request_body = LoginBody,
    responses(
        (status = 200, description = "Tokens, or `mfa_required` with a token for the second step",
            body = inline(LoginAnswer)),
    ))]
async fn login(
    State(s): State<AuthState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> Result<Response, AuthError> {
    let device = device(&headers, body.device_id, body.user_agent);
    let outcome = s
        .auth
        .login(&body.email, &body.password, ip, user_agent(&headers))
        .await?;
    signed_in(&s.auth, outcome, &device).await
}

#[utoipa::path(post, path = "/api/v1/auth/login/mfa", security(()), request_body = MfaBody,
    responses((status = 200, description = "Tokens", body = Tokens)))]
async fn login_mfa(
    State(s): State<AuthState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Json(body): Json<MfaBody>,
) -> Result<Response, AuthError> {
    let device = device(&headers, body.device_id, body.user_agent);
    let tokens = s
        .auth
        .login_mfa(&body.mfa_token, &body.code, ip, user_agent(&headers))
        .await?;
    signed_in(&s.auth, LoginOutcome::Tokens(tokens), &device).await
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", security(()), request_body = RefreshBody,
    responses((status = 200, description = "A new token pair (the old refresh token is spent)", body = Tokens)))]
async fn refresh(
    State(s): State<AuthState>,
    Json(body): Json<RefreshBody>,
) -> Result<Response, AuthError> {
    Ok(Json(s.auth.refresh(&body.refresh_token).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/logout",
    responses((status = 204, description = "The session is over")))]
async fn logout(State(s): State<AuthState>, principal: Principal) -> Result<StatusCode, AuthError> {
    let sid = principal.require_session()?;
    s.auth.end_session(sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/auth/me",
    responses((status = 200, description = "The caller", body = UserView)))]
async fn me(State(s): State<AuthState>, principal: Principal) -> Result<Response, AuthError> {
    Ok(Json(s.auth.me(&principal).await?).into_response())
}

#[utoipa::path(delete, path = "/api/v1/auth/me", request_body = DeleteAccountBody,
    responses(
        (status = 204, description = "The account and its data are deleted"),
        (status = 422, description = "Wrong password, or `confirm` is not `delete my account`; nothing is deleted"),
    ))]
async fn delete_me(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<DeleteAccountBody>,
) -> Result<StatusCode, AuthError> {
    s.auth
        .delete_account(&principal, &body.password, &body.confirm)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/auth/me/export",
    responses(
        (status = 200, description = "Everything auth keeps about the caller, as a download", body = serde_json::Value),
        (status = 403, description = "An API key without the `account:read` scope"),
    ))]
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

#[utoipa::path(post, path = "/api/v1/auth/password", request_body = ChangePasswordBody,
    responses((status = 204, description = "Changed; other sessions are ended")))]
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

#[utoipa::path(post, path = "/api/v1/auth/password/forgot", security(()), request_body = ForgotBody,
    responses((status = 202, description = "A reset link is on its way if the account exists")))]
async fn forgot_password(
    State(s): State<AuthState>,
    Json(body): Json<ForgotBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.forgot_password(&body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(post, path = "/api/v1/auth/verify-email", security(()), request_body = TokenBody,
    responses((status = 204, description = "The address is verified (and the account activated); see `/api/v1/auth/verify` to be signed in too")))]
async fn verify_email(
    State(s): State<AuthState>,
    Json(body): Json<TokenBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.verify_email(&body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uses the confirmation link of a sign-up: activates the account, verifies the address and
/// signs in. A used or expired link is `400 invalid_token`.
#[utoipa::path(post, path = "/api/v1/auth/verify", security(()), request_body = ConfirmBody,
    responses((status = 200, description = "Tokens, as a login answers (or `mfa_required`)",
        body = inline(LoginAnswer))))]
async fn confirm(
    State(s): State<AuthState>,
    headers: HeaderMap,
    Json(body): Json<ConfirmBody>,
) -> Result<Response, AuthError> {
    let device = device(&headers, body.device_id, body.user_agent);
    let outcome = s.auth.confirm(&body.token).await?;
    signed_in(&s.auth, outcome, &device).await
}

#[utoipa::path(post, path = "/api/v1/auth/password/reset", security(()), request_body = ResetBody,
    responses((status = 204, description = "The password is reset; every session is ended")))]
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
#[utoipa::path(get, path = "/api/v1/auth/password/reset/{token}", security(()),
    params(("token" = String, Path, description = "The token from the reset link")),
    responses((status = 204, description = "The token can still be used")))]
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

#[utoipa::path(post, path = "/api/v1/auth/api-keys", request_body = CreateKeyBody,
    responses((status = 201, description = "The key; `key` is shown only this once", body = ApiKeyCreated)))]
async fn create_api_key(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<CreateKeyBody>,
) -> Result<Response, AuthError> {
    let (key, secret) = s
        .auth
        .create_api_key(&principal, &body.name, body.scopes)
        .await?;
    let created = ApiKeyCreated {
        info: key,
        key: secret,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(get, path = "/api/v1/auth/api-keys",
    responses(
        (status = 200, description = "The caller's keys (without secrets)", body = ApiKeys),
        (status = 403, description = "An API key without the `account:read` scope"),
    ))]
async fn list_api_keys(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    let keys = s.auth.list_api_keys(&principal).await?;
    Ok(Json(ApiKeys { api_keys: keys }).into_response())
}

#[utoipa::path(delete, path = "/api/v1/auth/api-keys/{id}",
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked")))]
async fn delete_api_key(
    State(s): State<AuthState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, AuthError> {
    s.auth.delete_api_key(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/auth/2fa/setup",
    responses((status = 200, description = "A pending secret to confirm with /2fa/enable", body = TotpSetup)))]
async fn totp_setup(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    Ok(Json(s.auth.totp_setup(&principal).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/2fa/enable", request_body = CodeBody,
    responses((status = 200, description = "On; the one-time recovery codes", body = TotpEnabled)))]
async fn totp_enable(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<CodeBody>,
) -> Result<Response, AuthError> {
    let codes = s.auth.totp_enable(&principal, &body.code).await?;
    Ok(Json(TotpEnabled {
        enabled: true,
        recovery_codes: codes,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/2fa/disable", request_body = CodeBody,
    responses((status = 204, description = "Off")))]
async fn totp_disable(
    State(s): State<AuthState>,
    principal: Principal,
    ClientAddr(ip): ClientAddr,
    Json(body): Json<CodeBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.totp_disable(&principal, &body.code, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The pending setup again (same secret), for a page that must show it after a mistyped code.
#[utoipa::path(get, path = "/api/v1/auth/2fa/setup",
    responses((status = 200, description = "The pending secret, unchanged", body = TotpSetup)))]
async fn totp_pending(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    Ok(Json(s.auth.totp_pending(&principal).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/auth/sessions",
    responses((status = 200, description = "The caller's signed-in sessions, the current one marked", body = Sessions)))]
async fn list_sessions(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    let sessions = s.auth.list_sessions(&principal).await?;
    Ok(Json(Sessions { sessions }).into_response())
}

#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}",
    params(("id" = String, Path, description = "The session's id")),
    responses((status = 204, description = "That session is signed out")))]
async fn revoke_session(
    State(s): State<AuthState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, AuthError> {
    s.auth.revoke_session(&principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/auth/sessions/revoke-others",
    responses((status = 200, description = "Every other session is signed out", body = Revoked)))]
async fn revoke_other_sessions(
    State(s): State<AuthState>,
    principal: Principal,
) -> Result<Response, AuthError> {
    let revoked = s.auth.revoke_other_sessions(&principal).await?;
    Ok(Json(Revoked { revoked }).into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/me/email", request_body = ChangeEmailBody,
    responses((status = 202, description = "A confirmation link is on its way to the new address; nothing changes until it is used")))]
async fn change_email(
    State(s): State<AuthState>,
    principal: Principal,
    Json(body): Json<ChangeEmailBody>,
) -> Result<StatusCode, AuthError> {
    s.auth
        .request_email_change(&principal, &body.new_email, &body.password)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(post, path = "/api/v1/auth/me/email/confirm", security(()), request_body = TokenBody,
    responses((status = 204, description = "The account's address is now the new one")))]
async fn confirm_email_change(
    State(s): State<AuthState>,
    Json(body): Json<TokenBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.confirm_email_change(&body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's User-Agent, for the session's device label (never stored as such).
fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

async fn jwks(State(s): State<AuthState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(s.auth.identity.jwks()),
    )
        .into_response()
}
