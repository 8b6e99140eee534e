//! The console's moderation: abuse reports with the reported code's owner and destination and
//! "Disable code" / "Enable" buttons, disabling and enabling accounts from the users table, and
//! the founder's domain blocklist. Every action is a founder form (CSRF, then role) that asks the
//! owning service through its client (qr for codes and domains, auth for accounts) and answers
//! with a redirect back to the page, which shows what happened: it all works without JavaScript.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;
use shared::ui::Chrome;

use qr::client::QrClient;
use qr::moderation::CodeLookup;
use qr::store::BlockedDomain;

use super::{FORM_LIMIT, ShowsDates, degrade};
use crate::beta::store::{self, Report};
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, Founder, Posted, Session, csrf_form, form_post, see_other};

/// Reported codes looked up per page view (one qr call each).
const MAX_LOOKUPS: usize = 50;

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route("/admin/reports", get(reports))
        .route(
            "/admin/reports/code",
            form_post(moderate_code, "/admin/reports", FORM_LIMIT),
        )
        .route(
            "/admin/users/account",
            form_post(moderate_user, "/admin/users", FORM_LIMIT),
        )
        .route(
            "/admin/blocklist",
            get(blocklist).post(block_domain).layer(small()),
        )
        .route(
            "/admin/blocklist/remove",
            form_post(unblock_domain, "/admin/blocklist", FORM_LIMIT),
        )
}

/// The result of an action, named in the redirect's query; only these fixed texts are shown.
#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "disabled" => "The code is disabled: it now shows the \u{201c}disabled\u{201d} page.",
        "enabled" => "The code is enabled again: it redirects as before.",
        "user-disabled" => "The account is disabled: it cannot sign in and its codes are disabled.",
        "user-enabled" => "The account is enabled again.",
        "blocked" => "The domain is blocked for new and edited codes.",
        "unblocked" => "The domain is no longer blocked.",
        _ => return None,
    })
}

/// The short code a report names: the code itself, or the last segment of a `/r/{code}` URL.
fn reported_code(target: &str) -> Option<String> {
    let target = target.trim();
    let candidate = match url::Url::parse(target) {
        Ok(url) => url
            .path()
            .strip_prefix("/r/")?
            .trim_end_matches('/')
            .to_owned(),
        Err(_) => target.to_owned(),
    };
    let valid = (3..=64).contains(&candidate.len())
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then(|| candidate.to_ascii_lowercase())
}

/// A 4xx from a service is the founder's to read; anything else fails the request.
fn client_message(err: ClientError) -> Result<String, ApiError> {
    match err.api_error() {
        Some(api) if api.status().is_client_error() => Ok(api.message().to_owned()),
        _ => Err(err.into()),
    }
}

// --- Abuse reports -------------------------------------------------------------------------------

/// A report with what qr says about the code it names.
struct ReportRow {
    report: Report,
    code: Option<String>,
    /// `None`: not a code, no such code, or qr did not answer.
    found: Option<CodeLookup>,
    owner_email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    rows: Vec<ReportRow>,
    notice: Option<&'static str>,
    error: Option<String>,
    /// qr did not answer: codes show no status.
    lookups_missing: bool,
}

impl ShowsDates for ReportsPage {}

async fn lookups(
    qr: &QrClient,
    token: &str,
    codes: impl Iterator<Item = String>,
) -> (HashMap<String, CodeLookup>, bool) {
    let mut found = HashMap::new();
    let mut missing = false;
    for code in codes.take(MAX_LOOKUPS) {
        match qr.admin_lookup(token, &code).await {
            Ok(lookup) => {
                found.insert(code, lookup);
            }
            Err(err)
                if err
                    .api_error()
                    .is_some_and(|e| e.status() == StatusCode::NOT_FOUND) => {}
            Err(err) => {
                missing = true;
                tracing::warn!(%err, "console: qr did not answer a lookup");
                break;
            }
        }
    }
    (found, missing)
}

async fn reports_page(
    state: &WebState,
    session: &Session,
    csrf: &str,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<ReportsPage, ApiError> {
    let token = &session.access_token;
    let reports = store::reports(state.beta.pool(), 500).await?;
    let codes: Vec<Option<String>> = reports.iter().map(|r| reported_code(&r.target)).collect();
    let mut distinct: Vec<String> = codes.iter().flatten().cloned().collect();
    let mut seen = std::collections::HashSet::new();
    distinct.retain(|c| seen.insert(c.clone()));
    let (found, lookups_missing) = lookups(&state.clients.qr, token, distinct.into_iter()).await;
    let emails: HashMap<String, String> =
        degrade("report owners", state.clients.auth.admin_users(token).await)
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
    let rows = reports
        .into_iter()
        .zip(codes)
        .map(|(report, code)| {
            let found = code.as_ref().and_then(|c| found.get(c)).cloned();
            let owner_email = found
                .as_ref()
                .map(|f| {
                    emails
                        .get(&f.owner_id)
                        .cloned()
                        .unwrap_or_else(|| "(unknown)".into())
                })
                .unwrap_or_default();
            ReportRow {
                report,
                code,
                found,
                owner_email,
            }
        })
        .collect();
    Ok(ReportsPage {
        chrome: chrome(true, csrf),
        rows,
        notice,
        error,
        lookups_missing,
    })
}

async fn reports(
    State(state): State<WebState>,
    Query(q): Query<NoticeQuery>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let page = reports_page(
        &state,
        &session,
        &csrf,
        notice_text(q.notice.as_deref()),
        None,
    )
    .await?;
    Ok(jar.apply(page).into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    /// `disable` or `enable`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// POST because HTML forms can't send anything else; answers with a redirect to the reports.
async fn moderate_code(
    State(state): State<WebState>,
    Posted(Founder(session), Form(form)): Posted<Form<CodeForm>, Founder>,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    let qr = &state.clients.qr;
    let result = match form.action.as_str() {
        "disable" => qr.admin_disable(token, &form.code, &form.reason).await,
        "enable" => qr.admin_enable(token, &form.code).await,
        _ => return Err(ApiError::invalid("action", "disable or enable")),
    };
    match result {
        Ok(_) => {
            let notice = if form.action == "disable" {
                "disabled"
            } else {
                "enabled"
            };
            Ok(see_other(&format!("/admin/reports?notice={notice}")))
        }
        Err(err) => {
            let message = client_message(err)?;
            let page =
                reports_page(&state, &session, &form.csrf_token, None, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// --- Accounts ------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    user_id: String,
    /// `disable` or `enable`.
    #[serde(default)]
    action: String,
}

/// Disables or enables an account (auth), back to the users table.
async fn moderate_user(
    State(state): State<WebState>,
    Posted(Founder(session), Form(form)): Posted<Form<AccountForm>, Founder>,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    let auth = &state.clients.auth;
    let notice = match form.action.as_str() {
        "disable" => {
            auth.admin_disable_user(token, &form.user_id).await?;
            "user-disabled"
        }
        "enable" => {
            auth.admin_enable_user(token, &form.user_id).await?;
            "user-enabled"
        }
        _ => return Err(ApiError::invalid("action", "disable or enable")),
    };
    Ok(see_other(&format!("/admin/users?notice={notice}")))
}

/// The users page's confirmation line (`?notice=`), for `console::users`.
pub(super) fn users_notice(key: Option<&str>) -> Option<&'static str> {
    notice_text(key).filter(|_| matches!(key, Some("user-disabled" | "user-enabled")))
}

// --- Blocklist -----------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/blocklist.html")]
struct BlocklistPage {
    chrome: Chrome,
    domains: Vec<BlockedDomain>,
    file_domains: usize,
    notice: Option<&'static str>,
    error: Option<String>,
    domain: String,
    reason: String,
}

impl ShowsDates for BlocklistPage {}

async fn blocklist_page(
    state: &WebState,
    session: &Session,
    csrf: &str,
    notice: Option<&'static str>,
) -> Result<BlocklistPage, ApiError> {
    let list = state
        .clients
        .qr
        .admin_blocklist(&session.access_token)
        .await?;
    Ok(BlocklistPage {
        chrome: chrome(true, csrf),
        domains: list.domains,
        file_domains: list.file_domains,
        notice,
        error: None,
        domain: String::new(),
        reason: String::new(),
    })
}

async fn blocklist(
    State(state): State<WebState>,
    Query(q): Query<NoticeQuery>,
    Founder(session): Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let page = blocklist_page(&state, &session, &csrf, notice_text(q.notice.as_deref())).await?;
    Ok(jar.apply(page).into_response())
}

#[derive(Deserialize)]
struct DomainForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    reason: String,
}

async fn block_domain(
    State(state): State<WebState>,
    Posted(Founder(session), Form(form)): Posted<Form<DomainForm>, Founder>,
) -> Result<Response, ApiError> {
    let result = state
        .clients
        .qr
        .admin_block(&session.access_token, &form.domain, &form.reason)
        .await;
    match result {
        Ok(()) => Ok(see_other("/admin/blocklist?notice=blocked")),
        Err(err) => {
            let message = client_message(err)?;
            let mut page = blocklist_page(&state, &session, &form.csrf_token, None).await?;
            page.error = Some(message);
            page.domain = form.domain.chars().take(300).collect();
            page.reason = form.reason.chars().take(600).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn unblock_domain(
    State(state): State<WebState>,
    Posted(Founder(session), Form(form)): Posted<Form<DomainForm>, Founder>,
) -> Result<Response, ApiError> {
    state
        .clients
        .qr
        .admin_unblock(&session.access_token, &form.domain)
        .await?;
    Ok(see_other("/admin/blocklist?notice=unblocked"))
}

#[cfg(test)]
mod tests {
    use super::reported_code;

    #[test]
    fn reports_name_codes_or_short_urls() {
        assert_eq!(reported_code(" AbC123x "), Some("abc123x".into()));
        assert_eq!(
            reported_code("https://scan.example/r/AbC123x"),
            Some("abc123x".into())
        );
        assert_eq!(reported_code("https://evil.example/login"), None);
        assert_eq!(reported_code("https://scan.example/r/a/b"), None);
        assert_eq!(reported_code("<script>"), None);
    }
}

csrf_form!(AccountForm, CodeForm, DomainForm);
