//! Names of codes, pages and link blocks, kept from `names.changed` (consumer group
//! `analytics-names`) so that the dashboards and the CSV exports name things without analytics
//! reading qr's or microsite's tables. The exports are served by analytics itself, in all-in-one
//! and split mode alike, so the names have to be here rather than looked up by web.

use std::collections::BTreeMap;

use shared::bus::{EventBus, spawn_consumer};
use shared::db::Db;
use shared::events::NAMES_CHANGED;
use shared::shutdown::Shutdown;

use crate::store;

const GROUP: &str = "analytics-names";

/// The kinds a `names.changed` entry may name; anything else is ignored.
pub const KINDS: [&str; 3] = ["qr", "microsite", "block"];

pub async fn start(db: &Db, bus: &EventBus, shutdown: &Shutdown) -> Result<(), shared::Error> {
    let pool = db.pool().clone();
    spawn_consumer(
        bus,
        NAMES_CHANGED.name(),
        GROUP,
        GROUP,
        shutdown,
        move |event| {
            let pool = pool.clone();
            async move {
                let Some(changed) = NAMES_CHANGED.payload(&event) else {
                    return true; // unreadable: retrying cannot fix it (logged by `payload`)
                };
                let known: Vec<_> = changed
                    .names
                    .iter()
                    .filter(|n| KINDS.contains(&n.kind.as_str()))
                    .collect();
                let written =
                    store::set_names(&pool, &changed.owner_id, &known, event.occurred_at).await;
                if let Err(err) = written {
                    tracing::warn!(%err, "could not record names yet");
                    return false; // comes again, whole
                }
                true
            }
        },
    )
    .await
}

/// The owner's names of one kind; when they cannot be read the page shows ids rather than fail.
pub async fn lookup(db: &Db, owner: &str, kind: &str) -> BTreeMap<String, String> {
    store::names_of(db.pool(), owner, kind)
        .await
        .inspect_err(|err| tracing::warn!(%err, "analytics: names unavailable, showing ids"))
        .unwrap_or_default()
}
