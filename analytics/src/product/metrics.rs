//! The console's numbers, computed from the product rows: pure functions, so the funnel and
//! retention maths is tested on scripted users without a database.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::store::{HumanScans, TimelineEntry, UserRow};
use super::{DAY_MS, WEEK_MS, week_of};

/// A signup window `[from, to)` in epoch ms; the cohort whose funnel is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    pub const ALL: Window = Window {
        from: i64::MIN,
        to: i64::MAX,
    };

    fn contains(self, at: i64) -> bool {
        self.from <= at && at < self.to
    }
}

/// Everything the metrics are computed from.
pub struct Facts<'a> {
    pub users: &'a [UserRow],
    pub scans: &'a HashMap<String, HumanScans>,
    /// Weeks each user was active in.
    pub active_weeks: &'a HashMap<String, HashSet<i64>>,
}

impl Facts<'_> {
    /// Users with a known signup inside `window`.
    fn cohort(&self, window: Window) -> impl Iterator<Item = (&UserRow, i64)> {
        self.users.iter().filter_map(move |u| {
            let at = u.signed_up_at?;
            window.contains(at).then_some((u, at))
        })
    }

    fn came_back(&self, user: &UserRow, signed_up_at: i64) -> bool {
        let signup_week = week_of(signed_up_at);
        self.active_weeks
            .get(&user.user_id)
            .is_some_and(|weeks| weeks.iter().any(|&w| w > signup_week))
    }
}

/// Who the numbers leave out. The founder's console leaves out demo users and the founders'
/// own accounts by default, so the beta's numbers are the beta's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    pub demo: bool,
    pub user_ids: HashSet<String>,
}

impl Exclusions {
    /// Drops the excluded users' rows.
    pub fn apply(&self, users: &mut Vec<UserRow>) {
        users.retain(|u| {
            let excluded_demo = self.demo && u.demo == 1;
            !excluded_demo && !self.user_ids.contains(&u.user_id)
        });
    }
}

/// Groups `(user, week)` rows by user.
pub fn weeks_by_user(rows: Vec<(String, i64)>) -> HashMap<String, HashSet<i64>> {
    let mut map: HashMap<String, HashSet<i64>> = HashMap::new();
    for (user, week) in rows {
        map.entry(user).or_default().insert(week);
    }
    map
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunnelStep {
    pub step: String,
    pub users: i64,
    /// Share of the previous step's users who reached this one (1.0 for the first step; 0 when
    /// the previous step is empty).
    pub conversion: f64,
}

/// The activation funnel of the users who signed up in `window`. Strict: a user counts at a step
/// only after reaching every step before it.
pub fn funnel(facts: &Facts, window: Window) -> Vec<FunnelStep> {
    const STEPS: [&str; 5] = [
        "signed_up",
        "created_qr",
        "first_human_scan",
        "published_microsite",
        "returned_later_week",
    ];
    let mut reached = [0_i64; 5];
    for (user, signed_up_at) in facts.cohort(window) {
        let done = [
            true,
            user.first_qr_at.is_some(),
            facts.scans.contains_key(&user.user_id),
            user.first_published_at.is_some(),
            facts.came_back(user, signed_up_at),
        ];
        for (count, _) in reached.iter_mut().zip(done).take_while(|(_, done)| *done) {
            *count += 1;
        }
    }
    let mut previous = None;
    STEPS
        .iter()
        .zip(reached)
        .map(|(&step, users)| {
            let conversion = match previous {
                None => 1.0,
                Some(0) => 0.0,
                Some(p) => users as f64 / p as f64,
            };
            previous = Some(users);
            FunnelStep {
                step: step.to_owned(),
                users,
                conversion,
            }
        })
        .collect()
}

/// One signup week's retention: `active[k]` users of the cohort were active `k` weeks after
/// their signup week (`active[0]` is the signup week itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cohort {
    pub week: i64,
    pub size: i64,
    pub active: Vec<i64>,
}

/// Weekly cohort retention for the last `weeks` signup weeks up to `now`.
pub fn retention(facts: &Facts, now: i64, weeks: usize) -> Vec<Cohort> {
    let this_week = week_of(now);
    let first_week = this_week - (weeks.saturating_sub(1) as i64) * WEEK_MS;
    let mut cohorts: BTreeMap<i64, Vec<&UserRow>> = BTreeMap::new();
    for user in facts.users {
        if let Some(at) = user.signed_up_at {
            let week = week_of(at);
            if (first_week..=this_week).contains(&week) {
                cohorts.entry(week).or_default().push(user);
            }
        }
    }
    cohorts
        .into_iter()
        .map(|(week, members)| {
            let span = ((this_week - week) / WEEK_MS) as usize + 1;
            let active = (0..span)
                .map(|k| {
                    let target = week + k as i64 * WEEK_MS;
                    members
                        .iter()
                        .filter(|u| {
                            facts
                                .active_weeks
                                .get(&u.user_id)
                                .is_some_and(|w| w.contains(&target))
                        })
                        .count() as i64
                })
                .collect();
            Cohort {
                week,
                size: members.len() as i64,
                active,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Interval> {
        match text {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            _ => None,
        }
    }

    fn bucket(self, at: i64) -> i64 {
        match self {
            Interval::Day => at.div_euclid(DAY_MS) * DAY_MS,
            Interval::Week => week_of(at),
        }
    }
}

/// Signups in one day or week, by source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignupBucket {
    pub start: i64,
    pub total: i64,
    pub by_source: BTreeMap<String, i64>,
}

pub fn signups(facts: &Facts, window: Window, interval: Interval) -> Vec<SignupBucket> {
    let mut buckets: BTreeMap<i64, SignupBucket> = BTreeMap::new();
    for (user, at) in facts.cohort(window) {
        let start = interval.bucket(at);
        let bucket = buckets.entry(start).or_insert_with(|| SignupBucket {
            start,
            total: 0,
            by_source: BTreeMap::new(),
        });
        bucket.total += 1;
        *bucket
            .by_source
            .entry(source_label(user.source.as_deref()))
            .or_default() += 1;
    }
    buckets.into_values().collect()
}

/// The source as the console groups it: `invite`, `utm:<x>`, `ref:<domain>`, `direct`.
pub fn source_label(source: Option<&str>) -> String {
    source.unwrap_or("direct").to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanInterest {
    pub plan: String,
    pub users: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AdminOverview)]
pub struct Overview {
    pub signups: i64,
    pub waitlist: i64,
    pub funnel: Vec<FunnelStep>,
    pub feedback_count: i64,
    pub pricing_interest: Vec<PlanInterest>,
    pub interview_optins: i64,
    pub demo_users: i64,
}

pub fn overview(facts: &Facts, window: Window, waitlist: i64) -> Overview {
    let cohort: Vec<&UserRow> = facts.cohort(window).map(|(u, _)| u).collect();
    let mut plans: BTreeMap<&str, i64> = BTreeMap::new();
    for user in &cohort {
        if let Some(plan) = &user.pricing_plan {
            *plans.entry(plan).or_default() += 1;
        }
    }
    let mut pricing_interest: Vec<PlanInterest> = plans
        .into_iter()
        .map(|(plan, users)| PlanInterest {
            plan: plan.to_owned(),
            users,
        })
        .collect();
    pricing_interest.sort_by(|a, b| b.users.cmp(&a.users).then(a.plan.cmp(&b.plan)));
    Overview {
        signups: cohort.len() as i64,
        waitlist,
        funnel: funnel(facts, window),
        feedback_count: cohort.iter().map(|u| u.feedback_count).sum(),
        pricing_interest,
        interview_optins: cohort.iter().filter(|u| u.interview == Some(1)).count() as i64,
        demo_users: cohort.iter().filter(|u| u.demo == 1).count() as i64,
    }
}

/// One row of the console's users table (emails come from auth).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserMetrics {
    pub user_id: String,
    pub signed_up_at: Option<i64>,
    pub source: String,
    pub demo: bool,
    pub qr_codes: i64,
    pub microsites_published: i64,
    pub human_scans: i64,
    pub last_active_at: Option<i64>,
    pub pricing_plan: Option<String>,
    /// `Some(true)` opted in, `Some(false)` declined, `None` not answered.
    pub interview: Option<bool>,
    pub feedback_count: i64,
}

pub fn user_table(facts: &Facts) -> Vec<UserMetrics> {
    facts
        .users
        .iter()
        .map(|u| UserMetrics {
            user_id: u.user_id.clone(),
            signed_up_at: u.signed_up_at,
            source: source_label(u.source.as_deref()),
            demo: u.demo == 1,
            qr_codes: u.qr_created,
            microsites_published: u.microsites_published,
            human_scans: facts.scans.get(&u.user_id).map_or(0, |s| s.total),
            last_active_at: u.last_active_at,
            pricing_plan: u.pricing_plan.clone(),
            interview: u.interview.map(|i| i == 1),
            feedback_count: u.feedback_count,
        })
        .collect()
}

/// A code or page of one user with the people who scanned or viewed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TargetHits {
    pub id: String,
    /// The owner's name for it, when analytics has heard one.
    pub name: Option<String>,
    /// Human scans (codes) or human views (pages).
    pub humans: i64,
}

/// `GET /api/v1/admin/users/{id}`: one user's numbers, codes, pages and lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserDetail {
    /// `None` when analytics has never heard of the user.
    pub metrics: Option<UserMetrics>,
    pub codes: Vec<TargetHits>,
    pub pages: Vec<TargetHits>,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Mondays (epoch ms, UTC) of the weeks the user was active in, oldest first.
    pub active_weeks: Vec<i64>,
}

/// Every code (`kind` `created_qr` / hits `scan`) or page (`published_microsite` / `view`) the
/// user made or that was hit, each once, most hit first.
pub fn targets(
    timeline: &[TimelineEntry],
    hits: &[(String, String, i64)],
    (made, hit_kind): (&str, &str),
    names: &BTreeMap<String, String>,
) -> Vec<TargetHits> {
    let mut by_id: BTreeMap<&str, i64> = BTreeMap::new();
    for entry in timeline.iter().filter(|e| e.kind == made) {
        if let Some(id) = &entry.subject {
            by_id.entry(id).or_default();
        }
    }
    for (id, kind, humans) in hits {
        if kind == hit_kind {
            *by_id.entry(id).or_default() += humans;
        }
    }
    let mut out: Vec<TargetHits> = by_id
        .into_iter()
        .map(|(id, humans)| TargetHits {
            id: id.to_owned(),
            name: names.get(id).cloned(),
            humans,
        })
        .collect();
    out.sort_by(|a, b| b.humans.cmp(&a.humans).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONDAY: i64 = 1_795_392_000_000; // 2026-11-23T00:00:00Z

    fn user(id: &str, signed_up_at: i64) -> UserRow {
        UserRow {
            user_id: id.into(),
            signed_up_at: Some(signed_up_at),
            source: Some("invite".into()),
            demo: 0,
            first_qr_at: None,
            qr_created: 0,
            first_published_at: None,
            microsites_published: 0,
            feedback_count: 0,
            pricing_plan: None,
            interview: None,
            last_active_at: None,
        }
    }

    #[test]
    fn funnel_is_strict_and_counts_each_step() {
        let start = MONDAY - 2 * WEEK_MS;
        let mut a = user("a", start); // every step
        a.first_qr_at = Some(start + 1);
        a.first_published_at = Some(start + 2);
        let mut b = user("b", start); // QR + scan, no microsite
        b.first_qr_at = Some(start + 1);
        let mut c = user("c", start); // published but no QR: stops after signup
        c.first_published_at = Some(start + 2);
        let d = user("d", MONDAY); // outside the window
        let users = vec![a, b, c, d];
        let scans = HashMap::from([
            (
                "a".to_owned(),
                HumanScans {
                    first_at: start,
                    total: 3,
                },
            ),
            (
                "b".to_owned(),
                HumanScans {
                    first_at: start,
                    total: 1,
                },
            ),
        ]);
        let active_weeks = weeks_by_user(vec![
            ("a".into(), week_of(start)),
            ("a".into(), week_of(start) + WEEK_MS),
            ("b".into(), week_of(start) + WEEK_MS),
        ]);
        let facts = Facts {
            users: &users,
            scans: &scans,
            active_weeks: &active_weeks,
        };
        let window = Window {
            from: start,
            to: MONDAY,
        };
        let f = funnel(&facts, window);
        let steps: Vec<(&str, i64)> = f.iter().map(|s| (s.step.as_str(), s.users)).collect();
        assert_eq!(
            steps,
            [
                ("signed_up", 3),
                ("created_qr", 2),
                ("first_human_scan", 2),
                ("published_microsite", 1),
                ("returned_later_week", 1),
            ]
        );
        assert!((f[1].conversion - 2.0 / 3.0).abs() < 1e-9);
        assert!((f[3].conversion - 0.5).abs() < 1e-9);
    }

    #[test]
    fn retention_counts_active_users_per_week_since_signup() {
        let now = MONDAY + DAY_MS;
        let w0 = MONDAY - 2 * WEEK_MS;
        let users = vec![user("a", w0 + 5), user("b", w0 + 9), user("c", MONDAY + 1)];
        let active_weeks = weeks_by_user(vec![
            ("a".into(), w0),
            ("b".into(), w0),
            ("a".into(), w0 + WEEK_MS),
            ("a".into(), w0 + 2 * WEEK_MS),
            ("b".into(), w0 + 2 * WEEK_MS),
            ("c".into(), MONDAY),
        ]);
        let scans = HashMap::new();
        let facts = Facts {
            users: &users,
            scans: &scans,
            active_weeks: &active_weeks,
        };
        let rows = retention(&facts, now, 6);
        assert_eq!(
            rows,
            vec![
                Cohort {
                    week: w0,
                    size: 2,
                    active: vec![2, 1, 2]
                },
                Cohort {
                    week: MONDAY,
                    size: 1,
                    active: vec![1]
                },
            ]
        );
    }

    #[test]
    fn exclusions_drop_demo_users_and_named_accounts() {
        let mut demo = user("demo", MONDAY);
        demo.demo = 1;
        let all = vec![user("founder", MONDAY), demo, user("beta", MONDAY)];
        let mut users = all.clone();
        Exclusions::default().apply(&mut users);
        assert_eq!(users.len(), 3, "nothing is excluded unless asked");
        let mut users = all;
        Exclusions {
            demo: true,
            user_ids: HashSet::from(["founder".to_owned()]),
        }
        .apply(&mut users);
        let ids: Vec<&str> = users.iter().map(|u| u.user_id.as_str()).collect();
        assert_eq!(ids, ["beta"]);
    }

    #[test]
    fn targets_list_each_code_once_with_its_human_hits() {
        let entry = |kind: &str, subject: &str| TimelineEntry {
            at: MONDAY,
            kind: kind.into(),
            subject: Some(subject.into()),
        };
        let timeline = vec![
            entry("created_qr", "q1"),
            entry("created_qr", "q2"),
            entry("published_microsite", "p1"),
            entry("published_microsite", "p1"),
        ];
        let hits = vec![
            ("q2".to_owned(), "scan".to_owned(), 7),
            ("p1".to_owned(), "view".to_owned(), 3),
        ];
        let names = BTreeMap::from([("q2".to_owned(), "Menu".to_owned())]);
        let codes = targets(&timeline, &hits, ("created_qr", "scan"), &names);
        assert_eq!(
            codes,
            [
                TargetHits {
                    id: "q2".into(),
                    name: Some("Menu".into()),
                    humans: 7
                },
                TargetHits {
                    id: "q1".into(),
                    name: None,
                    humans: 0
                },
            ]
        );
        let pages = targets(&timeline, &hits, ("published_microsite", "view"), &names);
        assert_eq!(pages.len(), 1, "a page published twice is one page");
        assert_eq!(pages[0].humans, 3);
    }

    #[test]
    fn signups_group_by_day_and_source() {
        let mut users = vec![user("a", MONDAY + 10), user("b", MONDAY + 20)];
        users[1].source = Some("utm:newsletter".into());
        users.push(user("c", MONDAY + DAY_MS + 5));
        let scans = HashMap::new();
        let weeks = HashMap::new();
        let facts = Facts {
            users: &users,
            scans: &scans,
            active_weeks: &weeks,
        };
        let days = signups(&facts, Window::ALL, Interval::Day);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].start, MONDAY);
        assert_eq!(days[0].total, 2);
        assert_eq!(days[0].by_source.get("utm:newsletter"), Some(&1));
        let weeks = signups(&facts, Window::ALL, Interval::Week);
        assert_eq!(weeks.len(), 1);
        assert_eq!(weeks[0].total, 3);
    }
}
