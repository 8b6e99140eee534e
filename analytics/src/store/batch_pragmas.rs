//! SQLite settings for the span of one batch write, on the connection that writes it, put back
//! afterwards so the pool's other users (dashboard reads) keep the defaults.
//!
//! What the profile of `examples/bench.rs` showed without them, for every event: ~0.7 of a page
//! written by a `pwrite` of its own into a statement journal (a multi-row `INSERT … ON CONFLICT`
//! inside a transaction keeps its pages' earlier content, in case it must undo itself; past
//! 64 KiB that journal is a temporary file, written page by page).
//!
//! A batch-sized page cache (64 MiB for the batch, given back after it) cut the writes further,
//! but the dashboard query measured by the same bench became twice as slow (p50 17 -> 30-44 ms on
//! 200,000 and 1,000,000 scans, not understood yet), so it is not used.

use sqlx::{AnyConnection, Executor, Row};

/// Statement journals in memory; they are freed when each statement ends.
const DURING_BATCH: &str = "PRAGMA temp_store = MEMORY";

/// What the connection had before the batch (SQLite only; `None` elsewhere).
pub(super) struct BatchPragmas {
    temp_store: i64,
}

impl BatchPragmas {
    /// Applies the batch settings on SQLite; does nothing on PostgreSQL.
    pub(super) async fn apply(conn: &mut AnyConnection) -> Result<Option<Self>, sqlx::Error> {
        if conn.backend_name() != "SQLite" {
            return Ok(None);
        }
        let temp_store: i64 = conn.fetch_one("PRAGMA temp_store").await?.try_get(0)?;
        conn.execute(DURING_BATCH).await?;
        Ok(Some(Self { temp_store }))
    }

    /// Puts the earlier setting back (dashboard reads sort in temporary files again).
    pub(super) async fn restore(self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        // An integer read from SQLite itself, not text from outside.
        let sql = format!("PRAGMA temp_store = {}", self.temp_store);
        conn.execute(sqlx::AssertSqlSafe(sql)).await?;
        Ok(())
    }
}
