//! Background work of the microsite service: dropping cached pages other instances changed, and
//! deleting a deleted user's pages.

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
