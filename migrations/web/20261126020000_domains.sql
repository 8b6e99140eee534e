-- Custom domains (see shared::future::domains). The `domains_` prefix is the future domains
-- service's; it lives in the web database because web serves its API and the Host routing.
CREATE TABLE IF NOT EXISTS domains_custom (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    host TEXT NOT NULL UNIQUE,
    -- 'pending' until a founder approves it (DNS TXT verification is the next step), then
    -- 'approved'.
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    approved_at BIGINT
);

CREATE INDEX IF NOT EXISTS domains_custom_owner ON domains_custom (owner_id);
