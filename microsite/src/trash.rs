//! The trash: deleting a page moves it here instead of removing it, so it can be restored for
//! [`TRASH_DAYS`]. Meanwhile `/m/{slug}` answers "removed by its owner" (410) and the slug stays
//! reserved. Purging ("delete forever", or the purge job after the 30 days) is the old hard
//! delete. Every change goes through `forget`, so every instance's page cache follows at once.

use shared::ids::now_ms;

use crate::error::MicrositeError;
use crate::model::Microsite;
use crate::service::MicrositeService;

/// How long a page stays restorable in the trash.
pub const TRASH_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Pages purged per query of the purge job (it loops until none is left).
const PURGE_BATCH: i64 = 100;

/// When a page trashed at `deleted_at` is purged.
pub fn purge_at(deleted_at: i64) -> i64 {
    deleted_at.saturating_add(TRASH_DAYS * DAY_MS)
}

impl MicrositeService {
    /// Moves the owner's page to the trash (the API's and the pages' "delete").
    pub async fn trash(&self, owner_id: &str, id: &str) -> Result<(), MicrositeError> {
        let slug = self.store.trash(owner_id, id, now_ms()).await?;
        self.forget(&slug);
        Ok(())
    }

    /// Takes the owner's page out of the trash, published again if it was.
    pub async fn restore(&self, owner_id: &str, id: &str) -> Result<Microsite, MicrositeError> {
        let slug = self.store.restore(owner_id, id).await?;
        self.forget(&slug);
        self.store.get(owner_id, id).await
    }

    /// The owner's trash, most recently trashed first.
    pub async fn trashed(&self, owner_id: &str) -> Result<Vec<Microsite>, MicrositeError> {
        self.store.trashed(owner_id).await
    }

    /// Deletes a page in the owner's trash for good ("delete forever").
    pub async fn purge(&self, owner_id: &str, id: &str) -> Result<(), MicrositeError> {
        let slug = self.store.purge(owner_id, id).await?;
        self.forget(&slug);
        Ok(())
    }

    /// Purges every page trashed more than [`TRASH_DAYS`] before `now`; returns how many.
    pub async fn purge_expired(&self, now: i64) -> Result<usize, MicrositeError> {
        let cutoff = now.saturating_sub(TRASH_DAYS * DAY_MS);
        let mut purged = 0;
        loop {
            let due = self.store.trashed_before(cutoff, PURGE_BATCH).await?;
            for (owner_id, id) in &due {
                match self.purge(owner_id, id).await {
                    // Restored or purged by another instance since the query: nothing to do.
                    Ok(()) | Err(MicrositeError::NotFound) => purged += 1,
                    Err(err) => return Err(err),
                }
            }
            if due.len() < usize::try_from(PURGE_BATCH).unwrap_or(usize::MAX) {
                return Ok(purged);
            }
        }
    }
}
