//! `/api/v1/qr/admin/*`: the founder's moderation of codes and destinations. Founders only; for
//! anyone else these routes do not exist (404), and nobody signed in gets 401.

use axum::extract::State;
use axum::http::StatusCode;
use shared::ApiError;
use shared::extract::{Json, Query};
use shared::identity::Founder;
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use crate::api_state::ApiState;
pub use crate::contract::BlocklistView;
use crate::contract::{BlockBody, Blocked, CodeLookup, CodeRef, DisableBody, UnblockBody};

pub(crate) fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(lookup))
        .routes(routes!(disable))
        .routes(routes!(enable))
        .routes(routes!(blocklist, block))
        .routes(routes!(unblock))
}

/// `?code=` or `?id=`.
#[utoipa::path(get, path = "/api/v1/qr/admin/lookup", params(CodeRef),
    responses((status = 200, description = "The code, its owner and its moderation state (founders only)", body = CodeLookup)))]
async fn lookup(
    State(state): State<ApiState>,
    _: Founder,
    Query(which): Query<CodeRef>,
) -> Result<Json<CodeLookup>, ApiError> {
    Ok(Json(state.service.lookup(&which).await?))
}

#[utoipa::path(post, path = "/api/v1/qr/admin/disable", request_body = DisableBody,
    responses((status = 200, description = "Disabled", body = CodeLookup)))]
async fn disable(
    State(state): State<ApiState>,
    _: Founder,
    Json(body): Json<DisableBody>,
) -> Result<Json<CodeLookup>, ApiError> {
    let which = CodeRef {
        code: body.code,
        id: body.id,
    };
    Ok(Json(
        state.service.disable_code(&which, &body.reason).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/qr/admin/enable", request_body = CodeRef,
    responses((status = 200, description = "Enabled again", body = CodeLookup)))]
async fn enable(
    State(state): State<ApiState>,
    _: Founder,
    Json(which): Json<CodeRef>,
) -> Result<Json<CodeLookup>, ApiError> {
    Ok(Json(state.service.enable_code(&which).await?))
}

#[utoipa::path(get, path = "/api/v1/qr/admin/blocklist",
    responses((status = 200, description = "Blocked domains", body = BlocklistView)))]
async fn blocklist(
    State(state): State<ApiState>,
    _: Founder,
) -> Result<Json<BlocklistView>, ApiError> {
    Ok(Json(BlocklistView {
        domains: state.service.blocked_domains().await?,
        file_domains: state.service.moderation().file_domains(),
    }))
}

#[utoipa::path(post, path = "/api/v1/qr/admin/blocklist", request_body = BlockBody,
    responses((status = 201, description = "Blocked (the domain as stored)", body = Blocked)))]
async fn block(
    State(state): State<ApiState>,
    _: Founder,
    Json(body): Json<BlockBody>,
) -> Result<(StatusCode, Json<Blocked>), ApiError> {
    let domain = state
        .service
        .block_domain(&body.domain, &body.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(Blocked { domain })))
}

#[utoipa::path(post, path = "/api/v1/qr/admin/blocklist/remove", request_body = UnblockBody,
    responses((status = 204, description = "Unblocked")))]
async fn unblock(
    State(state): State<ApiState>,
    _: Founder,
    Json(body): Json<UnblockBody>,
) -> Result<StatusCode, ApiError> {
    state.service.unblock_domain(&body.domain).await?;
    Ok(StatusCode::NO_CONTENT)
}
