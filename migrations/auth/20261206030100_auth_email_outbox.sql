-- The email outbox lives in auth's database and auth is its only writer: it takes auth's prefix
-- like every other table here. Renamed, so queued and sent messages stay; the indexes are made
-- again under the new names (SQLite cannot rename an index).
ALTER TABLE email_outbox RENAME TO auth_email_outbox;
DROP INDEX IF EXISTS email_outbox_due;
DROP INDEX IF EXISTS email_outbox_recipient;
CREATE INDEX IF NOT EXISTS auth_email_outbox_due ON auth_email_outbox (sent_at, next_attempt_at);
CREATE INDEX IF NOT EXISTS auth_email_outbox_recipient ON auth_email_outbox (recipient);
