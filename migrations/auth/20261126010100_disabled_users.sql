-- Set when the founder disables the account: it cannot log in or refresh, its API keys stop
-- working and its sessions were revoked. NULL = active.
ALTER TABLE auth_users ADD COLUMN disabled_at BIGINT;
