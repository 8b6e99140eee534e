//! Background work of the microsite service: dropping cached pages other instances changed,
//! purging the trash after its 30 days, and deleting a deleted user's pages.

use std::sync::Arc;
use std::time::Duration;

use shared::bus::{consume, delete_with_account};
use shared::context::ServiceContext;
use shared::events::MICROSITE_CHANGED;

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

    purge_trash(ctx, service.clone());

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

/// How often pages past their 30 days in the trash are purged (also once at start-up).
const PURGE_EVERY: Duration = Duration::from_hours(1);

/// The trash's purge job, until shutdown. Every instance runs it: a purge is idempotent, so two
/// at once only repeat a query.
fn purge_trash(ctx: &ServiceContext, service: Arc<MicrositeService>) {
    let stop = ctx.shutdown.triggered();
    tokio::spawn(async move {
        let work = async {
            loop {
                match service.purge_expired(shared::ids::now_ms()).await {
                    Ok(0) => {}
                    Ok(purged) => {
                        tracing::info!(purged, "microsite: purged pages past their trash days");
                    }
                    Err(err) => {
                        tracing::warn!(%err, "microsite: purging the trash failed; will retry");
                    }
                }
                tokio::time::sleep(PURGE_EVERY).await;
            }
        };
        tokio::select! {
            () = work => {}
            () = stop => {}
        }
    });
}
