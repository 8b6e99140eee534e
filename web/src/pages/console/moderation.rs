//! The console's moderation outside the report queue (`reports`): disabling and enabling accounts
//! from the users table, and the founder's domain blocklist. Every action is a founder form (CSRF,
//! then role) that asks the owning service through its client (qr for domains, auth for accounts)
//! and answers with a redirect back to the page, which shows what happened: it all works without
//! JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;
use shared::ui::Chrome;

use qr::store::BlockedDomain;

use super::kit::{FounderForm, FounderPage};
use super::{FORM_LIMIT, ShowsDates};
use crate::pages::WebState;
use crate::pages::session::{form_post, see_other};

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
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
        "user-disabled" => "The account is disabled: it cannot sign in and its codes are disabled.",
        "user-enabled" => "The account is enabled again.",
        "blocked" => "The domain is blocked for new and edited codes.",
        "unblocked" => "The domain is no longer blocked.",
        _ => return None,
    })
}

/// A 4xx from a service is the founder's to read; anything else fails the request.
pub(super) fn client_message(err: ClientError) -> Result<String, ApiError> {
    match err.api_error() {
        Some(api) if api.status().is_client_error() => Ok(api.message().to_owned()),
        _ => Err(err.into()),
    }
}

// --- Accounts ------------------------------------------------------------------------------------

/// The users table's account button. Any other value is refused by the form reader (the friendly
/// "that request was not valid" page) before anything is asked of auth.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum AccountAction {
    Disable,
    Enable,
}

#[derive(Deserialize)]
struct AccountForm {
    user_id: String,
    action: AccountAction,
}

/// Disables or enables an account (auth), back to the users table.
async fn moderate_user(
    State(state): State<WebState>,
    FounderForm(founder, AccountForm { user_id, action }): FounderForm<AccountForm>,
) -> Result<Response, ApiError> {
    let auth = &state.clients.auth;
    match action {
        AccountAction::Disable => auth.admin_disable_user(founder.token(), &user_id).await?,
        AccountAction::Enable => auth.admin_enable_user(founder.token(), &user_id).await?,
    }
    let notice = match action {
        AccountAction::Disable => "user-disabled",
        AccountAction::Enable => "user-enabled",
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
    founder: &FounderPage,
    notice: Option<&'static str>,
) -> Result<BlocklistPage, ApiError> {
    let list = state.clients.qr.admin_blocklist(founder.token()).await?;
    Ok(BlocklistPage {
        chrome: founder.chrome(),
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
    founder: FounderPage,
) -> Result<Response, ApiError> {
    let page = blocklist_page(&state, &founder, notice_text(q.notice.as_deref())).await?;
    Ok(founder.render(page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainForm {
    domain: String,
    reason: String,
}

async fn block_domain(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<DomainForm>,
) -> Result<Response, ApiError> {
    let result = state
        .clients
        .qr
        .admin_block(founder.token(), &form.domain, &form.reason)
        .await;
    match result {
        Ok(()) => Ok(see_other("/admin/blocklist?notice=blocked")),
        Err(err) => {
            let message = client_message(err)?;
            let mut page = blocklist_page(&state, &founder, None).await?;
            page.error = Some(message);
            page.domain = form.domain.chars().take(300).collect();
            page.reason = form.reason.chars().take(600).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn unblock_domain(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<DomainForm>,
) -> Result<Response, ApiError> {
    state
        .clients
        .qr
        .admin_unblock(founder.token(), &form.domain)
        .await?;
    Ok(see_other("/admin/blocklist?notice=unblocked"))
}
