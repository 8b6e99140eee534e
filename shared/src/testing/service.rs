//! A service's surroundings in a test: settings as the command line gives them, a context on a
//! test database, and waiting for work a service does in the background.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::bus::EventBus;
use crate::config::Settings;
use crate::context::ServiceContext;
use crate::db::Db;
use crate::identity::Identity;
use crate::shutdown::Shutdown;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
}

/// Settings from command-line flags (`["--port", "0", …]`), the defaults for everything else.
pub fn settings(flags: &[&str]) -> Settings {
    let argv = std::iter::once("scanpage").chain(flags.iter().copied());
    Cli::try_parse_from(argv)
        .expect("valid test settings")
        .settings
}

/// A context for a service under test: `db`, `bus` and `settings`, tokens checked by `identity`,
/// links made under `public_base_url`, no Redis (set `redis` on the result to add it).
pub fn context(
    db: &Db,
    bus: EventBus,
    settings: Settings,
    identity: Identity,
    public_base_url: &str,
) -> ServiceContext {
    ServiceContext {
        db: db.clone(),
        bus,
        redis: None,
        settings: Arc::new(settings),
        public_base_url: public_base_url.into(),
        shutdown: Shutdown::new(),
        identity,
    }
}

/// Asks `probe` every 20 ms until `done` holds for its answer or `within` has passed; the last
/// answer either way, for the test to assert on (and show).
pub async fn wait_for<T, F, Fut>(within: Duration, mut probe: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + within;
    loop {
        let answer = probe().await;
        if done(&answer) || Instant::now() >= deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
