//! What a service is built from: its own database, the event bus, Redis (when configured), the
//! settings and the shutdown handle. Every service crate exposes
//! `build(ServiceContext) -> Result<Router, Error>`; all-in-one and split mode differ only in
//! how many of them one process builds.

use std::path::PathBuf;
use std::sync::Arc;

use redis::aio::ConnectionManager;

use crate::bus::EventBus;
use crate::config::Settings;
use crate::db::Db;
use crate::error::Error;
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

/// Where Redis is: `REDIS_URL`, and for a `rediss://` server whose certificate a private CA
/// signed, that CA (`REDIS_CA_FILE`); otherwise the system's roots verify it.
#[derive(Clone, Debug)]
pub struct RedisTarget {
    pub url: String,
    pub ca_file: Option<PathBuf>,
}

impl RedisTarget {
    pub fn new(url: impl Into<String>) -> RedisTarget {
        RedisTarget {
            url: url.into(),
            ca_file: None,
        }
    }

    /// A client for this target; errors name the variable and never show a password.
    pub fn client(&self) -> Result<redis::Client, Error> {
        let fail = |why: String| Error::Config(format!("REDIS_URL: {why}"));
        let info = redis::IntoConnectionInfo::into_connection_info(self.url.as_str())
            .map_err(|e| fail(e.to_string()))?;
        // The CA is for TLS: a `redis://` URL (a local Redis in development) ignores it.
        let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
        let Some(path) = self.ca_file.as_ref().filter(|_| tls) else {
            return redis::Client::open(info).map_err(|e| fail(e.to_string()));
        };
        let root_cert = std::fs::read(path).map_err(|e| {
            Error::Config(format!(
                "REDIS_CA_FILE: cannot read {}: {e}",
                path.display()
            ))
        })?;
        redis::Client::build_with_tls(
            info,
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(root_cert),
            },
        )
        .map_err(|e| Error::Config(format!("REDIS_CA_FILE ({}): {e}", path.display())))
    }
}

/// Connects to Redis; errors name the variable and never show its password.
pub async fn connect_redis(target: &RedisTarget) -> Result<ConnectionManager, Error> {
    let client = target.client()?;
    let within = std::time::Duration::from_secs(5);
    let late = || Error::Config("REDIS_URL: Redis did not answer within 5 s".into());
    let refused = |e: redis::RedisError| {
        Error::Config(format!(
            "REDIS_URL: cannot connect: {}",
            one_line(&e.to_string())
        ))
    };
    // One plain connection first: the manager retries a failed connection quietly until the
    // time runs out, which would turn a wrong CA or a refused password into "did not answer".
    tokio::time::timeout(within, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| late())?
        .map_err(refused)?;
    tokio::time::timeout(within, ConnectionManager::new(client))
        .await
        .map_err(|_| late())?
        .map_err(refused)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
