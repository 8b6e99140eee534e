//! `/api/v1/qr/admin/*`: the founder's moderation of codes and destinations. Founders only; for
//! anyone else these routes do not exist (404), and nobody signed in gets 401.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use shared::ApiError;
use shared::extract::{Json, Query};
use shared::identity::Founder;

use crate::api::ApiState;
use crate::moderation::{CodeLookup, CodeRef};
use crate::store::BlockedDomain;

pub fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/qr/admin/lookup", get(lookup))
        .route("/api/v1/qr/admin/disable", post(disable))
        .route("/api/v1/qr/admin/enable", post(enable))
        .route("/api/v1/qr/admin/blocklist", get(blocklist).post(block))
        .route("/api/v1/qr/admin/blocklist/remove", post(unblock))
}

/// `?code=` or `?id=`.
async fn lookup(
    State(state): State<ApiState>,
    _: Founder,
    Query(which): Query<CodeRef>,
) -> Result<Json<CodeLookup>, ApiError> {
    Ok(Json(state.service.lookup(&which).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    code: Option<String>,
    id: Option<String>,
    #[serde(default)]
    reason: String,
}

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

async fn enable(
    State(state): State<ApiState>,
    _: Founder,
    Json(which): Json<CodeRef>,
) -> Result<Json<CodeLookup>, ApiError> {
    Ok(Json(state.service.enable_code(&which).await?))
}

/// The blocklist as the console shows it: the founder's domains, and how many the file adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistView {
    pub domains: Vec<BlockedDomain>,
    pub file_domains: usize,
}

async fn blocklist(
    State(state): State<ApiState>,
    _: Founder,
) -> Result<Json<BlocklistView>, ApiError> {
    Ok(Json(BlocklistView {
        domains: state.service.blocked_domains().await?,
        file_domains: state.service.moderation().file_domains(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockBody {
    domain: String,
    #[serde(default)]
    reason: String,
}

async fn block(
    State(state): State<ApiState>,
    _: Founder,
    Json(body): Json<BlockBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let domain = state
        .service
        .block_domain(&body.domain, &body.reason)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "domain": domain })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnblockBody {
    domain: String,
}

async fn unblock(
    State(state): State<ApiState>,
    _: Founder,
    Json(body): Json<UnblockBody>,
) -> Result<StatusCode, ApiError> {
    state.service.unblock_domain(&body.domain).await?;
    Ok(StatusCode::NO_CONTENT)
}
