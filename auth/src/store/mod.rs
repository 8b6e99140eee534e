//! All of auth's SQL, one module per concern. Handlers and the domain never hold SQL. Every
//! query is one text for SQLite and PostgreSQL (`$n` placeholders, integer flags and times).

pub mod api_keys;
pub mod devices;
pub mod gate;
pub mod resets;
pub mod sessions;
pub mod totp;
pub mod users;

pub use shared::db::is_unique_violation;
