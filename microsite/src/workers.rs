//! Background work of the microsite service: dropping cached pages other instances changed,
//! purging the trash after its 30 days, and deleting a deleted user's pages.

use std::sync::Arc;

use shared::bus::{consume_in_every_instance, delete_with_account};
use shared::context::ServiceContext;
use shared::events::MICROSITE_CHANGED;

use crate::service::MicrositeService;

pub async fn start(
    ctx: &ServiceContext,
    service: Arc<MicrositeService>,
) -> Result<(), shared::Error> {
    let cache = service.clone();
    consume_in_every_instance(
        &ctx.bus,
        MICROSITE_CHANGED,
        "microsite-cache",
        &ctx.shutdown,
        move |changed| {
            cache.invalidate_local(&changed.slug);
            std::future::ready(true)
        },
    )
    .await?;

    let purging = service.clone();
    shared::trash::spawn_purge_job(&ctx.shutdown, "microsite", move |now| {
        let service = purging.clone();
        Box::pin(async move { service.purge_expired(now).await.map_err(|e| e.to_string()) })
    });

    delete_with_account(
        &ctx.bus,
        "microsite",
        "microsites",
        &ctx.shutdown,
        move |user_id| {
            let service = service.clone();
            async move { service.delete_owner(&user_id).await }
        },
    )
    .await
}
