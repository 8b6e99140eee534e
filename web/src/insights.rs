//! `POST /api/v1/insights/weekly`: the insights stand-in (`email::insights`) on demand.
//! A signed-in user asks for their own weekly summary; web gathers the numbers from analytics
//! (the last seven UTC days and the seven before) and the top codes' names from qr — as the
//! caller, so their ownership rules apply — and queues the message in the email outbox for the
//! caller's own address. Hosted by web because only web holds the other services' clients; the
//! outbox is auth's table, so a web process without auth's database answers 503. No schedule
//! yet: a weekly job calling the same code is the next step.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use email::Outbox;
use email::insights::{Insights, TextInsights, WeeklyNumbers};
use serde::Serialize;
use shared::ApiError;
use shared::extract::Json;
use shared::features::{Feature, Features};
use shared::identity::{Identity, Principal, Scope, credential_of};
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::Clients;

#[derive(Clone)]
pub struct InsightsState {
    pub features: Features,
    pub identity: Identity,
    pub clients: Clients,
    /// The email outbox (auth's database), when this process has it.
    pub outbox: Option<Outbox>,
}

impl FromRef<InsightsState> for Identity {
    fn from_ref(state: &InsightsState) -> Identity {
        state.identity.clone()
    }
}

/// The route with its OpenAPI entry (`routes!` registers both at once).
fn api() -> OpenApiRouter<InsightsState> {
    OpenApiRouter::new().routes(routes!(weekly))
}

pub fn router(state: InsightsState) -> Router {
    api().split_for_parts().0.with_state(state)
}

/// The OpenAPI entry of the insights route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "future services")
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Queued {
    /// The outbox message's id.
    id: String,
    subject: String,
}

#[utoipa::path(post, path = "/api/v1/insights/weekly",
    responses((status = 202, description = "Your weekly summary is queued in the email outbox (feature `insights`)", body = Queued)))]
async fn weekly(
    State(state): State<InsightsState>,
    principal: Principal,
    parts: Parts,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    principal.require(Scope::QrRead)?;
    state.features.require(Feature::Insights)?;
    let outbox = state.outbox.as_ref().ok_or_else(|| {
        ApiError::unavailable("The email outbox is not reachable from this process.")
    })?;
    let token = credential_of(&parts).ok_or_else(ApiError::unauthenticated)?;
    let me = state.clients.auth.me_with(&token).await?;
    let numbers = numbers(&state.clients, &token).await?;
    let writer = TextInsights {
        features: state.features,
    };
    let message = writer.weekly_summary(&me.email, &numbers)?;
    let id = email::Email::queue(outbox, &message)
        .await
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            id,
            subject: message.subject,
        }),
    ))
}

/// This week (the last seven UTC days, today included) against the seven days before.
async fn numbers(clients: &Clients, token: &str) -> Result<WeeklyNumbers, ApiError> {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let day = |back: i64| {
        today
            .checked_sub(jiff::Span::new().days(back))
            .unwrap_or(today)
    };
    let range = |from: jiff::civil::Date, to: jiff::civil::Date| {
        format!("from={from}&to={to}&interval=day&tz=UTC")
    };
    let week_of = day(6);
    let this = clients
        .analytics
        .overview(token, &range(week_of, today))
        .await?;
    let before = clients
        .analytics
        .overview(token, &range(day(13), day(7)))
        .await?;
    let mut top_codes = Vec::new();
    for item in this.top_codes.iter().filter(|i| i.count > 0).take(3) {
        // A code deleted since it was scanned keeps its id as its name.
        let name = match clients.qr.get(token, &item.id).await {
            Ok(code) => code.name,
            Err(_) => item.id.clone(),
        };
        top_codes.push((name, u64::try_from(item.count).unwrap_or_default()));
    }
    Ok(WeeklyNumbers {
        week_of: week_of.to_string(),
        scans: u64::try_from(this.human_scans).unwrap_or_default(),
        previous_scans: u64::try_from(before.human_scans).unwrap_or_default(),
        top_codes,
    })
}
