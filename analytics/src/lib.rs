//! The analytics service: scan, view and click ingestion from the event bus, classification,
//! rollups and every number a user sees about them.
//!
//! Layout: `classify` (user agent, bots, country, referrer, language, visitor id) → `ingest` (the
//! batching writer) → `store` (all SQL) ← `query` (range/interval/tz maths and answer shapes) ←
//! `routes` (thin HTTP handlers, `owner` says who is asking); `export` writes the CSV files.
//! `retention` prunes. `dimension` is the one list of breakdowns that the writer, the queries and the answers all follow.

pub mod classify;
pub mod client;
pub mod contract;
pub mod dimension;
pub mod error;
pub mod export;
pub mod filter;
pub mod hit;
pub mod ingest;
pub mod live;
pub mod names;
pub mod owner;
pub mod product;
pub mod query;
pub mod range;
pub mod retention;
pub mod routes;
pub mod settings;
pub mod store;

use std::sync::Arc;

use axum::Router;
use shared::context::ServiceContext;

pub use error::AnalyticsError;
pub use settings::Settings;

use classify::{Classifier, Geo};
use ingest::Ingestor;

/// This service's migrations (`migrations/analytics/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/analytics")
}

/// The service's router, ready to be mounted in all-in-one mode or served alone. Starts the
/// ingestion writer and the pruning task; settings come from the environment.
pub async fn build(ctx: ServiceContext) -> Result<Router, shared::Error> {
    Ok(start(ctx, Settings::from_env()).await?.0)
}

/// [`build`] with explicit settings, also returning the writer (tests and the bench use it).
pub async fn start(
    ctx: ServiceContext,
    settings: Settings,
) -> Result<(Router, Ingestor), shared::Error> {
    let geo = Geo::from_setting(settings.geoip_db.as_deref());
    let classifier = Arc::new(Classifier::new(geo));
    let country_attribution = classifier.country_attribution();
    let mut ingest = settings.ingest.clone();
    ingest.salt_grace = settings.salt_grace;
    let ingestor =
        Ingestor::start(ctx.db.clone(), &ctx.bus, classifier, ingest, &ctx.shutdown).await?;
    retention::spawn(ctx.db.clone(), &settings, &ctx.shutdown);
    product::consume::start(&ctx.db, &ctx.bus, &ctx.shutdown).await?;
    names::start(&ctx.db, &ctx.bus, &ctx.shutdown).await?;
    let state = routes::AppState {
        db: ctx.db,
        country_attribution,
        identity: ctx.identity.clone(),
    };
    Ok((routes::router(state), ingestor))
}
