//! The trash: deleting a page moves it here instead of removing it, so it can be restored for 30
//! days (`shared::trash`). Meanwhile `/m/{slug}` answers "removed by its owner" (410) and the slug
//! stays reserved. Purging ("delete forever", or the purge job after the 30 days) is the old hard
//! delete. Every change goes through `forget`, so every instance's page cache follows at once.

use shared::ids::now_ms;
use shared::trash::{purge_cutoff, purge_each};

use crate::error::MicrositeError;
use crate::model::Microsite;
use crate::service::MicrositeService;

/// Pages purged per run of the purge job (more wait for the next run, an hour later).
const PURGE_BATCH: i64 = 500;

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

    /// Purges pages trashed more than 30 days before `now` (at most a batch); returns how many.
    pub async fn purge_expired(&self, now: i64) -> Result<usize, MicrositeError> {
        let cutoff = purge_cutoff(now);
        let due = self.store.trashed_before(cutoff, PURGE_BATCH).await?;
        let purge = |owner_id, id| self.purge(owner_id, id);
        purge_each(&due, purge, |err| matches!(err, MicrositeError::NotFound)).await
    }
}
