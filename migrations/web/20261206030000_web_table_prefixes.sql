-- The dead letters and custom domains are web's data (web keeps them and serves their API), so
-- their tables take web's prefix like every other table. Renamed, so no row is lost; the
-- indexes are made again under the new names (SQLite cannot rename an index).
ALTER TABLE dlq_letters RENAME TO web_dead_letters;
DROP INDEX IF EXISTS dlq_letters_failed_at;
CREATE INDEX IF NOT EXISTS web_dead_letters_failed_at ON web_dead_letters (failed_at);

ALTER TABLE domains_custom RENAME TO web_custom_domains;
DROP INDEX IF EXISTS domains_custom_owner;
CREATE INDEX IF NOT EXISTS web_custom_domains_owner ON web_custom_domains (owner_id);
