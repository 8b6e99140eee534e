//! What beta users tell us: the feedback control on every app page, the interview invitation,
//! the pricing page and the public abuse report form. Handlers are thin; `crate::beta` validates
//! and stores.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use axum::handler::Handler;
use shared::client_addr::ClientAddr;

use super::WebState;
use super::kit::{Errors, chrome};
use super::session::{
    self, Anyone, Csrf, Posted, PublicForm, Session, back_to, csrf_form, see_other,
};
use crate::beta::{FeedbackInput, Plan, REPORT_REASONS};

const FORM_LIMIT: usize = 16 * 1024;

fn small() -> DefaultBodyLimit {
    DefaultBodyLimit::max(FORM_LIMIT)
}

/// The routes that read the session (behind its layer); their forms go back to `/app` or
/// `/pricing` after logging in.
pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/app/feedback",
            post(feedback.layer(back_to("/app"))).layer(small()),
        )
        .route(
            "/app/interview",
            get(interview_card)
                .post(interview.layer(back_to("/app")))
                .layer(small()),
        )
        .route("/pricing", get(pricing))
        .route(
            "/pricing/choose",
            post(choose_plan.layer(back_to("/pricing"))).layer(small()),
        )
}

/// The abuse report form: anyone, signed in or not.
pub fn public_router() -> Router<WebState> {
    Router::new().route("/report", get(report_page).post(report).layer(small()))
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

// --- Feedback ----------------------------------------------------------------------------------

#[derive(Deserialize)]
struct FeedbackForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    rating: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/beta/feedback_result.html")]
struct FeedbackResult {
    chrome: Chrome,
    /// htmx asked: answer the fragment that replaces the form.
    fragment: bool,
    sent: bool,
    message: String,
    errors: Errors,
}

async fn feedback(
    State(state): State<WebState>,
    headers: HeaderMap,
    Posted(session, Form(form)): Posted<Form<FeedbackForm>>,
) -> Result<Response, ApiError> {
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    let input = FeedbackInput {
        message: &form.message,
        rating: Some(&form.rating),
        referer,
    };
    let (sent, errors, status) = match state.beta.send_feedback(&session.user_id, input).await {
        Ok(()) => (true, Errors::default(), StatusCode::OK),
        Err(err) => {
            let status = err.status();
            (false, Errors::from_api(err)?, status)
        }
    };
    let page = FeedbackResult {
        chrome: chrome(true, &form.csrf_token),
        fragment: is_htmx(&headers),
        sent,
        message: if sent { String::new() } else { form.message },
        errors,
    };
    // htmx swaps only 2xx answers by default: an error fragment is sent as 200 with the error.
    let status = if page.fragment {
        StatusCode::OK
    } else {
        status
    };
    Ok((status, page).into_response())
}

// --- Interview invitation ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/beta/interview_card.html")]
struct InterviewCard {
    chrome: Chrome,
    show: bool,
    thanks: Option<&'static str>,
    contact: String,
    time_zone: String,
    errors: Errors,
}

/// The card, loaded by htmx on app pages: shown after the user's first human scan, until they
/// answer. Empty otherwise (and when analytics cannot say).
async fn interview_card(
    State(state): State<WebState>,
    session: Option<Session>,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let Some(session) = session else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let answered = state.beta.interview_of(&session.user_id).await?.is_some();
    let show = !answered
        && state
            .clients
            .analytics
            .overview(&session.access_token, &super::analytics::all_time_query())
            .await
            .is_ok_and(|o| o.human_scans > 0);
    Ok(jar.apply(InterviewCard {
        chrome: chrome(true, &csrf),
        show,
        thanks: None,
        contact: String::new(),
        time_zone: String::new(),
        errors: Errors::default(),
    }))
}

#[derive(Deserialize)]
struct InterviewForm {
    #[serde(default)]
    csrf_token: String,
    /// `yes` or `no`.
    #[serde(default)]
    answer: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    time_zone: String,
}

async fn interview(
    State(state): State<WebState>,
    headers: HeaderMap,
    Posted(session, Form(form)): Posted<Form<InterviewForm>>,
) -> Result<Response, ApiError> {
    let opted_in = form.answer == "yes";
    let result = state
        .beta
        .answer_interview(
            &session.user_id,
            opted_in,
            &form.contact,
            &form.time_zone,
            None,
        )
        .await;
    let mut card = InterviewCard {
        chrome: chrome(true, &form.csrf_token),
        show: true,
        thanks: None,
        contact: form.contact,
        time_zone: form.time_zone,
        errors: Errors::default(),
    };
    match result {
        Ok(()) if !is_htmx(&headers) => return Ok(see_other("/app")),
        Ok(()) => {
            card.thanks = Some(if opted_in {
                "Thank you! We'll be in touch to find a time."
            } else {
                "No problem — we won't ask again."
            });
        }
        Err(err) => card.errors = Errors::from_api(err)?,
    }
    Ok(card.into_response())
}

// --- Pricing -------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/beta/pricing.html")]
struct PricingPage {
    chrome: Chrome,
    plans: Vec<Plan>,
    chosen: Option<String>,
    just_chose: bool,
    errors: Errors,
}

async fn pricing(
    State(state): State<WebState>,
    session: Option<Session>,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let chosen = match &session {
        Some(s) => state.beta.chosen_plan(&s.user_id).await?,
        None => None,
    };
    Ok(jar.apply(PricingPage {
        chrome: chrome(session.is_some(), &csrf),
        plans: state.beta.plans().to_vec(),
        chosen,
        just_chose: false,
        errors: Errors::default(),
    }))
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    plan: String,
}

async fn choose_plan(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<ChooseForm>>,
) -> Result<Response, ApiError> {
    let mut page = PricingPage {
        chrome: chrome(true, &form.csrf_token),
        plans: state.beta.plans().to_vec(),
        chosen: None,
        just_chose: false,
        errors: Errors::default(),
    };
    match state
        .beta
        .choose_plan(&session.user_id, &form.plan, None)
        .await
    {
        Ok(plan) => {
            page.chosen = Some(plan.name);
            page.just_chose = true;
            Ok(page.into_response())
        }
        Err(err) => {
            let status = err.status();
            page.errors = Errors::from_api(err)?;
            Ok((status, page).into_response())
        }
    }
}

// --- Abuse reports -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/beta/report.html")]
struct ReportPage {
    chrome: Chrome,
    reasons: &'static [(&'static str, &'static str)],
    target: String,
    reason: String,
    details: String,
    sent: bool,
    errors: Errors,
}

/// Pre-filled from the expired/paused/disabled pages (`code`) and microsite footers (`url`).
#[derive(Deserialize, Default)]
struct ReportQuery {
    target: Option<String>,
    code: Option<String>,
    url: Option<String>,
}

/// The longest pre-filled target (the field's own limit).
const MAX_TARGET_CHARS: usize = 2_048;

impl ReportQuery {
    /// The field's starting value, and the field's error when it is not a code or a web
    /// address: the value is kept (escaped by the template, control characters dropped, cut
    /// to the field's length) so the reporter sees what the link said, but it is flagged.
    fn prefill(self) -> (String, Errors) {
        let raw: String = [self.target, self.code, self.url]
            .into_iter()
            .flatten()
            .find(|v| !v.trim().is_empty())
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_TARGET_CHARS)
            .collect();
        let raw = raw.trim().to_owned();
        if raw.is_empty() {
            return (raw, Errors::default());
        }
        match crate::beta::clean_report_target(&raw) {
            Ok(clean) => (clean, Errors::default()),
            Err(err) => {
                let errors = Errors::from_api(err).unwrap_or_default();
                (raw, errors)
            }
        }
    }
}

async fn report_page(
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<ReportQuery>,
    Csrf(csrf, jar): Csrf,
) -> Response {
    let (target, errors) = q.prefill();
    jar.apply(ReportPage {
        chrome: chrome(session::has_session_cookie(&headers), &csrf),
        reasons: &REPORT_REASONS,
        target,
        reason: String::new(),
        details: String::new(),
        sent: false,
        errors,
    })
}

#[derive(Deserialize)]
struct ReportForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

async fn report(
    State(state): State<WebState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    Posted(Anyone, Form(form)): PublicForm<ReportForm>,
) -> Result<Response, ApiError> {
    let result = state
        .beta
        .report(ip, &form.target, &form.reason, &form.details)
        .await;
    let mut page = ReportPage {
        chrome: chrome(session::has_session_cookie(&headers), &form.csrf_token),
        reasons: &REPORT_REASONS,
        target: form.target,
        reason: form.reason,
        details: form.details,
        sent: false,
        errors: Errors::default(),
    };
    match result {
        Ok(()) => {
            page.sent = true;
            Ok(page.into_response())
        }
        Err(err) => {
            let status = err.status();
            page.errors = Errors::from_api(err)?;
            Ok((status, page).into_response())
        }
    }
}

csrf_form!(FeedbackForm, InterviewForm, ChooseForm, ReportForm);
