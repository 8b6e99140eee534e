-- Product metrics for the founder's console, kept from lifecycle events (user.signed_up,
-- qr.created, microsite.published, user.active, beta.*). One row per user; no email, no IP: the
-- console asks auth for emails.

CREATE TABLE IF NOT EXISTS analytics_product_users (
    user_id TEXT PRIMARY KEY,
    -- NULL until the user.signed_up event arrives (topics are not ordered with each other).
    signed_up_at BIGINT,
    source TEXT,
    demo INTEGER NOT NULL DEFAULT 0,
    first_qr_at BIGINT,
    qr_created BIGINT NOT NULL DEFAULT 0,
    first_published_at BIGINT,
    microsites_published BIGINT NOT NULL DEFAULT 0,
    feedback_count BIGINT NOT NULL DEFAULT 0,
    pricing_plan TEXT,
    -- 1 opted in, 0 declined, NULL not answered.
    interview INTEGER,
    last_active_at BIGINT
);

-- Weeks (first ms of the Monday, UTC) in which a user did anything: retention is built from it.
CREATE TABLE IF NOT EXISTS analytics_product_activity (
    user_id TEXT NOT NULL,
    week BIGINT NOT NULL,
    PRIMARY KEY (user_id, week)
);

-- Event ids already applied, so a redelivered lifecycle event counts once.
CREATE TABLE IF NOT EXISTS analytics_product_applied (
    event_id TEXT PRIMARY KEY,
    applied_at BIGINT NOT NULL
);

-- Latest values of gauges (the waitlist size).
CREATE TABLE IF NOT EXISTS analytics_product_gauges (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
