//! Logging in (with a second factor when the account has one) and out.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use super::NextQuery;
use auth::client::SessionAnswer;
use shared::identity::{ACCESS_COOKIE, cookie_value};

use crate::pages::WebState;
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{
    self, Anyone, CookieJar, Csrf, CsrfOnly, Posted, PublicForm, csrf_form, safe_next, see_other,
};

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
pub(super) struct MfaPage {
    pub(super) chrome: Chrome,
    pub(super) mfa_token: String,
    pub(super) next: String,
    pub(super) errors: Errors,
}

fn notice(key: Option<&str>) -> Option<&'static str> {
    match key {
        Some("reset") => Some("Your password has been changed. Log in with the new one."),
        Some("signed-out") => Some("You have been logged out."),
        _ => None,
    }
}

pub(super) async fn page(Query(q): Query<NextQuery>, Csrf(csrf, jar): Csrf) -> Response {
    jar.apply(LoginPage {
        chrome: chrome(false, &csrf),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        notice: notice(q.notice.as_deref()),
        errors: Errors::default(),
    })
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Posted(Anyone, Form(form)): PublicForm<LoginForm>,
) -> Result<Response, ApiError> {
    let (next, mut jar) = (safe_next(Some(&form.next)), CookieJar::default());
    let device = session::device(&state, &headers, &mut jar);
    match state
        .clients
        .auth
        .login_from(&form.email, &form.password, &device)
        .await
    {
        Ok(answer) => Ok(session_started(&state, jar, answer, &form.csrf_token, next)),
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
pub(super) struct MfaForm {
    mfa_token: String,
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn mfa_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Posted(Anyone, Form(form)): PublicForm<MfaForm>,
) -> Result<Response, ApiError> {
    let (next, mut jar) = (safe_next(Some(&form.next)), CookieJar::default());
    let device = session::device(&state, &headers, &mut jar);
    match state
        .clients
        .auth
        .login_mfa_from(&form.mfa_token, &form.code, &device)
        .await
    {
        Ok(answer) => Ok(signed_in(&state, jar, &answer, &next)),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let errors = errors.at("code");
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

/// Auth accepted the credentials: the second factor's form when the account has one, else the
/// session's cookies and on to `next`.
pub(super) fn session_started(
    state: &WebState,
    jar: CookieJar,
    answer: SessionAnswer,
    csrf: &str,
    next: String,
) -> Response {
    if answer.mfa_required {
        second_factor(jar, answer, csrf, next)
    } else {
        signed_in(state, jar, &answer, &next)
    }
}

/// The session's cookies, and on to `next`.
fn signed_in(state: &WebState, mut jar: CookieJar, answer: &SessionAnswer, next: &str) -> Response {
    jar.sign_in(state, answer);
    jar.apply(see_other(next))
}

/// The account has a second factor: its form, then on to `next`.
fn second_factor(jar: CookieJar, answer: SessionAnswer, csrf: &str, next: String) -> Response {
    jar.apply(MfaPage {
        chrome: chrome(false, csrf),
        mfa_token: answer.mfa_token.unwrap_or_default(),
        next,
        errors: Errors::default(),
    })
}

pub(super) async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    Posted(Anyone, _): PublicForm<CsrfOnly>,
) -> Result<Response, ApiError> {
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

csrf_form!(LoginForm, MfaForm);
