//! The typed client other services (the web frontend) use to call qr — in-process or over HTTP,
//! with the caller's own credential forwarded, so qr's ownership rules apply unchanged.

use axum::http::{HeaderValue, Method, header};
use bytes::Bytes;
use shared::client::{Answer, ClientError, ServiceClient, bearer};

use crate::admin::BlocklistView;
use crate::api::{ListView, QrView, StyleView};
use crate::bulk::{BulkCreated, RowError};
use crate::moderation::CodeLookup;

/// What a bulk upload came to.
#[derive(Debug)]
pub enum BulkOutcome {
    Created(BulkCreated),
    /// Nothing was created; each bad row and why.
    Rejected(Vec<RowError>),
}

#[derive(Clone)]
pub struct QrClient {
    inner: ServiceClient,
}

impl QrClient {
    pub fn new(inner: ServiceClient) -> Self {
        Self { inner }
    }

    pub async fn list(&self, token: &str, query: &str) -> Result<ListView, ClientError> {
        let path = with_query("/api/v1/qr", query);
        self.inner.get(&path, bearer(token)).await
    }

    pub async fn get(&self, token: &str, id: &str) -> Result<QrView, ClientError> {
        self.inner
            .get(&format!("/api/v1/qr/{}", encode(id)), bearer(token))
            .await
    }

    pub async fn create(
        &self,
        token: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<QrView, ClientError> {
        self.inner.post("/api/v1/qr", bearer(token), body).await
    }

    pub async fn update(
        &self,
        token: &str,
        id: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<QrView, ClientError> {
        self.inner
            .json(
                Method::PATCH,
                &format!("/api/v1/qr/{}", encode(id)),
                bearer(token),
                Some(body),
            )
            .await
    }

    pub async fn delete(&self, token: &str, id: &str) -> Result<(), ClientError> {
        self.inner
            .delete(&format!("/api/v1/qr/{}", encode(id)), bearer(token))
            .await
    }

    /// The raw image answer (body, content type, disposition), for the web to pass through.
    pub async fn image(&self, token: &str, id: &str, file: &str) -> Result<Answer, ClientError> {
        self.inner
            .success(
                Method::GET,
                &format!("/api/v1/qr/{}/{file}", encode(id)),
                bearer(token),
                None,
            )
            .await
    }

    /// The editor's live preview of an unsaved style (an SVG).
    pub async fn preview(
        &self,
        token: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<Bytes, ClientError> {
        let mut headers = bearer(token);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let body = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        self.inner
            .success(Method::POST, "/api/v1/qr/preview.svg", headers, Some(body))
            .await
            .map(|answer| answer.body)
    }
}

impl QrClient {
    /// Creates codes from a CSV body: all of them, or none and a per-row report.
    pub async fn bulk(&self, token: &str, csv: Bytes) -> Result<BulkOutcome, ClientError> {
        let mut headers = bearer(token);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
        let answer = self
            .inner
            .send(Method::POST, "/api/v1/qr/bulk", headers, Some(csv))
            .await?;
        if answer.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY
            && let Ok(body) = serde_json::from_slice::<serde_json::Value>(&answer.body)
            && let Some(rows) = body["error"].get("rows")
        {
            let rows = serde_json::from_value(rows.clone()).map_err(|e| ClientError::Decode {
                service: self.inner.service(),
                detail: e.to_string(),
            })?;
            return Ok(BulkOutcome::Rejected(rows));
        }
        self.inner.decode(answer).map(BulkOutcome::Created)
    }

    /// The zip of images (`query` is passed on: `ids=`, `size=`), as the raw answer.
    pub async fn export(&self, token: &str, query: &str) -> Result<Answer, ClientError> {
        let path = with_query("/api/v1/qr/export.zip", query);
        self.inner
            .success(Method::GET, &path, bearer(token), None)
            .await
    }

    /// The caller's uploaded images (the media module in qr's router) and their usage.
    pub async fn media(&self, token: &str) -> Result<media::MediaList, ClientError> {
        self.inner.get("/api/v1/media", bearer(token)).await
    }

    /// The stored PNG of an uploaded image (public, by its content hash).
    pub async fn media_png(&self, id: &str) -> Result<Bytes, ClientError> {
        self.inner
            .success(
                Method::GET,
                &format!("/media/{}.png", encode(id)),
                axum::http::HeaderMap::new(),
                None,
            )
            .await
            .map(|answer| answer.body)
    }

    /// The saved styles ("brand kits").
    pub async fn styles(&self, token: &str) -> Result<Vec<StyleView>, ClientError> {
        self.inner.get("/api/v1/qr/styles", bearer(token)).await
    }

    pub async fn save_style(
        &self,
        token: &str,
        body: &(impl serde::Serialize + Sync),
    ) -> Result<StyleView, ClientError> {
        self.inner
            .post("/api/v1/qr/styles", bearer(token), body)
            .await
    }

    pub async fn delete_style(&self, token: &str, id: &str) -> Result<(), ClientError> {
        self.inner
            .delete(&format!("/api/v1/qr/styles/{}", encode(id)), bearer(token))
            .await
    }

    /// Uploads an image (PNG or JPEG, as chosen by the user) to the media module mounted in qr's
    /// router, for use as a code's `style.logo`. media checks and re-encodes it.
    pub async fn upload_media(
        &self,
        token: &str,
        file: Bytes,
    ) -> Result<media::Uploaded, ClientError> {
        // A boundary that cannot occur in the file: random, and checked.
        let boundary = loop {
            let candidate = format!("scanpage-{:032x}", rand::random::<u128>());
            if !file
                .windows(candidate.len())
                .any(|w| w == candidate.as_bytes())
            {
                break candidate;
            }
        };
        let mut body = Vec::with_capacity(file.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut headers = bearer(token);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}")).map_err(
                |e| ClientError::Decode {
                    service: self.inner.service(),
                    detail: e.to_string(),
                },
            )?,
        );
        let answer = self
            .inner
            .send(
                Method::POST,
                "/api/v1/media",
                headers,
                Some(Bytes::from(body)),
            )
            .await?;
        self.inner.decode(answer)
    }
}

/// The founder's moderation (`/api/v1/qr/admin/*`); a non-founder's token gets `NotFound`.
impl QrClient {
    /// A code by its short code: owner, destination, whether it is disabled.
    pub async fn admin_lookup(&self, token: &str, code: &str) -> Result<CodeLookup, ClientError> {
        self.inner
            .get(
                &format!("/api/v1/qr/admin/lookup?code={}", encode(code)),
                bearer(token),
            )
            .await
    }

    pub async fn admin_disable(
        &self,
        token: &str,
        code: &str,
        reason: &str,
    ) -> Result<CodeLookup, ClientError> {
        let body = serde_json::json!({ "code": code, "reason": reason });
        self.inner
            .post("/api/v1/qr/admin/disable", bearer(token), &body)
            .await
    }

    pub async fn admin_enable(&self, token: &str, code: &str) -> Result<CodeLookup, ClientError> {
        let body = serde_json::json!({ "code": code });
        self.inner
            .post("/api/v1/qr/admin/enable", bearer(token), &body)
            .await
    }

    pub async fn admin_blocklist(&self, token: &str) -> Result<BlocklistView, ClientError> {
        self.inner
            .get("/api/v1/qr/admin/blocklist", bearer(token))
            .await
    }

    pub async fn admin_block(
        &self,
        token: &str,
        domain: &str,
        reason: &str,
    ) -> Result<(), ClientError> {
        let body = serde_json::json!({ "domain": domain, "reason": reason });
        self.inner
            .post_call("/api/v1/qr/admin/blocklist", bearer(token), &body)
            .await
    }

    pub async fn admin_unblock(&self, token: &str, domain: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({ "domain": domain });
        self.inner
            .post_call("/api/v1/qr/admin/blocklist/remove", bearer(token), &body)
            .await
    }
}

/// Ids are ours (UUIDs), but a path segment is built from them: never let one smuggle a `/`.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The trash (`delete` above moves a code there).
impl QrClient {
    /// The caller's trashed codes, each with `deleted_at` and `purge_at`.
    pub async fn trash(&self, token: &str) -> Result<ListView, ClientError> {
        self.inner.get("/api/v1/qr/trash", bearer(token)).await
    }

    pub async fn restore(&self, token: &str, id: &str) -> Result<QrView, ClientError> {
        self.inner
            .json(
                Method::POST,
                &format!("/api/v1/qr/{}/restore", encode(id)),
                bearer(token),
                None::<&()>,
            )
            .await
    }

    /// Deletes a trashed code for good.
    pub async fn purge(&self, token: &str, id: &str) -> Result<(), ClientError> {
        self.inner
            .delete(&format!("/api/v1/qr/{}/purge", encode(id)), bearer(token))
            .await
    }
}

/// `path`, and `?query` when there is one.
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
