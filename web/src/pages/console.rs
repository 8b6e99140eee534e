//! The founder's console at `/admin`: signups and their sources, the waitlist, invite codes, the
//! activation funnel, weekly retention, the users table (and its CSV), feedback, interview
//! opt-ins, abuse reports and moderation (`moderation`), and the feature flags. Founders only: anyone else gets a 404 page, and
//! a visitor who is not signed in is sent to log in.
//!
//! Numbers come from the analytics service's `/api/v1/admin/*`, emails and the waitlist from
//! auth's `/api/v1/auth/admin/*`, feedback and reports from this service's own tables. When a
//! service does not answer, its part of the page says so and the rest still renders.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::handler::Handler;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use shared::ApiError;
use shared::features::Feature;
use shared::ui::Chrome;

use analytics::product::client::{Cohort, FunnelStep, Overview, SignupBucket, UserMetrics};
use auth::client::{AdminInvite, AdminUser, AdminWaitlistEntry};

use super::WebState;
use super::kit::{Errors, chrome};
use super::session::{Csrf, Founder, Posted, back_to, csrf_form, form_post, see_other};
use crate::beta::store::{self, Feedback, Interview};

const FORM_LIMIT: usize = 16 * 1024;

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/users", get(users))
        .route(
            "/admin/users.csv",
            get(users_csv.layer(back_to("/admin/users"))),
        )
        .route("/admin/waitlist", get(waitlist))
        .route(
            "/admin/waitlist/decide",
            form_post(decide, "/admin/waitlist", FORM_LIMIT),
        )
        .route(
            "/admin/invites",
            get(invites).post(create_invites).layer(small()),
        )
        .route("/admin/feedback", get(feedback))
        .merge(moderation::router())
        .merge(reports::router())
        .merge(outbox::router())
}

mod moderation;
mod outbox;
mod reports;

/// A service that did not answer degrades its part of the page.
fn degrade<T>(part: &str, result: Result<T, shared::client::ClientError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            tracing::warn!(%err, part, "console: a service did not answer");
            None
        }
    }
}

/// Pages whose templates show epoch-ms times as dates: `{{ Self::date(row.created_at) }}`.
trait ShowsDates {
    fn date(ms: &i64) -> String {
        day(*ms)
    }
}

fn day(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_default()
}

// --- Overview ------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct CohortQuery {
    from: Option<String>,
    to: Option<String>,
}

struct FeatureRow {
    name: &'static str,
    enabled: bool,
    summary: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    from: String,
    to: String,
    overview: Option<Overview>,
    weekly: Option<Vec<SignupBucket>>,
    sources: Vec<String>,
    retention: Option<Vec<Cohort>>,
    max_weeks: usize,
    features: Vec<FeatureRow>,
}

impl OverviewPage {
    fn percent(step: &FunnelStep) -> String {
        format!("{:.0}%", step.conversion * 100.0)
    }

    fn week_label(ms: &i64) -> String {
        day(*ms)
    }

    fn share(active: &i64, size: &i64) -> String {
        if *size == 0 {
            String::new()
        } else {
            format!("{:.0}%", *active as f64 * 100.0 / *size as f64)
        }
    }

    fn count_for(bucket: &SignupBucket, source: &str) -> i64 {
        bucket.by_source.get(source).copied().unwrap_or(0)
    }
}

async fn overview(
    State(state): State<WebState>,
    Query(q): Query<CohortQuery>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    let cohort: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [("from", &q.from), ("to", &q.to)]
                .into_iter()
                .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v))),
        )
        .finish();
    let console = &state.clients.console;
    let overview = match console.overview(token, &cohort).await {
        Ok(o) => Some(o),
        // A bad date is the founder's typo: show it, don't fail the page.
        Err(err)
            if err
                .api_error()
                .is_some_and(|e| e.status().is_client_error()) =>
        {
            return Err(err.into());
        }
        Err(err) => degrade("overview", Err(err)),
    };
    let weekly = degrade(
        "signups",
        console
            .signups(token, &format!("interval=week&{cohort}"))
            .await,
    );
    let mut sources: Vec<String> = weekly
        .iter()
        .flatten()
        .flat_map(|b| b.by_source.keys().cloned())
        .collect();
    sources.sort();
    sources.dedup();
    let retention = degrade("retention", console.retention(token, 8).await);
    let max_weeks = retention
        .iter()
        .flatten()
        .map(|c| c.active.len())
        .max()
        .unwrap_or(0);
    let features = Feature::ALL
        .iter()
        .map(|&f| FeatureRow {
            name: f.name(),
            enabled: state.features.is_enabled(f),
            summary: f.summary(),
        })
        .collect();
    Ok(jar.apply(OverviewPage {
        chrome: chrome(true, &csrf),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        overview,
        weekly,
        sources,
        retention,
        max_weeks,
        features,
    }))
}

// --- Users ---------------------------------------------------------------------------------------

/// One row of the users table: auth's account joined with analytics' numbers and our own
/// interview answer.
struct UserRow {
    id: String,
    /// Founders cannot be disabled: their row has no button.
    founder: bool,
    disabled: bool,
    email: String,
    signed_up: String,
    signed_up_at: i64,
    source: String,
    demo: bool,
    qr_codes: i64,
    microsites: i64,
    human_scans: i64,
    last_active: String,
    last_active_at: i64,
    pricing_plan: String,
    interview: &'static str,
    contact: String,
    feedback: i64,
}

#[derive(Deserialize, Default)]
struct UsersQuery {
    q: Option<String>,
    sort: Option<String>,
    /// Set by the disable/enable redirect (`moderation`).
    notice: Option<String>,
}

const SORTS: [(&str, &str); 6] = [
    ("signed_up", "Signed up"),
    ("email", "Email"),
    ("qr_codes", "QR codes"),
    ("human_scans", "Human scans"),
    ("last_active", "Last active"),
    ("feedback", "Feedback"),
];

async fn user_rows(state: &WebState, token: &str) -> Result<(Vec<UserRow>, bool), ApiError> {
    let accounts: Vec<AdminUser> = state.clients.auth.admin_users(token).await?;
    let metrics = degrade("users", state.clients.console.users(token).await);
    let numbers_missing = metrics.is_none();
    let by_id: HashMap<String, UserMetrics> = metrics
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.user_id.clone(), m))
        .collect();
    let contacts: HashMap<String, Interview> = store::interview_optins(state.beta.pool())
        .await?
        .into_iter()
        .map(|i| (i.user_id.clone(), i))
        .collect();
    let rows = accounts
        .into_iter()
        .map(|a| {
            let m = by_id.get(&a.id);
            let last_active_at = m.and_then(|m| m.last_active_at).unwrap_or(a.created_at);
            UserRow {
                founder: a.role == "founder",
                disabled: a.disabled,
                signed_up: day(a.created_at),
                signed_up_at: a.created_at,
                source: a.source,
                demo: a.demo,
                qr_codes: m.map_or(0, |m| m.qr_codes),
                microsites: m.map_or(0, |m| m.microsites_published),
                human_scans: m.map_or(0, |m| m.human_scans),
                last_active: day(last_active_at),
                last_active_at,
                pricing_plan: m.and_then(|m| m.pricing_plan.clone()).unwrap_or_default(),
                interview: match m.and_then(|m| m.interview) {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "",
                },
                contact: contacts
                    .get(&a.id)
                    .and_then(|i| i.contact.clone())
                    .unwrap_or_default(),
                feedback: m.map_or(0, |m| m.feedback_count),
                email: a.email,
                id: a.id,
            }
        })
        .collect();
    Ok((rows, numbers_missing))
}

fn filter_and_sort(rows: &mut Vec<UserRow>, q: &str, sort: &str) {
    let needle = q.trim().to_lowercase();
    if !needle.is_empty() {
        rows.retain(|r| {
            r.email.contains(&needle)
                || r.source.to_lowercase().contains(&needle)
                || r.pricing_plan.to_lowercase().contains(&needle)
        });
    }
    match sort {
        "email" => rows.sort_by(|a, b| a.email.cmp(&b.email)),
        "qr_codes" => rows.sort_by_key(|r| std::cmp::Reverse(r.qr_codes)),
        "human_scans" => rows.sort_by_key(|r| std::cmp::Reverse(r.human_scans)),
        "last_active" => rows.sort_by_key(|r| std::cmp::Reverse(r.last_active_at)),
        "feedback" => rows.sort_by_key(|r| std::cmp::Reverse(r.feedback)),
        _ => rows.sort_by_key(|r| std::cmp::Reverse(r.signed_up_at)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    q: String,
    sort: String,
    sorts: &'static [(&'static str, &'static str)],
    numbers_missing: bool,
    notice: Option<&'static str>,
}

impl UsersPage {
    /// The CSV of exactly what the table shows (same search and order).
    fn csv_href(&self) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("sort", &self.sort)
            .finish();
        format!("/admin/users.csv?{query}")
    }
}

async fn users(
    State(state): State<WebState>,
    Query(query): Query<UsersQuery>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let (mut rows, numbers_missing) = user_rows(&state, &session.access_token).await?;
    let q = query.q.unwrap_or_default();
    let sort = query.sort.unwrap_or_else(|| "signed_up".into());
    filter_and_sort(&mut rows, &q, &sort);
    Ok(jar.apply(UsersPage {
        chrome: chrome(true, &csrf),
        rows,
        q,
        sort,
        sorts: &SORTS,
        numbers_missing,
        notice: moderation::users_notice(query.notice.as_deref()),
    }))
}

/// Spreadsheet apps run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula: such
/// cells get a leading apostrophe so an email or label can never become `=cmd|…`.
fn csv_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

async fn users_csv(
    State(state): State<WebState>,
    Query(query): Query<UsersQuery>,
    Founder(session): Founder,
) -> Result<Response, ApiError> {
    let (mut rows, _) = user_rows(&state, &session.access_token).await?;
    filter_and_sort(
        &mut rows,
        query.q.as_deref().unwrap_or_default(),
        query.sort.as_deref().unwrap_or("signed_up"),
    );
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "email",
        "signed_up",
        "source",
        "demo",
        "qr_codes",
        "microsites_published",
        "human_scans",
        "last_active",
        "pricing_plan",
        "interview",
        "interview_contact",
        "feedback",
    ];
    let csv_error = |e: csv::Error| ApiError::internal(e);
    out.write_record(header).map_err(csv_error)?;
    for r in &rows {
        out.write_record([
            csv_cell(&r.email),
            r.signed_up.clone(),
            csv_cell(&r.source),
            (if r.demo { "yes" } else { "" }).to_owned(),
            r.qr_codes.to_string(),
            r.microsites.to_string(),
            r.human_scans.to_string(),
            r.last_active.clone(),
            csv_cell(&r.pricing_plan),
            r.interview.to_owned(),
            csv_cell(&r.contact),
            r.feedback.to_string(),
        ])
        .map_err(csv_error)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"scanpage-users.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

// --- Waitlist and invites ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/waitlist.html")]
struct WaitlistPage {
    chrome: Chrome,
    entries: Vec<AdminWaitlistEntry>,
    notice: Option<String>,
}

impl ShowsDates for WaitlistPage {}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn waitlist(
    State(state): State<WebState>,
    Query(q): Query<NoticeQuery>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let entries = state
        .clients
        .auth
        .admin_waitlist(&session.access_token)
        .await?;
    let notice = match q.notice.as_deref() {
        Some("approved") if state.email_delivery => Some(
            "Approved: their account is made with the password they chose, and they were \
             emailed a sign-in link (see Outbox)."
                .to_owned(),
        ),
        Some("approved") => Some(
            "Approved: their account is made with the password they chose. Email is off, so \
             nothing was sent: tell them they can sign in (the message is in Outbox)."
                .to_owned(),
        ),
        Some("rejected") => Some("Rejected.".to_owned()),
        _ => None,
    };
    Ok(jar.apply(WaitlistPage {
        chrome: chrome(true, &csrf),
        entries,
        notice,
    }))
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    /// `approve` or `reject`.
    decision: String,
}

async fn decide(
    State(state): State<WebState>,
    Posted(Founder(session), Form(form)): Posted<Form<DecideForm>, Founder>,
) -> Result<Response, ApiError> {
    let auth = &state.clients.auth;
    let notice = match form.decision.as_str() {
        "approve" => {
            auth.admin_approve(&session.access_token, &form.email)
                .await?;
            "approved"
        }
        "reject" => {
            auth.admin_reject(&session.access_token, &form.email)
                .await?;
            "rejected"
        }
        _ => return Err(ApiError::invalid("decision", "approve or reject")),
    };
    Ok(see_other(&format!("/admin/waitlist?notice={notice}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/invites.html")]
struct InvitesPage {
    chrome: Chrome,
    invites: Vec<AdminInvite>,
    created: Vec<String>,
    count: String,
    label: String,
    errors: Errors,
}

impl ShowsDates for InvitesPage {}

async fn invites(
    State(state): State<WebState>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let invites = state
        .clients
        .auth
        .admin_invites(&session.access_token)
        .await?;
    Ok(jar.apply(InvitesPage {
        chrome: chrome(true, &csrf),
        invites,
        created: Vec::new(),
        count: "5".into(),
        label: String::new(),
        errors: Errors::default(),
    }))
}

#[derive(Deserialize)]
struct InvitesForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    label: String,
}

async fn create_invites(
    State(state): State<WebState>,
    Posted(Founder(session), Form(form)): Posted<Form<InvitesForm>, Founder>,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    let auth = &state.clients.auth;
    let mut page = InvitesPage {
        chrome: chrome(true, &form.csrf_token),
        invites: Vec::new(),
        created: Vec::new(),
        count: form.count.clone(),
        label: form.label.clone(),
        errors: Errors::default(),
    };
    let result = match form.count.trim().parse::<usize>() {
        Ok(n) => auth
            .admin_create_invites(token, n, Some(form.label.as_str()))
            .await
            .map_err(ApiError::from),
        Err(_) => Err(ApiError::invalid("count", "A number of codes, e.g. 10.")),
    };
    match result {
        Ok(codes) => page.created = codes,
        Err(err) => page.errors = Errors::from_api(err)?,
    }
    page.invites = auth.admin_invites(token).await?;
    Ok(page.into_response())
}

// --- Feedback ------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/feedback.html")]
struct FeedbackPage {
    chrome: Chrome,
    feedback: Vec<(Feedback, String)>,
    interviews: Vec<(Interview, String)>,
}

impl ShowsDates for FeedbackPage {}

async fn feedback(
    State(state): State<WebState>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let emails: HashMap<String, String> = state
        .clients
        .auth
        .admin_users(&session.access_token)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let email_of = |id: &str| {
        emails
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(deleted)".into())
    };
    let pool = state.beta.pool();
    let feedback = store::feedback(pool, 500)
        .await?
        .into_iter()
        .map(|f| {
            let email = email_of(&f.user_id);
            (f, email)
        })
        .collect();
    let interviews = store::interview_optins(pool)
        .await?
        .into_iter()
        .map(|i| {
            let email = email_of(&i.user_id);
            (i, email)
        })
        .collect();
    Ok(jar.apply(FeedbackPage {
        chrome: chrome(true, &csrf),
        feedback,
        interviews,
    }))
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("ada@example.com"), "ada@example.com");
    }
}

csrf_form!(DecideForm, InvitesForm);
