//! The auth service: users, password hashing, token issuing, refresh and revocation, API keys,
//! invites and the waitlist. The only component that can mint tokens; never on the scan path.

pub mod client;

use axum::Router;
use axum::routing::get;
use shared::ApiError;
use shared::context::ServiceContext;

/// This service's migrations (`migrations/auth/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/auth")
}

/// The service's router, ready to be mounted in all-in-one mode or served alone.
pub async fn build(_ctx: ServiceContext) -> Result<Router, shared::Error> {
    Ok(Router::new().route("/api/v1/auth/me", get(me)))
}

async fn me() -> Result<axum::Json<client::CurrentUser>, ApiError> {
    Err(ApiError::unauthenticated())
}
