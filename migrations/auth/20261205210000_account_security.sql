-- Account security (issue 20): a device label per session, pending email changes, and an index
-- so a user's outstanding reset links can all be ended at once.

-- A coarse label from the User-Agent at sign-in ("Firefox on Windows"), shown in the sessions
-- list. Never the raw User-Agent and never an address. NULL for sessions made before this.
ALTER TABLE auth_refresh_tokens ADD COLUMN device TEXT;

-- "Change my email": the link goes to the NEW address; the address changes only when it is used.
-- Hashed, single use, 24 hours; one pending change per user (a newer request replaces it).
CREATE TABLE IF NOT EXISTS auth_email_changes (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
    new_email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_email_changes_user ON auth_email_changes (user_id);

CREATE INDEX IF NOT EXISTS auth_password_resets_user ON auth_password_resets (user_id);
