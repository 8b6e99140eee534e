//! What a service is built from: its own database, the event bus, Redis (when configured), the
//! settings and the shutdown handle. Every service crate exposes
//! `build(ServiceContext) -> Result<Router, Error>`; all-in-one and split mode differ only in
//! how many of them one process builds.

use std::sync::Arc;

use redis::aio::ConnectionManager;

use crate::bus::EventBus;
use crate::config::Settings;
use crate::db::Db;
use crate::identity::Identity;
use crate::shutdown::Shutdown;

#[derive(Clone)]
pub struct ServiceContext {
    pub db: Db,
    pub bus: EventBus,
    pub redis: Option<ConnectionManager>,
    pub settings: Arc<Settings>,
    /// What links and QR codes point at, without a trailing slash.
    pub public_base_url: Arc<str>,
    pub shutdown: Shutdown,
    /// Access-token verification and the revoked-session list, shared by every service here.
    pub identity: Identity,
}

/// Connects to `REDIS_URL`; errors name the variable and never show its password.
pub async fn connect_redis(url: &str) -> Result<ConnectionManager, crate::Error> {
    use crate::Error;
    let client = redis::Client::open(url).map_err(|e| Error::Config(format!("REDIS_URL: {e}")))?;
    let connect = ConnectionManager::new(client);
    match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok(manager)) => Ok(manager),
        Ok(Err(e)) => Err(Error::Config(format!("REDIS_URL: cannot connect: {e}"))),
        Err(_) => Err(Error::Config(
            "REDIS_URL: Redis did not answer within 5 s".into(),
        )),
    }
}
