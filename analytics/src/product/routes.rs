//! `/api/v1/admin/*`: the founder's numbers. Founders only; for anyone else these routes do not
//! exist (404).

use std::collections::HashMap;

use axum::extract::State;
use jiff::civil::Date;
use serde::Deserialize;
use shared::db::Db;
use shared::extract::{Json, Query};
use shared::identity::Founder;
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use super::metrics::{self, Facts, Interval, Overview, SignupBucket, UserMetrics, Window};
use super::store::{self, HumanScans, UserRow};
use crate::contract::Retention;
use crate::error::AnalyticsError;
use crate::routes::AppState;

/// The founder's JSON routes with their OpenAPI entries (served by [`crate::routes::router`]).
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(signups))
        .routes(routes!(retention))
        .routes(routes!(users))
}

/// The OpenAPI entries of the founder's numbers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "admin")
}

/// `from`/`to` as ISO dates (UTC, inclusive): the signup cohort. Both optional (all time).
#[derive(Debug, Default, Deserialize)]
pub struct CohortQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    pub weeks: Option<usize>,
}

/// The query of `overview` and `signups` as documented (each reads only these).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // describes the query; the handlers read `CohortQuery`
struct WindowParams {
    /// First signup day, `YYYY-MM-DD` (UTC); empty or absent: from the start.
    #[param(pattern = r"^\s*(\d{4}-\d{2}-\d{2}\s*)?$")]
    from: Option<String>,
    /// Last signup day, `YYYY-MM-DD` (UTC, inclusive); empty or absent: until now.
    #[param(pattern = r"^\s*(\d{4}-\d{2}-\d{2}\s*)?$")]
    to: Option<String>,
}

/// `signups`' buckets.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // describes the query; the handler reads `CohortQuery`
struct IntervalParams {
    /// `day` (default) or `week`.
    #[param(pattern = "^(day|week)?$")]
    interval: Option<String>,
}

/// The query of `retention`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // describes the query; the handler reads `CohortQuery`
struct RetentionParams {
    /// Cohorts to show (default 8).
    #[param(minimum = 1, maximum = 52)]
    weeks: Option<usize>,
}

impl CohortQuery {
    fn window(&self) -> Result<Window, AnalyticsError> {
        let day = |field: &'static str, raw: &Option<String>| {
            raw.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let date: Date = s
                        .parse()
                        .map_err(|_| AnalyticsError::invalid(field, "a date as YYYY-MM-DD"))?;
                    let start = date
                        .to_zoned(jiff::tz::TimeZone::UTC)
                        .map_err(|_| AnalyticsError::invalid(field, "a date as YYYY-MM-DD"))?;
                    Ok::<i64, AnalyticsError>(start.timestamp().as_millisecond())
                })
                .transpose()
        };
        let from = day("from", &self.from)?.unwrap_or(i64::MIN);
        let to = day("to", &self.to)?.map_or(i64::MAX, |t| t + super::DAY_MS);
        if from >= to {
            return Err(AnalyticsError::invalid("from", "must not be after `to`"));
        }
        Ok(Window { from, to })
    }
}

/// The rows every answer is computed from, read once per request.
struct Loaded {
    users: Vec<UserRow>,
    scans: HashMap<String, HumanScans>,
    weeks: HashMap<String, std::collections::HashSet<i64>>,
}

impl Loaded {
    async fn read(db: &Db) -> Result<Loaded, AnalyticsError> {
        let pool = db.pool();
        Ok(Loaded {
            users: store::users(pool).await?,
            scans: store::human_scans(pool).await?,
            weeks: metrics::weeks_by_user(store::activity(pool).await?),
        })
    }

    fn facts(&self) -> Facts<'_> {
        Facts {
            users: &self.users,
            scans: &self.scans,
            active_weeks: &self.weeks,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/overview", params(WindowParams),
    responses((status = 200, description = "The beta's funnel and counts (founders only)", body = Overview)))]
async fn overview(
    State(state): State<AppState>,
    _: Founder,
    Query(q): Query<CohortQuery>,
) -> Result<Json<Overview>, AnalyticsError> {
    let window = q.window()?;
    let loaded = Loaded::read(&state.db).await?;
    let waitlist = store::waitlist(state.db.pool()).await?;
    Ok(Json(metrics::overview(&loaded.facts(), window, waitlist)))
}

#[utoipa::path(get, path = "/api/v1/admin/signups", params(WindowParams, IntervalParams),
    responses((status = 200, description = "Signups per day or week, by source", body = Vec<SignupBucket>)))]
async fn signups(
    State(state): State<AppState>,
    _: Founder,
    Query(q): Query<CohortQuery>,
) -> Result<Json<Vec<SignupBucket>>, AnalyticsError> {
    let window = q.window()?;
    let interval = match q.interval.as_deref() {
        None | Some("") => Interval::Day,
        Some(text) => Interval::parse(text)
            .ok_or_else(|| AnalyticsError::invalid("interval", "`day` or `week`"))?,
    };
    let loaded = Loaded::read(&state.db).await?;
    Ok(Json(metrics::signups(&loaded.facts(), window, interval)))
}

#[utoipa::path(get, path = "/api/v1/admin/retention", params(RetentionParams),
    responses((status = 200, description = "Weekly cohort retention", body = Retention)))]
async fn retention(
    State(state): State<AppState>,
    _: Founder,
    Query(q): Query<CohortQuery>,
) -> Result<Json<Retention>, AnalyticsError> {
    let weeks = q.weeks.unwrap_or(8);
    if !(1..=52).contains(&weeks) {
        return Err(AnalyticsError::invalid("weeks", "between 1 and 52"));
    }
    let loaded = Loaded::read(&state.db).await?;
    Ok(Json(Retention {
        cohorts: metrics::retention(&loaded.facts(), shared::ids::now_ms(), weeks),
    }))
}

#[utoipa::path(get, path = "/api/v1/admin/users",
    responses((status = 200, description = "Per-user activity", body = Vec<UserMetrics>)))]
async fn users(
    State(state): State<AppState>,
    _: Founder,
) -> Result<Json<Vec<UserMetrics>>, AnalyticsError> {
    let loaded = Loaded::read(&state.db).await?;
    Ok(Json(metrics::user_table(&loaded.facts())))
}
