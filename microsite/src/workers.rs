//! Background work of the microsite service: dropping cached pages other instances changed, and
//! deleting a deleted user's pages.

use std::sync::Arc;
use std::time::Duration;

use shared::bus::topics;
use shared::context::ServiceContext;
use shared::events::UserDeleted;

use crate::service::{CHANGED_TOPIC, MicrositeService};

pub async fn start(
    ctx: &ServiceContext,
    service: Arc<MicrositeService>,
) -> Result<(), shared::Error> {
    // Every instance needs every change: one consumer group per instance.
    let instance = format!("microsite-cache-{}", shared::ids::new_id());
    let mut changes = ctx
        .bus
        .subscribe(CHANGED_TOPIC, &instance, &instance)
        .await?;
    let cache = service.clone();
    let stop = ctx.shutdown.clone();
    tokio::spawn(async move {
        while !stop.is_triggered() {
            match changes.next_batch(256, Duration::from_secs(1)).await {
                Ok(batch) => {
                    for delivery in &batch {
                        if let Some(slug) = delivery.event.payload["slug"].as_str() {
                            cache.invalidate_local(slug);
                        }
                    }
                    let _ = changes.ack(&batch).await;
                }
                Err(err) => {
                    tracing::warn!(%err, "page cache invalidation feed failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });

    let mut deletions = ctx
        .bus
        .subscribe(topics::USER_DELETED, "microsite", "microsite-1")
        .await?;
    let stop = ctx.shutdown.clone();
    tokio::spawn(async move {
        while !stop.is_triggered() {
            let batch = match deletions.next_batch(16, Duration::from_secs(1)).await {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(%err, "user deletion feed failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut done = Vec::new();
            for delivery in batch {
                let Ok(user) =
                    serde_json::from_value::<UserDeleted>(delivery.event.payload.clone())
                else {
                    done.push(delivery);
                    continue;
                };
                match service.delete_owner(&user.user_id).await {
                    Ok(n) => {
                        tracing::info!(pages = n, "deleted a deleted user's microsites");
                        done.push(delivery);
                    }
                    // Not acknowledged: Redis delivers it again.
                    Err(err) => tracing::warn!(%err, "could not delete a user's microsites yet"),
                }
            }
            let _ = deletions.ack(&done).await;
        }
    });
    Ok(())
}
