-- Every raw event row was written into four B-trees (its id, (target, time), owner, time). The
-- owner and time indexes served only the rare maintenance deletes, which now go through
-- analytics_targets and the (target, time) index instead; dropping them makes each ingested
-- event cheaper (see analytics/README.md, "Performance").
DROP INDEX IF EXISTS analytics_events_owner;
DROP INDEX IF EXISTS analytics_events_time;
