//! Errors. [`Error`] is what shared infrastructure can fail with (start-up, storage, bus, cache,
//! service calls). [`ApiError`] is the one shape every service answers with at the HTTP edge:
//! `{"error":{"code","message"}}` under `/api`, and a friendly page elsewhere (see
//! [`crate::http`]). Internal details are logged with the request id, never sent to a client.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::features::Feature;

/// Failures of the shared infrastructure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is missing or malformed; the message names the variable.
    #[error("{0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("event bus: {0}")]
    Bus(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The body of every error answer: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// The request field that is wrong (e.g. `email`, `blocks[3].url`), for 422s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error answer: a status, a stable machine-readable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    field: Option<String>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422 naming the field that is wrong.
    pub fn invalid(field: impl Into<String>, message: impl Into<Cow<'static, str>>) -> Self {
        let mut err = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message);
        err.field = Some(field.into());
        err
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in to continue.",
        )
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "There is nothing here.")
    }

    pub fn conflict(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    pub fn feature_not_enabled(feature: Feature) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "feature_not_enabled",
            format!("The '{feature}' feature is not enabled on this server (coming soon)."),
        )
    }

    /// An unexpected failure: logged here with its detail, answered with a generic message. The
    /// request id in the response headers ties the two together.
    #[track_caller]
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let at = std::panic::Location::caller();
        tracing::error!(%detail, location = %at, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Please try again.",
        )
    }

    /// The generic answer for a status produced outside our handlers (a body-limit layer, a
    /// timeout, a routing miss), so every error has the same shape.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => ("not_found", "There is nothing here."),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "That method is not allowed here.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is too large.")
            }
            StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
            StatusCode::URI_TOO_LONG => ("uri_too_long", "The address is too long."),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "Send the body as application/json.",
            ),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Too many requests; slow down."),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "Sign in to continue."),
            StatusCode::FORBIDDEN => ("forbidden", "You are not allowed to do that."),
            s if s.is_server_error() => (
                "internal",
                "Something went wrong on our side. Please try again.",
            ),
            _ => ("bad_request", "The request could not be understood."),
        };
        Self::new(status, code, message)
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.to_string(),
                field: self.field.clone(),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        // Kept on the response so the error-page layer can render HTML for browsers.
        response.extensions_mut().insert(self);
        response
    }
}

impl From<sqlx::Error> for ApiError {
    #[track_caller]
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("database pool timed out");
                ApiError::unavailable("The database is busy or unreachable; try again shortly.")
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(%err, "database unreachable");
                ApiError::unavailable(
                    "The database is unreachable; nothing was saved. Try again shortly.",
                )
            }
            sqlx::Error::Database(ref db) if storage_full(db.code().as_deref()) => {
                tracing::error!(%err, "database storage is full");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage_full",
                    "The server's storage is full, so nothing was saved. Try again later.",
                )
            }
            sqlx::Error::Database(ref db) if read_only(db.code().as_deref()) => {
                tracing::error!(%err, "database is read-only");
                ApiError::unavailable(
                    "The server cannot save changes right now (its storage is read-only); nothing was saved.",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

/// SQLite's `SQLITE_FULL` (13, also as extended codes) and PostgreSQL's `disk_full` (53100).
fn storage_full(code: Option<&str>) -> bool {
    matches!(code, Some("13" | "53100")) || code.is_some_and(|c| sqlite_primary(c) == Some(13))
}

/// SQLite's `SQLITE_READONLY` (8 and its extended codes) and PostgreSQL's
/// `read_only_sql_transaction` (25006).
fn read_only(code: Option<&str>) -> bool {
    matches!(code, Some("25006")) || code.is_some_and(|c| sqlite_primary(c) == Some(8))
}

/// SQLite reports extended result codes; the primary code is the low byte. PostgreSQL's
/// SQLSTATEs are five characters and never all digits below 256, so they do not collide.
fn sqlite_primary(code: &str) -> Option<u32> {
    code.parse::<u32>()
        .ok()
        .filter(|_| code.len() <= 4)
        .map(|c| c & 0xff)
}

impl From<Error> for ApiError {
    #[track_caller]
    fn from(err: Error) -> Self {
        match err {
            Error::Database(db) => db.into(),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn serialises_to_the_documented_shape() {
        let response = ApiError::invalid("email", "That is not an email address.").into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "invalid_input", "message": "That is not an email address.", "field": "email"}})
        );
    }

    #[test]
    fn full_and_read_only_storage_are_recognised_on_both_backends() {
        // SQLite: SQLITE_FULL 13, SQLITE_READONLY 8 and its extended codes (e.g. 1032).
        assert!(storage_full(Some("13")));
        assert!(read_only(Some("8")));
        assert!(read_only(Some("1032")));
        // PostgreSQL SQLSTATEs.
        assert!(storage_full(Some("53100")));
        assert!(read_only(Some("25006")));
        // Others are not: a unique violation on either backend, a busy SQLite, nothing.
        for code in [Some("2067"), Some("23505"), Some("5"), Some("42P01"), None] {
            assert!(!storage_full(code), "{code:?}");
            assert!(!read_only(code), "{code:?}");
        }
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let err = ApiError::internal("connection refused to 10.0.0.7 password=hunter2");
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!err.message().contains("hunter2"));
        assert!(!err.message().contains("10.0.0.7"));
    }

    #[test]
    fn pool_timeouts_are_503_not_500() {
        let err: ApiError = sqlx::Error::PoolTimedOut.into();
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
