-- Filters (`?country=FR&device=mobile`) are answered from the raw events, because the rollups
-- keep one dimension at a time. Three facts the rollups had and the events did not:
--   human        1 when the event counts as a person (not a bot, and a scan that reached its
--                destination); the rollups' `humans`.
--   first_visit  1 on the event where a visitor was first seen that UTC day; the rollups'
--                `uniques`. No visitor id is stored, only this flag.
--   qr_code      the short code a microsite view came through (`views_by_qr`).
-- ADD COLUMN with a constant default works alike on SQLite and PostgreSQL.
ALTER TABLE analytics_events ADD COLUMN human INTEGER NOT NULL DEFAULT 0;
ALTER TABLE analytics_events ADD COLUMN first_visit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE analytics_events ADD COLUMN qr_code TEXT;

-- Events stored before this migration: `human` follows the classifier's rule. Whether they were
-- a day's first visit was never recorded, so filtered uniques start from here.
UPDATE analytics_events SET human = 1
WHERE is_bot = 0
  AND NOT (kind = 'scan' AND rule IS NOT NULL AND rule IN ('disabled', 'paused', 'expired', 'max_scans'));
