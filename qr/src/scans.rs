//! Scan counting for `max_scans`: human scans are counted in memory at once and written to the
//! database within a second by the background counter (`workers`), never on a request's time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::resolve::target::Target;
use crate::store::Store;

pub struct ScanCounter {
    store: Store,
    /// Live human-scan counts of codes that have a `max_scans` rule.
    counts: moka::sync::Cache<String, Arc<AtomicU64>>,
    /// To the background writer: one message per counted scan.
    counted: tokio::sync::mpsc::Sender<String>,
}

impl ScanCounter {
    pub fn new(store: Store, counted: tokio::sync::mpsc::Sender<String>) -> Self {
        Self {
            store,
            counts: moka::sync::Cache::builder().max_capacity(100_000).build(),
            counted,
        }
    }

    /// Human scans so far of a code with a `max_scans` rule (loaded once, then counted here).
    pub async fn human_scans(&self, target: &Target) -> u64 {
        if let Some(count) = self.counts.get(&target.qr_id) {
            return count.load(Ordering::Relaxed);
        }
        let stored = self.store.human_scans(&target.qr_id).await.unwrap_or(0);
        let count = self
            .counts
            .get_with(target.qr_id.clone(), || Arc::new(AtomicU64::new(stored)));
        count.load(Ordering::Relaxed)
    }

    /// Records a human scan towards `max_scans`: in memory now, in the database within a second
    /// (by the background counter), never on the request's time.
    pub fn count_human_scan(&self, target: &Target) {
        if target.rules.max_scans.is_none() {
            return;
        }
        if let Some(count) = self.counts.get(&target.qr_id) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self.counted.try_send(target.qr_id.clone());
    }
}
