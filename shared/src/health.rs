//! `GET /healthz` (the process is alive), `GET /readyz` (its databases and Redis answer) and
//! `GET /metrics`, which is not public: it counts signups, logins and admin calls per route.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::config::Service;
use crate::db::Db;

/// What `/readyz` checks: each database this process uses, and Redis when configured.
#[derive(Clone, Default)]
pub struct Readiness {
    pub databases: Vec<(Service, Db)>,
    pub redis: Option<redis::aio::ConnectionManager>,
    /// What will not survive a deploy ([`crate::storage`]): said in the body, not failed on, so
    /// a platform's health check still passes while the founder reads why data went missing.
    pub warnings: Vec<String>,
    /// `METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<Arc<str>>,
}

pub fn router(readiness: Readiness) -> axum::Router {
    // Behind an `Arc`: axum clones a route's state with the route for every request.
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(readiness))
}

/// `/metrics` for a scraper only. With `METRICS_TOKEN` set: the right bearer token (compared in
/// constant time). Without: a request whose socket peer is loopback and which names no forwarded
/// client, i.e. a scraper on the same machine — behind a platform's proxy or the compose gateway
/// the peer is the proxy and the request carries a forwarded header, so the outside gets 404.
/// Refusals are 404, not 401/403: the route's existence is nobody else's business.
async fn metrics(State(readiness): State<Arc<Readiness>>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    if metrics_allowed(readiness.metrics_token.as_deref(), peer, request.headers()) {
        crate::metrics::render().await.into_response()
    } else {
        crate::ApiError::not_found().into_response()
    }
}

/// Whether a scrape from `peer` with `headers` may read the metrics (see [`metrics`]).
pub fn metrics_allowed(token: Option<&str>, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    if let Some(expected) = token.filter(|t| !t.is_empty()) {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(expected.as_bytes())))
    } else {
        let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
            .iter()
            .any(|name| headers.contains_key(*name));
        peer.is_some_and(|p| p.ip().is_loopback()) && !forwarded
    }
}

/// A constant answer, written once: load balancers ask many times a second.
async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> impl IntoResponse {
    let mut checks = serde_json::Map::new();
    let mut ready = true;
    for (service, db) in &readiness.databases {
        let ok = db.ping().await;
        ready &= ok;
        checks.insert(
            format!("{service}_database"),
            json!(if ok { "ok" } else { "down" }),
        );
    }
    if let Some(mut redis) = readiness.redis.clone() {
        let ok = redis::cmd("PING")
            .query_async::<String>(&mut redis)
            .await
            .is_ok();
        ready &= ok;
        checks.insert("redis".into(), json!(if ok { "ok" } else { "down" }));
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = json!({"status": if ready { "ready" } else { "unavailable" }, "checks": checks});
    if !readiness.warnings.is_empty() {
        body["warnings"] = json!(readiness.warnings);
    }
    (status, Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn scrape(readiness: Readiness, peer: &str, headers: &[(&str, &str)]) -> StatusCode {
        let mut request = axum::http::Request::get("/metrics");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        router(readiness).oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn without_a_token_only_a_local_scraper_reads_metrics() {
        let open = Readiness::default();
        assert_eq!(
            scrape(open.clone(), "127.0.0.1:5000", &[]).await,
            StatusCode::OK
        );
        assert_eq!(
            scrape(open.clone(), "[::1]:5000", &[]).await,
            StatusCode::OK
        );
        // Another machine, or the platform's proxy passing a visitor on.
        assert_eq!(
            scrape(open.clone(), "203.0.113.9:5000", &[]).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            scrape(open.clone(), "10.0.0.2:5000", &[]).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            scrape(
                open.clone(),
                "127.0.0.1:5000",
                &[("x-forwarded-for", "203.0.113.9")]
            )
            .await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            scrape(open, "127.0.0.1:5000", &[("forwarded", "for=203.0.113.9")]).await,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn with_a_token_only_the_token_reads_metrics() {
        let guarded = Readiness {
            metrics_token: Some(Arc::from("s3cret-scrape-token")),
            ..Readiness::default()
        };
        let right = [("authorization", "Bearer s3cret-scrape-token")];
        assert_eq!(
            scrape(guarded.clone(), "203.0.113.9:5000", &right).await,
            StatusCode::OK
        );
        for wrong in [
            "Bearer s3cret-scrape-tokeN",
            "Bearer ",
            "s3cret-scrape-token",
        ] {
            assert_eq!(
                scrape(
                    guarded.clone(),
                    "203.0.113.9:5000",
                    &[("authorization", wrong)]
                )
                .await,
                StatusCode::NOT_FOUND,
                "{wrong}"
            );
        }
        // A token set means even a local scraper must show it.
        assert_eq!(
            scrape(guarded, "127.0.0.1:5000", &[]).await,
            StatusCode::NOT_FOUND
        );
    }
}
