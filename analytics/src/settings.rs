//! The analytics service's own settings, read from the environment here (not in
//! `shared::config`) so the service stays self-contained.

use std::path::PathBuf;
use std::time::Duration;

use crate::ingest::IngestConfig;

pub const DEFAULT_RETENTION_DAYS: i64 = 395;

#[derive(Clone, Debug)]
pub struct Settings {
    /// `GEOIP_DB`: an MMDB file for countries; the embedded data when unset or unusable.
    pub geoip_db: Option<PathBuf>,
    /// `ANALYTICS_RETENTION_DAYS`: raw events older than this are pruned (rollups are kept).
    pub retention_days: i64,
    /// How long after a UTC day ends its salt is kept for late deliveries before deletion.
    pub salt_grace: Duration,
    /// How often the pruning task runs.
    pub prune_every: Duration,
    pub ingest: IngestConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            geoip_db: None,
            retention_days: DEFAULT_RETENTION_DAYS,
            salt_grace: Duration::from_hours(1),
            prune_every: Duration::from_hours(1),
            ingest: IngestConfig::default(),
        }
    }
}

impl Settings {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any variable source (tests pass a closure instead of mutating the
    /// process environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut settings = Settings {
            geoip_db: get("GEOIP_DB")
                .filter(|p| !p.trim().is_empty())
                .map(PathBuf::from),
            ..Settings::default()
        };
        if let Some(raw) = get("ANALYTICS_RETENTION_DAYS") {
            match raw.trim().parse::<i64>() {
                Ok(days) if days > 0 => settings.retention_days = days,
                _ => tracing::warn!(
                    value = %raw,
                    default = DEFAULT_RETENTION_DAYS,
                    "ANALYTICS_RETENTION_DAYS is not a positive number of days; using the default"
                ),
            }
        }
        if let Some(consumer) = get("ANALYTICS_CONSUMER").or_else(|| get("HOSTNAME")) {
            settings.ingest.consumer = consumer;
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_validates_the_environment() {
        let s = Settings::from_lookup(|name| match name {
            "ANALYTICS_RETENTION_DAYS" => Some("30".into()),
            "GEOIP_DB" => Some("/data/dbip.mmdb".into()),
            _ => None,
        });
        assert_eq!(s.retention_days, 30);
        assert_eq!(s.geoip_db, Some(PathBuf::from("/data/dbip.mmdb")));

        let s = Settings::from_lookup(|name| {
            (name == "ANALYTICS_RETENTION_DAYS").then(|| "forever".into())
        });
        assert_eq!(s.retention_days, DEFAULT_RETENTION_DAYS);
        assert_eq!(s.geoip_db, None);
    }
}
