//! Sign-up: by invitation, open, or onto the waitlist; the answer comes by email.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use super::NextQuery;
use auth::domain::Attribution;

use crate::pages::WebState;
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{
    Anyone, CookieJar, Csrf, Posted, PublicForm, csrf_form, safe_next, see_other,
};

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

pub(super) async fn page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
    Csrf(csrf, jar): Csrf,
) -> Response {
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
pub(super) struct SignupForm {
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

pub(super) async fn submit(
    State(state): State<WebState>,
    Posted(Anyone, Form(form)): PublicForm<SignupForm>,
) -> Result<Response, ApiError> {
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

csrf_form!(SignupForm);
