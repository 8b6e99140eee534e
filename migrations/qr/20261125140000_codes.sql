-- QR codes. `code` is what follows /r/; `destination` is set for dynamic kinds, `content` (JSON)
-- for static ones. Style, rules, utm and tags are JSON text validated by the service.
CREATE TABLE IF NOT EXISTS qr_codes (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    destination TEXT,
    content TEXT,
    style TEXT NOT NULL,
    rules TEXT NOT NULL,
    utm TEXT,
    tags TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The dashboard lists a user's codes newest first, paginated by (created_at, id).
CREATE INDEX IF NOT EXISTS qr_codes_owner_created ON qr_codes (owner_id, created_at, id);

-- Saved styles ("brand kits").
CREATE TABLE IF NOT EXISTS qr_styles (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    style TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS qr_styles_owner ON qr_styles (owner_id, created_at);

-- Human scans per code, kept by qr itself so `max_scans` can be enforced on the scan path
-- without asking analytics.
CREATE TABLE IF NOT EXISTS qr_scan_counts (
    qr_id TEXT PRIMARY KEY,
    human_scans BIGINT NOT NULL DEFAULT 0
);
