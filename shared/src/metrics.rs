//! Prometheus metrics: a request counter and latency histogram per route (the route *pattern*,
//! e.g. `/r/{code}`, so cardinality stays bounded), plus whatever the services record.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::layer::Watch;

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
        .unwrap_or_else(PoisonError::into_inner)
        .push(Box::new(collect));
}

/// `GET /metrics`.
pub async fn render() -> impl IntoResponse {
    let handle = handle();
    collectors()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|collect| collect());
    (
        [("content-type", "text/plain; version=0.0.4")],
        handle.render(),
    )
}

/// Route pattern that answered, carried from the inner router to [`Track`] on the response.
#[derive(Clone)]
struct Route(MatchedPath);

/// Inner layer (a `route_layer` of [`AroundLayer`]): records which route matched.
#[derive(Clone, Copy)]
pub struct MarkRoute;

impl<B> Watch<B> for MarkRoute {
    type Noted = Option<MatchedPath>;

    fn before(&self, request: &Request) -> Self::Noted {
        request.extensions().get::<MatchedPath>().cloned()
    }

    fn after(matched: Self::Noted, mut response: Response<B>) -> Response<B> {
        if let Some(path) = matched {
            response.extensions_mut().insert(Route(path));
        }
        response
    }
}

/// Outer layer: counts and times every request, including those no route matched.
#[derive(Clone, Copy)]
pub struct Track;

impl<B> Watch<B> for Track {
    type Noted = (Instant, Method);

    fn before(&self, request: &Request) -> Self::Noted {
        (Instant::now(), request.method().clone())
    }

    fn after((start, method): Self::Noted, response: Response<B>) -> Response<B> {
        let route = response
            .extensions()
            .get::<Route>()
            .map_or("unmatched", |r| r.0.as_str());
        let (requests, duration) = route_metrics(route, &method, response.status());
        requests.increment(1);
        duration.record(start.elapsed().as_secs_f64());
        response
    }
}

/// One route's request counter (by method and status) and latency histogram (by method).
#[derive(Clone)]
struct RouteMetrics {
    method: Method,
    status: StatusCode,
    requests: Counter,
    duration: Histogram,
}

/// The handles of every (route, method, status) seen so far. Looking a metric up by its labels
/// builds three label strings and hashes them in the registry; a request only reads this map.
type RouteTable = RwLock<HashMap<Box<str>, Vec<RouteMetrics>>>;

fn route_metrics(route: &str, method: &Method, status: StatusCode) -> (Counter, Histogram) {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    let table = TABLE.get_or_init(RouteTable::default);
    let find = |seen: &[RouteMetrics]| {
        seen.iter()
            .find(|m| m.method == *method && m.status == status)
            .map(|m| (m.requests.clone(), m.duration.clone()))
    };
    let known = table
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(route)
        .and_then(|seen| find(seen));
    if let Some(handles) = known {
        return handles;
    }
    handle();
    let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
    let seen = table.entry(route.into()).or_default();
    if let Some(handles) = find(seen) {
        return handles;
    }
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route.to_owned()),
        ("status", status.as_u16().to_string()),
    ];
    let entry = RouteMetrics {
        method: method.clone(),
        status,
        requests: metrics::counter!("http_requests_total", &labels),
        duration: metrics::histogram!("http_request_duration_seconds", &labels[..2]),
    };
    let handles = (entry.requests.clone(), entry.duration.clone());
    seen.push(entry);
    handles
}
