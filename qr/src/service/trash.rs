//! The trash: deleting a code moves it here instead of removing it, so a printed code that was
//! deleted by mistake can be restored — with its scans, which are never touched — for 30 days
//! (`shared::trash`). Meanwhile `/r/{code}` answers "removed by its owner" (410) and the short code
//! stays reserved. Purging ("delete forever", or the purge job after the 30 days) is the old hard
//! delete. Every change goes through `forget`, so every instance's cache follows at once.

use shared::ids::now_ms;
use shared::trash::{purge_cutoff, purge_each};

use super::QrService;
use crate::error::QrError;
use crate::model::QrCode;

/// Codes purged per run of the purge job (more wait for the next run, an hour later).
const PURGE_BATCH: i64 = 500;

impl QrService {
    /// Moves the owner's code to the trash (the API's and the pages' "delete").
    pub async fn trash(&self, owner_id: &str, id: &str) -> Result<(), QrError> {
        let code = self.store.trash(owner_id, id, now_ms()).await?;
        self.forget(&code).await;
        Ok(())
    }

    /// Takes the owner's code out of the trash: it scans again at once, its counts intact.
    pub async fn restore(&self, owner_id: &str, id: &str) -> Result<QrCode, QrError> {
        let code = self.store.restore(owner_id, id).await?;
        self.forget(&code).await;
        self.store.get(owner_id, id).await
    }

    /// The owner's trash, most recently trashed first.
    pub async fn trashed(&self, owner_id: &str) -> Result<Vec<QrCode>, QrError> {
        self.store.trashed(owner_id).await
    }

    /// Deletes a code in the owner's trash for good ("delete forever").
    pub async fn purge(&self, owner_id: &str, id: &str) -> Result<(), QrError> {
        let code = self.store.purge(owner_id, id).await?;
        self.forget(&code).await;
        Ok(())
    }

    /// Purges codes trashed more than 30 days before `now` (at most a batch); returns how many.
    pub async fn purge_expired(&self, now: i64) -> Result<usize, QrError> {
        let cutoff = purge_cutoff(now);
        let due = self.store.trashed_before(cutoff, PURGE_BATCH).await?;
        let purge = |owner_id, id| self.purge(owner_id, id);
        purge_each(&due, purge, |err| matches!(err, QrError::NotFound)).await
    }
}
