//! Background work of the qr service, none of it on a request's time: writing human-scan counts
//! (for `max_scans`), dropping cached codes other instances changed, deleting a deleted user's
//! codes, purging the trash after its 30 days, and keeping the founder's moderation (disabled
//! accounts, blocked domains) current.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::bus::{Topic, consume_in_every_instance, delete_with_account};
use shared::context::ServiceContext;
use tokio::sync::mpsc;

use crate::contract::{QR_BLOCKLIST_CHANGED, QR_CHANGED, USER_DISABLED, USER_ENABLED};
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

    let cache = service.clone();
    consume_in_every_instance(
        &ctx.bus,
        QR_CHANGED,
        "qr-cache",
        &ctx.shutdown,
        move |changed| {
            let cache = cache.clone();
            async move {
                cache.resolver().invalidate(&changed.code).await;
                true
            }
        },
    )
    .await?;

    moderation(ctx, &service).await?;
    let purging = service.clone();
    shared::trash::spawn_purge_job(&ctx.shutdown, "qr", move |now| {
        let service = purging.clone();
        Box::pin(async move { service.purge_expired(now).await.map_err(|e| e.to_string()) })
    });

    delete_with_account(&ctx.bus, "qr", "codes", &ctx.shutdown, move |user_id| {
        let service = service.clone();
        async move { service.delete_owner(&user_id).await }
    })
    .await
}

/// The consumer groups of the moderation changes (one per instance, see [`moderation`]).
const MODERATION: &str = "qr-moderation";

/// Every instance keeps disabled owners and the blocklist in memory, so each one consumes the
/// changes in its own group; the tables are written idempotently by each (same rows). The
/// consumers subscribe before the tables are loaded, so no change falls in between.
async fn moderation(ctx: &ServiceContext, service: &Arc<QrService>) -> Result<(), shared::Error> {
    follow_owner(ctx, service, USER_DISABLED, |u| u.user_id, true).await?;
    follow_owner(ctx, service, USER_ENABLED, |u| u.user_id, false).await?;
    let reload = service.clone();
    consume_in_every_instance(
        &ctx.bus,
        QR_BLOCKLIST_CHANGED,
        MODERATION,
        &ctx.shutdown,
        move |_| {
            let service = reload.clone();
            async move {
                match service.reload_blocklist().await {
                    Ok(()) => true,
                    Err(err) => {
                        tracing::warn!(%err, "could not reload the blocklist yet");
                        false
                    }
                }
            }
        },
    )
    .await?;
    service.load_moderation().await.map_err(|e| match e {
        crate::error::QrError::Database(e) => shared::Error::Database(e),
        other => shared::Error::Bus(format!("qr moderation: {other}")),
    })
}

/// Follows one of auth's account switches (`user.disabled` / `user.enabled`) into qr's copy.
async fn follow_owner<T: DeserializeOwned + Clone + Send + 'static>(
    ctx: &ServiceContext,
    service: &Arc<QrService>,
    topic: Topic<T>,
    user_id: fn(T) -> String,
    disabled: bool,
) -> Result<(), shared::Error> {
    let service = service.clone();
    consume_in_every_instance(&ctx.bus, topic, MODERATION, &ctx.shutdown, move |user| {
        set_owner_disabled(service.clone(), user_id(user), disabled)
    })
    .await
}

/// Records that an owner was disabled or enabled again (retried while the database is down).
async fn set_owner_disabled(service: Arc<QrService>, user_id: String, disabled: bool) -> bool {
    match service.set_owner_disabled(&user_id, disabled).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(%err, "could not record a disabled account yet");
            false
        }
    }
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
