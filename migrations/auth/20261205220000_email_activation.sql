-- Sign-up that does not reveal whether an address is registered: a new account waits for its
-- owner to follow the link in the confirmation email before it can sign in (activated_at).
-- Accounts made before this change signed in without it, so they stay usable: activated now.
ALTER TABLE auth_users ADD COLUMN activated_at BIGINT;
UPDATE auth_users SET activated_at = created_at;

-- A second sign-up of a never-activated account sends a link carrying that sign-up's password
-- hash: the link sets the password typed with it, so a stranger cannot choose the password the
-- owner's own link activates.
ALTER TABLE auth_email_verifications ADD COLUMN password_hash TEXT;

-- The waitlist keeps the password chosen at sign-up (an argon2id PHC string, never the
-- password), so approval can create the account and its owner signs in with that password.
ALTER TABLE auth_waitlist ADD COLUMN password_hash TEXT;

-- The HTML alternative of a message (the text body stays the part every client can read).
ALTER TABLE email_outbox ADD COLUMN html TEXT;

-- Devices a user has signed in from, to send "new sign-in" emails. `device_hash` is a hash of a
-- long-lived random cookie the web sets (or of the user agent's family): never an address.
CREATE TABLE IF NOT EXISTS auth_devices (
    user_id TEXT NOT NULL,
    device_hash TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);
