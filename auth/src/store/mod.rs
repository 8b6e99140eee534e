//! All of auth's SQL, one module per concern. Handlers and the domain never hold SQL. Every
//! query is one text for SQLite and PostgreSQL (`$n` placeholders, integer flags and times).

pub mod api_keys;
pub mod devices;
pub mod gate;
pub mod resets;
pub mod sessions;
pub mod totp;
pub mod users;

/// Whether a database error is a unique-constraint violation (both backends report it so).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
