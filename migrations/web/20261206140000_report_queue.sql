-- Abuse reports become a queue: `status` goes from 'open' to 'acted' or 'dismissed', and the
-- report keeps what the founder did (`action`: disable_code, unpublish_page, disable_account,
-- dismiss), who did it (their user id and the email they had then) and when (epoch ms).
-- Existing reports stay as they are: open, with no action recorded.
ALTER TABLE web_abuse_reports ADD COLUMN action TEXT;
ALTER TABLE web_abuse_reports ADD COLUMN acted_by TEXT;
ALTER TABLE web_abuse_reports ADD COLUMN acted_by_email TEXT;
ALTER TABLE web_abuse_reports ADD COLUMN acted_at BIGINT;
-- The queue's tabs read one status, newest first.
CREATE INDEX IF NOT EXISTS web_abuse_reports_status ON web_abuse_reports (status, created_at);
