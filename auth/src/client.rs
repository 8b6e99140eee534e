//! The typed client other services use to ask auth things, in-process or over HTTP.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use serde::{Deserialize, Serialize};
use shared::client::{ClientError, ServiceClient};

/// Who a request is from, as `GET /api/v1/auth/me` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
}

#[derive(Clone)]
pub struct AuthClient {
    inner: ServiceClient,
}

impl AuthClient {
    pub fn new(inner: ServiceClient) -> Self {
        Self { inner }
    }

    /// The user behind an `Authorization` header value (a bearer token or API key).
    pub async fn me(
        &self,
        authorization: Option<&HeaderValue>,
    ) -> Result<CurrentUser, ClientError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.clone());
        }
        self.inner
            .json(Method::GET, "/api/v1/auth/me", headers, None::<&()>)
            .await
    }
}
