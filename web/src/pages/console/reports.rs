//! The console's abuse-report queue at `/admin/reports`: reports grouped by what they name, each
//! group with its target resolved through the owning service (a code through qr, a page through
//! microsite, the owner's email through auth), and the actions that fit its kind: disable the
//! code, unpublish the page, disable the owner's account, or dismiss. A decision closes every
//! open report of the group as acted or dismissed, recording the action, the founder and the
//! time. Tabs show the open, acted and dismissed reports. Every action is a founder form (CSRF,
//! then role) answered with a redirect back, so it all works without JavaScript.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;
use shared::ui::Chrome;

use auth::client::AdminUser;
use microsite::contract::PageLookup;
use qr::moderation::CodeLookup;

use super::kit::{FounderForm, FounderPage};
use super::moderation::client_message;
use super::{FORM_LIMIT, ShowsDates, degrade};
use crate::beta::report_queue::{self, ReportAction, ReportGroup, ReportTarget};
use crate::beta::report_store::{self, Decision, ReportStatus};
use crate::pages::WebState;
use crate::pages::session::{form_post, see_other};

/// Reports read per tab; open ones are acted on by target, so all of them are read then.
const TAB_LIMIT: i64 = 500;
const OPEN_LIMIT: i64 = 10_000;
/// Targets looked up per page view (one service call each).
const MAX_LOOKUPS: usize = 50;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/reports", get(queue))
        .route(
            "/admin/reports/act",
            form_post(act, "/admin/reports", FORM_LIMIT),
        )
        .route(
            "/admin/reports/enable-code",
            form_post(enable_code, "/admin/reports", FORM_LIMIT),
        )
}

/// What the owning service says about a group's target.
#[derive(Debug, Clone)]
enum Found {
    Code(CodeLookup),
    Page(PageLookup),
    /// One of ours by its shape, but no such code or page (any more).
    Missing,
    /// The service did not answer (or the page view's lookups ran out).
    Unknown,
    /// Not a code or page of ours at all.
    NotOurs,
}

impl Found {
    fn owner_id(&self) -> Option<&str> {
        match self {
            Found::Code(code) => Some(&code.owner_id),
            Found::Page(page) => Some(&page.owner_id),
            _ => None,
        }
    }
}

/// A group of reports as the queue shows it.
struct QueueRow {
    group: ReportGroup,
    found: Found,
    owner: Option<AdminUser>,
    /// The actions offered (open reports only).
    actions: Vec<ReportAction>,
}

impl QueueRow {
    fn owner_email(&self) -> &str {
        self.owner
            .as_ref()
            .map_or("(unknown)", |u| u.email.as_str())
    }

    /// The owner's page in the console, when the owner is known.
    fn owner_href(&self) -> Option<String> {
        self.owner.as_ref().map(|u| super::kit::user_href(&u.id))
    }

    fn owner_disabled(&self) -> bool {
        self.owner.as_ref().is_some_and(|u| u.disabled)
    }

    /// The reason the "Disable code" form suggests.
    fn suggested_reason(&self) -> String {
        let top = self.group.reasons().first().map_or("", |(label, _)| *label);
        format!("Reported: {top}")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/reports.html")]
struct QueuePage {
    chrome: Chrome,
    tab: ReportStatus,
    rows: Vec<QueueRow>,
    notice: Option<&'static str>,
    error: Option<String>,
    /// A service did not answer: some targets show no owner or state.
    lookups_missing: bool,
}

impl ShowsDates for QueuePage {}

impl QueuePage {
    fn tabs(&self) -> [(ReportStatus, &'static str); 3] {
        [
            (ReportStatus::Open, "Open"),
            (ReportStatus::Acted, "Acted on"),
            (ReportStatus::Dismissed, "Dismissed"),
        ]
    }

    fn day(ms: i64) -> String {
        Self::date(&ms)
    }

    /// Date and time, for "who acted when".
    fn when(ms: &i64) -> String {
        jiff::Timestamp::from_millisecond(*ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    state: Option<String>,
    notice: Option<String>,
}

/// The outcome named in the redirect's query; only these fixed texts are shown.
fn notice_text(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "disable_code" => "The code is disabled: it now shows the \u{201c}disabled\u{201d} page.",
        "unpublish_page" => {
            "The page is unpublished: visitors now get \u{201c}page not found\u{201d}."
        }
        "disable_account" => {
            "The account is disabled: it cannot sign in and its codes are disabled."
        }
        "dismiss" => "Dismissed: the reports are closed with nothing done.",
        "enabled" => "The code is enabled again: it redirects as before.",
        "closed" => "Those reports had already been closed.",
        _ => return None,
    })
}

fn is_not_found(err: &ClientError) -> bool {
    err.api_error()
        .is_some_and(|e| e.status() == StatusCode::NOT_FOUND)
}

/// Asks the owning services about each group's target, until one stops answering.
struct Resolver<'a> {
    state: &'a WebState,
    token: &'a str,
    calls: usize,
    missing: bool,
}

impl Resolver<'_> {
    async fn resolve(&mut self, target: &ReportTarget) -> Found {
        if matches!(target, ReportTarget::Other(_)) {
            return Found::NotOurs;
        }
        if self.missing || self.calls >= MAX_LOOKUPS {
            return Found::Unknown;
        }
        self.calls += 1;
        let clients = &self.state.clients;
        let answer = match target {
            ReportTarget::Code(code) => clients
                .qr
                .admin_lookup(self.token, code)
                .await
                .map(Found::Code),
            ReportTarget::Microsite(slug) => clients
                .microsite
                .admin_lookup(self.token, slug)
                .await
                .map(Found::Page),
            ReportTarget::Other(_) => return Found::NotOurs,
        };
        match answer {
            Ok(found) => found,
            Err(err) if is_not_found(&err) => Found::Missing,
            Err(err) => {
                tracing::warn!(%err, "console: a report's target could not be looked up");
                self.missing = true;
                Found::Unknown
            }
        }
    }
}

async fn queue_page(
    state: &WebState,
    founder: &FounderPage,
    tab: ReportStatus,
) -> Result<QueuePage, ApiError> {
    let token = founder.token();
    let reports = report_store::reports(state.beta.pool(), tab, TAB_LIMIT).await?;
    let users: HashMap<String, AdminUser> =
        degrade("report owners", state.clients.auth.admin_users(token).await)
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
    let mut resolver = Resolver {
        state,
        token,
        calls: 0,
        missing: false,
    };
    let mut rows = Vec::new();
    for group in report_queue::group(reports) {
        let found = resolver.resolve(&group.target).await;
        let owner = found.owner_id().and_then(|id| users.get(id)).cloned();
        // Acting needs the target to exist (its owner known); dismissing never does.
        let actions = if tab == ReportStatus::Open {
            ReportAction::ALL
                .into_iter()
                .filter(|a| a.applies_to(&group.target))
                .filter(|a| *a == ReportAction::Dismiss || found.owner_id().is_some())
                .collect()
        } else {
            Vec::new()
        };
        rows.push(QueueRow {
            group,
            found,
            owner,
            actions,
        });
    }
    Ok(QueuePage {
        chrome: founder.chrome(),
        tab,
        rows,
        notice: None,
        error: None,
        lookups_missing: resolver.missing,
    })
}

async fn queue(
    State(state): State<WebState>,
    Query(q): Query<QueueQuery>,
    founder: FounderPage,
) -> Result<Response, ApiError> {
    let tab = q
        .state
        .as_deref()
        .and_then(ReportStatus::parse)
        .unwrap_or(ReportStatus::Open);
    let mut page = queue_page(&state, &founder, tab).await?;
    page.notice = notice_text(q.notice.as_deref());
    Ok(founder.render(page))
}

/// The open queue again with what went wrong (a 422), after a service refused an action.
async fn refused(state: &WebState, founder: &FounderPage, message: String) -> Response {
    match queue_page(state, founder, ReportStatus::Open).await {
        Ok(mut page) => {
            page.error = Some(message);
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(err) => err.into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActForm {
    /// `ReportTarget::key`.
    target: String,
    /// `ReportAction::as_str`.
    action: String,
    /// Why a code is disabled (shown to its owner).
    reason: String,
}

/// Carries out `action` on `target` through the owning service.
async fn carry_out(
    state: &WebState,
    token: &str,
    target: &ReportTarget,
    action: ReportAction,
    reason: &str,
) -> Result<(), ClientError> {
    let clients = &state.clients;
    match (action, target) {
        (ReportAction::DisableCode, ReportTarget::Code(code)) => {
            clients.qr.admin_disable(token, code, reason).await?;
        }
        (ReportAction::UnpublishPage, ReportTarget::Microsite(slug)) => {
            clients.microsite.admin_unpublish(token, slug).await?;
        }
        (ReportAction::DisableAccount, ReportTarget::Code(code)) => {
            let owner = clients.qr.admin_lookup(token, code).await?.owner_id;
            clients.auth.admin_disable_user(token, &owner).await?;
        }
        (ReportAction::DisableAccount, ReportTarget::Microsite(slug)) => {
            let owner = clients.microsite.admin_lookup(token, slug).await?.owner_id;
            clients.auth.admin_disable_user(token, &owner).await?;
        }
        // Dismissing does nothing; other pairs were refused before (`applies_to`).
        _ => {}
    }
    Ok(())
}

/// The acting founder's email as auth has it now (kept with the decision); `None` when auth
/// does not answer, which does not stop the decision being recorded with their id.
async fn founder_email(state: &WebState, founder: &FounderPage) -> Option<String> {
    let session = &founder.session;
    let users = degrade(
        "the founder's email",
        state.clients.auth.admin_users(&session.access_token).await,
    )?;
    users
        .into_iter()
        .find(|u| u.id == session.user_id)
        .map(|u| u.email)
}

/// POST because HTML forms can't send anything else: acts on a target and closes its open
/// reports, then back to the queue.
async fn act(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<ActForm>,
) -> Result<Response, ApiError> {
    let target = ReportTarget::parse_key(&form.target)
        .ok_or_else(|| ApiError::invalid("target", "No such report target."))?;
    let action = ReportAction::parse(&form.action)
        .filter(|a| a.applies_to(&target))
        .ok_or_else(|| {
            ApiError::invalid(
                "action",
                format!(
                    "That action does not apply to a {}.",
                    target.kind().to_lowercase()
                ),
            )
        })?;
    let pool = state.beta.pool();
    let open = report_store::reports(pool, ReportStatus::Open, OPEN_LIMIT).await?;
    let ids = report_queue::ids_about(&open, &target);
    if ids.is_empty() {
        return Ok(see_other("/admin/reports?notice=closed"));
    }
    let token = founder.token();
    if let Err(err) = carry_out(&state, token, &target, action, form.reason.trim()).await {
        let message = client_message(err)?;
        return Ok(refused(&state, &founder, message).await);
    }
    let email = founder_email(&state, &founder).await;
    let decision = Decision {
        status: action.status(),
        action: action.as_str(),
        by_id: &founder.session.user_id,
        by_email: email.as_deref(),
        at: shared::ids::now_ms(),
    };
    report_store::decide(pool, &ids, &decision).await?;
    tracing::info!(
        action = action.as_str(),
        reports = ids.len(),
        "abuse reports decided"
    );
    Ok(see_other(&format!(
        "/admin/reports?notice={}",
        action.as_str()
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

/// Undoes "Disable code" from the acted tab (the reports stay closed: they were acted on).
async fn enable_code(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<CodeForm>,
) -> Result<Response, ApiError> {
    match state
        .clients
        .qr
        .admin_enable(founder.token(), &form.code)
        .await
    {
        Ok(_) => Ok(see_other("/admin/reports?state=acted&notice=enabled")),
        Err(err) => {
            let message = client_message(err)?;
            Ok(refused(&state, &founder, message).await)
        }
    }
}
