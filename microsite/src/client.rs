//! The typed client other services (the web frontend) use to call the microsite service —
//! in-process or over HTTP, with the caller's own credential forwarded, so the service's
//! ownership rules apply unchanged.

use axum::http::{HeaderValue, Method, header};
use serde::Serialize;
use shared::client::{ClientError, ServiceClient, bearer};

use crate::block::Block;
use crate::contract::{
    Changes, FromTemplate, ListView, MicrositeView, PageLookup, PageRef, ThemeView,
};

#[derive(Clone)]
pub struct MicrositeClient {
    inner: ServiceClient,
}

impl MicrositeClient {
    pub fn new(inner: ServiceClient) -> Self {
        Self { inner }
    }

    pub async fn list(&self, token: &str) -> Result<ListView, ClientError> {
        self.inner.get("/api/v1/microsites", bearer(token)).await
    }

    pub async fn get(&self, token: &str, id: &str) -> Result<MicrositeView, ClientError> {
        self.inner.get(&page_path(id, ""), bearer(token)).await
    }

    /// A new page from `slug`, `title` and any other fields.
    pub async fn create(&self, token: &str, body: &Changes) -> Result<MicrositeView, ClientError> {
        self.inner
            .post("/api/v1/microsites", bearer(token), body)
            .await
    }

    pub async fn from_template(
        &self,
        token: &str,
        template: &str,
        slug: &str,
    ) -> Result<MicrositeView, ClientError> {
        self.inner
            .post(
                "/api/v1/microsites/from-template",
                bearer(token),
                &FromTemplate {
                    template: template.to_owned(),
                    slug: slug.to_owned(),
                },
            )
            .await
    }

    /// Edits any fields; `blocks` replaces every block, `order` (every block id) reorders them.
    pub async fn update(
        &self,
        token: &str,
        id: &str,
        body: &Changes,
    ) -> Result<MicrositeView, ClientError> {
        self.patch(token, id, body).await
    }

    async fn patch(
        &self,
        token: &str,
        id: &str,
        body: &(impl Serialize + Sync),
    ) -> Result<MicrositeView, ClientError> {
        self.inner
            .json(Method::PATCH, &page_path(id, ""), bearer(token), Some(body))
            .await
    }

    /// Replaces the blocks (validated again by the service). A block with an empty id is new.
    pub async fn replace_blocks(
        &self,
        token: &str,
        id: &str,
        blocks: &[Block],
    ) -> Result<MicrositeView, ClientError> {
        #[derive(Serialize)]
        struct Blocks<'a> {
            blocks: &'a [Block],
        }
        self.patch(token, id, &Blocks { blocks }).await
    }

    /// Puts the existing blocks in a new order (every block id, once).
    pub async fn reorder(
        &self,
        token: &str,
        id: &str,
        order: &[String],
    ) -> Result<MicrositeView, ClientError> {
        let changes = Changes {
            order: Some(order.to_vec()),
            ..Changes::default()
        };
        self.patch(token, id, &changes).await
    }

    pub async fn delete(&self, token: &str, id: &str) -> Result<(), ClientError> {
        self.inner.delete(&page_path(id, ""), bearer(token)).await
    }

    pub async fn publish(&self, token: &str, id: &str) -> Result<MicrositeView, ClientError> {
        self.page_action(token, id, "/publish").await
    }

    pub async fn unpublish(&self, token: &str, id: &str) -> Result<MicrositeView, ClientError> {
        self.page_action(token, id, "/unpublish").await
    }

    /// A `POST` without a body to one of a page's actions (`/publish`, `/unpublish`, `/restore`).
    async fn page_action(
        &self,
        token: &str,
        id: &str,
        action: &str,
    ) -> Result<MicrositeView, ClientError> {
        self.inner
            .json(
                Method::POST,
                &page_path(id, action),
                bearer(token),
                None::<&()>,
            )
            .await
    }

    /// The owner's draft rendered as visitors will see it (HTML), from `/m/{slug}/preview`.
    pub async fn preview(&self, token: &str, slug: &str) -> Result<String, ClientError> {
        let slug: String = url::form_urlencoded::byte_serialize(slug.as_bytes()).collect();
        let mut headers = bearer(token);
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
        let answer = self
            .inner
            .send(Method::GET, &format!("/m/{slug}/preview"), headers, None)
            .await?;
        if answer.status.is_success() {
            Ok(String::from_utf8_lossy(&answer.body).into_owned())
        } else {
            // The preview answers HTML, not JSON: keep the status, there is no message to read.
            Err(ClientError::Api {
                service: self.inner.service(),
                error: shared::ApiError::from_status(answer.status),
            })
        }
    }

    pub async fn themes(&self, token: &str) -> Result<Vec<ThemeView>, ClientError> {
        self.inner
            .get("/api/v1/microsites/themes", bearer(token))
            .await
    }

    pub async fn templates(&self, token: &str) -> Result<Vec<String>, ClientError> {
        self.inner
            .get("/api/v1/microsites/templates", bearer(token))
            .await
    }
}

/// Ids are ours (UUIDs), but a path segment is built from them: never let one smuggle a `/`.
fn page_path(id: &str, rest: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/api/v1/microsites/{id}{rest}")
}

/// The trash (`delete` above moves a page there).
impl MicrositeClient {
    /// The caller's trashed pages, each with `deleted_at` and `purge_at`.
    pub async fn trash(&self, token: &str) -> Result<ListView, ClientError> {
        self.inner
            .get("/api/v1/microsites/trash", bearer(token))
            .await
    }

    pub async fn restore(&self, token: &str, id: &str) -> Result<MicrositeView, ClientError> {
        self.page_action(token, id, "/restore").await
    }

    /// Deletes a trashed page for good.
    pub async fn purge(&self, token: &str, id: &str) -> Result<(), ClientError> {
        self.inner
            .success(
                Method::DELETE,
                &page_path(id, "/purge"),
                bearer(token),
                None,
            )
            .await
            .map(|_| ())
    }
}

/// The founder's moderation (`crate::admin`): founders only, a 404 for anyone else.
impl MicrositeClient {
    /// The page at `slug`, whoever owns it.
    pub async fn admin_lookup(&self, token: &str, slug: &str) -> Result<PageLookup, ClientError> {
        let slug: String = url::form_urlencoded::byte_serialize(slug.as_bytes()).collect();
        self.inner
            .get(
                &format!("/api/v1/microsites/admin/lookup?slug={slug}"),
                bearer(token),
            )
            .await
    }

    /// Takes the page at `slug` offline.
    pub async fn admin_unpublish(
        &self,
        token: &str,
        slug: &str,
    ) -> Result<PageLookup, ClientError> {
        let body = PageRef {
            slug: slug.to_owned(),
        };
        self.inner
            .post("/api/v1/microsites/admin/unpublish", bearer(token), &body)
            .await
    }
}
