//! Who a request comes from: [`Principal`] (a bearer JWT, a bearer API key or the access-token
//! cookie) and [`Founder`], as axum extractors over any state that holds an [`Identity`].

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::ACCESS_COOKIE;
use super::claims::{Role, Scope};
use super::verification::Identity;
use crate::error::ApiError;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An access token (bearer or cookie) of the session `sid`.
    Session { sid: String },
    /// An API key.
    ApiKey { key_id: String },
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    pub via: Via,
}

impl Principal {
    /// 403 `insufficient_scope` unless the caller holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This credential lacks the '{scope}' scope."),
            ))
        }
    }

    /// Reading the account's own data (the export, the list of API keys): a session may; an API
    /// key only with the `account:read` scope. Sessions are let through by what they are rather
    /// than by their token's scope list, so tokens minted before the scope existed keep working.
    pub fn require_account_read(&self) -> Result<(), ApiError> {
        match self.via {
            Via::Session { .. } => Ok(()),
            Via::ApiKey { .. } => self.require(Scope::AccountRead),
        }
    }

    /// Account management (password, API keys, deletion) needs a real session: an API key must
    /// never be able to mint more keys or delete the account it belongs to.
    pub fn require_session(&self) -> Result<&str, ApiError> {
        match &self.via {
            Via::Session { sid } => Ok(sid),
            Via::ApiKey { .. } => Err(ApiError::forbidden(
                "API keys cannot manage the account; sign in instead.",
            )),
        }
    }

    pub fn is_founder(&self) -> bool {
        self.role == Role::Founder
    }
}

/// The credential a request carries: `Authorization: Bearer …`, else the access-token cookie.
pub fn credential_of(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    cookie_value(&parts.headers, ACCESS_COOKIE)
}

/// One cookie's value from the `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl<S> FromRequestParts<S> for Principal
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let credential = credential_of(parts).ok_or_else(ApiError::unauthenticated)?;
        Identity::from_ref(state).authenticate(&credential).await
    }
}

/// A signed-in founder. For anyone else the founder's routes do not exist (404, so the console
/// is not even discoverable); nobody signed in gets 401.
#[derive(Debug, Clone)]
pub struct Founder(pub Principal);

impl<S> FromRequestParts<S> for Founder
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal =
            <Principal as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if principal.is_founder() {
            Ok(Founder(principal))
        } else {
            Err(ApiError::not_found())
        }
    }
}

impl<S> OptionalFromRequestParts<S> for Principal
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match credential_of(parts) {
            None => Ok(None),
            Some(credential) => match Identity::from_ref(state).authenticate(&credential).await {
                Ok(principal) => Ok(Some(principal)),
                Err(e) if e.status() == StatusCode::UNAUTHORIZED => Ok(None),
                Err(e) => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_cookie_credentials() {
        let req = axum::http::Request::get("/")
            .header("cookie", "a=1; sp_access=tok; b=2")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        assert_eq!(credential_of(&parts).as_deref(), Some("tok"));
        let req = axum::http::Request::get("/")
            .header("authorization", "Bearer abc")
            .header("cookie", "sp_access=tok")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        assert_eq!(credential_of(&parts).as_deref(), Some("abc"));
    }
}
