//! The JSON API under `/api/v1/microsites`: owner-only, another user's page is a 404. Handlers
//! extract, authorise, call the service and shape the answer.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use shared::ApiError;
use shared::extract::Json;
use shared::identity::{Identity, Principal, Scope};
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use crate::contract::{Changes, FromTemplate};
pub use crate::contract::{ListView, MicrositeView, ThemeView};
use crate::model::Microsite;
use crate::service::{Editor, MicrositeService};
use crate::theme::Theme;

#[derive(Clone)]
pub struct ApiState {
    pub service: Arc<MicrositeService>,
    pub identity: Identity,
}

impl ApiState {
    /// A page as the API answers with it.
    fn view(&self, page: Microsite) -> Json<MicrositeView> {
        Json(MicrositeView::of(page, self.service.public_base_url()))
    }
}

impl FromRef<ApiState> for Identity {
    fn from_ref(state: &ApiState) -> Identity {
        state.identity.clone()
    }
}

/// The JSON API's routes with their OpenAPI entries (`routes!` registers both at once).
fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(from_template))
        .routes(routes!(themes))
        .routes(routes!(templates))
        .routes(routes!(read, update, remove))
        .routes(routes!(trash_list))
        .routes(routes!(restore))
        .routes(routes!(purge))
        .routes(routes!(publish))
        .routes(routes!(unpublish))
        .merge(crate::admin::api())
}

pub fn router(state: ApiState) -> Router {
    api().split_for_parts().0.with_state(state)
}

/// The OpenAPI entries of microsite's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "microsites")
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

#[utoipa::path(post, path = "/api/v1/microsites", request_body = Changes,
    responses((status = 201, description = "The new page (a draft)", body = MicrositeView)))]
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
    Ok((StatusCode::CREATED, state.view(page)))
}

#[utoipa::path(post, path = "/api/v1/microsites/from-template", request_body = FromTemplate,
    responses((status = 201, description = "A new page from a starting template", body = MicrositeView)))]
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
    Ok((StatusCode::CREATED, state.view(page)))
}

#[utoipa::path(get, path = "/api/v1/microsites",
    responses((status = 200, description = "The caller's pages", body = ListView)))]
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

#[utoipa::path(get, path = "/api/v1/microsites/{id}", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 200, description = "The page", body = MicrositeView)))]
async fn read(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    let page = state.service.get(&principal.user_id, &id).await?;
    Ok(state.view(page))
}

#[utoipa::path(patch, path = "/api/v1/microsites/{id}", params(("id" = String, Path, description = "The microsite's id")), request_body = Changes,
    responses((status = 200, description = "The changed draft", body = MicrositeView)))]
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
    Ok(state.view(page))
}

/// Moves the page to the trash: visitors see "removed by its owner" (410), it leaves the list,
/// keeps its slug, and can be restored for 30 days before it is purged for good.
#[utoipa::path(delete, path = "/api/v1/microsites/{id}", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 204, description = "Moved to the trash (restorable for 30 days)")))]
async fn remove(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    state.service.trash(&principal.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's trash: pages deleted in the last 30 days, most recently deleted first, each with
/// `deleted_at` and `purge_at`.
#[utoipa::path(get, path = "/api/v1/microsites/trash",
    responses((status = 200, description = "The caller's trashed pages", body = ListView)))]
async fn trash_list(
    State(state): State<ApiState>,
    principal: Principal,
) -> Result<Json<ListView>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    let pages = state.service.trashed(&principal.user_id).await?;
    let base = state.service.public_base_url();
    Ok(Json(ListView {
        items: pages
            .into_iter()
            .map(|page| MicrositeView::of(page, base))
            .collect(),
    }))
}

/// Takes a page out of the trash: if it was published, visitors see it again at once.
#[utoipa::path(post, path = "/api/v1/microsites/{id}/restore", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 200, description = "The restored page", body = MicrositeView)))]
async fn restore(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state.service.restore(&principal.user_id, &id).await?;
    Ok(state.view(page))
}

/// Deletes a page in the trash for good ("delete forever"); its address then answers 404. A page
/// not in the trash is a 404: delete it first.
#[utoipa::path(delete, path = "/api/v1/microsites/{id}/purge", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 204, description = "Deleted for good")))]
async fn purge(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    state.service.purge(&principal.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/microsites/{id}/publish", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 200, description = "The draft is live (`placeholders` lists any template example values it still holds)", body = MicrositeView)))]
async fn publish(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state.service.publish(&principal.user_id, &id).await?;
    Ok(state.view(page))
}

#[utoipa::path(post, path = "/api/v1/microsites/{id}/unpublish", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 200, description = "The page is offline", body = MicrositeView)))]
async fn unpublish(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<MicrositeView>, ApiError> {
    principal.require(Scope::MicrositesWrite)?;
    let page = state.service.unpublish(&principal.user_id, &id).await?;
    Ok(state.view(page))
}

/// The built-in themes, for the builder's picker.
#[utoipa::path(get, path = "/api/v1/microsites/themes",
    responses((status = 200, description = "The built-in themes", body = Vec<ThemeView>)))]
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
#[utoipa::path(get, path = "/api/v1/microsites/templates",
    responses((status = 200, description = "The starting templates' names", body = Vec<String>)))]
async fn templates(principal: Principal) -> Result<Json<Vec<&'static str>>, ApiError> {
    principal.require(Scope::MicrositesRead)?;
    Ok(Json(crate::starters::NAMES.to_vec()))
}
