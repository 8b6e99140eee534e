//! Product metrics for the founder's console: who signed up, who got value, who came back.
//!
//! Kept from lifecycle events that other services publish (`user.signed_up`, `qr.created`,
//! `microsite.published`, `user.active`, `beta.*`), never from their tables. `consume` applies
//! them (each event id once), `store` holds the SQL, `metrics` turns rows into the funnel,
//! retention and signup numbers, and `routes` answers `/api/v1/admin/*` to founders only.

pub mod client;
pub mod consume;
pub mod event;
pub mod metrics;
pub mod routes;
pub mod store;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Milliseconds in a week.
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// The first millisecond of the ISO week (Monday 00:00 UTC) that contains `ms`.
pub fn week_of(ms: i64) -> i64 {
    // 1970-01-01 was a Thursday: shift so weeks start on Monday.
    const MONDAY_OFFSET: i64 = 3 * DAY_MS;
    (ms + MONDAY_OFFSET).div_euclid(WEEK_MS) * WEEK_MS - MONDAY_OFFSET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_utc() {
        // 2026-11-23 is a Monday; 2026-11-25 12:00 UTC falls in that week.
        let monday = 1_795_392_000_000; // 2026-11-23T00:00:00Z
        assert_eq!(week_of(monday), monday);
        assert_eq!(week_of(monday + 2 * DAY_MS + 12 * 3_600_000), monday);
        assert_eq!(week_of(monday - 1), monday - WEEK_MS);
        assert_eq!(week_of(monday + WEEK_MS), monday + WEEK_MS);
    }
}
