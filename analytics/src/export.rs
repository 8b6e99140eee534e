//! The CSV exports: one target's raw events (streamed page by page in constant memory) and an
//! account's totals per code (one row per code, from the hourly rollups). No IP, no visitor id.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FusedStream;
use shared::db::Db;

use crate::error::AnalyticsError;
use crate::filter::Filters;
use crate::query::check_owner;
use crate::range::Range;
use crate::store::{self, CodeTotals, ExportRow};

/// Rows per export page: memory stays at one page whatever the range.
const EXPORT_PAGE: i64 = 1_000;

pub const EVENTS_HEADER: &str =
    "timestamp,kind,device,os,browser,country,referrer_domain,language,bot,rule,block_id\n";

pub const CODE_TOTALS_HEADER: &str =
    "code_id,name,total_scans,human_scans,bot_scans,first_scan_hour,last_scan_hour\n";

/// Checks ownership, then streams the target's raw events in the range that match `filters` as
/// CSV, one page of rows at a time.
///
/// The stream is fused: it keeps answering `None` once it has ended. Response compression
/// (tower-http's `CompressionLayer`) polls the body once more after the end, looking for
/// trailers, and a bare `unfold` panics when polled again ("Unfold must not be polled after it
/// returned `Poll::Ready(None)`"), which cut every gzip or br download short.
pub async fn events_csv(
    db: &Db,
    owner: &str,
    target_id: &str,
    target_kind: &'static str,
    range: &Range,
    filters: &Filters,
) -> Result<impl FusedStream<Item = Result<Bytes, std::io::Error>> + Send + 'static, AnalyticsError>
{
    check_owner(db, owner, target_id, target_kind).await?;
    let pages = Pages {
        db: db.clone(),
        target_id: target_id.to_owned(),
        from: range.from_ms,
        to: range.to_ms,
        filters: filters.clone(),
        cursor: None,
        done: false,
    };
    let header =
        futures_util::stream::once(async { Ok(Bytes::from_static(EVENTS_HEADER.as_bytes())) });
    let rows = futures_util::stream::unfold(pages, |mut pages| async move {
        let chunk = pages.next_chunk().await?;
        Some((chunk, pages))
    });
    Ok(header.chain(rows).fuse())
}

/// Where an events export has got to: keyset paging by `(occurred_at, id)`.
struct Pages {
    db: Db,
    target_id: String,
    from: i64,
    to: i64,
    filters: Filters,
    cursor: Option<(i64, String)>,
    done: bool,
}

impl Pages {
    /// The next page as CSV, or `None` once every row is out.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        if self.done {
            return None;
        }
        let page = store::export_page(
            self.db.pool(),
            &self.target_id,
            (self.from, self.to),
            &self.filters,
            self.cursor.take(),
            EXPORT_PAGE,
        )
        .await;
        match page {
            Ok(rows) => {
                self.done = (rows.len() as i64) < EXPORT_PAGE;
                let last = rows.last()?;
                self.cursor = Some((last.occurred_at, last.id.clone()));
                Some(Ok(Bytes::from(events_chunk(&rows))))
            }
            Err(err) => {
                // The status line is already sent: end the body with an error so the client sees
                // a broken download rather than a silently short file.
                tracing::error!(%err, "analytics: export failed mid-stream");
                self.done = true;
                Some(Err(std::io::Error::other("export failed")))
            }
        }
    }
}

fn events_chunk(rows: &[ExportRow]) -> String {
    let mut out = String::with_capacity(rows.len() * 120);
    for r in rows {
        let at = timestamp(r.occurred_at);
        push_row(
            &mut out,
            &[
                at.as_str(),
                r.kind.as_str(),
                r.device.as_str(),
                r.os.as_str(),
                r.browser.as_str(),
                r.country.as_deref().unwrap_or_default(),
                r.referrer.as_deref().unwrap_or_default(),
                r.language.as_deref().unwrap_or_default(),
                if r.is_bot { "1" } else { "0" },
                r.rule.as_deref().unwrap_or_default(),
                r.block_id.as_deref().unwrap_or_default(),
            ],
        );
    }
    out
}

/// The caller's codes scanned in the range, one row each, ordered by id. Bounded by the number of
/// codes an account has scanned, so built whole rather than streamed.
///
/// `name` is the code's name as qr last announced it (`names.changed`), or its id for a code
/// analytics was never told about. Names are the owner's text: `push_row` guards formulas.
pub async fn code_totals_csv(
    db: &Db,
    owner: &str,
    range: &Range,
) -> Result<String, AnalyticsError> {
    let (codes, names) = tokio::join!(
        store::code_totals(db.pool(), owner, range.from_ms, range.to_ms),
        crate::names::lookup(db, owner, "qr"),
    );
    let codes = codes?;
    let mut out = String::with_capacity(CODE_TOTALS_HEADER.len() + codes.len() * 140);
    out.push_str(CODE_TOTALS_HEADER);
    for code in &codes {
        let name = names.get(&code.target_id).unwrap_or(&code.target_id);
        push_code_totals(&mut out, code, name);
    }
    Ok(out)
}

fn push_code_totals(out: &mut String, code: &CodeTotals, name: &str) {
    let (total, human, bots) = (
        code.events.to_string(),
        code.humans.to_string(),
        code.bots.to_string(),
    );
    let (first, last) = (timestamp(code.first_hour), timestamp(code.last_hour));
    push_row(
        out,
        &[
            code.target_id.as_str(),
            name,
            total.as_str(),
            human.as_str(),
            bots.as_str(),
            first.as_str(),
            last.as_str(),
        ],
    );
}

/// RFC 3339 in UTC (`2026-12-06T05:00:00Z`); empty for a time jiff cannot represent.
fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn push_row(out: &mut String, fields: &[&str]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_csv_field(out, field);
    }
    out.push('\n');
}

/// RFC 4180 quoting, plus a leading `'` on values a spreadsheet would run as a formula. Written
/// here rather than with the `csv` crate: a handful of text fields do not need a dependency.
fn push_csv_field(out: &mut String, field: &str) {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || field.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in field.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        let mut out = String::new();
        push_csv_field(&mut out, "plain");
        out.push('|');
        push_csv_field(&mut out, "a,\"b\"");
        out.push('|');
        push_csv_field(&mut out, "=HYPERLINK(1)");
        assert_eq!(out, "plain|\"a,\"\"b\"\"\"|\"'=HYPERLINK(1)\"");
    }

    #[test]
    fn a_code_row_names_its_hours_in_utc() {
        let mut out = String::new();
        push_code_totals(
            &mut out,
            &CodeTotals {
                target_id: "0193".into(),
                events: 12,
                humans: 9,
                bots: 3,
                first_hour: 1_764_900_000_000,
                last_hour: 1_764_990_000_000,
            },
            "+Spring, \"menu\"",
        );
        assert_eq!(
            out,
            "0193,\"'+Spring, \"\"menu\"\"\",12,9,3,2025-12-05T02:00:00Z,2025-12-06T03:00:00Z\n"
        );
    }
}
