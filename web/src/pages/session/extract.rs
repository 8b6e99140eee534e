//! What a page handler takes to know who is asking. [`Session`]: a signed-in visitor, else the
//! login page (coming back here afterwards). [`Founder`]: a founder, else what a stranger gets
//! (the 404 page). [`Posted`]: a form from a signed-in page — read, its CSRF token checked, then
//! the visitor, in that order, so a stale form is the CSRF page whoever sends it.
//! [`Tokened`]: a form's own fields with the token beside them, so the struct need not declare it.
//!
//! They read what the `refresh` layer found for the request; a route using them without the
//! layer answers 500.

use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, OptionalFromRequestParts};
use axum::extract::{RawPathParams, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use axum::{Extension, Form};
use shared::ApiError;
use shared::identity::{Claims, Role};

use super::{check_csrf, see_other};
use crate::pages::WebState;

/// Implements [`CsrfForm`] for forms whose token is their `csrf_token` field.
macro_rules! csrf_form {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::pages::session::CsrfForm for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use csrf_form;

/// A signed-in visitor, as their verified access token says.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: String,
    pub role: Role,
    /// Sent on to the services, which check it again.
    pub access_token: String,
}

impl Session {
    pub(super) fn of(claims: Claims, access_token: String) -> Session {
        Session {
            user_id: claims.sub,
            role: claims.role,
            access_token,
        }
    }
}

/// What the `refresh` layer found: a visitor, nobody, or auth failing to answer.
#[derive(Clone)]
pub(super) struct Visit(pub(super) Result<Option<Session>, ApiError>);

fn visit(parts: &Parts) -> Result<Option<Session>, ApiError> {
    match parts.extensions.get::<Visit>() {
        Some(Visit(visit)) => visit.clone(),
        None => Err(ApiError::internal(
            "a session extractor on a route without the refresh layer",
        )),
    }
}

/// Where the login page sends the visitor back to when it is not this route's own page (a form
/// goes back to the page it was on). `{name}` takes the route's parameter of that name.
#[derive(Clone, Copy)]
pub struct ReturnTo(pub &'static str);

/// The layer that sets a route's [`ReturnTo`]: `post(handler.layer(back_to("/app")))`.
pub fn back_to(page: &'static str) -> Extension<ReturnTo> {
    Extension(ReturnTo(page))
}

/// A form's POST route from a page that is not its own: at most `limit` bytes, and back to
/// `page` after logging in.
pub fn form_post<H, T>(handler: H, page: &'static str, limit: usize) -> MethodRouter<WebState>
where
    H: Handler<T, WebState>,
    T: 'static,
{
    post(handler.layer(back_to(page))).layer(DefaultBodyLimit::max(limit))
}

/// This page (or its [`ReturnTo`]), with the visitor's path segments encoded.
async fn here(parts: &mut Parts) -> String {
    let mut here = match (
        parts.extensions.get::<ReturnTo>(),
        parts.extensions.get::<MatchedPath>(),
    ) {
        (Some(ReturnTo(page)), _) => (*page).to_owned(),
        (None, Some(path)) => path.as_str().to_owned(),
        (None, None) => "/app".to_owned(),
    };
    if let Ok(params) = RawPathParams::from_request_parts(parts, &()).await {
        for (name, value) in &params {
            let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            here = here.replace(&format!("{{{name}}}"), &value);
        }
    }
    here
}

impl FromRequestParts<WebState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        match visit(parts).map_err(IntoResponse::into_response)? {
            Some(session) => {
                // Every signed-in page view is activity (at most one heartbeat per user per hour).
                state.beta.touch(&session.user_id);
                Ok(session)
            }
            None => Err(see_other(&format!("/login?next={}", here(parts).await))),
        }
    }
}

/// Pages that anyone may see, and that change a little for a signed-in visitor.
impl OptionalFromRequestParts<WebState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &WebState) -> Result<Option<Self>, Response> {
        visit(parts).map_err(IntoResponse::into_response)
    }
}

/// A signed-in founder.
pub struct Founder(pub Session);

impl FromRequestParts<WebState> for Founder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let session =
            <Session as FromRequestParts<WebState>>::from_request_parts(parts, state).await?;
        if session.role == Role::Founder {
            Ok(Founder(session))
        } else {
            Err(ApiError::not_found().into_response())
        }
    }
}

/// Whoever sends a public form (sign-up, log-in, a reset or confirmation link): nobody needs to
/// be signed in, and no session is read.
pub struct Anyone;

impl FromRequestParts<WebState> for Anyone {
    type Rejection = Response;

    async fn from_request_parts(_: &mut Parts, _: &WebState) -> Result<Self, Response> {
        Ok(Anyone)
    }
}

/// A form from a public page, its CSRF token checked.
pub type PublicForm<T> = Posted<Form<T>, Anyone>;

/// A form that carries the session's CSRF token.
pub trait CsrfForm {
    fn csrf_token(&self) -> &str;
}

impl<T: CsrfForm> CsrfForm for Form<T> {
    fn csrf_token(&self) -> &str {
        self.0.csrf_token()
    }
}

/// A form with nothing but its token (a button: delete, revoke, log out).
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf_token: String,
}

csrf_form!(CsrfOnly);

/// A form posted from a signed-in page, and who posted it (`W`: [`Session`], [`Founder`], or
/// [`Anyone`] for a public page's form).
pub struct Posted<F, W = Session>(pub W, pub F);

impl<F, W> FromRequest<WebState> for Posted<F, W>
where
    F: FromRequest<WebState> + CsrfForm + Send,
    F::Rejection: IntoResponse,
    W: FromRequestParts<WebState, Rejection = Response>,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        // The form consumes the request; who sent it is read afterwards from a copy of its head.
        let (mut head, ()) = Request::new(()).into_parts();
        head.method = request.method().clone();
        head.uri = request.uri().clone();
        head.headers = request.headers().clone();
        head.extensions = request.extensions().clone();
        let form = F::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        check_csrf(&head.headers, form.csrf_token()).map_err(IntoResponse::into_response)?;
        let who = W::from_request_parts(&mut head, state).await?;
        Ok(Posted(who, form))
    }
}

/// A form as sent, with the CSRF token every signed-in form carries beside its own fields.
#[derive(serde::Deserialize)]
pub struct Tokened<F> {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(flatten)]
    pub form: F,
}

impl<F> CsrfForm for Tokened<F> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
