//! Background work of the microsite service: dropping cached pages other instances changed, and
//! deleting a deleted user's pages.

use std::sync::Arc;

use shared::bus::consume;
use shared::context::ServiceContext;
use shared::events::{MICROSITE_CHANGED, USER_DELETED};

use crate::service::MicrositeService;

pub async fn start(
    ctx: &ServiceContext,
    service: Arc<MicrositeService>,
) -> Result<(), shared::Error> {
    // Every instance needs every change: one consumer group per instance.
    let instance = format!("microsite-cache-{}", shared::ids::new_id());
    let cache = service.clone();
    consume(
        &ctx.bus,
        MICROSITE_CHANGED,
        &instance,
        &instance,
        &ctx.shutdown,
        move |changed| {
            cache.invalidate_local(&changed.slug);
            std::future::ready(true)
        },
    )
    .await?;

    consume(
        &ctx.bus,
        USER_DELETED,
        "microsite",
        "microsite-1",
        &ctx.shutdown,
        move |user| {
            let service = service.clone();
            async move {
                match service.delete_owner(&user.user_id).await {
                    Ok(n) => {
                        tracing::info!(pages = n, "deleted a deleted user's microsites");
                        true
                    }
                    Err(err) => {
                        tracing::warn!(%err, "could not delete a user's microsites yet");
                        false
                    }
                }
            }
        },
    )
    .await
}
