//! `microsite` codes: a dynamic code pointing at one of the owner's microsites. qr never reads
//! microsite's tables; it asks the microsite service (as the caller, with the caller's own
//! credential, so microsite's ownership rule decides) through a [`MicrositeDirectory`], and keeps
//! the slug's public URL in its own row so `/r/{code}` never calls microsite.
//!
//! Known gap: `microsite.changed` carries only a slug (no microsite id, no old→new pair), so a
//! slug change cannot be mapped to the codes pointing at it. Such a code is re-pointed the next
//! time its owner saves it (every edit looks the slug up again).

use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderMap, Method, StatusCode, header};
use serde::Deserialize;
use shared::client::{ClientError, ServiceClient};

use crate::error::QrError;

/// Who is asking: the owner, and the credential headers to ask microsite with.
#[derive(Clone, Default)]
pub struct Caller {
    pub owner_id: String,
    pub credential: HeaderMap,
}

impl Caller {
    /// The caller's `Authorization` (bearer token or API key) or, for a browser session, the
    /// `Cookie` header — whichever authenticated them here.
    pub fn from_request(owner_id: &str, headers: &HeaderMap) -> Self {
        let mut credential = HeaderMap::new();
        for name in [header::AUTHORIZATION, header::COOKIE] {
            if let Some(value) = headers.get(&name) {
                credential.insert(name, value.clone());
            }
        }
        Caller {
            owner_id: owner_id.to_owned(),
            credential,
        }
    }
}

pub type Lookup<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, QrError>> + Send + 'a>>;

/// Where qr learns a microsite's slug, if the caller owns it.
pub trait MicrositeDirectory: Send + Sync {
    /// `Ok(None)` when there is no such microsite or it belongs to someone else.
    fn slug_of<'a>(&'a self, caller: &'a Caller, microsite_id: &'a str) -> Lookup<'a>;
}

/// The real directory: microsite's `GET /api/v1/microsites/{id}`, in-process or over HTTP.
pub struct ServiceDirectory {
    client: ServiceClient,
}

impl ServiceDirectory {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }
}

#[derive(Deserialize)]
struct MicrositeAnswer {
    slug: String,
}

impl MicrositeDirectory for ServiceDirectory {
    fn slug_of<'a>(&'a self, caller: &'a Caller, microsite_id: &'a str) -> Lookup<'a> {
        Box::pin(async move {
            let path = format!(
                "/api/v1/microsites/{}",
                url::form_urlencoded::byte_serialize(microsite_id.as_bytes()).collect::<String>()
            );
            let answer = self
                .client
                .send(Method::GET, &path, caller.credential.clone(), None)
                .await
                .map_err(|e| QrError::Unavailable(e.to_string()))?;
            if answer.status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            match self.client.decode::<MicrositeAnswer>(answer) {
                Ok(found) => Ok(Some(found.slug)),
                Err(ClientError::Api { error, .. }) => {
                    Err(QrError::invalid("microsite_id", error.message()))
                }
                Err(e) => Err(QrError::Unavailable(e.to_string())),
            }
        })
    }
}

/// When this process has no way to reach microsite (split mode without `MICROSITE_URL`).
pub struct NoDirectory;

impl MicrositeDirectory for NoDirectory {
    fn slug_of<'a>(&'a self, _: &'a Caller, _: &'a str) -> Lookup<'a> {
        Box::pin(async {
            Err(QrError::Unavailable(
                "microsite codes need the microsite service, which is not configured here".into(),
            ))
        })
    }
}

/// A microsite id as microsite issues them (UUIDs); anything else is refused before asking.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The public page of a slug. Slugs are microsite's, but they end up in a redirect: only the
/// characters a slug may have pass.
pub fn page_url(public_base_url: &str, slug: &str) -> Option<String> {
    let ok = (1..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| format!("{public_base_url}/m/{slug}"))
}
