//! The microsite service: link-in-bio pages made of typed blocks, their themes, publishing, and
//! the public page at `\/m\/{slug}`.

use axum::Router;
use shared::context::ServiceContext;

/// This service's migrations (`migrations/microsite/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/microsite")
}

/// The service's router, ready to be mounted in all-in-one mode or served alone.
pub async fn build(_ctx: ServiceContext) -> Result<Router, shared::Error> {
    Ok(Router::new())
}
