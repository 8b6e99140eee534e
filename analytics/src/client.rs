//! The typed client other services (the web frontend) use to call analytics — in-process or over
//! HTTP, with the caller's own credential forwarded, so analytics' ownership rules apply
//! unchanged (another user's code is a 404 here too).

use std::collections::BTreeMap;

use axum::http::Method;
use shared::client::{Answer, ClientError, ServiceClient, bearer};

use crate::contract::{Live, MicrositeStats, Overview, QrStats, ScanTotals};

#[derive(Clone)]
pub struct AnalyticsClient {
    inner: ServiceClient,
}

impl AnalyticsClient {
    pub fn new(inner: ServiceClient) -> Self {
        Self { inner }
    }

    /// `range` is the query string of the range (`from=…&to=…&interval=…&tz=…`), possibly empty,
    /// followed by any filters (`&country=FR`, see [`crate::filter::Filters::to_query`]).
    pub async fn qr(&self, token: &str, id: &str, range: &str) -> Result<QrStats, ClientError> {
        let path = path(&format!("/api/v1/analytics/qr/{}", encode(id)), range);
        self.inner.get(&path, bearer(token)).await
    }

    pub async fn microsite(
        &self,
        token: &str,
        id: &str,
        range: &str,
    ) -> Result<MicrositeStats, ClientError> {
        let path = path(
            &format!("/api/v1/analytics/microsites/{}", encode(id)),
            range,
        );
        self.inner.get(&path, bearer(token)).await
    }

    pub async fn overview(&self, token: &str, range: &str) -> Result<Overview, ClientError> {
        let path = path("/api/v1/analytics/overview", range);
        self.inner.get(&path, bearer(token)).await
    }

    /// The last 30 minutes of a QR code (`kind` = `qr`) or microsite (`microsite`).
    pub async fn live(&self, token: &str, kind: &str, id: &str) -> Result<Live, ClientError> {
        let kind = if kind == "qr" { "qr" } else { "microsites" };
        let path = format!("/api/v1/analytics/{kind}/{}/live", encode(id));
        self.inner.get(&path, bearer(token)).await
    }

    /// All-time scans of each of `ids` (at most 100 per call; unknown ids are zeros).
    pub async fn qr_totals(
        &self,
        token: &str,
        ids: &[&str],
    ) -> Result<BTreeMap<String, ScanTotals>, ClientError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let ids = ids
            .iter()
            .map(|id| encode(id))
            .collect::<Vec<_>>()
            .join(",");
        let path = format!("/api/v1/analytics/qr-totals?ids={ids}");
        self.inner.get(&path, bearer(token)).await
    }

    /// The CSV export of a QR code (`kind` = `qr`) or microsite (`microsite`), as answered (type,
    /// file name). The whole file is held in memory: a browser download should go to the
    /// export route itself, which streams.
    pub async fn export_csv(
        &self,
        token: &str,
        kind: &str,
        id: &str,
        range: &str,
    ) -> Result<Answer, ClientError> {
        let kind = if kind == "qr" { "qr" } else { "microsites" };
        self.inner
            .success(
                Method::GET,
                &path(
                    &format!("/api/v1/analytics/{kind}/{}/export.csv", encode(id)),
                    range,
                ),
                bearer(token),
                None,
            )
            .await
    }
}

fn path(base: &str, query: &str) -> String {
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// Ids are ours (UUIDs), but a path segment is built from them: never let one smuggle a `/`.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
