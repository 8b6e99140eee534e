-- What beta users tell us: feedback, pricing interest, interview opt-ins, abuse reports. Owned
-- by the web service; analytics hears about each through lifecycle events and keeps the counts.
-- `demo` marks rows made by `scanpage demo seed` (deleted by `scanpage demo clear`).

CREATE TABLE IF NOT EXISTS web_feedback (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    message TEXT NOT NULL,
    rating INTEGER,
    -- The path of the page it was sent from.
    page TEXT,
    created_at BIGINT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS web_feedback_created ON web_feedback (created_at);

-- The plan a user would choose (the latest choice wins).
CREATE TABLE IF NOT EXISTS web_pricing_interest (
    user_id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    price TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0
);

-- The answer to "Got 20 minutes to tell us how you use Scanpage?" (remembered either way).
CREATE TABLE IF NOT EXISTS web_interviews (
    user_id TEXT PRIMARY KEY,
    opted_in INTEGER NOT NULL,
    contact TEXT,
    time_zone TEXT,
    created_at BIGINT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0
);

-- Reports from the public /report form. No IP is kept (the rate limit uses a salted hash in
-- memory or Redis only).
CREATE TABLE IF NOT EXISTS web_abuse_reports (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    details TEXT,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX IF NOT EXISTS web_abuse_reports_created ON web_abuse_reports (created_at);
