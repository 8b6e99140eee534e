//! The microsite service: link-in-bio pages made of typed blocks, their themes, publishing, and
//! the public page at `\/m\/{slug}`.

pub mod admin;
pub mod api;
pub mod block;
pub mod client;
pub mod contract;
pub mod drafter;
pub mod error;
pub mod model;
pub mod og;
pub mod page;
pub mod public;
pub mod qr_directory;
pub mod service;
pub mod slug;
pub mod starters;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;
pub mod theme;
mod trash;
mod workers;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use shared::context::ServiceContext;

use crate::service::MicrositeService;
use crate::store::Store;

/// This service's migrations (`migrations/microsite/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/microsite")
}

/// The service's router with no way to reach the qr service: QR blocks are refused as
/// "unavailable" (see [`build_with`]).
pub async fn build(ctx: ServiceContext) -> Result<Router, shared::Error> {
    build_with(ctx, Arc::new(qr_directory::UnreachableQrDirectory)).await
}

/// The service's router, ready to be mounted in all-in-one mode or served alone, asking `qr`
/// whose QR codes QR blocks name. Starts the background workers (page cache invalidation,
/// account deletion). `og:image` cards draw initials for every avatar (see [`build_full`]).
pub async fn build_with(
    ctx: ServiceContext,
    qr: Arc<dyn qr_directory::QrDirectory>,
) -> Result<Router, shared::Error> {
    build_full(ctx, qr, Arc::new(og::NoMedia)).await
}

/// [`build_with`], with the media module (mounted in qr's router) to fetch uploaded avatars from
/// for the pages' `og:image` cards.
pub async fn build_full(
    ctx: ServiceContext,
    qr: Arc<dyn qr_directory::QrDirectory>,
    media: Arc<dyn og::MediaSource>,
) -> Result<Router, shared::Error> {
    let service = Arc::new(MicrositeService::new(
        Store::new(ctx.db.clone()),
        ctx.bus.clone(),
        ctx.public_base_url.clone(),
        qr,
    ));
    workers::start(&ctx, service.clone()).await?;

    let public = public::PublicState {
        service: service.clone(),
        identity: ctx.identity.clone(),
        cards: Arc::new(og::Cards::new(media)),
    };
    let api = api::ApiState {
        service,
        identity: ctx.identity.clone(),
    };
    Ok(api::router(api).merge(
        Router::new()
            .route("/m/{slug}", get(public::view))
            .route(
                "/m/{slug}/l/{block_id}",
                get(public::click).post(public::click),
            )
            .route(
                "/m/{slug}/l/{block_id}/{index}",
                get(public::click_at).post(public::click_at),
            )
            .route("/m/{slug}/og.png", get(public::og_image))
            .route("/m/{slug}/preview", get(public::preview))
            .with_state(public),
    ))
}
