//! The auth crate's one error type. Handlers and the domain use `?`; the HTTP edge turns each
//! variant into the documented status and code.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("email already registered")]
    EmailTaken,
    /// Wrong password or unknown email: deliberately one answer for both.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("invalid or expired refresh token")]
    InvalidRefreshToken,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("wrong one-time code")]
    InvalidCode,
    /// The founder disabled the account. Said only after the right password.
    #[error("account disabled")]
    AccountDisabled,
    #[error("rate limited for {0:?}")]
    RateLimited(Duration),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str, &'static str),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl AuthError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AuthError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        AuthError::Internal(detail.to_string())
    }
}

impl From<shared::Error> for AuthError {
    fn from(err: shared::Error) -> Self {
        match err {
            shared::Error::Database(db) => AuthError::Database(db),
            other => AuthError::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    #[track_caller]
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Invalid { field, message } => ApiError::invalid(field, message),
            AuthError::EmailTaken => {
                ApiError::conflict("email_taken", "An account with this email already exists.")
            }
            AuthError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Wrong email or password. Just signed up? Confirm your email address first, with \
                 the link in the confirmation email.",
            ),
            AuthError::InvalidRefreshToken => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_refresh_token",
                "This session has ended; sign in again.",
            ),
            AuthError::InvalidToken => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "This link or token is invalid or has expired.",
            ),
            AuthError::InvalidCode => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_code",
                "That code is not right.",
            ),
            AuthError::AccountDisabled => ApiError::new(
                StatusCode::FORBIDDEN,
                "account_disabled",
                "This account has been disabled. Write to us if you think this is a mistake.",
            ),
            AuthError::RateLimited(_) => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many attempts; try again later.",
            ),
            AuthError::NotFound => ApiError::not_found(),
            AuthError::Conflict(code, message) => ApiError::conflict(code, message),
            AuthError::Api(api) => api,
            AuthError::Database(db) => db.into(),
            AuthError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let retry = match &self {
            // Rounded up: a client that waits exactly this long must not be refused again.
            AuthError::RateLimited(wait) => Some(wait.as_millis().div_ceil(1000).max(1)),
            _ => None,
        };
        let mut response = ApiError::from(self).into_response();
        if let Some(secs) = retry
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
