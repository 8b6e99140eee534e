//! Background work of the qr service, none of it on a request's time: writing human-scan counts
//! (for `max_scans`), dropping cached codes other instances changed, and deleting a deleted
//! user's codes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shared::bus::{spawn_consumer, topics};
use shared::context::ServiceContext;
use shared::events::UserDeleted;
use tokio::sync::mpsc;

use crate::service::QrService;
use crate::store::Store;

pub async fn start(
    ctx: &ServiceContext,
    service: Arc<QrService>,
    counted: mpsc::Receiver<String>,
) -> Result<(), shared::Error> {
    let store = service.store().clone();
    let counter = tokio::spawn(write_counts(store, counted));
    ctx.shutdown.on_drain("qr scan counts", move || async move {
        // The receiver ends when the service (its sender) is dropped; give it a moment to write.
        let _ = tokio::time::timeout(Duration::from_secs(2), counter).await;
    });

    // Every instance needs every change: one consumer group per instance.
    let instance = format!("qr-cache-{}", shared::ids::new_id());
    let cache = service.clone();
    spawn_consumer(
        &ctx.bus,
        topics::QR_CHANGED,
        &instance,
        &instance,
        &ctx.shutdown,
        move |event| {
            let cache = cache.clone();
            async move {
                if let Some(code) = event.payload["code"].as_str() {
                    cache.invalidate(code).await;
                }
                true
            }
        },
    )
    .await?;

    spawn_consumer(
        &ctx.bus,
        topics::USER_DELETED,
        "qr",
        "qr-1",
        &ctx.shutdown,
        move |event| {
            let service = service.clone();
            async move {
                let Ok(user) = serde_json::from_value::<UserDeleted>(event.payload) else {
                    return true; // malformed: retrying cannot help
                };
                match service.delete_owner(&user.user_id).await {
                    Ok(n) => {
                        tracing::info!(codes = n, "deleted a deleted user's codes");
                        true
                    }
                    Err(err) => {
                        tracing::warn!(%err, "could not delete a user's codes yet");
                        false
                    }
                }
            }
        },
    )
    .await
}

/// Writes human-scan counts once a second, many codes per transaction.
async fn write_counts(store: Store, mut counted: mpsc::Receiver<String>) {
    let mut pending: HashMap<String, u64> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            next = counted.recv() => match next {
                Some(qr_id) => *pending.entry(qr_id).or_default() += 1,
                None => break,
            },
            _ = tick.tick() => flush(&store, &mut pending).await,
        }
    }
    flush(&store, &mut pending).await;
}

async fn flush(store: &Store, pending: &mut HashMap<String, u64>) {
    if pending.is_empty() {
        return;
    }
    let counts: Vec<(String, u64)> = pending.drain().collect();
    if let Err(err) = store.add_human_scans(&counts).await {
        tracing::warn!(%err, "scan counts not written; retrying next second");
        for (id, n) in counts {
            *pending.entry(id).or_default() += n;
        }
    }
}
