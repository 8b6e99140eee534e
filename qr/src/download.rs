//! Files answered by the API (print sheets, zip exports): a body with fixed headers.

use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `body` with each `(header, value)` set, replacing what the body's own answer had.
pub(crate) fn file(body: impl IntoResponse, headers: &[(HeaderName, &'static str)]) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    for (name, value) in headers {
        h.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}
