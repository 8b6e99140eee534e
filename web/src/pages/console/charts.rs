//! The overview's charts, as geometry for server-rendered SVG (the templates draw it; every label
//! is escaped text): signups per week stacked by source, the activation funnel with the drop at
//! each step, and weekly retention as a heat table. Sized like the dashboards' bar charts: 13
//! units of a 340-unit-wide chart stay >= 12 px on a 390 px phone.

use analytics::product::client::{Cohort, FunnelStep, SignupBucket};

use super::kit::step_label;
use crate::pages::analytics::chart::{nice_ceiling, share};

const WIDTH: f64 = 340.0;
/// Source colours (`chart-source-0` … in app.css); more sources than this reuse them in order.
const PALETTE: usize = 6;

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// One source's part of one week's column.
pub struct Segment {
    pub y: f64,
    pub height: f64,
    /// `chart-source-N`.
    pub class: String,
    pub title: String,
}

pub struct WeekColumn {
    pub x: f64,
    pub width: f64,
    pub center: f64,
    pub total: i64,
    /// Where the total is written (above the column).
    pub total_y: f64,
    /// `MM-DD` of the week's Monday.
    pub label: String,
    pub segments: Vec<Segment>,
}

pub struct LegendEntry {
    pub source: String,
    pub class: String,
}

/// Signups per week, one column per week, stacked by source.
pub struct SignupChart {
    pub width: f64,
    pub height: f64,
    pub baseline: f64,
    pub columns: Vec<WeekColumn>,
    pub legend: Vec<LegendEntry>,
    pub summary: String,
}

const SIGNUP_H: f64 = 180.0;
const SIGNUP_TOP: f64 = 20.0;
const SIGNUP_BOTTOM: f64 = 22.0;
/// At most this many weeks are drawn (the latest): more would not fit a phone's width.
const SIGNUP_WEEKS: usize = 10;

impl SignupChart {
    /// `sources` sorted; `day` turns a week's start into its `YYYY-MM-DD`.
    pub fn new(weeks: &[SignupBucket], sources: &[String], day: fn(i64) -> String) -> SignupChart {
        let weeks = &weeks[weeks.len().saturating_sub(SIGNUP_WEEKS)..];
        let top = nice_ceiling(weeks.iter().map(|w| w.total).max().unwrap_or(0)) as f64;
        let baseline = SIGNUP_H - SIGNUP_BOTTOM;
        let plot_h = baseline - SIGNUP_TOP;
        let step = WIDTH / weeks.len().max(1) as f64;
        let class = |source: &str| {
            let i = sources.iter().position(|s| s == source).unwrap_or(0);
            format!("chart-source-{}", i % PALETTE)
        };
        let columns = weeks
            .iter()
            .enumerate()
            .map(|(i, week)| {
                let date = day(week.start);
                let mut y = baseline;
                let segments = week
                    .by_source
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(source, n)| {
                        let height = *n as f64 / top * plot_h;
                        y -= height;
                        Segment {
                            y: round(y),
                            height: round(height),
                            class: class(source),
                            title: format!("Week of {date}: {n} from {source}"),
                        }
                    })
                    .collect();
                let width = (step * 0.7).min(40.0);
                let center = round(i as f64 * step + step / 2.0);
                WeekColumn {
                    x: round(center - width / 2.0),
                    width: round(width),
                    center,
                    total: week.total,
                    total_y: round(y - 4.0),
                    label: date.get(5..).unwrap_or(&date).to_owned(),
                    segments,
                }
            })
            .collect();
        let total: i64 = weeks.iter().map(|w| w.total).sum();
        SignupChart {
            width: WIDTH,
            height: SIGNUP_H,
            baseline,
            columns,
            legend: sources
                .iter()
                .map(|s| LegendEntry {
                    source: s.clone(),
                    class: class(s),
                })
                .collect(),
            summary: format!(
                "{total} signup{} over {} week{}",
                if total == 1 { "" } else { "s" },
                weeks.len(),
                if weeks.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// One step of the funnel as a bar, with what was lost since the step before.
pub struct FunnelBar {
    pub label: &'static str,
    pub users: i64,
    pub y: f64,
    pub width: f64,
    /// "−3 (60%)" from the step before; empty for the first step.
    pub drop: String,
    /// Share of everyone who signed up, in percent.
    pub of_signups: f64,
}

pub struct FunnelChart {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<FunnelBar>,
}

const FUNNEL_ROW: f64 = 46.0;

impl FunnelChart {
    pub fn new(steps: &[FunnelStep]) -> FunnelChart {
        let signups = steps.first().map_or(0, |s| s.users);
        let mut previous: Option<i64> = None;
        let bars = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let drop = match previous {
                    None => String::new(),
                    Some(before) => {
                        let lost = before - step.users;
                        format!("−{lost} ({:.0}%)", share(lost, before))
                    }
                };
                previous = Some(step.users);
                FunnelBar {
                    label: step_label(&step.step),
                    users: step.users,
                    y: i as f64 * FUNNEL_ROW,
                    width: round((step.users as f64 / signups.max(1) as f64 * WIDTH).max(2.0)),
                    drop,
                    of_signups: share(step.users, signups),
                }
            })
            .collect::<Vec<_>>();
        FunnelChart {
            width: WIDTH,
            height: (bars.len() as f64 * FUNNEL_ROW).max(FUNNEL_ROW),
            bars,
        }
    }
}

/// One cell of the retention heat table.
pub struct HeatCell {
    pub text: String,
    /// `heat-0` (nobody) … `heat-5` (everyone).
    pub class: &'static str,
    pub title: String,
}

pub struct HeatRow {
    pub week: String,
    pub size: i64,
    pub cells: Vec<HeatCell>,
}

pub struct RetentionHeat {
    pub weeks: usize,
    pub rows: Vec<HeatRow>,
}

impl RetentionHeat {
    pub fn new(cohorts: &[Cohort], day: fn(i64) -> String) -> RetentionHeat {
        let weeks = cohorts.iter().map(|c| c.active.len()).max().unwrap_or(0);
        let rows = cohorts
            .iter()
            .map(|c| HeatRow {
                week: day(c.week),
                size: c.size,
                cells: c
                    .active
                    .iter()
                    .enumerate()
                    .map(|(k, &active)| {
                        let pct = share(active, c.size);
                        HeatCell {
                            text: format!("{pct:.0}%"),
                            class: heat_class(pct),
                            title: format!("{active} of {} active in week {k}", c.size),
                        }
                    })
                    .collect(),
            })
            .collect();
        RetentionHeat { weeks, rows }
    }
}

fn heat_class(pct: f64) -> &'static str {
    match pct {
        p if p <= 0.0 => "heat-0",
        p if p < 20.0 => "heat-1",
        p if p < 40.0 => "heat-2",
        p if p < 60.0 => "heat-3",
        p if p < 80.0 => "heat-4",
        _ => "heat-5",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn step(key: &str, users: i64) -> FunnelStep {
        FunnelStep {
            step: key.into(),
            users,
            conversion: 0.0,
        }
    }

    #[test]
    fn the_funnel_shows_the_drop_at_each_step() {
        let chart = FunnelChart::new(&[
            step("signed_up", 10),
            step("created_qr", 6),
            step("first_human_scan", 3),
        ]);
        let rows: Vec<(&str, i64, &str)> = chart
            .bars
            .iter()
            .map(|b| (b.label, b.users, b.drop.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Signed up", 10, ""),
                ("Created a code", 6, "−4 (40%)"),
                ("Got a first human scan", 3, "−3 (50%)"),
            ]
        );
        assert_eq!(chart.bars[0].width, WIDTH);
        assert_eq!(chart.bars[2].width, WIDTH * 0.3);
        assert_eq!(chart.bars[2].of_signups, 30.0);
    }

    #[test]
    fn signup_columns_stack_sources_to_the_week_total() {
        let week = |start: i64, pairs: &[(&str, i64)]| SignupBucket {
            start,
            total: pairs.iter().map(|(_, n)| n).sum(),
            by_source: pairs
                .iter()
                .map(|(s, n)| ((*s).to_owned(), *n))
                .collect::<BTreeMap<_, _>>(),
        };
        let sources = vec!["direct".to_owned(), "invite".to_owned()];
        let chart = SignupChart::new(
            &[
                week(0, &[("invite", 3), ("direct", 1)]),
                week(7, &[("invite", 2)]),
            ],
            &sources,
            |ms| format!("2026-11-{:02}", 16 + ms),
        );
        assert_eq!(chart.columns.len(), 2);
        let first = &chart.columns[0];
        assert_eq!(first.total, 4);
        assert_eq!(first.label, "11-16");
        let stacked: f64 = first.segments.iter().map(|s| s.height).sum();
        // The axis top is 4: a column of 4 fills the plot.
        assert!(
            (stacked - (chart.baseline - SIGNUP_TOP)).abs() < 0.5,
            "{stacked}"
        );
        assert_eq!(first.segments[0].class, "chart-source-0");
        assert_eq!(first.segments[1].class, "chart-source-1");
        assert_eq!(chart.summary, "6 signups over 2 weeks");
    }

    #[test]
    fn retention_cells_are_shaded_by_share() {
        let heat = RetentionHeat::new(
            &[Cohort {
                week: 0,
                size: 4,
                active: vec![4, 1, 0],
            }],
            |_| "2026-11-16".into(),
        );
        let classes: Vec<&str> = heat.rows[0].cells.iter().map(|c| c.class).collect();
        assert_eq!(classes, ["heat-5", "heat-2", "heat-0"]);
        assert_eq!(heat.rows[0].cells[1].text, "25%");
        assert_eq!(heat.weeks, 3);
    }
}
