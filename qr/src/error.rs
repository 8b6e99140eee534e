//! The qr service's one error type; converted to the shared `ApiError` at the HTTP edge.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::ApiError;

use crate::code::CodeError;
use crate::destination::DestinationError;
use crate::render::RenderError;
use crate::style::StyleError;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// Missing, or another user's: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    #[error("{field}: {source}")]
    Destination {
        field: String,
        source: DestinationError,
    },
    #[error(transparent)]
    Style(#[from] StyleError),
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("that short code is already taken")]
    CodeTaken,
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Another service (microsite) could not answer; the caller may try again.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A request needs a future service that is switched off.
    #[error("the {0} feature is not enabled")]
    FeatureNotEnabled(shared::features::Feature),
}

impl QrError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        QrError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<QrError> for ApiError {
    #[track_caller]
    fn from(err: QrError) -> Self {
        match err {
            QrError::NotFound => ApiError::not_found(),
            QrError::Destination { field, source } => ApiError::invalid(field, source.to_string()),
            QrError::Style(e) => ApiError::invalid(e.field, e.reason),
            QrError::Code(e) => ApiError::invalid("code", e.to_string()),
            QrError::CodeTaken => {
                ApiError::conflict("code_taken", "That short code is already taken.")
            }
            QrError::Render(e @ RenderError::Raster(_)) => ApiError::internal(e),
            QrError::Render(e @ RenderError::Size) => ApiError::invalid("size", e.to_string()),
            QrError::Render(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_long", e.to_string())
            }
            QrError::Invalid { field, message } => ApiError::invalid(field, message),
            QrError::Database(e) => e.into(),
            QrError::Unavailable(message) => ApiError::unavailable(message),
            QrError::Internal(detail) => ApiError::internal(detail),
            QrError::FeatureNotEnabled(feature) => ApiError::feature_not_enabled(feature),
        }
    }
}

impl IntoResponse for QrError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
