//! The JSON API under `/api/v1/microsites`: owner-only, another user's page is a 404. Handlers
//! extract, authorise, call the service and shape the answer.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use shared::ApiError;
use shared::extract::Json;
use shared::identity::{Identity, Principal, Scope};

use crate::block::Block;
use crate::model::{Microsite, page_url};
use crate::service::{Changes, Editor, MicrositeService};
use crate::theme::{Theme, Tweaks};

#[derive(Clone)]
pub struct ApiState {
    pub service: Arc<MicrositeService>,
    pub identity: Identity,
}

impl FromRef<ApiState> for Identity {
    fn from_ref(state: &ApiState) -> Identity {
        state.identity.clone()
    }
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/microsites", post(create).get(list))
        .route("/api/v1/microsites/from-template", post(from_template))
        .route("/api/v1/microsites/themes", get(themes))
        .route("/api/v1/microsites/templates", get(templates))
        .route(
            "/api/v1/microsites/{id}",
            get(read).patch(update).delete(remove),
        )
        .route("/api/v1/microsites/{id}/publish", post(publish))
        .route("/api/v1/microsites/{id}/unpublish", post(unpublish))
        .with_state(state)
}

/// The credential the caller presented (bearer token, API key or session cookie), kept so it can
/// be forwarded to the qr service when a QR block is checked. `Principal` has verified it.
pub struct Credential(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        shared::identity::credential_of(parts)
            .map(Credential)
            .ok_or_else(ApiError::unauthenticated)
    }
}

fn editor<'a>(principal: &'a Principal, credential: &'a Credential) -> Editor<'a> {
    Editor {
        owner_id: &principal.user_id,
        credential: &credential.0,
    }
}

/// A page as the API shows it: the draft's fields, and whether a snapshot is live.
#[derive(Debug, Serialize, Deserialize)]
pub struct MicrositeView {
    pub id: String,
    pub slug: String,
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    pub theme: Theme,
    pub tweaks: Tweaks,
    pub lang: String,
    pub blocks: Vec<Block>,
    pub published: bool,
    /// The draft differs from what visitors see.
    pub has_unpublished_changes: bool,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl MicrositeView {
    fn of(page: Microsite, base: &str) -> Self {
        let has_unpublished_changes = page.published.as_ref() != Some(&page.draft);
        MicrositeView {
            url: page_url(base, &page.slug),
            published: page.published.is_some(),
            has_unpublished_changes,
            id: page.id,
            slug: page.slug,
            title: page.draft.title,
            description: page.draft.description,
            theme: page.draft.theme,
            tweaks: page.draft.tweaks,
            lang: page.draft.lang,
            blocks: page.draft.blocks,
            published_at: page.published_at,
            created_at: page.created_at,
            updated_at: page.updated_at,
        }
    }
}

async fn create(
    State(state): State<ApiState>,
    principal: Principal,
    credential: Credential,
    Json(changes): Json<Changes>,
) -> Result<(StatusCode, Json<MicrositeView>), ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state
        .service
        .create(editor(&principal, &credential), changes)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MicrositeView::of(page, state.service.public_base_url())),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTemplate {
    template: String,
    slug: String,
}

async fn from_template(
    State(state): State<ApiState>,
    principal: Principal,
    credential: Credential,
    Json(body): Json<FromTemplate>,
) -> Result<(StatusCode, Json<MicrositeView>), ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state
        .service
        .from_template(editor(&principal, &credential), &body.template, &body.slug)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MicrositeView::of(page, state.service.public_base_url())),
    ))
}

#[derive(Serialize, Deserialize)]
pub struct ListView {
    pub items: Vec<MicrositeView>,
}

async fn list(
    State(state): State<ApiState>,
    principal: Principal,
) -> Result<Json<ListView>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    let base = state.service.public_base_url();
    let items = state
        .service
        .list(&principal.user_id)
        .await?
        .into_iter()
        .map(|p| MicrositeView::of(p, base))
        .collect();
    Ok(Json(ListView { items }))
}

async fn read(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    let page = state.service.get(&principal.user_id, &id).await?;
    Ok(Json(MicrositeView::of(
        page,
        state.service.public_base_url(),
    )))
}

async fn update(
    State(state): State<ApiState>,
    principal: Principal,
    credential: Credential,
    Path(id): Path<String>,
    Json(changes): Json<Changes>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state
        .service
        .update(editor(&principal, &credential), &id, changes)
        .await?;
    Ok(Json(MicrositeView::of(
        page,
        state.service.public_base_url(),
    )))
}

async fn remove(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    state.service.delete(&principal.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn publish(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state.service.publish(&principal.user_id, &id).await?;
    Ok(Json(MicrositeView::of(
        page,
        state.service.public_base_url(),
    )))
}

async fn unpublish(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state.service.unpublish(&principal.user_id, &id).await?;
    Ok(Json(MicrositeView::of(
        page,
        state.service.public_base_url(),
    )))
}

#[derive(Serialize, Deserialize)]
pub struct ThemeView {
    pub name: Theme,
    pub dark: bool,
}

/// The built-in themes, for the builder's picker.
async fn themes(principal: Principal) -> Result<Json<Vec<ThemeView>>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    Ok(Json(
        Theme::ALL
            .iter()
            .map(|&name| ThemeView {
                name,
                dark: name.is_dark(),
            })
            .collect(),
    ))
}

/// The starting templates' names, for `POST /api/v1/microsites/from-template`.
async fn templates(principal: Principal) -> Result<Json<Vec<&'static str>>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    Ok(Json(crate::starters::NAMES.to_vec()))
}
