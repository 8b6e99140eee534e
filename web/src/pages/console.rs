//! The founder's console at `/admin`: signups and their sources, the waitlist, invite codes, the
//! activation funnel, weekly retention, the users table (and its CSV), feedback, interview
//! opt-ins, abuse reports and moderation (`moderation`); one page per user (`person`), the
//! interview pipeline (`interviews`), the feature flags (`flags`) and the founders' weekly digest
//! sent on demand. Founders only: anyone else gets a 404 page, and a visitor who is not signed in
//! is sent to log in.
//!
//! Numbers come from the analytics service's `/api/v1/admin/*`, emails and the waitlist from
//! auth's `/api/v1/auth/admin/*`, feedback and reports from this service's own tables. When a
//! service does not answer, its part of the page says so and the rest still renders.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use analytics::product::client::{Overview, UserMetrics};
use auth::client::{AdminInvite, AdminUser, AdminWaitlistEntry};

use super::WebState;
use super::kit::Errors;
use super::session::{CsrfOnly, Founder, Posted, back_to, form_post, see_other};
use crate::beta::digest;
use crate::beta::store::{self, Feedback, Interview};
use charts::{FunnelChart, RetentionHeat, SignupChart};
use kit::{Counted, FounderForm, FounderPage, csv_cell, csv_download, user_href};

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
        .route(
            "/admin/digest",
            form_post(send_digest, "/admin", FORM_LIMIT),
        )
        .merge(moderation::router())
        .merge(reports::router())
        .merge(outbox::router())
        .merge(person::router())
        .merge(interviews::router())
        .merge(flags::router())
}

mod charts;
mod flags;
mod interviews;
pub(crate) mod kit;
mod moderation;
mod outbox;
mod person;
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

pub(crate) fn day(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_default()
}

// --- Overview ------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct CohortQuery {
    from: Option<String>,
    to: Option<String>,
    /// "include founders and demo users" ticked.
    everyone: Option<String>,
    /// Set by "send digest now": how many founders it was queued for.
    digest: Option<usize>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    from: String,
    to: String,
    everyone: bool,
    founders_left_out: usize,
    overview: Option<Overview>,
    funnel: Option<FunnelChart>,
    signups: Option<SignupChart>,
    retention: Option<RetentionHeat>,
    /// What "send digest now" did.
    notice: Option<String>,
}

async fn overview(
    State(state): State<WebState>,
    Query(q): Query<CohortQuery>,
    page: FounderPage,
) -> Result<Response, ApiError> {
    let token = page.token();
    let everyone = q.everyone.as_deref().is_some_and(|v| !v.is_empty());
    let counted = Counted::ask(&state, token, everyone).await?;
    let cohort: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [("from", &q.from), ("to", &q.to)]
                .into_iter()
                .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v))),
        )
        .extend_pairs(counted.query_pairs())
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
    let signups = weekly.map(|weeks| {
        let mut sources: Vec<String> = weeks
            .iter()
            .flat_map(|b| b.by_source.keys().cloned())
            .collect();
        sources.sort();
        sources.dedup();
        SignupChart::new(&weeks, &sources, day)
    });
    let retention = degrade(
        "retention",
        console.retention(token, 8, &counted.query()).await,
    )
    .map(|cohorts| RetentionHeat::new(&cohorts, day));
    let notice = q.digest.map(|n| {
        if state.email_delivery {
            format!("The digest is queued for {n} founder(s) (see Outbox).")
        } else {
            format!(
                "Email is off, so nothing was sent: the digest for {n} founder(s) is in the Outbox."
            )
        }
    });
    let chrome = page.chrome();
    Ok(page.render(OverviewPage {
        chrome,
        notice,
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        everyone,
        founders_left_out: counted.founder_ids.len(),
        funnel: overview.as_ref().map(|o| FunnelChart::new(&o.funnel)),
        overview,
        signups,
        retention,
    }))
}

// --- Users ---------------------------------------------------------------------------------------

/// One row of the users table: auth's account joined with analytics' numbers and our own
/// interview answer.
struct UserRow {
    id: String,
    /// Their page in the console.
    href: String,
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
                href: user_href(&a.id),
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
    page: FounderPage,
) -> Result<Response, ApiError> {
    let (mut rows, numbers_missing) = user_rows(&state, page.token()).await?;
    let q = query.q.unwrap_or_default();
    let sort = query.sort.unwrap_or_else(|| "signed_up".into());
    filter_and_sort(&mut rows, &q, &sort);
    let chrome = page.chrome();
    Ok(page.render(UsersPage {
        chrome,
        rows,
        q,
        sort,
        sorts: &SORTS,
        numbers_missing,
        notice: moderation::users_notice(query.notice.as_deref()),
    }))
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
    csv_download(
        "scanpage-users.csv",
        [
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
        ],
        rows.into_iter().map(|r| {
            [
                csv_cell(&r.email),
                r.signed_up,
                csv_cell(&r.source),
                (if r.demo { "yes" } else { "" }).to_owned(),
                r.qr_codes.to_string(),
                r.microsites.to_string(),
                r.human_scans.to_string(),
                r.last_active,
                csv_cell(&r.pricing_plan),
                r.interview.to_owned(),
                csv_cell(&r.contact),
                r.feedback.to_string(),
            ]
        }),
    )
}

// --- Waitlist and invites ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/waitlist.html")]
struct WaitlistPage {
    chrome: Chrome,
    entries: Vec<AdminWaitlistEntry>,
    /// Accounts by email: an approved entry links to its user's page.
    accounts: HashMap<String, String>,
    notice: Option<String>,
}

impl ShowsDates for WaitlistPage {}

impl WaitlistPage {
    fn href(&self, email: &str) -> Option<&String> {
        self.accounts.get(email)
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn waitlist(
    State(state): State<WebState>,
    Query(q): Query<NoticeQuery>,
    page: FounderPage,
) -> Result<Response, ApiError> {
    let auth = &state.clients.auth;
    let entries = auth.admin_waitlist(page.token()).await?;
    let accounts = auth
        .admin_users(page.token())
        .await?
        .into_iter()
        .map(|u| (u.email, user_href(&u.id)))
        .collect();
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
    let chrome = page.chrome();
    Ok(page.render(WaitlistPage {
        chrome,
        entries,
        accounts,
        notice,
    }))
}

/// The waitlist row's two buttons. Any other value is refused by the form reader (the friendly
/// "that request was not valid" page) before anything is asked of auth.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Decision {
    Approve,
    Reject,
}

#[derive(Deserialize)]
struct DecideForm {
    email: String,
    decision: Decision,
}

async fn decide(
    State(state): State<WebState>,
    FounderForm(founder, DecideForm { email, decision }): FounderForm<DecideForm>,
) -> Result<Response, ApiError> {
    let auth = &state.clients.auth;
    let notice = match decision {
        Decision::Approve => auth
            .admin_approve(founder.token(), &email)
            .await
            .map(|_| "approved"),
        Decision::Reject => auth
            .admin_reject(founder.token(), &email)
            .await
            .map(|()| "rejected"),
    }?;
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

async fn invites(State(state): State<WebState>, page: FounderPage) -> Result<Response, ApiError> {
    let invites = state.clients.auth.admin_invites(page.token()).await?;
    let chrome = page.chrome();
    Ok(page.render(InvitesPage {
        chrome,
        invites,
        created: Vec::new(),
        count: "5".into(),
        label: String::new(),
        errors: Errors::default(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InvitesForm {
    count: String,
    label: String,
}

async fn create_invites(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<InvitesForm>,
) -> Result<Response, ApiError> {
    let token = founder.token();
    let auth = &state.clients.auth;
    let mut page = InvitesPage {
        chrome: founder.chrome(),
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

/// One message with who sent it.
struct FeedbackRow {
    feedback: Feedback,
    email: String,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/feedback.html")]
struct FeedbackPage {
    chrome: Chrome,
    feedback: Vec<FeedbackRow>,
}

impl ShowsDates for FeedbackPage {}

/// Emails by user id (auth's accounts): who sent what, who is on which card.
pub(crate) struct Emails(HashMap<String, String>);

impl Emails {
    pub(crate) async fn ask(state: &WebState, token: &str) -> Result<Emails, ApiError> {
        let users = state.clients.auth.admin_users(token).await?;
        Ok(Emails(users.into_iter().map(|u| (u.id, u.email)).collect()))
    }

    /// The user's email, or "(deleted)" for an account that is gone.
    pub(crate) fn of(&self, user_id: &str) -> String {
        self.0
            .get(user_id)
            .cloned()
            .unwrap_or_else(|| "(deleted)".into())
    }
}

async fn feedback(State(state): State<WebState>, page: FounderPage) -> Result<Response, ApiError> {
    let emails = Emails::ask(&state, page.token()).await?;
    let feedback = store::feedback(state.beta.pool(), 500)
        .await?
        .into_iter()
        .map(|f| FeedbackRow {
            email: emails.of(&f.user_id),
            href: user_href(&f.user_id),
            feedback: f,
        })
        .collect();
    let chrome = page.chrome();
    Ok(page.render(FeedbackPage { chrome, feedback }))
}

// --- Weekly digest -------------------------------------------------------------------------------

/// "Send digest now": this week's numbers to every founder, through the outbox.
async fn send_digest(
    State(state): State<WebState>,
    Posted(Founder(session), Form(_)): Posted<Form<CsrfOnly>, Founder>,
) -> Result<Response, ApiError> {
    let outbox = kit::outbox(&state, "the digest is sent where auth runs")?;
    let sources = digest::Sources {
        clients: state.clients.clone(),
        pool: state.beta.pool().clone(),
    };
    let (numbers, founders) = sources
        .gather(&session.access_token, shared::ids::now_ms())
        .await?;
    let queued = digest::send(outbox, &numbers, &founders).await?;
    Ok(see_other(&format!("/admin?digest={queued}")))
}
