//! The HTTP plumbing every service's router gets: request ids, tracing, metrics, a timeout, a
//! body limit, compression, security headers, panics turned into 500s, and error answers in one
//! shape — JSON under `/api`, a friendly page elsewhere.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::client_addr::{self, ClientAddr};
use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy for every page: scripts only from our origin (no inline scripts),
/// no framing. A route that needs more (e.g. images on a public microsite) sets its own.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Limits and options of the standard stack.
#[derive(Clone, Debug)]
pub struct Limits {
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Sends `Strict-Transport-Security` (only when the public URL is https).
    pub hsts: bool,
    /// How the client's address is found behind proxies.
    pub client_addr: Arc<client_addr::Policy>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 2 * 1024 * 1024,
            hsts: false,
            client_addr: Arc::default(),
        }
    }
}

/// Wraps a complete router (all routes added) in the standard stack and a 404 fallback.
///
/// The stack is built once around the routed service (`ServiceBuilder`), not with
/// `Router::layer`: that wraps every route in its own boxed copy of each layer, and axum clones
/// the matched route's boxed chain for every request — an allocation per layer per request,
/// most of what a bare `/healthz` cost (issue 25). Outermost first: the request id exists before
/// the trace span is opened, the client address before the request scope, and so on inwards.
pub fn finish(router: Router, limits: Limits) -> Router {
    let routed = router
        .route_layer(middleware::from_fn(crate::metrics::mark_route))
        .fallback(|| async { ApiError::not_found() });
    let stack = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // The path only: query strings may carry tokens, and no client IP is logged.
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::from_fn_with_state(
            limits.client_addr,
            client_addr::resolve,
        ))
        .layer(middleware::from_fn(scope_request))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(MapResponseLayer::new(security_headers(limits.hsts)))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(error_answers))
        .layer(middleware::from_fn(check_target))
        .layer(middleware::from_fn(refuse_nul_in_text))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::internal("a request handler panicked").into_response()
            },
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .service(routed);
    Router::new().fallback_service(stack)
}

tokio::task_local! {
    /// What calls this task makes to other services carry on from the request it is answering
    /// ([`crate::client::ServiceClient`] forwards both): its id, so one id follows a page through
    /// every service's logs, and its client's address, so every service's limits and analytics
    /// see the browser rather than the caller. Its User-Agent too, so a sign-in made through
    /// the web pages is labelled with the browser's device in the sessions list.
    static CURRENT_REQUEST: RequestScope;
}

#[derive(Clone)]
struct RequestScope {
    id: Option<HeaderValue>,
    client: ClientAddr,
    user_agent: Option<HeaderValue>,
}

/// The User-Agent of the request being answered on this task, if any.
pub fn current_user_agent() -> Option<HeaderValue> {
    CURRENT_REQUEST
        .try_with(|scope| scope.user_agent.clone())
        .ok()
        .flatten()
}

/// The id of the request being answered on this task, if any.
pub fn current_request_id() -> Option<HeaderValue> {
    CURRENT_REQUEST
        .try_with(|scope| scope.id.clone())
        .ok()
        .flatten()
}

/// The client of the request being answered on this task (none outside a request).
pub fn current_client_addr() -> ClientAddr {
    CURRENT_REQUEST
        .try_with(|scope| scope.client)
        .unwrap_or_default()
}

/// Runs the rest of the stack with the request's id and client in [`CURRENT_REQUEST`]. Sits
/// inside `SetRequestIdLayer` and [`client_addr::resolve`], so both are known by then (a caller's
/// id is kept as it came).
async fn scope_request(request: Request, next: Next) -> Response {
    let scope = RequestScope {
        id: request.headers().get(REQUEST_ID).cloned(),
        client: request
            .extensions()
            .get::<ClientAddr>()
            .copied()
            .unwrap_or_default(),
        user_agent: request.headers().get(header::USER_AGENT).cloned(),
    };
    CURRENT_REQUEST.scope(scope, next.run(request)).await
}

/// Sets the security headers on every answer that has not set its own (a public microsite sets
/// its own Content-Security-Policy): one pass over the answer, not a layer per header.
fn security_headers<B>(hsts: bool) -> impl Fn(Response<B>) -> Response<B> + Clone {
    const HEADERS: [(HeaderName, &str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
    ];
    move |mut response: Response<B>| {
        let headers = response.headers_mut();
        for (name, value) in HEADERS {
            if !headers.contains_key(&name) {
                headers.insert(name, HeaderValue::from_static(value));
            }
        }
        if hsts && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            );
        }
        response
    }
}

/// Whether an answer to this request should be JSON (API paths, or clients asking for JSON).
pub fn wants_json(request: &Request) -> bool {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return true;
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accept.contains("application/json") && !accept.contains("text/html")
}

/// Longest request target (path and query) served; hyper itself allows 64 kB. No route needs
/// more than a few kB (a 200-id zip export is about 7.5 kB), and nothing longer is worth parsing.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Answers 414 to a request target over [`MAX_URI_BYTES`], and 400 to one with an encoded NUL
/// (`%00`) in its path or query: no id, slug or search contains one, and PostgreSQL refuses NUL
/// in text, so it would otherwise reach a query and fail there as a 500.
async fn check_target(request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or("", |pq| pq.as_str());
    if target.len() > MAX_URI_BYTES {
        return StatusCode::URI_TOO_LONG.into_response();
    }
    if target.contains("%00") {
        return StatusCode::BAD_REQUEST.into_response();
    }
    next.run(request).await
}

/// Largest form-encoded or JSON body [`refuse_nul_in_text`] reads; each route's own (smaller)
/// limit still applies after it.
const MAX_TEXT_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Answers 400 to a form-encoded or JSON body carrying a NUL character (`%00`, or `\u0000` in a
/// JSON string). No text field means one, and PostgreSQL refuses NUL in text: it would otherwise
/// pass validation and fail in the database as a 500. Other bodies (uploads) pass untouched.
async fn refuse_nul_in_text(request: Request, next: Next) -> Response {
    let media = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let form = media == "application/x-www-form-urlencoded";
    let json = media == "application/json" || media.ends_with("+json");
    if !form && !json {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_TEXT_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let has_nul = if form {
        bytes.windows(3).any(|w| w == b"%00") || bytes.contains(&0)
    } else {
        json_has_nul_escape(&bytes)
    };
    if has_nul {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "nul_character",
            "Text may not contain a NUL character.",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
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

/// Gives every error one shape. Errors raised by our handlers carry an [`ApiError`]; those made
/// by layers (body limit, timeout, a routing miss) get one derived from their status. API
/// clients get JSON; browsers get the friendly page. Handler-made HTML pages pass untouched.
async fn error_answers(request: Request, next: Next) -> Response {
    let json = wants_json(&request);
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let error = match response.extensions().get::<ApiError>() {
        Some(err) => err.clone(),
        None if content_type.starts_with("text/html") || content_type.contains("json") => {
            return response;
        }
        None => ApiError::from_status(status),
    };
    let mut answer = if json {
        error.into_response()
    } else {
        crate::ui::error_page(&error, request_id.as_deref())
    };
    // Keep headers that carry meaning for the client (e.g. Retry-After, Allow, WWW-Authenticate).
    for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
        if let Some(value) = response.headers().get(&name) {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}

/// Where to go after signing in: `next` only when it is a path on this site. `//evil.com` and
/// `/\evil.com` are protocol-relative URLs to browsers, so they are refused like absolute ones.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            path.to_owned()
        }
        _ => "/app".to_owned(),
    }
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
    use axum::routing::{get, post};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn app() -> Router {
        let router = Router::new()
            .route("/api/v1/echo", post(|body: String| async move { body }))
            .route("/page", get(|| async { "hello" }))
            .route(
                "/api/v1/boom",
                get(|| async {
                    let fail = true;
                    assert!(!fail, "boom");
                    "unreachable"
                }),
            )
            .route(
                "/api/v1/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        finish(
            router,
            Limits {
                request_timeout: Duration::from_millis(100),
                max_body_bytes: 1024,
                hsts: false,
                ..Limits::default()
            },
        )
    }

    async fn call(request: Request<Body>) -> (Response<()>, String) {
        let response = app().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            Response::from_parts(parts, ()),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// A call one service makes while answering a request carries that request's id, so one id
    /// follows a page through every service's logs.
    #[tokio::test]
    async fn calls_to_other_services_carry_the_request_id() {
        use crate::client::ServiceClient;
        use crate::config::Service;
        let echo = Router::new().route(
            "/api/v1/seen",
            get(|headers: axum::http::HeaderMap| async move {
                headers
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_owned()
            }),
        );
        let qr = ServiceClient::in_process(Service::Qr, echo);
        let front = finish(
            Router::new().route(
                "/page",
                get(move || async move {
                    let answer = qr
                        .send(
                            axum::http::Method::GET,
                            "/api/v1/seen",
                            axum::http::HeaderMap::new(),
                            None,
                        )
                        .await
                        .expect("in-process call");
                    String::from_utf8_lossy(&answer.body).into_owned()
                }),
            ),
            Limits::default(),
        );
        let request = Request::get("/page")
            .header(REQUEST_ID, "trace-42")
            .body(Body::empty())
            .unwrap();
        let response = front.clone().oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"trace-42");

        // Without a caller's id the generated one is forwarded (and echoed in the answer).
        let response = front
            .oneshot(Request::get("/page").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let sent = response.headers()[REQUEST_ID].to_str().unwrap().to_owned();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(String::from_utf8_lossy(&body), sent);
        assert!(
            current_request_id().is_none(),
            "outside a request there is none"
        );
    }

    #[tokio::test]
    async fn unknown_api_route_is_json_404_with_request_id() {
        let (response, body) =
            call(Request::get("/api/v1/nope").body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.headers().contains_key(REQUEST_ID));
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "not_found");
    }

    #[tokio::test]
    async fn unknown_page_is_a_friendly_html_404() {
        let (response, body) = call(Request::get("/nope").body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(body.contains("Page not found"), "{body}");
    }

    #[tokio::test]
    async fn oversized_body_is_413_json() {
        let request = Request::post("/api/v1/echo")
            .body(Body::from(vec![b'x'; 4096]))
            .unwrap();
        let (response, body) = call(request).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body.contains("payload_too_large"), "{body}");
    }

    #[tokio::test]
    async fn panics_become_500_without_detail() {
        let (response, body) =
            call(Request::get("/api/v1/boom").body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            body.contains("\"internal\"") && !body.contains("boom"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn slow_requests_time_out() {
        let (response, body) =
            call(Request::get("/api/v1/slow").body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(body.contains("timeout"), "{body}");
    }

    #[tokio::test]
    async fn security_headers_on_every_answer() {
        let (response, _) = call(Request::get("/page").body(Body::empty()).unwrap()).await;
        let h = response.headers();
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(
            !h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("unsafe-inline")
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.contains_key(header::REFERRER_POLICY));
    }
}
