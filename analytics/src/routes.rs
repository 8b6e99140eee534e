//! HTTP routes under `/api/v1/analytics`: extract → check the range → call `query` → JSON or CSV.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use shared::db::Db;
use shared::extract::{Json, Query};
use shared::identity::Identity;
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AnalyticsError;
use crate::filter::{FilterParams, Filters};
use crate::owner::Owner;
use std::collections::BTreeMap;

use serde::Deserialize;

use crate::contract::{Live, MicrositeStats, Overview, QrStats, ScanTotals};
use crate::query::Asked;
use crate::range::{Range, RangeQuery};
use crate::{export, live, query};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Credit for the country data, when its licence asks for one (DB-IP Lite).
    pub country_attribution: Option<&'static str>,
    pub identity: Identity,
}

impl FromRef<AppState> for Identity {
    fn from_ref(state: &AppState) -> Identity {
        state.identity.clone()
    }
}

/// The JSON API's routes with their OpenAPI entries (`routes!` registers both at once).
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(qr))
        .routes(routes!(qr_csv))
        .routes(routes!(microsite))
        .routes(routes!(microsite_csv))
        .routes(routes!(qr_live))
        .routes(routes!(microsite_live))
        .routes(routes!(overview))
        .routes(routes!(code_totals_csv))
        .routes(routes!(qr_totals))
}

/// Every route of the service: the users' numbers and the founder's.
pub fn router(state: AppState) -> Router {
    api()
        .merge(crate::product::routes::api())
        .split_for_parts()
        .0
        .with_state(state)
}

/// The OpenAPI entries of the analytics routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = shared::openapi::tagged(api().into_openapi(), "analytics");
    // The filters are query parameters of several routes; the schema names them once for
    // clients that build their query from a type.
    api.components
        .get_or_insert_with(Default::default)
        .schemas
        .insert(
            <FilterParams as utoipa::ToSchema>::name().into_owned(),
            <FilterParams as utoipa::PartialSchema>::schema(),
        );
    api
}

fn range(query: &RangeQuery) -> Result<Range, AnalyticsError> {
    Range::parse(query, jiff::Timestamp::now())
}

/// One of the caller's codes or pages, as the path names it: the caller is read first, then the
/// id, the order every per-target route takes them.
struct Mine {
    owner: String,
    id: String,
}

impl FromRequestParts<AppState> for Mine {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Owner(owner) = Owner::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Mine { owner, id })
    }
}

/// [`Asked`]: whose and which target ([`Mine`]), then the range, then the filters.
impl FromRequestParts<AppState> for Asked {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Mine { owner, id } = Mine::from_request_parts(parts, state).await?;
        let Query(q) = Query::<RangeQuery>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let range = range(&q).map_err(IntoResponse::into_response)?;
        let filters = Filters::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Asked {
            owner,
            id,
            range,
            filters,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/analytics/qr/{id}", params(("id" = String, Path, description = "The code's id"), RangeQuery, FilterParams),
    responses((status = 200, description = "Scans of one of the caller's codes over the range", body = QrStats)))]
async fn qr(State(state): State<AppState>, asked: Asked) -> Result<Json<QrStats>, AnalyticsError> {
    let mut stats = query::qr_stats(&state.db, &asked).await?;
    stats.country_attribution = state.country_attribution.map(str::to_owned);
    Ok(Json(stats))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TotalsQuery {
    /// Comma-separated code ids (at most 100).
    #[serde(default)]
    ids: String,
}

/// All-time scan counts of several codes at once (the codes list shows them).
#[utoipa::path(get, path = "/api/v1/analytics/qr-totals", params(TotalsQuery),
    responses((status = 200, description = "All-time scans by code id (zeros for ids that are not the caller's)",
        body = BTreeMap<String, ScanTotals>)))]
async fn qr_totals(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(q): Query<TotalsQuery>,
) -> Result<Json<BTreeMap<String, ScanTotals>>, AnalyticsError> {
    Ok(Json(query::qr_totals(&state.db, &owner, &q.ids).await?))
}

#[utoipa::path(get, path = "/api/v1/analytics/microsites/{id}", params(("id" = String, Path, description = "The microsite's id"), RangeQuery, FilterParams),
    responses((status = 200, description = "Views and clicks of one of the caller's pages", body = MicrositeStats)))]
async fn microsite(
    State(state): State<AppState>,
    asked: Asked,
) -> Result<Json<MicrositeStats>, AnalyticsError> {
    let mut stats = query::microsite_stats(&state.db, &asked).await?;
    stats.country_attribution = state.country_attribution.map(str::to_owned);
    Ok(Json(stats))
}

#[utoipa::path(get, path = "/api/v1/analytics/qr/{id}/live", params(("id" = String, Path, description = "The code's id")),
    responses((status = 200, description = "Scans of the last 30 minutes, minute by minute", body = Live)))]
async fn qr_live(State(state): State<AppState>, mine: Mine) -> Result<Json<Live>, AnalyticsError> {
    live_of(&state, &mine, "qr").await
}

#[utoipa::path(get, path = "/api/v1/analytics/microsites/{id}/live", params(("id" = String, Path, description = "The microsite's id")),
    responses((status = 200, description = "Page views of the last 30 minutes, minute by minute", body = Live)))]
async fn microsite_live(
    State(state): State<AppState>,
    mine: Mine,
) -> Result<Json<Live>, AnalyticsError> {
    live_of(&state, &mine, "microsite").await
}

async fn live_of(state: &AppState, mine: &Mine, kind: &str) -> Result<Json<Live>, AnalyticsError> {
    let now = shared::ids::now_ms();
    let live = live::live(&state.db, &mine.owner, &mine.id, kind, now).await?;
    Ok(Json(live))
}

#[utoipa::path(get, path = "/api/v1/analytics/overview", params(RangeQuery, FilterParams),
    responses((status = 200, description = "The caller's totals, top codes and pages, and funnel", body = Overview)))]
async fn overview(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(q): Query<RangeQuery>,
    filters: Filters,
) -> Result<Json<Overview>, AnalyticsError> {
    let range = range(&q)?;
    Ok(Json(
        query::overview(&state.db, &owner, &range, &filters).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/analytics/qr/{id}/export.csv", params(("id" = String, Path, description = "The code's id"), RangeQuery, FilterParams),
    responses((status = 200, description = "Raw scans (no personal data)", content_type = "text/csv", body = String)))]
async fn qr_csv(State(state): State<AppState>, asked: Asked) -> Result<Response, AnalyticsError> {
    csv(&state, asked, "qr").await
}

#[utoipa::path(get, path = "/api/v1/analytics/microsites/{id}/export.csv", params(("id" = String, Path, description = "The microsite's id"), RangeQuery, FilterParams),
    responses((status = 200, description = "Raw views and clicks (no personal data)", content_type = "text/csv", body = String)))]
async fn microsite_csv(
    State(state): State<AppState>,
    asked: Asked,
) -> Result<Response, AnalyticsError> {
    csv(&state, asked, "microsite").await
}

async fn csv(
    state: &AppState,
    asked: Asked,
    kind: &'static str,
) -> Result<Response, AnalyticsError> {
    let Asked {
        owner,
        id,
        range,
        filters,
    } = asked;
    let rows = export::events_csv(&state.db, &owner, &id, kind, &range, &filters).await?;
    let filename = format!("{kind}-{}-{}-{}.csv", sanitize(&id), range.from, range.to);
    Ok(csv_download(&filename, Body::from_stream(rows)))
}

#[utoipa::path(get, path = "/api/v1/analytics/overview/export.csv", params(RangeQuery),
    responses((status = 200, description = "One row per code of the caller scanned in the range: \
        code_id, name (the id: analytics does not know code names), total_scans, human_scans, \
        bot_scans, first_scan_hour and last_scan_hour (UTC hours)", content_type = "text/csv", body = String)))]
async fn code_totals_csv(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(q): Query<RangeQuery>,
) -> Result<Response, AnalyticsError> {
    let range = range(&q)?;
    let file = export::code_totals_csv(&state.db, &owner, &range).await?;
    let filename = format!("codes-{}-{}.csv", range.from, range.to);
    Ok(csv_download(&filename, Body::from(file)))
}

/// A CSV attachment; `filename` is built from dates and sanitised ids only.
fn csv_download(filename: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Ids are UUIDs; anything else is reduced to safe characters for the header.
fn sanitize(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}
