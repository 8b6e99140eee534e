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

/// Which emailed link a page answers: the two pages differ only in their words and where their
/// button posts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EmailLink {
    /// A new account's confirmation.
    Account,
    /// A changed address's confirmation.
    NewAddress,
}

/// The words of an emailed link's page, and where its button posts.
struct LinkWords {
    title: &'static str,
    action: &'static str,
    button: &'static str,
    done: &'static str,
}

impl EmailLink {
    fn words(self) -> &'static LinkWords {
        match self {
            EmailLink::Account => &LinkWords {
                title: "Confirm your email",
                action: "/verify",
                button: "Confirm my email",
                done: "Thanks — your email address is confirmed.",
            },
            EmailLink::NewAddress => &LinkWords {
                title: "Confirm your new email",
                action: "/confirm-email",
                button: "Use this email address",
                done: "Done — your account now uses this email address. Use it the next time you \
                       log in.",
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/auth/email_link.html")]
struct EmailLinkPage {
    chrome: Chrome,
    link: EmailLink,
    words: &'static LinkWords,
    token: String,
    done: bool,
    failed: bool,
}

impl EmailLinkPage {
    fn new(link: EmailLink, csrf: &str, token: String) -> Self {
        Self {
            chrome: chrome(false, csrf),
            link,
            words: link.words(),
            token,
            done: false,
            failed: false,
        }
    }
}

/// The page a link opens: a button to use it (GET never changes state).
fn link_page(link: EmailLink, token: String, csrf: &str, jar: CookieJar) -> Response {
    let page = EmailLinkPage::new(link, csrf, token);
    // The token is in the URL: keep it out of Referer headers to other sites.
    jar.apply(([(header::REFERRER_POLICY, "no-referrer")], page))
}

pub(super) async fn account_page(Path(token): Path<String>, Csrf(csrf, jar): Csrf) -> Response {
    link_page(EmailLink::Account, token, &csrf, jar)
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
            let page = EmailLinkPage {
                failed: true,
                ..EmailLinkPage::new(EmailLink::Account, &form.csrf_token, token)
            };
            Ok((status, page).into_response())
        }
    }
}

pub(super) async fn email_page(Path(token): Path<String>, Csrf(csrf, jar): Csrf) -> Response {
    link_page(EmailLink::NewAddress, token, &csrf, jar)
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
    let page = EmailLinkPage {
        done: !failed,
        failed,
        ..EmailLinkPage::new(EmailLink::NewAddress, &form.csrf_token, token)
    };
    Ok((status, page).into_response())
}
