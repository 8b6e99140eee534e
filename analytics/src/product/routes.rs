//! `/api/v1/admin/*`: the founder's numbers. Founders only; for anyone else these routes do not
//! exist (404).

use std::collections::HashMap;

use axum::extract::{Path, State};
use jiff::civil::Date;
use serde::Deserialize;
use shared::db::Db;
use shared::extract::{Json, Query};
use shared::identity::Founder;
use shared::openapi::OpenApiRouter;
use utoipa_axum::routes;

use super::metrics::{
    self, Exclusions, Facts, Interval, Overview, SignupBucket, UserDetail, UserMetrics, Window,
};
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
        .routes(routes!(user))
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
    /// `exclude` leaves demo users out.
    pub demo: Option<String>,
    /// Comma-separated user ids to leave out (the founders' own accounts).
    pub exclude: Option<String>,
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

/// Who the numbers leave out (`overview`, `signups`, `retention`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // describes the query; the handlers read `CohortQuery`
struct ExclusionParams {
    /// `exclude` leaves demo users out; `include` (or absent) keeps them; anything else is a 422.
    #[param(pattern = "^(exclude|include)?$")]
    demo: Option<String>,
    /// Comma-separated user ids to leave out, e.g. the founders' own accounts.
    exclude: Option<String>,
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
    /// Who to leave out; `demo` other than `exclude`, `include` or empty is refused, as documented.
    fn exclusions(&self) -> Result<Exclusions, AnalyticsError> {
        let demo = match self.demo.as_deref().unwrap_or_default() {
            "exclude" => true,
            "include" | "" => false,
            _ => return Err(AnalyticsError::invalid("demo", "exclude or include")),
        };
        Ok(Exclusions {
            demo,
            user_ids: self
                .exclude
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

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
    async fn read(db: &Db, exclusions: &Exclusions) -> Result<Loaded, AnalyticsError> {
        let pool = db.pool();
        let mut users = store::users(pool).await?;
        exclusions.apply(&mut users);
        Ok(Loaded {
            users,
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

#[utoipa::path(get, path = "/api/v1/admin/overview", params(WindowParams, ExclusionParams),
    responses((status = 200, description = "The beta's funnel and counts (founders only)", body = Overview)))]
async fn overview(
    State(state): State<AppState>,
    _: Founder,
    Query(q): Query<CohortQuery>,
) -> Result<Json<Overview>, AnalyticsError> {
    let window = q.window()?;
    let loaded = Loaded::read(&state.db, &q.exclusions()?).await?;
    let waitlist = store::waitlist(state.db.pool()).await?;
    Ok(Json(metrics::overview(&loaded.facts(), window, waitlist)))
}

#[utoipa::path(get, path = "/api/v1/admin/signups", params(WindowParams, IntervalParams, ExclusionParams),
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
    let loaded = Loaded::read(&state.db, &q.exclusions()?).await?;
    Ok(Json(metrics::signups(&loaded.facts(), window, interval)))
}

#[utoipa::path(get, path = "/api/v1/admin/retention", params(RetentionParams, ExclusionParams),
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
    let loaded = Loaded::read(&state.db, &q.exclusions()?).await?;
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
    let loaded = Loaded::read(&state.db, &Exclusions::default()).await?;
    Ok(Json(metrics::user_table(&loaded.facts())))
}

#[utoipa::path(get, path = "/api/v1/admin/users/{id}",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "One user's codes, pages and lifecycle", body = UserDetail)))]
async fn user(
    State(state): State<AppState>,
    _: Founder,
    Path(id): Path<String>,
) -> Result<Json<UserDetail>, AnalyticsError> {
    let pool = state.db.pool();
    let loaded = Loaded::read(&state.db, &Exclusions::default()).await?;
    let metrics = metrics::user_table(&loaded.facts())
        .into_iter()
        .find(|m| m.user_id == id);
    let timeline = store::timeline(pool, &id).await?;
    let hits = store::human_hits_by_target(pool, &id).await?;
    let code_names = crate::names::lookup(&state.db, &id, "qr").await;
    let page_names = crate::names::lookup(&state.db, &id, "microsite").await;
    let mut active_weeks: Vec<i64> = loaded
        .weeks
        .get(&id)
        .into_iter()
        .flatten()
        .copied()
        .collect();
    active_weeks.sort_unstable();
    Ok(Json(UserDetail {
        codes: metrics::targets(&timeline, &hits, ("created_qr", "scan"), &code_names),
        pages: metrics::targets(
            &timeline,
            &hits,
            ("published_microsite", "view"),
            &page_names,
        ),
        metrics,
        timeline,
        active_weeks,
    }))
}
