//! Forgotten passwords: the request by email, then the new password from its link.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use crate::pages::WebState;
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{Anyone, Csrf, Posted, PublicForm, csrf_form, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    email: String,
    sent: bool,
    email_delivery: bool,
    errors: Errors,
}

pub(super) async fn forgot_page(State(state): State<WebState>, Csrf(csrf, jar): Csrf) -> Response {
    jar.apply(ForgotPage {
        chrome: chrome(false, &csrf),
        email: String::new(),
        sent: false,
        email_delivery: state.email_delivery,
        errors: Errors::default(),
    })
}

#[derive(Deserialize)]
pub(super) struct ForgotForm {
    email: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn forgot_submit(
    State(state): State<WebState>,
    Posted(Anyone, Form(form)): PublicForm<ForgotForm>,
) -> Result<Response, ApiError> {
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

pub(super) async fn page(
    State(state): State<WebState>,
    Path(token): Path<String>,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
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
pub(super) struct ResetForm {
    new_password: String,
    #[serde(default)]
    csrf_token: String,
}

pub(super) async fn submit(
    State(state): State<WebState>,
    Path(token): Path<String>,
    Posted(Anyone, Form(form)): PublicForm<ResetForm>,
) -> Result<Response, ApiError> {
    match state
        .clients
        .auth
        .reset_password(&token, &form.new_password)
        .await
    {
        Ok(()) => Ok(see_other("/login?notice=reset")),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let usable = errors.has_field();
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

csrf_form!(ForgotForm, ResetForm);
