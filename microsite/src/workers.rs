//! Background work of the microsite service: dropping cached pages other instances changed, and
//! deleting a deleted user's pages.

use std::sync::Arc;

use shared::bus::{spawn_consumer, topics};
use shared::context::ServiceContext;
use shared::events::UserDeleted;

use crate::service::{CHANGED_TOPIC, MicrositeService};

pub async fn start(
    ctx: &ServiceContext,
    service: Arc<MicrositeService>,
) -> Result<(), shared::Error> {
    // Every instance needs every change: one consumer group per instance.
    let instance = format!("microsite-cache-{}", shared::ids::new_id());
    let cache = service.clone();
    spawn_consumer(
        &ctx.bus,
        CHANGED_TOPIC,
        &instance,
        &instance,
        &ctx.shutdown,
        move |event| {
            if let Some(slug) = event.payload["slug"].as_str() {
                cache.invalidate_local(slug);
            }
            std::future::ready(true)
        },
    )
    .await?;

    spawn_consumer(
        &ctx.bus,
        topics::USER_DELETED,
        "microsite",
        "microsite-1",
        &ctx.shutdown,
        move |event| {
            let service = service.clone();
            async move {
                let Ok(user) = serde_json::from_value::<UserDeleted>(event.payload) else {
                    return true; // malformed: retrying cannot help
                };
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
