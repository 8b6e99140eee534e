-- Analytics: raw events (no IP, no visitor id, no salt) and the rollups every dashboard reads.
-- Portable SQL for SQLite and PostgreSQL: text ids, BIGINT epoch-ms times, INTEGER flags.

-- One row per recorded scan/view/click. The primary key makes a redelivered event count once.
CREATE TABLE IF NOT EXISTS analytics_events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,             -- scan | view | click
    target_id TEXT NOT NULL,        -- the QR code (scan) or microsite (view, click)
    owner_id TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    rule TEXT,
    block_id TEXT,
    device TEXT NOT NULL,
    os TEXT NOT NULL,
    browser TEXT NOT NULL,
    country TEXT,
    referrer TEXT,                  -- domain only
    language TEXT,
    is_bot INTEGER NOT NULL,
    bot_reason TEXT
);
CREATE INDEX IF NOT EXISTS analytics_events_target_time ON analytics_events (target_id, occurred_at);
CREATE INDEX IF NOT EXISTS analytics_events_owner ON analytics_events (owner_id);
CREATE INDEX IF NOT EXISTS analytics_events_time ON analytics_events (occurred_at);

-- Every QR code / microsite analytics has seen, with its owner: the ownership check of the API.
CREATE TABLE IF NOT EXISTS analytics_targets (
    target_id TEXT NOT NULL,
    kind TEXT NOT NULL,             -- qr | microsite
    owner_id TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (target_id, kind)
);
CREATE INDEX IF NOT EXISTS analytics_targets_owner ON analytics_targets (owner_id);

-- Per hour (bucket = first ms of the UTC hour) and per UTC day. `uniques` counts visitors first
-- seen that day within the bucket, so hours sum to the day's uniques.
CREATE TABLE IF NOT EXISTS analytics_rollup_hourly (
    target_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    owner_id TEXT NOT NULL,
    events BIGINT NOT NULL,
    humans BIGINT NOT NULL,
    bots BIGINT NOT NULL,
    uniques BIGINT NOT NULL,
    PRIMARY KEY (target_id, kind, bucket)
);
CREATE INDEX IF NOT EXISTS analytics_rollup_hourly_owner ON analytics_rollup_hourly (owner_id, bucket);

CREATE TABLE IF NOT EXISTS analytics_rollup_daily (
    target_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    owner_id TEXT NOT NULL,
    events BIGINT NOT NULL,
    humans BIGINT NOT NULL,
    bots BIGINT NOT NULL,
    uniques BIGINT NOT NULL,
    PRIMARY KEY (target_id, kind, bucket)
);
CREATE INDEX IF NOT EXISTS analytics_rollup_daily_owner ON analytics_rollup_daily (owner_id, bucket);

-- Per UTC day per dimension value (device, os, browser, country, referrer, language, rule, block).
CREATE TABLE IF NOT EXISTS analytics_rollup_dimensions (
    target_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    day BIGINT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    events BIGINT NOT NULL,
    humans BIGINT NOT NULL,
    PRIMARY KEY (target_id, kind, day, dimension, value)
);
CREATE INDEX IF NOT EXISTS analytics_rollup_dimensions_owner ON analytics_rollup_dimensions (owner_id);

-- The salt of each UTC day, deleted once the day is over.
CREATE TABLE IF NOT EXISTS analytics_daily_salts (
    day BIGINT PRIMARY KEY,
    salt TEXT NOT NULL
);

-- Visitor ids seen today, to count each once per day; deleted with the day's salt.
CREATE TABLE IF NOT EXISTS analytics_daily_visitors (
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, kind, target_id, visitor)
);
