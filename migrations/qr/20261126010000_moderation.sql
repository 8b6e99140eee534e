-- The founder's moderation, kept by qr so the redirect can answer from memory.

-- Codes the founder disabled: `/r/{code}` answers the "disabled" page until enabled again.
-- Separate from `qr_codes.paused`, which is the owner's to change.
CREATE TABLE IF NOT EXISTS qr_disabled_codes (
    qr_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    disabled_at BIGINT NOT NULL
);

-- Accounts auth disabled (`user.disabled` / `user.enabled` events): every code they own answers
-- the "disabled" page. qr keeps its own copy so the redirect never asks auth.
CREATE TABLE IF NOT EXISTS qr_disabled_owners (
    owner_id TEXT PRIMARY KEY,
    disabled_at BIGINT NOT NULL
);

-- Domains the founder blocked from the console, merged with the QR_BLOCKLIST_FILE list.
CREATE TABLE IF NOT EXISTS qr_blocked_domains (
    domain TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
