//! `GET /healthz` (the process is alive) and `GET /readyz` (its databases and Redis answer).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

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
}

pub fn router(readiness: Readiness) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::render))
        .with_state(readiness)
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
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
