//! The HTTP plumbing every service's router gets: request ids, tracing, metrics, a timeout, a
//! body limit, compression, security headers, panics turned into 500s, and error answers in one
//! shape — JSON under `/api`, a friendly page elsewhere.

mod answers;
mod scope;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::layer::util::Identity;
use tower::util::MapResponseLayer;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use answers::MAX_URI_BYTES;
pub use scope::{current_client_addr, current_request_id, current_user_agent};

use crate::client_addr;

use crate::error::ApiError;
use crate::layer::{AroundLayer, GuardLayer};
use answers::{ErrorAnswers, RefuseNulInTextLayer, check_target};
use scope::ScopeLayer;

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
pub fn finish(router: Router, limits: Limits) -> Router {
    finish_with(router, limits, Identity::new())
}

/// [`finish`], with `inner` layers (a whole process's cross-site check, say) between the
/// standard stack and the routes: they see every request, matched or not, after its id, client
/// address, error answers and limits are in place.
///
/// The stack is built once around the routed service (`ServiceBuilder`), not with
/// `Router::layer`: that wraps every route in its own boxed copy of each layer, and axum clones
/// the matched route's boxed chain for every request — an allocation per layer per request,
/// most of what a bare `/healthz` cost (issue 25). For the same reason the stack's own layers
/// are plain tower services ([`crate::layer`]), not `axum::middleware::from_fn`. Outermost
/// first: the request id exists before the trace span is opened, the client address before the
/// request scope, and so on inwards.
pub fn finish_with<L>(router: Router, limits: Limits, inner: L) -> Router
where
    L: Layer<Router>,
    L::Service:
        Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    let routed = router
        .route_layer(AroundLayer::new(crate::metrics::MarkRoute))
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
        .layer(ScopeLayer::new(limits.client_addr))
        .layer(AroundLayer::new(crate::metrics::Track))
        .layer(MapResponseLayer::new(security_headers(limits.hsts)))
        .layer(CompressionLayer::new())
        .layer(AroundLayer::new(ErrorAnswers))
        .layer(GuardLayer::new(check_target))
        .layer(RefuseNulInTextLayer)
        // The panic guard boxes the body it passes on; the layers above build answers of their
        // own, so they take axum's one body type.
        .layer(MapResponseLayer::new(IntoResponse::into_response))
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
        .layer(inner)
        .service(routed);
    Router::new().fallback_service(stack)
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
