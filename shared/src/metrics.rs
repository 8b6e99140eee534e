//! Prometheus metrics: a request counter and latency histogram per route (the route *pattern*,
//! e.g. `/r/{code}`, so cardinality stays bounded), plus whatever the services record.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder, installed on first use (a process has one; tests build many apps).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
        }
        handle
    })
}

/// Takes a reading; answers `false` once what it reads is gone (it is then dropped).
type Collector = Box<dyn Fn() -> bool + Send + Sync>;

fn collectors() -> &'static Mutex<Vec<Collector>> {
    static COLLECTORS: OnceLock<Mutex<Vec<Collector>>> = OnceLock::new();
    COLLECTORS.get_or_init(Mutex::default)
}

/// Registers a reading taken when `/metrics` is scraped (pool usage, queue depth, cache
/// counters kept as plain atomics): such values cost nothing between scrapes, which matters on
/// the scan path. `collect` should hold only weak references and answer `false` when they are
/// gone, so that an app that was torn down (tests build many) is not kept alive by its metrics.
pub fn on_scrape(collect: impl Fn() -> bool + Send + Sync + 'static) {
    collectors()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Box::new(collect));
}

/// `GET /metrics`.
pub async fn render() -> impl IntoResponse {
    let handle = handle();
    collectors()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .retain(|collect| collect());
    (
        [("content-type", "text/plain; version=0.0.4")],
        handle.render(),
    )
}

/// Route pattern that answered, carried from the inner router to [`track`] on the response.
#[derive(Clone)]
struct Route(MatchedPath);

/// Inner layer (a `route_layer`): records which route matched.
pub async fn mark_route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(path) = matched {
        response.extensions_mut().insert(Route(path));
    }
    response
}

/// Outer layer: counts and times every request, including those no route matched.
pub async fn track(request: Request, next: Next) -> Response {
    handle();
    let start = Instant::now();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or_else(|| "unmatched".to_owned(), |r| r.0.as_str().to_owned());
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    response
}
