-- Accounts, sessions and credentials of the auth service. Portable between SQLite and
-- PostgreSQL: TEXT ids, BIGINT epoch-ms times, INTEGER 0/1 flags, JSON as TEXT.

CREATE TABLE IF NOT EXISTS auth_users (
    id TEXT PRIMARY KEY,
    -- Normalised (trimmed, lower-cased) so uniqueness is case-insensitive.
    email TEXT NOT NULL UNIQUE,
    -- argon2id PHC string (parameters and salt included).
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    -- Set when the user follows the link of the verification email.
    email_verified_at BIGINT
);

-- One row per refresh token ever issued. A family is one sign-in (the `sid` of its access
-- tokens); rotating marks the old row rotated, and presenting a rotated row revokes the family.
CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    family_id TEXT NOT NULL,
    -- SHA-256 of the token; the token itself (256 random bits) is never stored.
    token_hash TEXT NOT NULL UNIQUE,
    rotated INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family ON auth_refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS auth_refresh_tokens_user ON auth_refresh_tokens (user_id);

CREATE TABLE IF NOT EXISTS auth_api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The first characters, shown in lists so a user can tell keys apart.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    -- JSON array of scope names.
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX IF NOT EXISTS auth_api_keys_user ON auth_api_keys (user_id);

CREATE TABLE IF NOT EXISTS auth_invites (
    code TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    used_by TEXT,
    used_at BIGINT
);

CREATE TABLE IF NOT EXISTS auth_waitlist (
    email TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    approved INTEGER NOT NULL DEFAULT 0,
    -- The invite code issued on approval.
    invite_code TEXT
);

CREATE TABLE IF NOT EXISTS auth_password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);

-- Email verification links: hashed, single use, 7 days.
CREATE TABLE IF NOT EXISTS auth_email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS auth_totp (
    user_id TEXT PRIMARY KEY REFERENCES auth_users(id) ON DELETE CASCADE,
    -- Base32 secret. It must be readable to check codes, so it cannot be hashed.
    secret TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 0,
    -- JSON array of SHA-256 hashes of the unused recovery codes.
    recovery_codes TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);

-- The email stand-in: messages wait here (and are logged) until the email feature sends them.
CREATE TABLE IF NOT EXISTS auth_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
