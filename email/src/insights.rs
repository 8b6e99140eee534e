//! **insights.** The real service computes weekly reports and anomaly alerts from analytics
//! (scan spikes and drops, codes that stopped being scanned, best times and places) and sends
//! them on a schedule each user chooses.
//!
//! Stand-in: the weekly summary as text — total scans, the change against last week, the top
//! codes — from numbers the caller passes in (analytics owns the data; this only writes), queued
//! in the email outbox. No schedule yet: a future job calls [`send_weekly`] per user. Flag:
//! `insights`. It lives with the email stand-in because all it makes is a message for the
//! outbox; web's `POST /api/v1/insights/weekly` gathers the numbers.

use std::fmt::Write as _;

use shared::error::ApiError;
use shared::features::{Feature, Features};

use crate::outbox::{Email, Message};

/// One user's week, as analytics would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyNumbers {
    /// First day of the week, `YYYY-MM-DD`.
    pub week_of: String,
    pub scans: u64,
    pub previous_scans: u64,
    /// `(code name, scans this week)`, best first; the summary shows three.
    pub top_codes: Vec<(String, u64)>,
}

/// The boundary: numbers in, a message out.
pub trait Insights: Send + Sync {
    fn weekly_summary(&self, to: &str, numbers: &WeeklyNumbers) -> Result<Message, ApiError>;
}

pub struct TextInsights {
    pub features: Features,
}

impl Insights for TextInsights {
    fn weekly_summary(&self, to: &str, numbers: &WeeklyNumbers) -> Result<Message, ApiError> {
        self.features.require(Feature::Insights)?;
        let mut body = format!(
            "Your Scanpage week of {}\n\nScans: {} ({})\n",
            numbers.week_of,
            numbers.scans,
            change(numbers.scans, numbers.previous_scans)
        );
        if numbers.top_codes.is_empty() {
            body.push_str("\nNo code was scanned this week.\n");
        } else {
            body.push_str("\nTop codes:\n");
            for (i, (name, scans)) in numbers.top_codes.iter().take(3).enumerate() {
                // Names are the user's own text in a plain-text email: one line each.
                let name: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
                let _ = writeln!(body, "{}. {name} — {scans} scans", i + 1);
            }
        }
        Ok(Message {
            to: to.to_owned(),
            subject: format!("Your week on Scanpage: {} scans", numbers.scans),
            body,
            html: None,
        })
    }
}

fn change(now: u64, before: u64) -> String {
    match (now, before) {
        (_, 0) if now == 0 => "same as last week".into(),
        (_, 0) => "none the week before".into(),
        _ if now == before => "same as last week".into(),
        _ => {
            let pct = (now as f64 - before as f64) / before as f64 * 100.0;
            format!("{pct:+.0}% on last week's {before}")
        }
    }
}

/// Renders the summary and queues it in the outbox; the message id.
pub async fn send_weekly(
    insights: &dyn Insights,
    email: &dyn Email,
    to: &str,
    numbers: &WeeklyNumbers,
) -> Result<String, ApiError> {
    let message = insights.weekly_summary(to, numbers)?;
    email.queue(&message).await.map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week() -> WeeklyNumbers {
        WeeklyNumbers {
            week_of: "2026-11-16".into(),
            scans: 150,
            previous_scans: 100,
            top_codes: vec![
                ("Menu\ncard".into(), 90),
                ("Door".into(), 40),
                ("Flyer".into(), 15),
                ("Old".into(), 5),
            ],
        }
    }

    #[test]
    fn off_answers_feature_not_enabled() {
        let off = TextInsights {
            features: Features::default(),
        };
        assert_eq!(
            off.weekly_summary("a@b.c", &week()).unwrap_err().code(),
            "feature_not_enabled"
        );
    }

    #[test]
    fn summary_has_totals_change_and_top_three() {
        let on = TextInsights {
            features: Features::default().with(Feature::Insights),
        };
        let m = on.weekly_summary("a@b.c", &week()).unwrap();
        assert_eq!(m.to, "a@b.c");
        assert!(m.subject.contains("150 scans"));
        assert!(
            m.body.contains("Scans: 150 (+50% on last week's 100)"),
            "{}",
            m.body
        );
        assert!(m.body.contains("1. Menucard — 90 scans"));
        assert!(m.body.contains("3. Flyer — 15 scans"));
        assert!(!m.body.contains("Old"));
        let quiet = WeeklyNumbers {
            scans: 0,
            previous_scans: 0,
            top_codes: vec![],
            ..week()
        };
        let m = on.weekly_summary("a@b.c", &quiet).unwrap();
        assert!(m.body.contains("same as last week") && m.body.contains("No code was scanned"));
        let drop = WeeklyNumbers {
            scans: 50,
            ..week()
        };
        assert!(
            on.weekly_summary("a@b.c", &drop)
                .unwrap()
                .body
                .contains("-50%")
        );
    }
}
