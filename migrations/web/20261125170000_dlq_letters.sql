-- Dead letters: events a consumer group gave up on (see shared::future::dlq). The `dlq_`
-- prefix is the future dlq-processor service's; it lives in the web database because web serves
-- the founder's console and the letters reach it over the event bus.
CREATE TABLE IF NOT EXISTS dlq_letters (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    group_name TEXT NOT NULL,
    -- The whole event as JSON, so a replay publishes it unchanged.
    event TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at BIGINT NOT NULL,
    UNIQUE (event_id, group_name)
);

CREATE INDEX IF NOT EXISTS dlq_letters_failed_at ON dlq_letters (failed_at);
