-- The email stand-in's outbox moves out of auth's tables: `email_outbox` belongs to the future
-- email service and lives in the auth database only because auth is its one sender today.
-- It also records delivery (attempts, backoff, lease) for the SMTP sender.
CREATE TABLE IF NOT EXISTS email_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    claimed_until BIGINT,
    failed_at BIGINT
);

CREATE INDEX IF NOT EXISTS email_outbox_due ON email_outbox (sent_at, next_attempt_at);
CREATE INDEX IF NOT EXISTS email_outbox_recipient ON email_outbox (recipient);

-- Messages queued before this migration were never delivered (there was no sender): keep them,
-- marked as given up, so an SMTP sender turned on later does not mail stale links.
INSERT INTO email_outbox
    (id, recipient, subject, body, created_at, sent_at, attempts, next_attempt_at, last_error, failed_at)
    SELECT id, recipient, subject, body, created_at, sent_at, 0, created_at,
        'queued before delivery existed; not sent', created_at
    FROM auth_outbox;

DROP TABLE auth_outbox;
