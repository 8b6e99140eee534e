//! The qr service: QR codes, their short codes and destinations, rendering, and the public
//! `GET /r/{code}` redirect.

pub mod admin;
pub mod api;
mod api_state;
pub mod bulk;
pub mod client;
pub mod code;
pub mod contract;
pub mod destination;
mod download;
pub mod edit;
pub mod error;
pub mod experiments;
pub mod gate;
pub mod images;
pub mod microsite;
pub mod model;
pub mod moderation;
pub mod redirect;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod scans;
pub mod service;
pub mod store;
pub mod style;
mod workers;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use shared::context::ServiceContext;

use crate::destination::Blocklist;
use crate::microsite::{MicrositeDirectory, NoDirectory};
use crate::service::{Parts, QrService};
use crate::store::Store;

/// This service's migrations (`migrations/qr/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/qr")
}

/// The service's router without a way to reach microsite (`microsite` codes answer 503). See
/// [`build_with`].
pub async fn build(ctx: ServiceContext) -> Result<Router, shared::Error> {
    build_with(ctx, Arc::new(NoDirectory)).await
}

/// The service's router, ready to be mounted in all-in-one mode or served alone, asking
/// `directory` about microsites. Starts the background workers (scan counter, cache
/// invalidation, account deletion).
pub async fn build_with(
    ctx: ServiceContext,
    directory: Arc<dyn MicrositeDirectory>,
) -> Result<Router, shared::Error> {
    let blocklist = match &ctx.settings.qr_blocklist_file {
        Some(path) => Blocklist::load(path).map_err(|e| {
            shared::Error::Config(format!(
                "QR_BLOCKLIST_FILE: cannot read {}: {e}",
                path.display()
            ))
        })?,
        None => Blocklist::default(),
    };
    // The scan path classifies every user agent: compile the lists before the first scan.
    tokio::task::spawn_blocking(botcheck::warm_up);
    let (counted, counted_rx) = tokio::sync::mpsc::channel(100_000);
    let store = Store::new(ctx.db.clone());
    let service = Arc::new(
        QrService::new(
            store.clone(),
            ctx.bus.clone(),
            Parts {
                blocklist,
                public_base_url: ctx.public_base_url.clone(),
                counted,
                redis: ctx.redis.clone(),
                directory,
            },
        )
        .with_media(media::Media::local(&ctx))
        .with_features(ctx.settings.features),
    );
    workers::start(&ctx, service.clone(), counted_rx).await?;
    export_lookups(&service);

    let redirect = redirect::RedirectState {
        service: service.clone(),
    };
    let api = api_state::ApiState {
        service,
        identity: ctx.identity.clone(),
    };
    // The password form posts back to /r/{code}: only from our own pages (Origin or
    // Sec-Fetch-Site), so another site cannot make visitors' browsers guess for it.
    let same_origin = tower_http::csrf::CsrfLayer::new()
        .add_trusted_origin(&*ctx.public_base_url)
        .map_err(|e| {
            shared::Error::Config(format!("PUBLIC_BASE_URL: not usable as an origin: {e}"))
        })?;
    Ok(api::router(api).merge(
        Router::new()
            .route(
                "/r/{code}",
                get(redirect::scan).merge(post(redirect::unlock).layer(same_origin)),
            )
            .with_state(redirect),
    ))
}

/// `qr_target_lookups_total{level}`: where redirects found their code (the cache hit ratio).
fn export_lookups(service: &Arc<QrService>) {
    let weak = Arc::downgrade(service);
    shared::metrics::on_scrape(move || {
        let Some(service) = weak.upgrade() else {
            return false;
        };
        let read = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        let lookups = &service.resolver().lookups;
        for (level, count) in [
            ("memory", read(&lookups.memory)),
            ("redis", read(&lookups.shared)),
            ("database", read(&lookups.database)),
        ] {
            metrics::counter!("qr_target_lookups_total", "level" => level).absolute(count);
        }
        true
    });
}
