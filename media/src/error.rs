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
            MediaError::Database(e) => e.into(),
        }
    }
}

impl IntoResponse for MediaError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
