//! The account settings page and its forms: password, API keys, second factor, email,
//! sessions, the data export and deleting the account.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use auth::client::{ApiKeyInfo, SessionInfo, TotpSetupInfo};
use shared::client::ClientError;

use crate::pages::kit::{Errors, chrome};
use crate::pages::session::csrf_form;
use crate::pages::session::{CookieJar, Csrf, CsrfOnly, Posted, Session, see_other};
use crate::pages::{Spot, WebState};

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    email: String,
    keys: Vec<ApiKeyInfo>,
    new_key: Option<String>,
    key_name: String,
    notice: Option<&'static str>,
    password_errors: Errors,
    key_errors: Errors,
    delete_errors: Errors,
    two_factor_enabled: bool,
    totp_setup: Option<TotpSetupInfo>,
    recovery_codes: Vec<String>,
    totp_errors: Errors,
    /// For the future features' spots ("Workspaces", "Weekly summary").
    features: shared::features::Features,
    sessions: Vec<SessionInfo>,
    new_email: String,
    email_errors: Errors,
}

impl SettingsPage {
    /// A time for the sessions list, in UTC (the page does not know the reader's zone).
    fn when(ms: &i64) -> String {
        jiff::Timestamp::from_millisecond(*ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    }

    /// The recovery codes one per line, for the text area to copy from.
    fn recovery_text(&self) -> String {
        self.recovery_codes.join("\n")
    }

    /// The recovery codes as a text file, for the "Download" link: a `data:` URL so the codes
    /// are never stored or served again by us.
    fn recovery_download(&self) -> String {
        format!(
            "data:text/plain;charset=utf-8,Scanpage%20recovery%20codes%0A{}%0A",
            self.recovery_codes.join("%0A")
        )
    }

    /// The account's future features: the real control when on, else "Coming soon".
    fn spots(&self) -> Vec<Spot> {
        use shared::features::Feature;
        vec![
            Spot::of(
                self.features,
                Feature::TenantGateway,
                "Workspaces",
                None,
                "Today every account is its own workspace; teams come with this.",
            ),
            Spot::of(
                self.features,
                Feature::Insights,
                "Weekly summary",
                None,
                "POST /api/v1/insights/weekly queues this week's summary to your email.",
            ),
            Spot::of(
                self.features,
                Feature::Domains,
                "Custom domains",
                None,
                "Register with POST /api/v1/domains; a founder approves, then it serves your codes.",
            ),
        ]
    }

    async fn load(
        state: &WebState,
        session: &Session,
        csrf: &str,
    ) -> Result<SettingsPage, ApiError> {
        // The page shows more than the token holds (the address, whether 2FA is on).
        let user = state.clients.auth.me_with(&session.access_token).await?;
        let keys = state.clients.auth.api_keys(&session.access_token).await?;
        let sessions = state.clients.auth.sessions(&session.access_token).await?;
        Ok(SettingsPage {
            chrome: chrome(true, csrf),
            email: user.email,
            keys,
            new_key: None,
            key_name: String::new(),
            notice: None,
            password_errors: Errors::default(),
            key_errors: Errors::default(),
            delete_errors: Errors::default(),
            two_factor_enabled: user.two_factor_enabled,
            totp_setup: None,
            recovery_codes: Vec::new(),
            totp_errors: Errors::default(),
            features: state.features,
            sessions,
            new_email: String::new(),
            email_errors: Errors::default(),
        })
    }
}

#[derive(Deserialize)]
pub(super) struct SettingsQuery {
    notice: Option<String>,
}

pub(super) async fn page(
    State(state): State<WebState>,
    Query(q): Query<SettingsQuery>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let mut page = SettingsPage::load(&state, &session, &csrf).await?;
    page.notice = match q.notice.as_deref() {
        Some("password") => Some("Your password has been changed; your other sessions have ended."),
        Some("key-deleted") => Some("The API key has been deleted."),
        Some("2fa-off") => Some("Two-factor authentication is off."),
        Some("email-link") => Some(
            "We sent a link to the new address. Your email changes when you open it (within 24 hours).",
        ),
        Some("session-ended") => Some("That session has been signed out."),
        Some("others-ended") => Some("Every other session has been signed out."),
        _ => None,
    };
    Ok(jar.apply(page))
}

/// The common start of every settings form: CSRF, then the session.
/// A state-changing form from a signed-in page: the CSRF token is checked first, then the
/// session (or a redirect to log in, back to `here`).
#[derive(Deserialize)]
pub(super) struct PasswordForm {
    current_password: String,
    new_password: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn password(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<PasswordForm>>,
) -> Result<Response, ApiError> {
    let changed = state
        .clients
        .auth
        .change_password(
            &session.access_token,
            &form.current_password,
            &form.new_password,
        )
        .await;
    let csrf = &form.csrf_token;
    done_or_refused(
        &state,
        &session,
        csrf,
        changed,
        "password",
        |page, errors| {
            page.password_errors = errors;
        },
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct KeyForm {
    name: String,
    #[serde(default)]
    csrf_token: String,
    // One checkbox per scope; unchecked boxes are simply absent.
    #[serde(default, rename = "scope_qr_read")]
    qr_read: Option<String>,
    #[serde(default, rename = "scope_qr_write")]
    qr_write: Option<String>,
    #[serde(default, rename = "scope_microsites_read")]
    microsites_read: Option<String>,
    #[serde(default, rename = "scope_microsites_write")]
    microsites_write: Option<String>,
    #[serde(default, rename = "scope_analytics_read")]
    analytics_read: Option<String>,
    #[serde(default, rename = "scope_account_read")]
    account_read: Option<String>,
}

impl KeyForm {
    fn scopes(&self) -> Option<Vec<String>> {
        let picked: Vec<String> = [
            (&self.qr_read, "qr:read"),
            (&self.qr_write, "qr:write"),
            (&self.microsites_read, "microsites:read"),
            (&self.microsites_write, "microsites:write"),
            (&self.analytics_read, "analytics:read"),
            (&self.account_read, "account:read"),
        ]
        .into_iter()
        .filter(|(on, _)| on.is_some())
        .map(|(_, scope)| scope.to_owned())
        .collect();
        // None ticked means the default: every scope but `account:read`.
        (!picked.is_empty()).then_some(picked)
    }
}

pub(super) async fn create_key(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<KeyForm>>,
) -> Result<Response, ApiError> {
    let created = state
        .clients
        .auth
        .create_api_key(&session.access_token, &form.name, form.scopes())
        .await;
    match created {
        Ok(key) => {
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            // Shown once, on this page only; never stored in the clear.
            page.new_key = key.key;
            Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
        }
        Err(err) => {
            let name = form.name;
            refused(&state, &session, &form.csrf_token, err, |page, errors| {
                page.key_errors = errors;
                page.key_name = name;
            })
            .await
        }
    }
}

pub(super) async fn delete_key(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    state
        .clients
        .auth
        .delete_api_key(&session.access_token, &id)
        .await?;
    Ok(see_other("/app/settings?notice=key-deleted"))
}

/// The zip of everything the user has (see `account_data`).
pub(super) async fn export(
    State(state): State<WebState>,
    session: Session,
) -> Result<Response, ApiError> {
    let zip = crate::pages::account_data::export_zip(&state, &session.access_token).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        crate::pages::account_data::export_file_name()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        zip,
    )
        .into_response())
}

pub(super) async fn totp_setup(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let setup = state.clients.auth.totp_setup(&session.access_token).await;
    let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
    match setup {
        Ok(setup) => page.totp_setup = Some(setup),
        Err(err) => page.totp_errors = Errors::from_client(err)?.0,
    }
    // The page carries a secret: never cache it.
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    code: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn totp_enable(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<CodeForm>>,
) -> Result<Response, ApiError> {
    let enabled = state
        .clients
        .auth
        .totp_enable(&session.access_token, &form.code)
        .await;
    let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
    let status = match enabled {
        Ok(codes) => {
            page.two_factor_enabled = true;
            page.recovery_codes = codes;
            StatusCode::OK
        }
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let errors = errors.at("totp_code");
            page.totp_errors = errors;
            // The same pending secret again, so a typo does not cost a rescan.
            page.totp_setup = state
                .clients
                .auth
                .totp_pending(&session.access_token)
                .await
                .ok();
            status
        }
    };
    Ok((status, [(header::CACHE_CONTROL, "no-store")], page).into_response())
}

pub(super) async fn totp_disable(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<CodeForm>>,
) -> Result<Response, ApiError> {
    let disabled = state
        .clients
        .auth
        .totp_disable(&session.access_token, &form.code)
        .await;
    let csrf = &form.csrf_token;
    done_or_refused(
        &state,
        &session,
        csrf,
        disabled,
        "2fa-off",
        |page, errors| {
            page.totp_errors = errors.at("totp_code");
        },
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct DeleteForm {
    password: String,
    /// The typed phrase `delete my account`.
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf_token: String,
}

/// Deletes the account after the password and the typed phrase, then says what went. The
/// counts are gathered from each service first: afterwards there is nothing left to count.
pub(super) async fn delete(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<DeleteForm>>,
) -> Result<Response, ApiError> {
    // A phrase that is wrong is known here: no need to ask every service for counts first.
    let owned = if auth::service::confirms_deletion(&form.confirm) {
        crate::pages::account_data::count_owned(&state, &session.access_token).await
    } else {
        crate::pages::account_data::Owned::default()
    };
    match state
        .clients
        .auth
        .delete_account(&session.access_token, &form.password, &form.confirm)
        .await
    {
        Ok(()) => {
            let mut jar = CookieJar::default();
            jar.sign_out(&state);
            let page = crate::pages::account_data::DeletedPage {
                chrome: chrome(false, ""),
                owned,
            };
            Ok(jar.apply(([(header::CACHE_CONTROL, "no-store")], page)))
        }
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            page.delete_errors = errors;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub(super) struct EmailForm {
    new_email: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn email(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<EmailForm>>,
) -> Result<Response, ApiError> {
    let asked = state
        .clients
        .auth
        .change_email(&session.access_token, &form.new_email, &form.password)
        .await;
    let csrf = &form.csrf_token;
    done_or_refused(
        &state,
        &session,
        csrf,
        asked,
        "email-link",
        |page, errors| {
            page.email_errors = errors;
            page.new_email = form.new_email.clone();
        },
    )
    .await
}

/// A settings form's outcome: back to the settings page saying `notice`, or the page again with
/// auth's refusal placed by `show` (a real failure is the error page).
async fn done_or_refused(
    state: &WebState,
    session: &Session,
    csrf: &str,
    result: Result<(), ClientError>,
    notice: &str,
    show: impl FnOnce(&mut SettingsPage, Errors),
) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/app/settings?notice={notice}"))),
        Err(err) => refused(state, session, csrf, err, show).await,
    }
}

/// The settings page again with auth's refusal placed by `show` (a real failure is the error
/// page).
async fn refused(
    state: &WebState,
    session: &Session,
    csrf: &str,
    err: ClientError,
    show: impl FnOnce(&mut SettingsPage, Errors),
) -> Result<Response, ApiError> {
    let (errors, status) = Errors::from_client(err)?;
    let mut page = SettingsPage::load(state, session, csrf).await?;
    show(&mut page, errors);
    Ok((status, page).into_response())
}

pub(super) async fn revoke_session(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    state
        .clients
        .auth
        .revoke_session(&session.access_token, &id)
        .await?;
    Ok(see_other("/app/settings?notice=session-ended"))
}

pub(super) async fn revoke_others(
    State(state): State<WebState>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    state
        .clients
        .auth
        .revoke_other_sessions(&session.access_token)
        .await?;
    Ok(see_other("/app/settings?notice=others-ended"))
}

csrf_form!(PasswordForm, KeyForm, CodeForm, DeleteForm, EmailForm);
