//! The links from emails: confirming a new account, confirming a changed address.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::ApiError;
use shared::ui::Chrome;

use super::login::session_started;
use crate::pages::WebState;
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{self, Anyone, CookieJar, Csrf, CsrfOnly, Posted, PublicForm};

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/verify.html")]
struct VerifyPage {
    chrome: Chrome,
    token: String,
    done: bool,
    failed: bool,
}

pub(super) async fn account_page(Path(token): Path<String>, Csrf(csrf, jar): Csrf) -> Response {
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
pub(super) async fn account_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Posted(Anyone, Form(form)): PublicForm<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let device = session::device(&state, &headers, &mut jar);
    match state.clients.auth.confirm(&token, &device).await {
        Ok(answer) => Ok(session_started(
            &state,
            jar,
            answer,
            &form.csrf_token,
            "/app".into(),
        )),
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

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/confirm_email.html")]
struct ConfirmEmailPage {
    chrome: Chrome,
    token: String,
    done: bool,
    failed: bool,
}

pub(super) async fn email_page(Path(token): Path<String>, Csrf(csrf, jar): Csrf) -> Response {
    let page = ConfirmEmailPage {
        chrome: chrome(false, &csrf),
        token,
        done: false,
        failed: false,
    };
    // The token is in the URL: keep it out of Referer headers to other sites.
    jar.apply(([(header::REFERRER_POLICY, "no-referrer")], page))
}

pub(super) async fn email_submit(
    State(state): State<WebState>,
    Path(token): Path<String>,
    Posted(Anyone, Form(form)): PublicForm<CsrfOnly>,
) -> Result<Response, ApiError> {
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
