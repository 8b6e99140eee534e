-- The trash: deleting a code sets `deleted_at` instead of removing the row, so a printed code can
-- be restored with its scans for 30 days and its short code stays reserved meanwhile. Purged
-- (the row really deleted) after 30 days or by "delete forever".
ALTER TABLE qr_codes ADD COLUMN deleted_at BIGINT;

-- The purge job looks for rows trashed before a cutoff.
CREATE INDEX IF NOT EXISTS qr_codes_deleted ON qr_codes (deleted_at);
