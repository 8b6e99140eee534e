//! Who is asking. Every handler takes the owner from this one extractor.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use shared::ApiError;

/// The signed-in user whose analytics may be read.
// TODO(identity): replace with shared::identity::Principal once auth lands
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner(pub String);

/// Placeholder header until the auth service's principal exists; never trust it in production.
pub const TEST_OWNER_HEADER: &str = "x-test-owner";

impl<S: Send + Sync> FromRequestParts<S> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(TEST_OWNER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| Owner(v.to_owned()))
            .ok_or_else(ApiError::unauthenticated)
    }
}
