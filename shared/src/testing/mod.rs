//! Test support shared by every crate's integration tests (the `testing` feature, enabled by the
//! crates' dev-dependencies only): fresh databases per backend, tokens, a router client,
//! settings and contexts, an SMTP sink. Each crate's `tests/common` keeps only its own domain
//! helpers on top of these.

mod database;
mod keys;
mod router;
mod service;
mod smtp;

pub use crate::backend_tests;
pub use database::{TestDb, postgres, postgres_if_configured, redis_url, sqlite};
pub use keys::{TestKeys, process_keys};
pub use router::{Answer, CLIENT_ADDR, TestRouter};
pub use service::{context, settings, wait_for};
pub use smtp::{SinkMessage, SmtpSink};

/// One test per database backend, so a failure's name says which backend failed:
///
/// ```ignore
/// backend_tests!(codes_round_trip);
/// async fn codes_round_trip(db: TestDb) { … }
/// ```
///
/// makes the tests `codes_round_trip::sqlite` and `codes_round_trip::postgres`, each calling the
/// function with a fresh database of its backend. Without `TEST_POSTGRES_URL` the PostgreSQL one
/// prints `SKIPPED postgres for codes_round_trip: …` and passes (CI fails a run whose configured
/// backend was skipped). The test attribute is `#[tokio::test]` unless given before the name:
/// `backend_tests!(#[tokio::test(flavor = "multi_thread")] name);`.
#[macro_export]
macro_rules! backend_tests {
    ($name:ident) => {
        $crate::backend_tests!(#[tokio::test] $name);
    };
    ($(#[$attr:meta])+ $name:ident) => {
        mod $name {
            $(#[$attr])+
            async fn sqlite() {
                super::$name($crate::testing::sqlite().await).await
            }

            $(#[$attr])+
            async fn postgres() {
                if let Some(db) =
                    $crate::testing::postgres_if_configured(stringify!($name)).await
                {
                    super::$name(db).await
                }
            }
        }
    };
}
