//! The one place a browser session is renewed: a layer in front of the signed-in pages reads the
//! access cookie, verifies it here (the token says who and what role; no call to auth), and when
//! it has expired rotates the refresh cookie with auth once. The handler finds the outcome in the
//! request (see `extract`); the new cookies go onto its response.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use shared::ApiError;
use shared::client::ClientError;
use shared::identity::{ACCESS_COOKIE, REFRESH_COOKIE, Role, cookie_value};

use super::CookieJar;
use super::extract::{Session, Visit};
use crate::pages::WebState;

tokio::task_local! {
    /// Whether the visitor of the request being handled is a founder. Set here, where the
    /// session is read, for the page chrome (`kit::chrome`): every page's navigation shows the
    /// Console link to founders without each handler passing its session along.
    static FOUNDER: bool;
}

/// Whether this request's visitor is a signed-in founder (`false` outside the layer).
pub fn visitor_is_founder() -> bool {
    FOUNDER.try_with(|founder| *founder).unwrap_or(false)
}

/// The layer's function (`axum::middleware::from_fn_with_state`).
pub async fn refresh(State(state): State<WebState>, mut request: Request, next: Next) -> Response {
    let mut jar = CookieJar::default();
    let visit = visitor(&state, request.headers(), &mut jar).await;
    let founder = matches!(&visit, Ok(Some(session)) if session.role == Role::Founder);
    request.extensions_mut().insert(Visit(visit));
    let response = FOUNDER.scope(founder, next.run(request)).await;
    if sets_access_cookie(&response) {
        // The handler signed the visitor in or out itself (account deletion): its cookies win.
        return response;
    }
    jar.apply(response)
}

/// Who is browsing: the access cookie when it verifies; when it has expired (or its session was
/// ended), the refresh cookie is rotated with auth and the new pair goes into `jar`.
async fn visitor(
    state: &WebState,
    headers: &HeaderMap,
    jar: &mut CookieJar,
) -> Result<Option<Session>, ApiError> {
    if let Some(access) = cookie_value(headers, ACCESS_COOKIE).filter(|t| !t.is_empty())
        && let Ok(claims) = state.identity.verify(&access)
    {
        return Ok(Some(Session::of(claims, access)));
    }
    let Some(refresh) = cookie_value(headers, REFRESH_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match state.clients.auth.refresh(&refresh).await {
        Ok(tokens) => {
            let Some(access) = jar.sign_in_keep_csrf(state, &tokens) else {
                return Ok(None);
            };
            match state.identity.verify(&access) {
                Ok(claims) => Ok(Some(Session::of(claims, access))),
                Err(err) => {
                    tracing::warn!(%err, "a token auth has just issued does not verify here");
                    Ok(None)
                }
            }
        }
        Err(e) if is_unauthorised(&e) => {
            jar.sign_out(state);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn is_unauthorised(err: &ClientError) -> bool {
    err.api_error()
        .is_some_and(|e| e.status() == StatusCode::UNAUTHORIZED)
}

fn sets_access_cookie(response: &Response) -> bool {
    let prefix = format!("{ACCESS_COOKIE}=");
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(prefix.as_bytes()))
}
