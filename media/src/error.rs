//! The media module's one error type; converted to the shared `ApiError` at the HTTP edge.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::ApiError;

use crate::process::{MAX_DIMENSION, MAX_UPLOAD_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("no such image")]
    NotFound,
    #[error("images are at most {} KiB", MAX_UPLOAD_BYTES / 1024)]
    TooLarge,
    #[error("send the image as multipart/form-data in a field named `file`")]
    MissingFile,
    /// Recognised by its first bytes as something we do not take (SVG, GIF, …) or as nothing.
    #[error("{0}")]
    Unsupported(&'static str),
    #[error(
        "the image is {width}×{height} px; at most {MAX_DIMENSION}×{MAX_DIMENSION} px is accepted"
    )]
    Dimensions { width: u32, height: u32 },
    #[error(
        "the image is too large to decode; at most {MAX_DIMENSION}×{MAX_DIMENSION} px, 8 bits per channel"
    )]
    DecodeLimit,
    #[error("the file could not be read as a {0} image")]
    Undecodable(&'static str),
    #[error("the upload could not be read: {0}")]
    Multipart(String, StatusCode),
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("encoding: {0}")]
    Encode(String),
    #[error("too many uploads; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error(
        "your images use {used_mb} of your {quota_mb} MB; this one ({size_kb} KiB) does not fit. \
         Remove a logo from a code you no longer need, or ask the founder for more room"
    )]
    QuotaExceeded {
        used_mb: String,
        quota_mb: u64,
        size_kb: u64,
    },
    /// Refused before reaching the module (no credential, missing scope).
    #[error(transparent)]
    Denied(#[from] ApiError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<MediaError> for ApiError {
    #[track_caller]
    fn from(err: MediaError) -> Self {
        let unprocessable = |code: &'static str, message: String| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field("file")
        };
        match err {
            MediaError::NotFound => ApiError::not_found(),
            e @ MediaError::TooLarge => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                e.to_string(),
            )
            .with_field("file"),
            e @ MediaError::MissingFile => ApiError::invalid("file", e.to_string()),
            e @ MediaError::Unsupported(_) => unprocessable("unsupported_image", e.to_string()),
            e @ (MediaError::Dimensions { .. } | MediaError::DecodeLimit) => {
                unprocessable("image_too_large", e.to_string())
            }
            e @ MediaError::Undecodable(_) => unprocessable("undecodable_image", e.to_string()),
            MediaError::Multipart(message, status) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(status, "payload_too_large", message).with_field("file")
            }
            MediaError::Multipart(message, _) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message).with_field("file")
            }
            e @ (MediaError::Io(_) | MediaError::Encode(_)) => ApiError::internal(e),
            e @ MediaError::RateLimited { .. } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            }
            e @ MediaError::QuotaExceeded { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload_quota_exceeded",
                e.to_string(),
            )
            .with_field("file"),
            MediaError::Denied(e) => e,
            MediaError::Database(e) => e.into(),
        }
    }
}

impl IntoResponse for MediaError {
    fn into_response(self) -> Response {
        let retry = match &self {
            MediaError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let mut response = ApiError::from(self).into_response();
        if let Some(secs) = retry
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.max(1).to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
