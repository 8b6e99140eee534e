-- The founder's console: where each user came from, demo accounts, labelled invite codes and
-- rejected waitlist entries.

-- `invite`, `utm:<source>`, `ref:<domain>` or `direct` (see auth::domain::Attribution).
ALTER TABLE auth_users ADD COLUMN signup_source TEXT;
-- Accounts made by `scanpage demo seed`; `scanpage demo clear` deletes exactly these.
ALTER TABLE auth_users ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;

-- What a batch of invite codes was for ("podcast listeners", "cafe owners").
ALTER TABLE auth_invites ADD COLUMN label TEXT;

-- 1 when the founder said no; the entry stays so the same address is not asked about again.
ALTER TABLE auth_waitlist ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
