//! The analytics service: scan, view and click ingestion from the event bus, classification,
//! rollups and every number a user sees about them.

use axum::Router;
use shared::context::ServiceContext;

/// This service's migrations (`migrations/analytics/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/analytics")
}

/// The service's router, ready to be mounted in all-in-one mode or served alone.
pub async fn build(_ctx: ServiceContext) -> Result<Router, shared::Error> {
    Ok(Router::new())
}
