//! SQL of the abuse-report queue (`web_abuse_reports`), portable between SQLite and PostgreSQL.
//! A report is filed open; the founder's decision closes it as acted or dismissed, keeping the
//! action, who took it and when.

use serde::Serialize;
use sqlx::{AnyPool, FromRow};

/// Where a report is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    Open,
    /// The founder did something about it (disabled a code or an account, unpublished a page).
    Acted,
    Dismissed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 3] = [Self::Open, Self::Acted, Self::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acted => "acted",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Report {
    pub id: String,
    pub target: String,
    pub reason: String,
    pub details: Option<String>,
    pub created_at: i64,
    pub status: String,
    /// What closed it (`ReportAction::as_str`); `None` while open.
    pub action: Option<String>,
    /// The founder who closed it: their user id and the email they had then.
    pub acted_by: Option<String>,
    pub acted_by_email: Option<String>,
    pub acted_at: Option<i64>,
}

/// A founder's decision on some open reports.
pub struct Decision<'a> {
    pub status: ReportStatus,
    pub action: &'a str,
    pub by_id: &'a str,
    pub by_email: Option<&'a str>,
    pub at: i64,
}

pub async fn insert_report(
    pool: &AnyPool,
    target: &str,
    reason: &str,
    details: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO web_abuse_reports (id, target, reason, details, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(shared::ids::new_id())
    .bind(target)
    .bind(reason)
    .bind(details)
    .bind(shared::ids::now_ms())
    .execute(pool)
    .await?;
    Ok(())
}

/// Reports in `status`, newest first.
pub async fn reports(
    pool: &AnyPool,
    status: ReportStatus,
    limit: i64,
) -> Result<Vec<Report>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, target, reason, details, created_at, status, action, acted_by, \
         acted_by_email, acted_at FROM web_abuse_reports WHERE status = $1 \
         ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Closes the reports `ids` that are still open with `decision`, in one transaction; returns
/// how many it closed (a report someone else closed meanwhile keeps that first decision).
pub async fn decide(
    pool: &AnyPool,
    ids: &[String],
    decision: &Decision<'_>,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut closed = 0;
    for id in ids {
        closed += sqlx::query(
            "UPDATE web_abuse_reports SET status = $1, action = $2, acted_by = $3, \
             acted_by_email = $4, acted_at = $5 WHERE id = $6 AND status = 'open'",
        )
        .bind(decision.status.as_str())
        .bind(decision.action)
        .bind(decision.by_id)
        .bind(decision.by_email)
        .bind(decision.at)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(closed)
}
