//! Error answers in one shape, and the request checks that refuse what no route could serve.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, Either};
use tower::{Layer, Service};

use super::{REQUEST_ID, wants_json};
use crate::error::ApiError;
use crate::layer::Watch;

/// Gives every error one shape. Errors raised by our handlers carry an [`ApiError`]; those made
/// by layers (body limit, timeout, a routing miss) get one derived from their status. API
/// clients get JSON; browsers get the friendly page. Handler-made HTML pages pass untouched.
#[derive(Clone, Copy)]
pub struct ErrorAnswers;

impl Watch<Body> for ErrorAnswers {
    /// Whether the client wants JSON, and the request's id (shown on the friendly page).
    type Noted = (bool, Option<HeaderValue>);

    fn before(&self, request: &Request) -> Self::Noted {
        (
            wants_json(request),
            request.headers().get(REQUEST_ID).cloned(),
        )
    }

    fn after((json, request_id): Self::Noted, response: Response) -> Response {
        let status = response.status();
        if !(status.is_client_error() || status.is_server_error()) {
            return response;
        }
        let error = match response.extensions().get::<ApiError>() {
            Some(err) => err.clone(),
            None if is_own_page(&response) => return response,
            None => ApiError::from_status(status),
        };
        let mut answer = if json {
            error.into_response()
        } else {
            let id = request_id.as_ref().and_then(|v| v.to_str().ok());
            crate::ui::error_page(&error, id)
        };
        // Keep headers that carry meaning for the client (e.g. Retry-After, Allow,
        // WWW-Authenticate).
        for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
            if let Some(value) = response.headers().get(&name) {
                answer.headers_mut().insert(name, value.clone());
            }
        }
        answer
    }
}

/// Whether a handler made this error answer itself (an HTML page or a JSON body).
fn is_own_page(response: &Response) -> bool {
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    content_type.starts_with("text/html") || content_type.contains("json")
}

/// Longest request target (path and query) served; hyper itself allows 64 kB. No route needs
/// more than a few kB (a 200-id zip export is about 7.5 kB), and nothing longer is worth parsing.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Answers 414 to a request target over [`MAX_URI_BYTES`], and 400 to one with an encoded NUL
/// (`%00`) in its path or query: no id, slug or search contains one, and PostgreSQL refuses NUL
/// in text, so it would otherwise reach a query and fail there as a 500. (A guard.)
pub fn check_target(request: &mut Request) -> Option<Response> {
    let target = request.uri().path_and_query().map_or("", |pq| pq.as_str());
    if target.len() > MAX_URI_BYTES {
        return Some(StatusCode::URI_TOO_LONG.into_response());
    }
    if target.contains("%00") {
        return Some(StatusCode::BAD_REQUEST.into_response());
    }
    None
}

/// Largest form-encoded or JSON body [`RefuseNulInText`] reads; each route's own (smaller)
/// limit still applies after it.
const MAX_TEXT_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Answers 400 to a form-encoded or JSON body carrying a NUL character (`%00`, or `\u0000` in a
/// JSON string). No text field means one, and PostgreSQL refuses NUL in text: it would otherwise
/// pass validation and fail in the database as a 500. Other bodies (uploads) and bodiless
/// requests pass untouched, without the boxed future reading a body needs.
#[derive(Clone, Copy, Default)]
pub struct RefuseNulInTextLayer;

impl<S> Layer<S> for RefuseNulInTextLayer {
    type Service = RefuseNulInText<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RefuseNulInText { inner }
    }
}

#[derive(Clone)]
pub struct RefuseNulInText<S> {
    inner: S,
}

/// Which kind of text a body is, by its media type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextBody {
    Form,
    Json,
}

fn text_body(request: &Request) -> Option<TextBody> {
    let media = request
        .headers()
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .trim()
        .to_ascii_lowercase();
    if media == "application/x-www-form-urlencoded" {
        Some(TextBody::Form)
    } else if media == "application/json" || media.ends_with("+json") {
        Some(TextBody::Json)
    } else {
        None
    }
}

impl<S> Service<Request> for RefuseNulInText<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<BoxFuture<'static, Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(kind) = text_body(&request) else {
            return Either::Right(self.inner.call(request));
        };
        // The service that was made ready goes with the future; a fresh clone stays here.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Either::Left(Box::pin(async move {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_TEXT_BODY_BYTES).await else {
                return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response());
            };
            let has_nul = match kind {
                TextBody::Form => bytes.windows(3).any(|w| w == b"%00") || bytes.contains(&0),
                TextBody::Json => json_has_nul_escape(&bytes),
            };
            if has_nul {
                return Ok(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "nul_character",
                    "Text may not contain a NUL character.",
                )
                .into_response());
            }
            inner
                .call(Request::from_parts(parts, Body::from(bytes)))
                .await
        }))
    }
}

/// Whether JSON text has a `\u0000` escape (a backslash that is not itself escaped).
fn json_has_nul_escape(bytes: &[u8]) -> bool {
    let mut backslashes = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        if backslashes % 2 == 1 && b == b'u' && bytes.get(i + 1..i + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(json_has_nul_escape(br#"{"a":"x\u0000y"}"#));
        assert!(json_has_nul_escape(br#"{"a":"\\\u0000"}"#));
        assert!(!json_has_nul_escape(br#"{"a":"\\u0000"}"#));
        assert!(!json_has_nul_escape(br#"{"a":"\u0041 u0000"}"#));
    }
}
