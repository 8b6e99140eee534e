//! The future services' HTTP surface, served by web (the routing table sends everything not
//! owned by a core service there): the feature list, the founder's dead-letter console, the
//! gateway table and the ml drafter. Handlers are thin: check the caller, check the flag, call
//! the stand-in.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};

use super::dlq::{self, DeadLetterStore, ReplayError, StoredLetter};
use super::domains::{self, Domain, SqlDomains};
use super::ml::{Draft, PageDrafter, RuleDrafter};
use super::routing::{ROUTES, Route};
use crate::bus::EventBus;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::features::{Feature, Features};
use crate::identity::{Identity, Principal, Scope};

#[derive(Clone)]
pub struct FutureState {
    pub features: Features,
    pub identity: Identity,
    pub bus: EventBus,
    pub dead_letters: Arc<dyn DeadLetterStore>,
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

pub fn router(state: FutureState) -> Router {
    Router::new()
        .route("/api/v1/features", get(features))
        .route("/api/v1/admin/dead-letters", get(list_dead_letters))
        .route("/api/v1/admin/dead-letters/{id}", delete(drop_dead_letter))
        .route(
            "/api/v1/admin/dead-letters/{id}/replay",
            post(replay_dead_letter),
        )
        .route("/api/v1/admin/routes", get(routes))
        .route("/api/v1/ml/draft", post(ml_draft))
        .route("/api/v1/domains", get(list_domains).post(register_domain))
        .route("/api/v1/domains/{id}", delete(delete_domain))
        .route("/api/v1/admin/domains", get(all_domains))
        .route("/api/v1/admin/domains/{id}/approve", post(approve_domain))
        .with_state(state)
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FeatureView {
    pub name: String,
    pub enabled: bool,
    pub description: String,
}

/// Public: the list says only which optional parts this server offers (the sign-up page and the
/// "coming soon" spots need it before anyone signs in), nothing about any user.
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

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

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

async fn routes(
    State(state): State<FutureState>,
    principal: Principal,
) -> Result<Json<&'static [Route]>, ApiError> {
    founder_with(&state, &principal, Feature::Routing)?;
    Ok(Json(ROUTES))
}

#[derive(Deserialize)]
struct DraftRequest {
    prompt: String,
}

/// Any signed-in user may ask for a draft; saving it is a normal microsite create.
async fn ml_draft(
    State(state): State<FutureState>,
    _principal: Principal,
    Json(request): Json<DraftRequest>,
) -> Result<Json<Draft>, ApiError> {
    let drafter = RuleDrafter {
        features: state.features,
    };
    Ok(Json(drafter.draft(&request.prompt)?))
}

#[derive(Deserialize)]
struct NewDomain {
    host: String,
}

/// A signed-in user registers a domain; it routes nothing until a founder approves it.
async fn register_domain(
    State(state): State<FutureState>,
    principal: Principal,
    Json(new): Json<NewDomain>,
) -> Result<(StatusCode, Json<Domain>), ApiError> {
    principal.require(Scope::QrWrite)?;
    state.features.require(Feature::Domains)?;
    let host = domains::normalise_host(&new.host, &state.public_host)?;
    let domain = state.domains.register(&principal.user_id, &host).await?;
    Ok((StatusCode::CREATED, Json(domain)))
}

async fn list_domains(
    State(state): State<FutureState>,
    principal: Principal,
) -> Result<Json<Vec<Domain>>, ApiError> {
    principal.require(Scope::QrRead)?;
    state.features.require(Feature::Domains)?;
    Ok(Json(
        state
            .domains
            .owned(&principal.user_id)
            .await
            .map_err(ApiError::internal)?,
    ))
}

/// The owner removes a domain; another user's is a 404. Every instance stops routing it.
async fn delete_domain(
    State(state): State<FutureState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::QrWrite)?;
    state.features.require(Feature::Domains)?;
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
