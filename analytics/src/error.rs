//! The crate's one error type, converted into the API's error shape at the HTTP edge.

use shared::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// Unknown id, or another owner's: the same answer, so ids cannot be probed.
    #[error("not found")]
    NotFound,
    /// A query parameter is wrong; the field names it.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Shared(#[from] shared::Error),
}

impl AnalyticsError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AnalyticsError::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<AnalyticsError> for ApiError {
    #[track_caller]
    fn from(err: AnalyticsError) -> Self {
        match err {
            AnalyticsError::NotFound => ApiError::not_found(),
            AnalyticsError::Invalid { field, message } => ApiError::invalid(field, message),
            AnalyticsError::Database(db) => db.into(),
            AnalyticsError::Shared(e) => e.into(),
        }
    }
}

impl axum::response::IntoResponse for AnalyticsError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}
