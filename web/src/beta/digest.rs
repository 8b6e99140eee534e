//! The founders' weekly digest: signups, activation, retention, new feedback and open abuse
//! reports, as a plain-text email queued in the outbox for every founder account. Sent every
//! Monday from 08:00 UTC by a background job (it looks hourly, from ten minutes after start; at
//! most once a week whatever the number of restarts or instances: the week is claimed in
//! `web_founder_digests` first), and on demand from the console.
//!
//! The numbers are the console's: beta users only (founders' accounts and demo users left out),
//! read through analytics' founder API and this service's own tables.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use analytics::product::client::{Cohort, FunnelStep};
use analytics::product::{DAY_MS, week_of};
use email::{Email, Message, Outbox};
use shared::ApiError;
use shared::config::Settings;
use shared::identity::{AUDIENCE, Claims, ISSUER, KeyPair, Role, Scope};
use shared::shutdown::Shutdown;
use sqlx::AnyPool;

use crate::app::Clients;
use crate::pages::console::kit::{Counted, step_label};

/// The week's numbers, as the digest tells them.
#[derive(Debug, Clone, PartialEq)]
pub struct Numbers {
    /// The Monday the digest looks back from, `YYYY-MM-DD`.
    pub week_of: String,
    pub signups_total: i64,
    pub signups_last_week: i64,
    /// All-time funnel of the beta users.
    pub funnel: Vec<FunnelStep>,
    /// The latest cohorts, oldest first.
    pub retention: Vec<Cohort>,
    pub new_feedback: i64,
    pub open_reports: i64,
}

/// The digest for one founder.
pub fn compose(to: &str, n: &Numbers) -> Message {
    let mut body = format!(
        "Scanpage beta, week of {}\n\nSignups: {} in the last 7 days, {} in all\n",
        n.week_of, n.signups_last_week, n.signups_total
    );
    body.push_str("\nActivation (all beta users):\n");
    let signups = n.funnel.first().map_or(0, |s| s.users);
    for step in &n.funnel {
        let pct = if signups > 0 {
            step.users as f64 * 100.0 / signups as f64
        } else {
            0.0
        };
        let _ = writeln!(
            body,
            "- {}: {} ({pct:.0}%)",
            step_label(&step.step),
            step.users
        );
    }
    body.push_str("\nRetention (active one week after signing up):\n");
    let complete: Vec<&Cohort> = n.retention.iter().filter(|c| c.active.len() > 1).collect();
    if complete.is_empty() {
        body.push_str("- no cohort is a week old yet\n");
    }
    for c in complete {
        let back = c.active[1];
        let pct = if c.size > 0 {
            back as f64 * 100.0 / c.size as f64
        } else {
            0.0
        };
        let _ = writeln!(
            body,
            "- signed up week of {}: {back} of {} ({pct:.0}%)",
            crate::pages::console::day(c.week),
            c.size
        );
    }
    let _ = write!(
        body,
        "\nNew feedback: {}\nOpen abuse reports: {}\n",
        n.new_feedback, n.open_reports
    );
    Message {
        to: to.to_owned(),
        subject: format!(
            "Scanpage week of {}: {} signups, {} open reports",
            n.week_of, n.signups_last_week, n.open_reports
        ),
        body,
        html: None,
    }
}

/// What the digest reads: the services' clients and this service's tables.
#[derive(Clone)]
pub struct Sources {
    pub clients: Clients,
    pub pool: AnyPool,
}

impl Sources {
    /// Gathers the numbers with a founder's access token, at `now`; and the founders' emails.
    pub async fn gather(&self, token: &str, now: i64) -> Result<(Numbers, Vec<String>), ApiError> {
        let users = self.clients.auth.admin_users(token).await?;
        let founders: Vec<&auth::client::AdminUser> =
            users.iter().filter(|u| u.role == "founder").collect();
        let counted = Counted {
            everyone: false,
            founder_ids: founders.iter().map(|u| u.id.clone()).collect(),
        };
        let console = &self.clients.console;
        let all = console.overview(token, &counted.query()).await?;
        let since = now - 7 * DAY_MS;
        let last_week = console
            .overview(
                token,
                &format!(
                    "from={}&{}",
                    crate::pages::console::day(since),
                    counted.query()
                ),
            )
            .await?;
        let retention = console.retention(token, 4, &counted.query()).await?;
        let founder_ids: Vec<&str> = counted.founder_ids.iter().map(String::as_str).collect();
        let numbers = Numbers {
            week_of: crate::pages::console::day(week_of(now)),
            signups_total: all.signups,
            signups_last_week: last_week.signups,
            funnel: all.funnel,
            retention,
            new_feedback: new_feedback(&self.pool, since, &founder_ids).await?,
            open_reports: open_reports(&self.pool).await?,
        };
        let emails = founders.into_iter().map(|u| u.email.clone()).collect();
        Ok((numbers, emails))
    }
}

/// Feedback sent since `since` by beta users (demo rows and the founders' own left out).
pub async fn new_feedback(
    pool: &AnyPool,
    since: i64,
    founder_ids: &[&str],
) -> Result<i64, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT user_id FROM web_feedback WHERE created_at >= $1 AND demo = 0")
            .bind(since)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .iter()
        .filter(|(user,)| !founder_ids.contains(&user.as_str()))
        .count() as i64)
}

/// Abuse reports nobody has acted on yet.
pub async fn open_reports(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    // The report queue moves a report from 'open' to 'acted' or 'dismissed'.
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM web_abuse_reports WHERE status = 'open'")
            .fetch_one(pool)
            .await?;
    Ok(n)
}

/// Queues the digest for each founder; how many were queued.
pub async fn send(outbox: &Outbox, numbers: &Numbers, to: &[String]) -> Result<usize, ApiError> {
    for founder in to {
        outbox
            .queue(&compose(founder, numbers))
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(to.len())
}

/// Claims `week` for sending; false when it was sent (or is being sent) already.
async fn claim_week(pool: &AnyPool, week: i64, now: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO web_founder_digests (week, sent_at) VALUES ($1, $2) \
         ON CONFLICT (week) DO NOTHING",
    )
    .bind(week)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

async fn release_week(pool: &AnyPool, week: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM web_founder_digests WHERE week = $1")
        .bind(week)
        .execute(pool)
        .await?;
    Ok(())
}

/// The digest goes out on Monday from this hour (UTC).
const SEND_FROM_HOUR_MS: i64 = 8 * 3_600_000;
/// How often the job looks whether this week's digest is due.
const CHECK_EVERY: Duration = Duration::from_hours(1);
/// The first look comes a while after start: a process that restarts in a crash loop, or a
/// short-lived one (a test, a CLI command), does not send anything on its way up.
const FIRST_LOOK_AFTER: Duration = Duration::from_mins(10);

/// Whether this week's digest is due at `now`.
pub fn due(now: i64) -> bool {
    now >= week_of(now) + SEND_FROM_HOUR_MS
}

/// A founder's access token for the job (the job has no session). Only a process that holds
/// auth's signing key can make one, so in split mode web has none and the job does not start.
pub type MintToken = Arc<dyn Fn() -> Result<String, ApiError> + Send + Sync>;

/// Mints short-lived founder tokens with auth's key (all-in-one, or auth's key configured).
fn minter(settings: &Settings) -> Result<MintToken, shared::Error> {
    let signer = auth::signer::Signer::new(&KeyPair::load_or_generate(settings)?)?;
    Ok(Arc::new(move || {
        let now = shared::ids::now_ms() / 1000;
        signer.sign(&Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "scanpage-founder-digest".into(),
            exp: now + 300,
            iat: now,
            jti: shared::ids::new_id(),
            role: Role::Founder,
            sid: shared::ids::new_id(),
            scopes: Scope::all_strings(),
        })
    }))
}

/// Starts the weekly job where it can run: this process holds the outbox (auth's database) and
/// auth's signing key. Elsewhere it logs why there is no scheduled digest.
pub fn start(
    settings: &Settings,
    runs_auth: bool,
    sources: Sources,
    outbox: Option<Outbox>,
    shutdown: &Shutdown,
) -> Result<(), shared::Error> {
    match outbox {
        Some(outbox) if runs_auth => {
            spawn_weekly(sources, outbox, minter(settings)?, shutdown);
        }
        _ => tracing::info!(
            "the founders' weekly digest runs where auth runs; here only the console's button sends it"
        ),
    }
    Ok(())
}

/// Whether `week`'s digest went out already.
async fn sent_already(pool: &AnyPool, week: i64) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT week FROM web_founder_digests WHERE week = $1")
            .bind(week)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

/// One look: if this week's digest is due, unsent, and there is a founder to send it to, claim
/// the week and send it.
async fn run_once(sources: &Sources, outbox: &Outbox, mint: &MintToken) -> Result<(), ApiError> {
    let now = shared::ids::now_ms();
    let week = week_of(now);
    if !due(now) || sent_already(&sources.pool, week).await? {
        return Ok(());
    }
    let (numbers, founders) = sources.gather(&mint()?, now).await?;
    // No founder account yet (a fresh install): the week stays unclaimed until there is one.
    if founders.is_empty() || !claim_week(&sources.pool, week, now).await? {
        return Ok(());
    }
    match send(outbox, &numbers, &founders).await {
        Ok(n) => {
            tracing::info!(founders = n, "queued the weekly founder digest");
            Ok(())
        }
        Err(err) => {
            // Not sent: give the week back so the next run tries again.
            release_week(&sources.pool, week).await?;
            Err(err)
        }
    }
}

/// Every hour: is this week's digest due?
fn spawn_weekly(sources: Sources, outbox: Outbox, mint: MintToken, shutdown: &Shutdown) {
    shutdown.spawn_every("founder digest", FIRST_LOOK_AFTER, CHECK_EVERY, move || {
        let (sources, outbox, mint) = (sources.clone(), outbox.clone(), mint.clone());
        async move {
            run_once(&sources, &outbox, &mint)
                .await
                .map_err(|e| e.message().to_owned())
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers() -> Numbers {
        let step = |key: &str, users| FunnelStep {
            step: key.into(),
            users,
            conversion: 0.0,
        };
        Numbers {
            week_of: "2026-11-30".into(),
            signups_total: 8,
            signups_last_week: 3,
            funnel: vec![step("signed_up", 8), step("created_qr", 6)],
            retention: vec![
                Cohort {
                    week: 1_795_392_000_000, // 2026-11-23
                    size: 4,
                    active: vec![4, 1],
                },
                Cohort {
                    week: 1_795_996_800_000,
                    size: 3,
                    active: vec![3],
                },
            ],
            new_feedback: 2,
            open_reports: 1,
        }
    }

    #[test]
    fn the_digest_tells_each_number() {
        let m = compose("boss@example.com", &numbers());
        assert_eq!(m.to, "boss@example.com");
        assert_eq!(
            m.subject,
            "Scanpage week of 2026-11-30: 3 signups, 1 open reports"
        );
        for line in [
            "Signups: 3 in the last 7 days, 8 in all",
            "- Signed up: 8 (100%)",
            "- Created a code: 6 (75%)",
            "- signed up week of 2026-11-23: 1 of 4 (25%)",
            "New feedback: 2",
            "Open abuse reports: 1",
        ] {
            assert!(m.body.contains(line), "{line:?} in {}", m.body);
        }
        assert!(
            !m.body.contains("of 3"),
            "a cohort under a week old has no retention yet"
        );
    }

    #[test]
    fn it_is_due_from_monday_eight_utc() {
        let monday = 1_795_392_000_000; // 2026-11-23T00:00:00Z
        assert!(!due(monday + 7 * 3_600_000));
        assert!(due(monday + 8 * 3_600_000));
        assert!(due(monday + 3 * DAY_MS));
    }
}
