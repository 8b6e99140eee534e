-- What owners call their codes, pages and link blocks, kept from `names.changed` events so the
-- dashboards and CSV exports show names without reading qr's or microsite's tables.
-- `name` NULL is a tombstone (the thing was deleted): it keeps an older, late event from bringing
-- the name back. `changed_at` is the event's time; only a newer event overwrites a row.
CREATE TABLE IF NOT EXISTS analytics_names (
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (kind, target_id)
);
CREATE INDEX IF NOT EXISTS analytics_names_owner ON analytics_names (owner_id);
