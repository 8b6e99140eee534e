//! The microsite service's one error type; converted to the shared `ApiError` at the HTTP edge.

use axum::response::{IntoResponse, Response};
use shared::ApiError;

use crate::slug::SlugError;
use crate::text::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum MicrositeError {
    /// Missing, or another user's: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Slug(#[from] SlugError),
    #[error("that address is already taken")]
    SlugTaken,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// A QR block could not be checked against the qr service; nothing was saved.
    #[error("the qr service is unavailable: {0}")]
    QrUnavailable(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl MicrositeError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        MicrositeError::Invalid(FieldError::new(field, message))
    }
}

impl From<MicrositeError> for ApiError {
    #[track_caller]
    fn from(err: MicrositeError) -> Self {
        match err {
            MicrositeError::NotFound => ApiError::not_found(),
            MicrositeError::Slug(e) => ApiError::invalid("slug", e.to_string()),
            MicrositeError::SlugTaken => {
                ApiError::conflict("slug_taken", "That address is already taken.")
            }
            MicrositeError::Invalid(e) => ApiError::invalid(e.field, e.message),
            MicrositeError::QrUnavailable(detail) => {
                tracing::warn!(%detail, "QR blocks could not be checked");
                ApiError::unavailable(
                    "QR codes cannot be checked right now, so a page with a new QR block was not \
                     saved. Please try again in a minute.",
                )
            }
            MicrositeError::Database(e) => e.into(),
        }
    }
}

impl IntoResponse for MicrositeError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
