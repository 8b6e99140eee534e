//! Every SQL statement of the analytics service. One text per statement for SQLite and
//! PostgreSQL through sqlx's `Any` driver (`$n` placeholders, BIGINT times, INTEGER flags; sums are
//! cast to BIGINT because PostgreSQL's `SUM(bigint)` is NUMERIC, which `Any` cannot decode).

mod maintenance;
mod read;
mod write;

pub use maintenance::{delete_owner, prune, salts_for_days};
pub use read::{
    DimensionCount, ExportRow, HourRow, TargetTotals, dimension_counts, export_page, hourly,
    owner_of, owner_totals,
};
pub use write::write_batch;

/// `INSERT … VALUES ($1,..,$n), (…), …` with `rows` tuples of `columns` placeholders.
fn values_clause(columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ",(" });
        for col in 0..columns {
            n += 1;
            if col > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql
}

/// Bound parameters per multi-row statement. Far below SQLite's 32,766 and PostgreSQL's 65,535
/// limits on purpose: sqlx's SQLite binding costs grow with the parameter count per statement
/// (measured on SQLite: 500 rows × 15 columns ≈ 16 µs per parameter, 66 rows ≈ 3 µs, 16 rows ≈
/// 2 µs), so many small statements beat a few huge ones.
const PARAMS_PER_STATEMENT: usize = 240;

/// Rows per multi-row statement for a table of `columns` columns.
fn rows_per_statement(columns: usize) -> usize {
    (PARAMS_PER_STATEMENT / columns).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_clause_numbers_every_placeholder() {
        assert_eq!(super::values_clause(2, 2), "($1,$2),($3,$4)");
    }
}
