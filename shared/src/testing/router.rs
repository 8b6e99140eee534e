//! Driving a service's real router in tests, without a socket: requests go through `oneshot`,
//! as from a client at a fixed address, and come back as an [`Answer`] to assert on.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Where requests come from unless a test says otherwise (a documentation address).
pub const CLIENT_ADDR: &str = "203.0.113.7:40000";

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON; `Null` when it is not JSON, so an assertion shows what came instead.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value, or `""` when it is missing or not text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A router under test.
#[derive(Clone)]
pub struct TestRouter {
    pub router: Router,
}

impl TestRouter {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// A request with an optional bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("a valid test request"))
            .await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Answer {
        self.call(Method::GET, path, bearer, None).await
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: serde_json::Value) -> Answer {
        self.call(Method::POST, path, bearer, Some(body)).await
    }

    /// Sends as a client at `ip`.
    pub async fn send_from(&self, ip: &str, mut request: Request<Body>) -> Answer {
        let ip = ip.parse().expect("a test client's IP address");
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
        self.send(request).await
    }

    /// Sends as it is; a request without a peer address comes from [`CLIENT_ADDR`].
    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        if request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none()
        {
            let addr: SocketAddr = CLIENT_ADDR.parse().expect("a socket address");
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("routers do not fail");
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.expect("a readable body").to_bytes(),
        }
    }
}
