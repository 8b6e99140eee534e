-- The trash: deleting a page sets `deleted_at` instead of removing the row, so it can be
-- restored for 30 days and its slug stays reserved meanwhile. Purged (the row really deleted)
-- after 30 days or by "delete forever".
ALTER TABLE microsite_pages ADD COLUMN deleted_at BIGINT;

-- The purge job looks for rows trashed before a cutoff.
CREATE INDEX IF NOT EXISTS microsite_pages_deleted ON microsite_pages (deleted_at);
