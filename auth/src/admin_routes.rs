//! `/api/v1/auth/admin/*`: the founder's view of accounts, the waitlist and invite codes.
//! Founders only; for anyone else these routes do not exist (404).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use shared::extract::Json;
use shared::identity::Founder;
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use crate::contract::{
    AdminUser, AdminWaitlistEntry, Approved, CreateInvites, EmailBody, Invite, InviteCodes,
    UserBody,
};
use crate::error::AuthError;
use crate::routes::AuthState;

pub(crate) fn api() -> OpenApiRouter<AuthState> {
    OpenApiRouter::new()
        .routes(routes!(users))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(waitlist))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(invites, create_invites))
}

#[utoipa::path(get, path = "/api/v1/auth/admin/users",
    responses((status = 200, description = "Every account (founders only)", body = Vec<AdminUser>)))]
async fn users(State(s): State<AuthState>, _: Founder) -> Result<Json<Vec<AdminUser>>, AuthError> {
    let rows = s.auth.list_users().await?;
    Ok(Json(
        rows.into_iter()
            .map(|u| AdminUser {
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

#[utoipa::path(post, path = "/api/v1/auth/admin/users/disable", request_body = UserBody,
    responses((status = 204, description = "Disabled; its sessions are ended")))]
async fn disable_user(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<UserBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.disable_user(&body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/auth/admin/users/enable", request_body = UserBody,
    responses((status = 204, description = "Enabled again")))]
async fn enable_user(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<UserBody>,
) -> Result<StatusCode, AuthError> {
    s.auth.enable_user(&body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/auth/admin/waitlist",
    responses((status = 200, description = "The waitlist, with each entry's status", body = Vec<AdminWaitlistEntry>)))]
async fn waitlist(
    State(s): State<AuthState>,
    _: Founder,
) -> Result<Json<Vec<AdminWaitlistEntry>>, AuthError> {
    let rows = s.auth.waitlist().await?;
    Ok(Json(
        rows.into_iter()
            .map(|entry| AdminWaitlistEntry {
                status: entry.status().to_owned(),
                email: entry.email,
                created_at: entry.created_at,
                invite_code: entry.invite_code,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/auth/admin/waitlist/approve", request_body = EmailBody,
    responses((status = 200, description = "Approved: the account is made with the password chosen at sign-up and its owner emailed a sign-in link (entries from before passwords were kept are emailed an invite link instead)", body = Approved)))]
async fn approve(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<EmailBody>,
) -> Result<impl IntoResponse, AuthError> {
    match s.auth.approve_waitlisted(&body.email).await? {
        Some(invite_code) => Ok(Json(Approved { invite_code })),
        None => Err(AuthError::NotFound),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/admin/waitlist/reject", request_body = EmailBody,
    responses((status = 204, description = "Rejected")))]
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

#[utoipa::path(get, path = "/api/v1/auth/admin/invites",
    responses((status = 200, description = "Every invite code and who used it", body = Vec<Invite>)))]
async fn invites(State(s): State<AuthState>, _: Founder) -> Result<Json<Vec<Invite>>, AuthError> {
    Ok(Json(s.auth.invites().await?))
}

#[utoipa::path(post, path = "/api/v1/auth/admin/invites", request_body = CreateInvites,
    responses((status = 201, description = "The new codes (with `email`: the one code sent to that address)", body = InviteCodes)))]
async fn create_invites(
    State(s): State<AuthState>,
    _: Founder,
    Json(body): Json<CreateInvites>,
) -> Result<impl IntoResponse, AuthError> {
    if let Some(email) = body.email.as_deref().filter(|e| !e.trim().is_empty()) {
        if body.count != 1 {
            return Err(AuthError::invalid("count", "an emailed invite is one code"));
        }
        let code = s.auth.invite_by_email(email, body.label.as_deref()).await?;
        return Ok((StatusCode::CREATED, Json(InviteCodes { codes: vec![code] })));
    }
    let codes = s
        .auth
        .create_invites(body.count, body.label.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(InviteCodes { codes })))
}
