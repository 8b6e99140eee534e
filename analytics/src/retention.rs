//! The pruning task: raw events past `ANALYTICS_RETENTION_DAYS`, and salts and visitor ids of
//! days that are over. Runs at start-up and then every `prune_every`.

use std::time::Duration;

use shared::db::Db;
use shared::shutdown::Shutdown;

use crate::settings::Settings;
use crate::store;

pub fn spawn(db: Db, settings: &Settings, shutdown: &Shutdown) {
    let retention_days = settings.retention_days;
    let grace = i64::try_from(settings.salt_grace.as_millis()).unwrap_or(i64::MAX);
    let every = settings.prune_every.max(Duration::from_secs(1));
    let stop = shutdown.triggered();
    tokio::spawn(async move {
        let work = async {
            loop {
                match store::prune(db.pool(), shared::ids::now_ms(), retention_days, grace).await {
                    Ok(pruned) => tracing::info!(?pruned, "analytics: pruned"),
                    Err(err) => tracing::warn!(%err, "analytics: pruning failed; will retry"),
                }
                tokio::time::sleep(every).await;
            }
        };
        tokio::select! {
            () = work => {}
            () = stop => {}
        }
    });
}
