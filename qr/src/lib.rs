//! The qr service: QR codes, their short codes and destinations, rendering, and the public
//! `GET /r/{code}` redirect.

pub mod api;
pub mod bots;
pub mod client;
pub mod code;
pub mod destination;
pub mod error;
pub mod model;
pub mod redirect;
pub mod render;
pub mod rules;
pub mod service;
pub mod store;
pub mod style;
mod workers;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use shared::context::ServiceContext;

use crate::destination::Blocklist;
use crate::service::QrService;
use crate::store::Store;

/// This service's migrations (`migrations/qr/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/qr")
}

/// The service's router, ready to be mounted in all-in-one mode or served alone. Starts the
/// background workers (scan counter, cache invalidation, account deletion).
pub async fn build(ctx: ServiceContext) -> Result<Router, shared::Error> {
    let blocklist = match &ctx.settings.qr_blocklist_file {
        Some(path) => Blocklist::load(path).map_err(|e| {
            shared::Error::Config(format!(
                "QR_BLOCKLIST_FILE: cannot read {}: {e}",
                path.display()
            ))
        })?,
        None => Blocklist::default(),
    };
    let (counted, counted_rx) = tokio::sync::mpsc::channel(100_000);
    let store = Store::new(ctx.db.clone());
    let service = Arc::new(
        QrService::new(
            store.clone(),
            ctx.bus.clone(),
            blocklist,
            ctx.public_base_url.clone(),
            counted,
        )
        // Logos come from the media module mounted beside this router (web/src/app.rs).
        .with_media(media::Media::local(&ctx)),
    );
    workers::start(&ctx, service.clone(), counted_rx).await?;

    let redirect = redirect::RedirectState {
        service: service.clone(),
        trusted_proxies: ctx.settings.trusted_proxies.0.clone().into(),
    };
    let api = api::ApiState {
        service,
        identity: ctx.identity.clone(),
    };
    Ok(api::router(api).merge(
        Router::new()
            .route("/r/{code}", get(redirect::scan))
            .with_state(redirect),
    ))
}
