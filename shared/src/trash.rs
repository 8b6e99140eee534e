//! The trash qr and microsite keep alike: a deleted code or page stays restorable for
//! [`TRASH_DAYS`], then the purge job deletes it for good. The services own their rows and what
//! purging one means; this is the policy and the job's schedule they share.

use std::time::Duration;

use crate::future::BoxFuture;
use crate::shutdown::Shutdown;

/// How long a deleted code or page stays restorable.
pub const TRASH_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How often the purge job runs (and once at start-up): an item is purged within the hour after
/// its days are over.
const PURGE_EVERY: Duration = Duration::from_hours(1);

/// When an item trashed at `deleted_at` is purged.
pub fn purge_at(deleted_at: i64) -> i64 {
    deleted_at.saturating_add(TRASH_DAYS * DAY_MS)
}

/// At `now`, items trashed before this are due for purging.
pub fn purge_cutoff(now: i64) -> i64 {
    now.saturating_sub(TRASH_DAYS * DAY_MS)
}

/// The purge job's batch: purges each `(owner_id, id)` of `due` with `purge`, in order, and
/// answers how many were due. An item `already_gone` says is missing was restored or purged by
/// another instance since the query: nothing to do. Any other failure stops the batch (the next
/// run takes it up again).
pub async fn purge_each<'a, E, Fut>(
    due: &'a [(String, String)],
    purge: impl Fn(&'a str, &'a str) -> Fut,
    already_gone: impl Fn(&E) -> bool,
) -> Result<usize, E>
where
    Fut: Future<Output = Result<(), E>>,
{
    for (owner_id, id) in due {
        match purge(owner_id, id).await {
            Err(err) if !already_gone(&err) => return Err(err),
            Ok(()) | Err(_) => {}
        }
    }
    Ok(due.len())
}

/// Runs `purge_due` (given the time; it answers how many it purged) at start-up and then every
/// hour, until shutdown. Every instance runs it: purging is idempotent, so two at once only
/// repeat a query. A failure is logged and retried at the next run.
pub fn spawn_purge_job<F>(shutdown: &Shutdown, service: &'static str, purge_due: F)
where
    F: Fn(i64) -> BoxFuture<'static, Result<usize, String>> + Send + Sync + 'static,
{
    let stop = shutdown.triggered();
    tokio::spawn(async move {
        let work = async {
            loop {
                match purge_due(crate::ids::now_ms()).await {
                    Ok(0) => {}
                    Ok(purged) => {
                        tracing::info!(service, purged, "purged the trash's expired items");
                    }
                    Err(err) => {
                        tracing::warn!(service, %err, "purging the trash failed; will retry");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_due_exactly_thirty_days_after_it_was_trashed() {
        let trashed = 1_800_000_000_000;
        let due = purge_at(trashed);
        assert_eq!(due - trashed, 30 * DAY_MS);
        // Not yet due a millisecond before, due at the moment.
        assert!(trashed >= purge_cutoff(due - 1));
        assert!(trashed < purge_cutoff(due + 1));
    }
}
