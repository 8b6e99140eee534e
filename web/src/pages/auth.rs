//! Sign-up, log-in, log-out, password reset and account settings.
//! Every form works without JavaScript, keeps what was typed (never a password), shows errors
//! next to their field, and carries the session's CSRF token. No state changes on GET.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;
use shared::identity::{ACCESS_COOKIE, cookie_value};
use shared::ui::Chrome;

use auth::client::{ApiKeyInfo, SessionInfo, TotpSetupInfo};
use auth::domain::Attribution;

use super::WebState;
use super::session::{self, CookieJar, Session, check_csrf, csrf_token, safe_next, see_other};

/// Credentials forms are tiny; a bigger body is refused before anything else happens.
const FORM_LIMIT: usize = 4 * 1024;

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route(
            "/signup",
            get(signup_page).post(signup_submit).layer(small()),
        )
        .route("/login", get(login_page).post(login_submit).layer(small()))
        .route("/login/mfa", post(mfa_submit).layer(small()))
        .route("/logout", post(logout))
        .route(
            "/forgot",
            get(forgot_page).post(forgot_submit).layer(small()),
        )
        .route(
            "/reset/{token}",
            get(reset_page).post(reset_submit).layer(small()),
        )
        .route("/verify/{token}", get(verify_page).post(verify_submit))
        .route("/app/settings", get(settings_page))
        .route(
            "/app/settings/password",
            post(settings_password).layer(small()),
        )
        .route(
            "/app/settings/api-keys",
            post(settings_create_key).layer(small()),
        )
        // POST because HTML forms cannot send DELETE.
        .route(
            "/app/settings/api-keys/{id}/delete",
            post(settings_delete_key),
        )
        .route("/app/settings/export", get(settings_export))
        .route("/app/settings/2fa/setup", post(settings_totp_setup))
        .route(
            "/app/settings/2fa/enable",
            post(settings_totp_enable).layer(small()),
        )
        .route(
            "/app/settings/2fa/disable",
            post(settings_totp_disable).layer(small()),
        )
        .route("/app/settings/delete", post(settings_delete).layer(small()))
        .route("/app/settings/email", post(settings_email).layer(small()))
        // POST because HTML forms cannot send DELETE.
        .route(
            "/app/settings/sessions/{id}/revoke",
            post(settings_revoke_session),
        )
        .route(
            "/app/settings/sessions/revoke-others",
            post(settings_revoke_others),
        )
        .route(
            "/confirm-email/{token}",
            get(confirm_email_page).post(confirm_email_submit),
        )
}

/// A form's error: on one field, or about the whole form.
#[derive(Debug, Default)]
pub(super) struct Errors {
    field: Option<String>,
    message: Option<String>,
}

impl Errors {
    #[cfg(test)]
    fn field(field: &str, message: &str) -> Errors {
        Errors {
            field: Some(field.to_owned()),
            message: Some(message.to_owned()),
        }
    }

    /// The message for `field`, if the error is about it.
    pub fn on(&self, field: &str) -> Option<&str> {
        match &self.field {
            Some(f) if f == field => self.message.as_deref(),
            _ => None,
        }
    }

    /// A message not tied to a field shown here.
    pub fn general(&self, shown: &[&str]) -> Option<&str> {
        match &self.field {
            Some(f) if shown.contains(&f.as_str()) => None,
            _ => self.message.as_deref(),
        }
    }

    /// A 4xx (a validation error, a rate limit) becomes a form error; anything else is a real
    /// failure.
    pub(super) fn from_api(err: ApiError) -> Result<Errors, ApiError> {
        if err.status().is_client_error() {
            Ok(Errors {
                field: err.field().map(str::to_owned),
                message: Some(err.message().to_owned()),
            })
        } else {
            Err(err)
        }
    }

    /// A 4xx from auth becomes a form error; anything else is a real failure.
    pub(super) fn from_client(err: ClientError) -> Result<(Errors, StatusCode), ApiError> {
        match err.api_error() {
            Some(api) if api.status().is_client_error() => Ok((
                Errors {
                    field: api.field().map(str::to_owned),
                    message: Some(api.message().to_owned()),
                },
                api.status(),
            )),
            _ => Err(err.into()),
        }
    }
}

pub(super) fn chrome(signed_in: bool, csrf: &str) -> Chrome {
    Chrome {
        signed_in,
        csrf_token: csrf.to_owned(),
    }
}

// --- Sign up -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/signup.html")]
struct SignupPage {
    chrome: Chrome,
    email: String,
    invite_code: String,
    next: String,
    errors: Errors,
    waitlisted: bool,
    /// The sign-up was taken: the answer is by email (the same for every address).
    check_email: bool,
    /// Whether that email is really delivered (else the page says it was not sent).
    email_delivery: bool,
    /// Where the visitor came from, carried through the form for the founder's console.
    attribution: Attribution,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    invite: Option<String>,
    notice: Option<String>,
    utm_source: Option<String>,
}

async fn signup_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
    jar.apply(SignupPage {
        chrome: chrome(false, &csrf),
        email: String::new(),
        invite_code: q.invite.unwrap_or_default(),
        next: safe_next(q.next.as_deref()),
        errors: Errors::default(),
        waitlisted: false,
        check_email: false,
        email_delivery: state.email_delivery,
        attribution: Attribution::clean(
            q.utm_source.as_deref(),
            external_referrer(&headers, &state.public_host),
        ),
    })
}

/// The `Referer` of the signup page when it is another site (our own pages are not a source).
fn external_referrer<'a>(headers: &'a HeaderMap, own_host: &str) -> Option<&'a str> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = url::Url::parse(referer)
        .ok()?
        .host_str()
        .map(str::to_owned)?;
    (host != own_host).then_some(referer)
}

#[derive(Deserialize)]
struct SignupForm {
    email: String,
    password: String,
    #[serde(default)]
    invite_code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    utm_source: String,
    #[serde(default)]
    referrer: String,
}

async fn signup_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<SignupForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    let invite = Some(form.invite_code.trim()).filter(|c| !c.is_empty());
    let attribution = Attribution::clean(Some(&form.utm_source), Some(&form.referrer));
    let result = state
        .clients
        .auth
        .signup(&form.email, &form.password, invite, &attribution)
        .await;
    let mut page = SignupPage {
        chrome: chrome(false, &form.csrf_token),
        email: form.email.clone(),
        invite_code: form.invite_code.clone(),
        next: safe_next(Some(&form.next)),
        errors: Errors::default(),
        waitlisted: false,
        check_email: false,
        email_delivery: state.email_delivery,
        attribution,
    };
    match result {
        Ok(answer) if answer.waitlisted => {
            page.waitlisted = true;
            Ok((StatusCode::ACCEPTED, page).into_response())
        }
        // Signed in at once: an older auth service (split mode mid-upgrade) still answers so.
        Ok(answer) if answer.access_token.is_some() => {
            let mut jar = CookieJar::default();
            jar.sign_in(&state, &answer);
            Ok(jar.apply(see_other(&page.next)))
        }
        Ok(_) => {
            page.check_email = true;
            Ok((StatusCode::ACCEPTED, page).into_response())
        }
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            page.errors = errors;
            Ok((status, page).into_response())
        }
    }
}

// --- Log in --------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    notice: Option<&'static str>,
    errors: Errors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/mfa.html")]
struct MfaPage {
    chrome: Chrome,
    mfa_token: String,
    next: String,
    errors: Errors,
}

fn notice(key: Option<&str>) -> Option<&'static str> {
    match key {
        Some("reset") => Some("Your password has been changed. Log in with the new one."),
        Some("signed-out") => Some("You have been logged out."),
        _ => None,
    }
}

async fn login_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
    jar.apply(LoginPage {
        chrome: chrome(false, &csrf),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: notice(q.notice.as_deref()),
        errors: Errors::default(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

async fn login_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    let next = safe_next(Some(&form.next));
    let mut jar = CookieJar::default();
    let device = session::device(&state, &headers, &mut jar);
    match state
        .clients
        .auth
        .login_from(&form.email, &form.password, &device)
        .await
    {
        Ok(answer) if answer.mfa_required => Ok(jar.apply(MfaPage {
            chrome: chrome(false, &form.csrf_token),
            mfa_token: answer.mfa_token.unwrap_or_default(),
            next,
            errors: Errors::default(),
        })),
        Ok(answer) => {
            jar.sign_in(&state, &answer);
            Ok(jar.apply(see_other(&next)))
        }
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let page = LoginPage {
                chrome: chrome(false, &form.csrf_token),
                email: form.email,
                next,
                notice: None,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct MfaForm {
    mfa_token: String,
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

async fn mfa_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<MfaForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    let next = safe_next(Some(&form.next));
    let mut jar = CookieJar::default();
    let device = session::device(&state, &headers, &mut jar);
    match state
        .clients
        .auth
        .login_mfa_from(&form.mfa_token, &form.code, &device)
        .await
    {
        Ok(answer) => {
            jar.sign_in(&state, &answer);
            Ok(jar.apply(see_other(&next)))
        }
        Err(err) => {
            let (mut errors, status) = Errors::from_client(err)?;
            errors.field = Some("code".into());
            let page = MfaPage {
                chrome: chrome(false, &form.csrf_token),
                mfa_token: form.mfa_token,
                next,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    if let Some(access) = cookie_value(&headers, ACCESS_COOKIE).filter(|t| !t.is_empty()) {
        // Already ended or expired is fine: the cookies go either way.
        if let Err(err) = state.clients.auth.logout(&access).await
            && err.api_error().is_none()
        {
            return Err(err.into());
        }
    }
    let mut jar = CookieJar::default();
    jar.sign_out(&state);
    Ok(jar.apply(see_other("/login?notice=signed-out")))
}

// --- Password reset ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    email: String,
    sent: bool,
    email_delivery: bool,
    errors: Errors,
}

async fn forgot_page(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
    jar.apply(ForgotPage {
        chrome: chrome(false, &csrf),
        email: String::new(),
        sent: false,
        email_delivery: state.email_delivery,
        errors: Errors::default(),
    })
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
    #[serde(default)]
    csrf_token: String,
}

async fn forgot_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    let mut page = ForgotPage {
        chrome: chrome(false, &form.csrf_token),
        email: form.email.clone(),
        sent: false,
        email_delivery: state.email_delivery,
        errors: Errors::default(),
    };
    match state.clients.auth.forgot_password(&form.email).await {
        Ok(()) => page.sent = true,
        Err(err) => page.errors = Errors::from_client(err)?.0,
    }
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/reset.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    usable: bool,
    errors: Errors,
}

async fn reset_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
    let usable = state.clients.auth.reset_token_usable(&token).await?;
    let page = ResetPage {
        chrome: chrome(false, &csrf),
        token,
        usable,
        errors: Errors::default(),
    };
    // The token is in the URL: keep it out of Referer headers to other sites.
    Ok(jar.apply(([(header::REFERRER_POLICY, "no-referrer")], page)))
}

#[derive(Deserialize)]
struct ResetForm {
    new_password: String,
    #[serde(default)]
    csrf_token: String,
}

async fn reset_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    match state
        .clients
        .auth
        .reset_password(&token, &form.new_password)
        .await
    {
        Ok(()) => Ok(see_other("/login?notice=reset")),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let usable = errors.field.is_some();
            let page = ResetPage {
                chrome: chrome(false, &form.csrf_token),
                token,
                usable,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    token: String,
    done: bool,
    failed: bool,
}

async fn verify_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
    let page = VerifyPage {
        chrome: chrome(false, &csrf),
        token,
        done: false,
        failed: false,
    };
    jar.apply(([(header::REFERRER_POLICY, "no-referrer")], page))
}

/// The confirmation link's button: activates the account, verifies the address and signs in
/// (cookies), then on to the dashboard. A used or expired link gets the friendly page.
async fn verify_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    let mut jar = CookieJar::default();
    let device = session::device(&state, &headers, &mut jar);
    match state.clients.auth.confirm(&token, &device).await {
        Ok(answer) if answer.mfa_required => Ok(jar.apply(MfaPage {
            chrome: chrome(false, &form.csrf_token),
            mfa_token: answer.mfa_token.unwrap_or_default(),
            next: "/app".into(),
            errors: Errors::default(),
        })),
        Ok(answer) => {
            jar.sign_in(&state, &answer);
            Ok(jar.apply(see_other("/app")))
        }
        Err(err) => {
            let (_, status) = Errors::from_client(err)?;
            let page = VerifyPage {
                chrome: chrome(false, &form.csrf_token),
                token,
                done: false,
                failed: true,
            };
            Ok((status, page).into_response())
        }
    }
}

// --- The signed-in app ---------------------------------------------------------------------

/// The session, or a redirect to the login page that comes back here afterwards.
pub(super) async fn require_session(
    state: &WebState,
    headers: &HeaderMap,
    jar: &mut CookieJar,
    here: &str,
) -> Result<Result<Session, Response>, ApiError> {
    match session::current(state, headers, jar).await? {
        Some(session) => {
            // Every signed-in page view is activity (at most one heartbeat per user per hour).
            state.beta.touch(&session.user.id);
            Ok(Ok(session))
        }
        None => Ok(Err(see_other(&format!("/login?next={here}")))),
    }
}

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
    fn spots(&self) -> Vec<super::Spot> {
        use shared::features::Feature;
        vec![
            super::Spot::of(
                self.features,
                Feature::TenantGateway,
                "Workspaces",
                None,
                "Today every account is its own workspace; teams come with this.",
            ),
            super::Spot::of(
                self.features,
                Feature::Insights,
                "Weekly summary",
                None,
                "POST /api/v1/insights/weekly queues this week's summary to your email.",
            ),
            super::Spot::of(
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
        let keys = state.clients.auth.api_keys(&session.access_token).await?;
        let sessions = state.clients.auth.sessions(&session.access_token).await?;
        Ok(SettingsPage {
            chrome: chrome(true, csrf),
            email: session.user.email.clone(),
            keys,
            new_key: None,
            key_name: String::new(),
            notice: None,
            password_errors: Errors::default(),
            key_errors: Errors::default(),
            delete_errors: Errors::default(),
            two_factor_enabled: session.user.two_factor_enabled,
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
struct SettingsQuery {
    notice: Option<String>,
}

async fn settings_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app/settings").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
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
pub(super) async fn form_session(
    state: &WebState,
    headers: &HeaderMap,
    csrf: &str,
    jar: &mut CookieJar,
    here: &str,
) -> Result<Result<Session, Response>, ApiError> {
    check_csrf(headers, csrf)?;
    require_session(state, headers, jar, here).await
}

async fn settings_form(
    state: &WebState,
    headers: &HeaderMap,
    csrf: &str,
    jar: &mut CookieJar,
) -> Result<Result<Session, Response>, ApiError> {
    form_session(state, headers, csrf, jar, "/app/settings").await
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    #[serde(default)]
    csrf_token: String,
}

async fn settings_password(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let auth = &state.clients.auth;
    match auth
        .change_password(
            &session.access_token,
            &form.current_password,
            &form.new_password,
        )
        .await
    {
        Ok(()) => Ok(jar.apply(see_other("/app/settings?notice=password"))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            page.password_errors = errors;
            Ok(jar.apply((status, page)))
        }
    }
}

#[derive(Deserialize)]
struct KeyForm {
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

async fn settings_create_key(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<KeyForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
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
            Ok(jar.apply(([(header::CACHE_CONTROL, "no-store")], page)))
        }
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            page.key_errors = errors;
            page.key_name = form.name;
            Ok(jar.apply((status, page)))
        }
    }
}

async fn settings_delete_key(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state
        .clients
        .auth
        .delete_api_key(&session.access_token, &id)
        .await?;
    Ok(jar.apply(see_other("/app/settings?notice=key-deleted")))
}

/// The zip of everything the user has (see `account_data`).
async fn settings_export(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app/settings").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let zip = super::account_data::export_zip(&state, &session.access_token).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        super::account_data::export_file_name()
    );
    Ok(jar.apply((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        zip,
    )))
}

async fn settings_totp_setup(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let setup = state.clients.auth.totp_setup(&session.access_token).await;
    let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
    match setup {
        Ok(setup) => page.totp_setup = Some(setup),
        Err(err) => page.totp_errors = Errors::from_client(err)?.0,
    }
    // The page carries a secret: never cache it.
    Ok(jar.apply(([(header::CACHE_CONTROL, "no-store")], page)))
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
    #[serde(default)]
    csrf_token: String,
}

async fn settings_totp_enable(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
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
            let (mut errors, status) = Errors::from_client(err)?;
            errors.field = Some("totp_code".into());
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
    Ok(jar.apply((status, [(header::CACHE_CONTROL, "no-store")], page)))
}

async fn settings_totp_disable(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    match state
        .clients
        .auth
        .totp_disable(&session.access_token, &form.code)
        .await
    {
        Ok(()) => Ok(jar.apply(see_other("/app/settings?notice=2fa-off"))),
        Err(err) => {
            let (mut errors, status) = Errors::from_client(err)?;
            errors.field = Some("totp_code".into());
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            page.totp_errors = errors;
            Ok(jar.apply((status, page)))
        }
    }
}

#[derive(Deserialize)]
struct DeleteForm {
    password: String,
    /// The typed phrase `delete my account`.
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf_token: String,
}

/// Deletes the account after the password and the typed phrase, then says what went. The
/// counts are gathered from each service first: afterwards there is nothing left to count.
async fn settings_delete(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<DeleteForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    // A phrase that is wrong is known here: no need to ask every service for counts first.
    let owned = if auth::service::confirms_deletion(&form.confirm) {
        super::account_data::count_owned(&state, &session.access_token).await
    } else {
        Default::default()
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
            let page = super::account_data::DeletedPage {
                chrome: chrome(false, ""),
                owned,
            };
            Ok(jar.apply(([(header::CACHE_CONTROL, "no-store")], page)))
        }
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            page.delete_errors = errors;
            Ok(jar.apply((status, page)))
        }
    }
}

#[derive(Deserialize)]
struct EmailForm {
    new_email: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
}

async fn settings_email(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    match state
        .clients
        .auth
        .change_email(&session.access_token, &form.new_email, &form.password)
        .await
    {
        Ok(()) => Ok(jar.apply(see_other("/app/settings?notice=email-link"))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let mut page = SettingsPage::load(&state, &session, &form.csrf_token).await?;
            page.email_errors = errors;
            page.new_email = form.new_email;
            Ok(jar.apply((status, page)))
        }
    }
}

async fn settings_revoke_session(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state
        .clients
        .auth
        .revoke_session(&session.access_token, &id)
        .await?;
    Ok(jar.apply(see_other("/app/settings?notice=session-ended")))
}

async fn settings_revoke_others(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match settings_form(&state, &headers, &form.csrf_token, &mut jar).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state
        .clients
        .auth
        .revoke_other_sessions(&session.access_token)
        .await?;
    Ok(jar.apply(see_other("/app/settings?notice=others-ended")))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/confirm_email.html")]
struct ConfirmEmailPage {
    chrome: Chrome,
    token: String,
    done: bool,
    failed: bool,
}

async fn confirm_email_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
    let page = ConfirmEmailPage {
        chrome: chrome(false, &csrf),
        token,
        done: false,
        failed: false,
    };
    // The token is in the URL: keep it out of Referer headers to other sites.
    jar.apply(([(header::REFERRER_POLICY, "no-referrer")], page))
}

async fn confirm_email_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    check_csrf(&headers, &form.csrf_token)?;
    let failed = match state.clients.auth.confirm_email_change(&token).await {
        Ok(()) => false,
        Err(err) => {
            Errors::from_client(err)?;
            true
        }
    };
    let status = if failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ConfirmEmailPage {
            chrome: chrome(false, &form.csrf_token),
            token,
            done: !failed,
            failed,
        },
    )
        .into_response())
}

// Keeps the error shape helper reachable from tests of this module.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_on_their_field() {
        let e = Errors::field("email", "bad");
        assert_eq!(e.on("email"), Some("bad"));
        assert_eq!(e.on("password"), None);
        assert_eq!(e.general(&["email"]), None);
        assert_eq!(e.general(&["password"]), Some("bad"));
    }
}
