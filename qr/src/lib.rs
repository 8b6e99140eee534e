//! The qr service: QR codes, their short codes and destinations, rendering, and the public
//! `GET \/r\/{code}` redirect.

pub mod code;
pub mod destination;
pub mod render;
pub mod style;

use axum::Router;
use shared::context::ServiceContext;

/// This service's migrations (`migrations/qr/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/qr")
}

/// The service's router, ready to be mounted in all-in-one mode or served alone.
pub async fn build(_ctx: ServiceContext) -> Result<Router, shared::Error> {
    Ok(Router::new())
}
