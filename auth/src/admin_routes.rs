//! `/api/v1/auth/admin/*`: the founder's view of accounts, the waitlist and invite codes.
//! Founders only; for anyone else these routes do not exist (404).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;
use shared::extract::Json;
use shared::identity::Founder;

use crate::error::AuthError;
use crate::routes::AuthState;
use crate::store::gate::{Invite, WaitlistEntry};

pub fn router() -> Router<AuthState> {
    Router::new()
        .route("/api/v1/auth/admin/users", get(users))
        .route("/api/v1/auth/admin/users/disable", post(disable_user))
        .route("/api/v1/auth/admin/users/enable", post(enable_user))
        .route("/api/v1/auth/admin/waitlist", get(waitlist))
        .route("/api/v1/auth/admin/waitlist/approve", post(approve))
        .route("/api/v1/auth/admin/waitlist/reject", post(reject))
        .route(
            "/api/v1/auth/admin/invites",
            get(invites).post(create_invites),
        )
}

#[derive(serde::Serialize)]
struct UserRow {
    id: String,
    email: String,
    role: String,
    created_at: i64,
    source: String,
    invite_code: Option<String>,
    email_verified: bool,
    demo: bool,
    disabled: bool,
}

async fn users(State(s): State<AuthState>, _: Founder) -> Result<Json<Vec<UserRow>>, AuthError> {
    let rows = s.auth.list_users().await?;
    Ok(Json(
        rows.into_iter()
            .map(|u| UserRow {
                email_verified: u.email_verified_at.is_some(),
                demo: u.demo == 1,
                disabled: u.disabled_at.is_some(),
                source: u.source.unwrap_or_else(|| "direct".to_owned()),
                id: u.id,
                email: u.email,
                role: u.role,
                created_at: u.created_at,
                invite_code: u.invite_code,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct UserBody {
    user_id: String,
}

async fn disable_user(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<UserBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.disable_user(&body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_user(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<UserBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.enable_user(&body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Serialize)]
struct WaitlistRow {
    #[serde(flatten)]
    entry: WaitlistEntry,
    status: &'static str,
}

async fn waitlist(
    State(s): State<AuthState>,
    _: Founder,
) -> Result<Json<Vec<WaitlistRow>>, AuthError> {
    let rows = s.auth.waitlist().await?;
    Ok(Json(
        rows.into_iter()
            .map(|entry| WaitlistRow {
                status: entry.status(),
                entry,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct EmailBody {
    email: String,
}

async fn approve(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<EmailBody>,
) -> Result<impl IntoResponse, AuthError> {
    match s.auth.approve_waitlisted(&body.email).await? {
        Some(code) => Ok(Json(serde_json::json!({"invite_code": code}))),
        None => Err(AuthError::NotFound),
    }
}

async fn reject(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<EmailBody>,
) -> Result<StatusCode, AuthError> {
    if s.auth.reject_waitlisted(&body.email).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AuthError::NotFound)
    }
}

async fn invites(State(s): State<AuthState>, _: Founder) -> Result<Json<Vec<Invite>>, AuthError> {
    Ok(Json(s.auth.invites().await?))
}

#[derive(Deserialize)]
struct CreateInvites {
    count: usize,
    label: Option<String>,
}

async fn create_invites(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<CreateInvites>,
) -> Result<impl IntoResponse, AuthError> {
    let codes = s
        .auth
        .create_invites(body.count, body.label.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"codes": codes})),
    ))
}
