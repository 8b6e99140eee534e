-- Each user's lifecycle events, one row per event (the founder's per-user timeline), and the
-- source of distinct counts: a code or page counts once however often its event comes again
-- (a page published twice is one page). `subject` is the code's or page's id, the plan chosen,
-- or 'yes'/'no' for an interview answer; NULL when the event names nothing.
CREATE TABLE IF NOT EXISTS analytics_product_timeline (
    event_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT
);
CREATE INDEX IF NOT EXISTS analytics_product_timeline_user
    ON analytics_product_timeline (user_id, kind, subject);
