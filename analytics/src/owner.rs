//! Who is asking. Every handler takes the owner from this one extractor: the verified caller
//! (access token, API key or session cookie, via `shared::identity`), who must hold the
//! `analytics:read` scope. Analytics only ever shows a caller their own data.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use shared::ApiError;
use shared::identity::{Identity, Principal, Scope};

/// The signed-in user whose analytics may be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner(pub String);

impl<S> FromRequestParts<S> for Owner
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        principal.require(Scope::AnalyticsRead)?;
        Ok(Owner(principal.user_id))
    }
}
