//! `/api/v1/microsites/admin/*`: the founder's moderation of pages, mirroring qr's admin API.
//! Founders only: for anyone else these routes do not exist (404), and nobody signed in gets 401.
//! A page is named by its slug, as an abuse report names it (`/m/{slug}`).

use axum::extract::State;
use shared::ApiError;
use shared::extract::{Json, Query};
use shared::identity::Founder;
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::ApiState;
use crate::contract::{PageLookup, PageRef};
use crate::slug::Slug;

pub(crate) fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(lookup))
        .routes(routes!(unpublish))
}

fn slug_of(which: &PageRef) -> Result<Slug, ApiError> {
    Slug::parse(&which.slug).map_err(|e| ApiError::invalid("slug", e.to_string()))
}

/// The page at `?slug=`, its owner and whether visitors can see it.
#[utoipa::path(get, path = "/api/v1/microsites/admin/lookup", params(PageRef),
    responses((status = 200, description = "The page and its owner (founders only)", body = PageLookup)))]
async fn lookup(
    State(state): State<ApiState>,
    _: Founder,
    Query(which): Query<PageRef>,
) -> Result<Json<PageLookup>, ApiError> {
    let page = state.service.admin_lookup(&slug_of(&which)?).await?;
    Ok(Json(PageLookup::of(page, state.service.public_base_url())))
}

/// Takes a reported page offline: visitors get the "no such page" answer at once. The owner
/// keeps the draft (and may publish it again; disabling the account is the stronger step).
#[utoipa::path(post, path = "/api/v1/microsites/admin/unpublish", request_body = PageRef,
    responses((status = 200, description = "Unpublished", body = PageLookup)))]
async fn unpublish(
    State(state): State<ApiState>,
    _: Founder,
    Json(which): Json<PageRef>,
) -> Result<Json<PageLookup>, ApiError> {
    let page = state.service.admin_unpublish(&slug_of(&which)?).await?;
    Ok(Json(PageLookup::of(page, state.service.public_base_url())))
}
