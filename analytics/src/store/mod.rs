//! Every SQL statement of the analytics service. One text per statement for SQLite and
//! PostgreSQL through sqlx's `Any` driver (`$n` placeholders, BIGINT times, INTEGER flags; sums are
//! cast to BIGINT because PostgreSQL's `SUM(bigint)` is NUMERIC, which `Any` cannot decode).

mod batch_pragmas;
mod filtered;
mod maintenance;
mod names;
mod read;
mod write;

pub use filtered::{filtered_dimensions, filtered_owner_totals, filtered_series};
pub use maintenance::{delete_owner, prune, salts_for_days};
pub use names::{names_of, set_names};
pub use read::{
    CodeTotals, DimensionCount, ExportRow, Grain, HourRow, Scope, TargetTotals, code_totals,
    dimension_counts, export_page, hourly, owner_of, owner_totals, scan_totals,
};
pub use write::write_batch;

use foldhash::{HashMap, HashMapExt};
use std::fmt::Write;

/// One value of a multi-row `INSERT`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell<'a> {
    /// Bound as a parameter; equal texts of one statement share one parameter.
    Text(&'a str),
    /// Written into the SQL as a number: only integers this service computes (times, counts,
    /// flags), never text, so nothing from outside reaches the SQL text.
    Int(i64),
    Null,
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Cell::Text(text)
    }
}

impl<'a> From<Option<&'a str>> for Cell<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Cell::Null, Cell::Text)
    }
}

/// A multi-row statement ready to run: SQL text plus the texts its `$n` stand for.
pub(crate) struct MultiRow<'a> {
    sql: String,
    texts: Vec<&'a str>,
}

impl<'a> MultiRow<'a> {
    /// The statement with its parameters bound. Not kept in the connection's statement cache:
    /// each text is different (the numbers are in it), and caching would evict the reads.
    pub fn query(self) -> sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.sql)).persistent(false);
        for text in self.texts {
            query = query.bind(text);
        }
        query
    }
}

/// Distinct parameters per statement, at most.
///
/// Why parameters are shared and numbers written inline: SQLite finds a parameter's name by a
/// linear search (`sqlite3_bind_parameter_name`), which sqlx calls for each parameter, so binding
/// costs grow with the square of the parameters per statement. A batch of scans repeats a
/// handful of values (kind, target, owner, device, OS, browser, country, …) in every row: bound
/// once per statement, a row of 15 columns needs about one parameter of its own (its id) instead
/// of 15 — measured in `examples/bench.rs`.
const PARAMS_PER_STATEMENT: usize = 200;
/// Rows per statement, at most (keeps the SQL text, parsed once per statement, small).
const ROWS_PER_STATEMENT: usize = 200;

/// `{head} VALUES (…),(…) {tail}` statements holding every row, as few as the limits allow.
pub(crate) fn multi_row<'a, const N: usize>(
    head: &str,
    tail: &str,
    rows: impl IntoIterator<Item = [Cell<'a>; N]>,
) -> Vec<MultiRow<'a>> {
    let mut out = Vec::new();
    let mut current: Option<(MultiRow<'a>, HashMap<&'a str, usize>, usize)> = None;
    for row in rows {
        let full = current.as_ref().is_some_and(|(stmt, _, rows)| {
            *rows >= ROWS_PER_STATEMENT || stmt.texts.len() + N > PARAMS_PER_STATEMENT
        });
        if full && let Some((mut stmt, _, _)) = current.take() {
            stmt.sql.push(' ');
            stmt.sql.push_str(tail);
            out.push(stmt);
        }
        let (stmt, index, count) = current.get_or_insert_with(|| {
            let mut sql = String::with_capacity(head.len() + tail.len() + 64 * N);
            sql.push_str(head);
            sql.push_str(" VALUES ");
            (
                MultiRow {
                    sql,
                    texts: Vec::new(),
                },
                HashMap::new(),
                0,
            )
        });
        stmt.sql.push_str(if *count == 0 { "(" } else { ",(" });
        for (i, cell) in row.into_iter().enumerate() {
            if i > 0 {
                stmt.sql.push(',');
            }
            match cell {
                Cell::Text(text) => {
                    let n = *index.entry(text).or_insert_with(|| {
                        stmt.texts.push(text);
                        stmt.texts.len()
                    });
                    let _ = write!(stmt.sql, "${n}");
                }
                Cell::Int(value) => {
                    let _ = write!(stmt.sql, "{value}");
                }
                Cell::Null => stmt.sql.push_str("NULL"),
            }
        }
        stmt.sql.push(')');
        *count += 1;
    }
    if let Some((mut stmt, _, _)) = current {
        stmt.sql.push(' ');
        stmt.sql.push_str(tail);
        out.push(stmt);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Cell, multi_row};

    #[test]
    fn repeated_texts_share_a_parameter_and_numbers_are_inline() {
        let rows = [
            [Cell::Text("a"), Cell::Text("x"), Cell::Int(7)],
            [Cell::Text("b"), Cell::Text("x"), Cell::Null],
        ];
        let statements = multi_row("INSERT INTO t (id, v, n)", "ON CONFLICT DO NOTHING", rows);
        assert_eq!(statements.len(), 1);
        assert_eq!(
            statements[0].sql,
            "INSERT INTO t (id, v, n) VALUES ($1,$2,7),($3,$2,NULL) ON CONFLICT DO NOTHING"
        );
        assert_eq!(statements[0].texts, ["a", "x", "b"]);
    }

    #[test]
    fn long_batches_are_split_by_parameters() {
        let ids: Vec<String> = (0..450).map(|i| format!("id{i}")).collect();
        let statements = multi_row(
            "INSERT INTO t (id)",
            "",
            ids.iter().map(|id| [Cell::Text(id)]),
        );
        assert_eq!(statements.len(), 3);
        assert!(
            statements
                .iter()
                .all(|s| s.texts.len() <= super::PARAMS_PER_STATEMENT)
        );
        let total: usize = statements.iter().map(|s| s.texts.len()).sum();
        assert_eq!(total, 450);
    }
}
