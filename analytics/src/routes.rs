//! HTTP routes under `/api/v1/analytics`: extract → check the range → call `query` → JSON or CSV.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use shared::db::Db;
use shared::extract::{Json, Query};
use shared::identity::Identity;

use crate::error::AnalyticsError;
use crate::owner::Owner;
use std::collections::BTreeMap;

use serde::Deserialize;

use crate::query::{self, MicrositeStats, Overview, QrStats, ScanTotals};
use crate::range::{Range, RangeQuery};

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

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/qr/{id}", get(qr))
        .route("/qr/{id}/export.csv", get(qr_csv))
        .route("/microsites/{id}", get(microsite))
        .route("/microsites/{id}/export.csv", get(microsite_csv))
        .route("/overview", get(overview))
        .route("/qr-totals", get(qr_totals))
        .with_state(state);
    Router::new().nest("/api/v1/analytics", api)
}

fn range(query: &RangeQuery) -> Result<Range, AnalyticsError> {
    Range::parse(query, jiff::Timestamp::now())
}

async fn qr(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<QrStats>, AnalyticsError> {
    let mut stats = query::qr_stats(&state.db, &owner, &id, &range(&q)?).await?;
    stats.country_attribution = state.country_attribution.map(str::to_owned);
    Ok(Json(stats))
}

#[derive(Deserialize)]
struct TotalsQuery {
    #[serde(default)]
    ids: String,
}

/// All-time scan counts of several codes at once (the codes list shows them).
async fn qr_totals(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(q): Query<TotalsQuery>,
) -> Result<Json<BTreeMap<String, ScanTotals>>, AnalyticsError> {
    Ok(Json(query::qr_totals(&state.db, &owner, &q.ids).await?))
}

async fn microsite(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<MicrositeStats>, AnalyticsError> {
    let mut stats = query::microsite_stats(&state.db, &owner, &id, &range(&q)?).await?;
    stats.country_attribution = state.country_attribution.map(str::to_owned);
    Ok(Json(stats))
}

async fn overview(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Overview>, AnalyticsError> {
    Ok(Json(query::overview(&state.db, &owner, &range(&q)?).await?))
}

async fn qr_csv(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, AnalyticsError> {
    csv(&state, owner, &id, "qr", &q).await
}

async fn microsite_csv(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Response, AnalyticsError> {
    csv(&state, owner, &id, "microsite", &q).await
}

async fn csv(
    state: &AppState,
    Owner(owner): Owner,
    id: &str,
    kind: &'static str,
    q: &RangeQuery,
) -> Result<Response, AnalyticsError> {
    let range = range(q)?;
    let rows = query::export_csv(&state.db, &owner, id, kind, &range).await?;
    let filename = format!("{kind}-{}-{}-{}.csv", sanitize(id), range.from, range.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(rows),
    )
        .into_response())
}

/// Ids are UUIDs; anything else is reduced to safe characters for the header.
fn sanitize(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}
