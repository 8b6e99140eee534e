//! Background work of the qr service, none of it on a request's time: writing human-scan counts
//! (for `max_scans`), dropping cached codes other instances changed, and deleting a deleted
//! user's codes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shared::bus::topics;
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
    let instance = format!("qr-cache-{}", uuid_like());
    let mut changes = ctx
        .bus
        .subscribe(topics::QR_CHANGED, &instance, &instance)
        .await?;
    let cache = service.clone();
    let stop = ctx.shutdown.clone();
    tokio::spawn(async move {
        while !stop.is_triggered() {
            match changes.next_batch(256, Duration::from_secs(1)).await {
                Ok(batch) => {
                    for delivery in &batch {
                        if let Some(code) = delivery.event.payload["code"].as_str() {
                            cache.invalidate_local(code);
                        }
                    }
                    let _ = changes.ack(&batch).await;
                }
                Err(err) => {
                    tracing::warn!(%err, "cache invalidation feed failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });

    let mut deletions = ctx
        .bus
        .subscribe(topics::USER_DELETED, "qr", "qr-1")
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
                        tracing::info!(codes = n, "deleted a deleted user's codes");
                        done.push(delivery);
                    }
                    // Not acknowledged: Redis delivers it again.
                    Err(err) => tracing::warn!(%err, "could not delete a user's codes yet"),
                }
            }
            let _ = deletions.ack(&done).await;
        }
    });
    Ok(())
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

fn uuid_like() -> String {
    shared::ids::new_id()
}
