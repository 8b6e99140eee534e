//! The future services' HTTP surface that web serves (the routing table sends everything not
//! owned by a core service here): the feature list, the founder's dead-letter console, the
//! gateway table and the ml drafter. Handlers are thin: check the caller, check the flag, call
//! the stand-in.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use microsite::drafter::{Draft, PageDrafter};
use shared::bus::EventBus;
use shared::error::ApiError;
use shared::extract::{Json, Query};
use shared::features::{Feature, Features};
use shared::identity::{Identity, Principal, Scope};
use shared::openapi::OpenApiRouter;
use shared::routing::{ROUTES, Route};

use crate::custom_domains::{self as domains, Domain, SqlDomains};
use crate::dead_letters::{self as dlq, DeadLetterStore, ReplayError, StoredLetter};

#[derive(Clone)]
pub struct FutureState {
    pub features: Features,
    pub identity: Identity,
    pub bus: EventBus,
    pub dead_letters: Arc<dyn DeadLetterStore>,
    /// The ml stand-in, behind its boundary (feature `ml`, which the drafter checks).
    pub drafter: Arc<dyn PageDrafter>,
    /// Custom domains (`domains` feature).
    pub domains: SqlDomains,
    /// The host of `PUBLIC_BASE_URL`: not a custom domain anyone may register.
    pub public_host: Arc<str>,
}

impl FromRef<FutureState> for Identity {
    fn from_ref(state: &FutureState) -> Identity {
        state.identity.clone()
    }
}

/// The routes with their OpenAPI entries (`routes!` registers both at once).
fn api() -> OpenApiRouter<FutureState> {
    OpenApiRouter::new()
        .routes(routes!(features))
        .routes(routes!(list_dead_letters))
        .routes(routes!(drop_dead_letter))
        .routes(routes!(replay_dead_letter))
        .routes(routes!(routes))
        .routes(routes!(ml_draft))
        .routes(routes!(list_domains, register_domain))
        .routes(routes!(delete_domain))
        .routes(routes!(all_domains))
        .routes(routes!(approve_domain))
}

pub fn router(state: FutureState) -> Router {
    api().split_for_parts().0.with_state(state)
}

/// The OpenAPI entries of the future services' routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "future services")
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct FeatureView {
    pub name: String,
    pub enabled: bool,
    pub description: String,
}

/// Public: the list says only which optional parts this server offers (the sign-up page and the
/// "coming soon" spots need it before anyone signs in), nothing about any user.
#[utoipa::path(get, path = "/api/v1/features", security(()),
    responses((status = 200, description = "The optional features and whether each is on", body = Vec<FeatureView>)))]
async fn features(State(state): State<FutureState>) -> Json<Vec<FeatureView>> {
    Json(
        Feature::ALL
            .iter()
            .map(|f| FeatureView {
                name: f.name().to_owned(),
                enabled: state.features.is_enabled(*f),
                description: f.summary().to_owned(),
            })
            .collect(),
    )
}

/// Founders only; anyone else is told the page does not exist. Then the flag.
fn founder_with(
    state: &FutureState,
    principal: &Principal,
    feature: Feature,
) -> Result<(), ApiError> {
    if !principal.is_founder() {
        return Err(ApiError::not_found());
    }
    state.features.require(feature)
}

/// A signed-in user whose credential carries `scope`, then the flag.
fn user_with(
    state: &FutureState,
    principal: &Principal,
    scope: Scope,
    feature: Feature,
) -> Result<(), ApiError> {
    principal.require(scope)?;
    state.features.require(feature)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// How many, newest first (default 100; clamped to 1–500). Any `u32` is taken; documented
    /// as an int64 with that maximum because `u32` would read as `format: int32`, which refuses
    /// values the handler accepts and clamps.
    #[param(value_type = Option<u64>, maximum = 4_294_967_295.0)]
    limit: Option<u32>,
}

/// `POST /api/v1/ml/draft`: the page wanted, in the user's words.
#[derive(Deserialize, ToSchema)]
struct DraftRequest {
    prompt: String,
}

/// `POST /api/v1/domains`: the host to register.
#[derive(Deserialize, ToSchema)]
struct NewDomain {
    host: String,
}

#[utoipa::path(get, path = "/api/v1/admin/dead-letters", params(ListQuery),
    responses((status = 200, description = "Events no consumer could handle (founders, `dlq-processor`)", body = Vec<StoredLetter>)))]
async fn list_dead_letters(
    State(state): State<FutureState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<StoredLetter>>, ApiError> {
    founder_with(&state, &principal, Feature::DlqProcessor)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(
        state
            .dead_letters
            .list(limit)
            .await
            .map_err(ApiError::internal)?,
    ))
}

#[utoipa::path(post, path = "/api/v1/admin/dead-letters/{id}/replay", params(("id" = String, Path, description = "The dead letter's id")),
    responses((status = 200, description = "Published again", body = StoredLetter)))]
async fn replay_dead_letter(
    State(state): State<FutureState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<StoredLetter>, ApiError> {
    founder_with(&state, &principal, Feature::DlqProcessor)?;
    match dlq::replay(&state.bus, state.dead_letters.as_ref(), &id).await {
        Ok(letter) => Ok(Json(letter)),
        Err(ReplayError::NotFound) => Err(ApiError::not_found()),
        Err(ReplayError::Bus(err)) => Err(ApiError::unavailable(format!(
            "The event could not be queued ({err}); try again."
        ))),
        Err(ReplayError::Store(err)) => Err(ApiError::internal(err)),
    }
}

#[utoipa::path(delete, path = "/api/v1/admin/dead-letters/{id}", params(("id" = String, Path, description = "The dead letter's id")),
    responses((status = 204, description = "Dropped")))]
async fn drop_dead_letter(
    State(state): State<FutureState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    founder_with(&state, &principal, Feature::DlqProcessor)?;
    if state
        .dead_letters
        .delete(&id)
        .await
        .map_err(ApiError::internal)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

#[utoipa::path(get, path = "/api/v1/admin/routes",
    responses((status = 200, description = "The gateway's path → service table (founders, `routing`)", body = Vec<Route>)))]
async fn routes(
    State(state): State<FutureState>,
    principal: Principal,
) -> Result<Json<&'static [Route]>, ApiError> {
    founder_with(&state, &principal, Feature::Routing)?;
    Ok(Json(ROUTES))
}

/// Any signed-in user may ask for a draft; saving it is a normal microsite create.
#[utoipa::path(post, path = "/api/v1/ml/draft", request_body = DraftRequest,
    responses((status = 200, description = "A microsite draft from a description (feature `ml`)", body = Draft)))]
async fn ml_draft(
    State(state): State<FutureState>,
    _principal: Principal,
    Json(request): Json<DraftRequest>,
) -> Result<Json<Draft>, ApiError> {
    Ok(Json(state.drafter.draft(&request.prompt)?))
}

/// A signed-in user registers a domain; it routes nothing until a founder approves it.
#[utoipa::path(post, path = "/api/v1/domains", request_body = NewDomain,
    responses((status = 201, description = "Registered, pending a founder's approval (feature `domains`)", body = Domain)))]
async fn register_domain(
    State(state): State<FutureState>,
    principal: Principal,
    Json(new): Json<NewDomain>,
) -> Result<(StatusCode, Json<Domain>), ApiError> {
    user_with(&state, &principal, Scope::QrWrite, Feature::Domains)?;
    let host = domains::normalise_host(&new.host, &state.public_host)?;
    let domain = state.domains.register(&principal.user_id, &host).await?;
    Ok((StatusCode::CREATED, Json(domain)))
}

#[utoipa::path(get, path = "/api/v1/domains",
    responses((status = 200, description = "The caller's domains (feature `domains`)", body = Vec<Domain>)))]
async fn list_domains(
    State(state): State<FutureState>,
    principal: Principal,
) -> Result<Json<Vec<Domain>>, ApiError> {
    user_with(&state, &principal, Scope::QrRead, Feature::Domains)?;
    Ok(Json(
        state
            .domains
            .owned(&principal.user_id)
            .await
            .map_err(ApiError::internal)?,
    ))
}

/// The owner removes a domain; another user's is a 404. Every instance stops routing it.
#[utoipa::path(delete, path = "/api/v1/domains/{id}", params(("id" = String, Path, description = "The domain's id")),
    responses((status = 204, description = "Removed")))]
async fn delete_domain(
    State(state): State<FutureState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    user_with(&state, &principal, Scope::QrWrite, Feature::Domains)?;
    let removed = state
        .domains
        .delete(&principal.user_id, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    domains::announce(&state.bus, &removed.host, None);
    Ok(StatusCode::NO_CONTENT)
}

/// The founder's list: every domain, pending first.
#[utoipa::path(get, path = "/api/v1/admin/domains",
    responses((status = 200, description = "Every domain, pending first (founders)", body = Vec<Domain>)))]
async fn all_domains(
    State(state): State<FutureState>,
    principal: Principal,
) -> Result<Json<Vec<Domain>>, ApiError> {
    founder_with(&state, &principal, Feature::Domains)?;
    Ok(Json(
        state.domains.all(500).await.map_err(ApiError::internal)?,
    ))
}

/// The stand-in's verification: a founder approves (DNS TXT records are the next step).
#[utoipa::path(post, path = "/api/v1/admin/domains/{id}/approve", params(("id" = String, Path, description = "The domain's id")),
    responses((status = 200, description = "Approved: the host now serves its owner's codes and pages", body = Domain)))]
async fn approve_domain(
    State(state): State<FutureState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<Domain>, ApiError> {
    founder_with(&state, &principal, Feature::Domains)?;
    let domain = state
        .domains
        .approve(&id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    domains::announce(&state.bus, &domain.host, Some(&domain.owner_id));
    Ok(Json(domain))
}
