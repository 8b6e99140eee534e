//! The names owners gave their codes, pages and link blocks (from `names.changed` events).

use std::collections::BTreeMap;

use shared::events::Named;
use sqlx::{AnyPool, Row};

/// Records an event's names (a `None` name is a tombstone) in one transaction, so a page never
/// shows half of one change; each is skipped where a newer event already named that thing.
pub async fn set_names(
    pool: &AnyPool,
    owner_id: &str,
    names: &[&Named],
    changed_at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for named in names {
        sqlx::query(
            "INSERT INTO analytics_names (kind, target_id, owner_id, name, changed_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (kind, target_id) DO UPDATE SET owner_id = excluded.owner_id, \
             name = excluded.name, changed_at = excluded.changed_at \
             WHERE analytics_names.changed_at <= excluded.changed_at",
        )
        .bind(&named.kind)
        .bind(&named.id)
        .bind(owner_id)
        .bind(named.name.as_deref())
        .bind(changed_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// The owner's current names of one kind, by id (deleted things have none). An account holds a
/// few hundred things at most, so one read of them all is cheaper than a query per id.
pub async fn names_of(
    pool: &AnyPool,
    owner_id: &str,
    kind: &str,
) -> Result<BTreeMap<String, String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT target_id, name FROM analytics_names \
         WHERE owner_id = $1 AND kind = $2 AND name IS NOT NULL",
    )
    .bind(owner_id)
    .bind(kind)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
