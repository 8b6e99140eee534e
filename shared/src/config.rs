//! Typed configuration: built-in defaults, then environment variables (every setting is also a
//! command-line flag). Secrets — database and Redis URLs — are never printed: `--help` hides their
//! values and `Debug` redacts their passwords.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::client_addr::{ForwardedHeader, TrustedProxies};
use crate::features::Features;

/// The five core services. Each owns its tables, its migrations folder and its router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Service {
    Auth,
    Qr,
    Microsite,
    Analytics,
    Web,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Auth,
        Service::Qr,
        Service::Microsite,
        Service::Analytics,
        Service::Web,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Auth => "auth",
            Service::Qr => "qr",
            Service::Microsite => "microsite",
            Service::Analytics => "analytics",
            Service::Web => "web",
        }
    }

    /// The port a service listens on when it runs alone (split mode).
    pub fn default_port(self) -> u16 {
        match self {
            Service::Web => 3000,
            Service::Auth => 3010,
            Service::Qr => 3011,
            Service::Analytics => 3012,
            Service::Microsite => 3013,
        }
    }

    /// Prefix of this service's own variables, e.g. `QR` for `QR_DATABASE_URL` and `QR_URL`.
    pub fn env_prefix(self) -> &'static str {
        match self {
            Service::Auth => "AUTH",
            Service::Qr => "QR",
            Service::Microsite => "MICROSITE",
            Service::Analytics => "ANALYTICS",
            Service::Web => "WEB",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Every setting of a Scanpage process. Flattened into the `scanpage` command line; each field
/// reads the environment variable of the same (upper-case) name.
#[derive(Clone, clap::Args)]
pub struct Settings {
    /// Interface to listen on; containers set 0.0.0.0.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: IpAddr,

    /// Port to listen on (default 3000 all-in-one, or the service's own port in split mode).
    #[arg(long, env = "PORT", global = true)]
    pub port: Option<u16>,

    /// Folder for the embedded SQLite database and generated keys.
    #[arg(
        long = "data-dir",
        env = "SCANPAGE_DATA",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Whether files must outlive the container: `auto` warns (log and `/readyz`) when a
    /// container keeps its SQLite database or data folder on its own disk, `required` refuses to
    /// start then, `off` never checks.
    #[arg(
        long,
        env = "PERSISTENT_DATA",
        value_enum,
        default_value = "auto",
        global = true
    )]
    pub persistent_data: crate::storage::PersistenceRule,

    /// Database for every service without its own `<SERVICE>_DATABASE_URL`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    #[arg(long, env = "AUTH_DATABASE_URL", hide_env_values = true, global = true)]
    pub auth_database_url: Option<String>,
    #[arg(long, env = "QR_DATABASE_URL", hide_env_values = true, global = true)]
    pub qr_database_url: Option<String>,
    #[arg(
        long,
        env = "MICROSITE_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub microsite_database_url: Option<String>,
    #[arg(
        long,
        env = "ANALYTICS_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub analytics_database_url: Option<String>,
    #[arg(long, env = "WEB_DATABASE_URL", hide_env_values = true, global = true)]
    pub web_database_url: Option<String>,

    /// Redis for the event bus, the shared cache and shared rate limits (optional).
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,

    /// PEM file of the CA that signed a `rediss://` server's certificate, when it is not one the
    /// system trusts (a private CA); unset, the system's roots verify it.
    #[arg(long, env = "REDIS_CA_FILE", global = true)]
    pub redis_ca_file: Option<PathBuf>,

    /// The origin QR codes encode and links point at (default http://localhost:PORT).
    #[arg(long, env = "PUBLIC_BASE_URL", global = true)]
    pub public_base_url: Option<Url>,

    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,

    /// Future services to turn on, comma-separated (e.g. `email,experiments`).
    #[arg(long, env = "FEATURES", default_value = "", value_parser = Features::parse, global = true)]
    pub features: Features,

    /// Longest time one request may take before it is answered 408.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// Longest time a client may take to send a request's head (its line and headers), and the
    /// longest a kept-alive connection may sit idle; slower clients are disconnected, so slow
    /// senders (slow-loris) cannot hold connections open.
    #[arg(
        long,
        env = "HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub header_read_timeout_secs: u64,

    /// Largest request body accepted by default (routes may set their own).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// How long in-flight requests and drain hooks get after SIGTERM before the process exits.
    #[arg(
        long,
        env = "SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 8,
        global = true
    )]
    pub shutdown_timeout_secs: u64,

    /// Where the other services answer in split mode; unset means in-process.
    #[arg(long, env = "AUTH_URL", global = true)]
    pub auth_url: Option<Url>,
    #[arg(long, env = "QR_URL", global = true)]
    pub qr_url: Option<Url>,
    #[arg(long, env = "MICROSITE_URL", global = true)]
    pub microsite_url: Option<Url>,
    #[arg(long, env = "ANALYTICS_URL", global = true)]
    pub analytics_url: Option<Url>,

    /// Ed25519 PKCS#8 PEM key auth signs access tokens with. Unset: one is generated on first
    /// start and kept in `<data_dir>/jwt-ed25519.pem` (mode 0600).
    #[arg(long, env = "JWT_PRIVATE_KEY", hide_env_values = true, global = true)]
    pub jwt_private_key: Option<String>,

    /// Proxies whose forwarded header is believed: addresses and CIDR ranges, comma-separated,
    /// or `private` for every loopback, RFC 1918, CGNAT, link-local and IPv6 unique-local
    /// address (a platform's edge proxy, a compose network). Empty: the socket address is the
    /// client, and forwarded headers are ignored.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse, global = true)]
    pub trusted_proxies: TrustedProxies,

    /// The header trusted proxies name the client in: `x-forwarded-for` (nginx and the
    /// platforms) or `forwarded` (RFC 7239). Only this one is read.
    #[arg(
        long,
        env = "FORWARDED_HEADER",
        value_enum,
        default_value = "x-forwarded-for",
        global = true
    )]
    pub forwarded_header: ForwardedHeader,

    /// Bearer token a Prometheus scraper sends to read `/metrics`. Unset: `/metrics` answers only
    /// a scraper on this machine (a loopback peer with no forwarded header), 404 to anyone else.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,

    /// Storage each user may fill with uploaded images, in MB (counted on the re-encoded PNGs).
    #[arg(long, env = "UPLOAD_QUOTA_MB", default_value_t = 50, global = true)]
    pub upload_quota_mb: u64,

    /// Domains nobody may link to: a file with one domain per line (subdomains included).
    #[arg(long, env = "QR_BLOCKLIST_FILE", global = true)]
    pub qr_blocklist_file: Option<PathBuf>,

    /// Auth's public key (the JWK `x`, base64url) for services that run apart from auth.
    #[arg(long, env = "JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<String>,

    /// Who may sign up: everyone, holders of an invite code, or everyone onto a waitlist.
    #[arg(
        long,
        env = "SIGNUP_MODE",
        value_enum,
        default_value = "open",
        global = true
    )]
    pub signup_mode: SignupMode,

    /// Accounts with these emails are founders (comma-separated).
    #[arg(long, env = "FOUNDER_EMAILS", value_delimiter = ',', global = true)]
    pub founder_emails: Vec<String>,

    /// The plans on /pricing, as `Name:price` pairs (comma-separated). Nothing is charged: the
    /// page records which plan a beta user would choose.
    #[arg(
        long,
        env = "PRICING_PLANS",
        value_delimiter = ',',
        default_value = "Creator:$9/month,Pro:$19/month,Business:$49/month",
        global = true
    )]
    pub pricing_plans: Vec<String>,

    /// SMTP server the outbox is delivered through (delivery is on whenever this is set), e.g.
    /// `smtps://user:password@mail.example.com` or `smtp://127.0.0.1:2525` (no TLS, local only).
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// The From address of delivered email.
    #[arg(
        long,
        env = "SMTP_FROM",
        default_value = "Scanpage <noreply@localhost>",
        global = true
    )]
    pub smtp_from: String,

    /// How many times a background consumer tries one event before moving it to the dead
    /// letters.
    #[arg(long, env = "DLQ_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100), global = true)]
    pub dlq_max_attempts: u32,

    /// Without Redis: how many MiB of events each consumer group's full in-process queue may
    /// spill to `<data_dir>/bus-overflow/` (delivered once the consumer catches up, or on the
    /// next start). 0 refuses events when a queue is full instead (they are counted as lost).
    #[arg(
        long,
        env = "BUS_OVERFLOW_MAX_MB",
        default_value_t = 256,
        global = true
    )]
    pub bus_overflow_max_mb: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SignupMode {
    Open,
    Invite,
    Waitlist,
}

/// A database URL together with the variable it came from, so that errors can name it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseTarget {
    pub url: String,
    pub source: String,
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.source, redact_url(&self.url))
    }
}

impl Settings {
    /// Whether queued email is delivered: `SMTP_URL` is set. Pages say "we sent" only then.
    pub fn email_delivery_on(&self) -> bool {
        self.smtp_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty())
    }

    /// The port this process listens on when running `service` (or all-in-one when `None`).
    pub fn port_for(&self, service: Option<Service>) -> u16 {
        self.port
            .unwrap_or_else(|| service.map_or(3000, Service::default_port))
    }

    /// What QR codes encode: `PUBLIC_BASE_URL` without a trailing slash.
    pub fn public_base_url(&self, port: u16) -> String {
        match &self.public_base_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://localhost:{port}"),
        }
    }

    /// The database of one service: its own variable, then `DATABASE_URL`, then the embedded
    /// SQLite file under the data folder.
    pub fn database_for(&self, service: Service) -> DatabaseTarget {
        let own = match service {
            Service::Auth => &self.auth_database_url,
            Service::Qr => &self.qr_database_url,
            Service::Microsite => &self.microsite_database_url,
            Service::Analytics => &self.analytics_database_url,
            Service::Web => &self.web_database_url,
        };
        if let Some(url) = own.as_ref().filter(|u| !u.is_empty()) {
            return DatabaseTarget {
                url: url.clone(),
                source: format!("{}_DATABASE_URL", service.env_prefix()),
            };
        }
        if let Some(url) = self.database_url.as_ref().filter(|u| !u.is_empty()) {
            return DatabaseTarget {
                url: url.clone(),
                source: "DATABASE_URL".into(),
            };
        }
        let path = self.data_dir.join("scanpage.db");
        DatabaseTarget {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            source: "SCANPAGE_DATA".into(),
        }
    }

    /// Where another service answers over HTTP, or `None` when it runs in this process.
    pub fn service_url(&self, service: Service) -> Option<&Url> {
        match service {
            Service::Auth => self.auth_url.as_ref(),
            Service::Qr => self.qr_url.as_ref(),
            Service::Microsite => self.microsite_url.as_ref(),
            Service::Analytics => self.analytics_url.as_ref(),
            Service::Web => None,
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    /// How this process finds its clients' addresses behind proxies.
    pub fn client_addr_policy(&self) -> crate::client_addr::Policy {
        crate::client_addr::Policy {
            trusted: self.trusted_proxies.clone(),
            header: self.forwarded_header,
        }
    }

    pub fn redis_url(&self) -> Option<&str> {
        self.redis_url.as_deref().filter(|u| !u.is_empty())
    }

    /// Redis, when `REDIS_URL` is set.
    pub fn redis_target(&self) -> Option<crate::context::RedisTarget> {
        self.redis_url().map(|url| crate::context::RedisTarget {
            url: url.to_owned(),
            ca_file: self.redis_ca_file.clone(),
        })
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |u: &Option<String>| u.as_deref().map(redact_url);
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redacted(&self.database_url))
            .field("redis_url", &redacted(&self.redis_url))
            .field("smtp_url", &redacted(&self.smtp_url))
            .field(
                "public_base_url",
                &self.public_base_url.as_ref().map(Url::as_str),
            )
            .field("features", &self.features)
            .field(
                "jwt_private_key",
                &self.jwt_private_key.as_ref().map(|_| "***"),
            )
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("signup_mode", &self.signup_mode)
            .finish_non_exhaustive()
    }
}

/// A URL with any password replaced by `***`, safe for logs and error messages.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        // Unparseable: it may still contain a secret, so show only its scheme.
        Err(_) => match raw.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => "…".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn settings(args: &[&str]) -> Settings {
        let mut argv = vec!["scanpage"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().settings
    }

    #[test]
    fn per_service_database_overrides_the_shared_one() {
        let s = settings(&[
            "--database-url",
            "postgres://a@h/shared",
            "--qr-database-url",
            "postgres://a@h/qr",
        ]);
        assert_eq!(s.database_for(Service::Qr).url, "postgres://a@h/qr");
        assert_eq!(s.database_for(Service::Qr).source, "QR_DATABASE_URL");
        assert_eq!(s.database_for(Service::Auth).url, "postgres://a@h/shared");
    }

    #[test]
    fn default_database_is_sqlite_under_the_data_dir() {
        let s = settings(&["--data-dir", "/tmp/x"]);
        assert_eq!(
            s.database_for(Service::Auth).url,
            "sqlite:///tmp/x/scanpage.db?mode=rwc"
        );
    }

    #[test]
    fn debug_never_shows_passwords() {
        let s = settings(&[
            "--database-url",
            "postgres://u:hunter2@db/x",
            "--redis-url",
            "redis://:s3cret@r:6379",
        ]);
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("***"));
    }

    #[test]
    fn ports_follow_the_service() {
        let s = settings(&[]);
        assert_eq!(s.port_for(None), 3000);
        assert_eq!(s.port_for(Some(Service::Analytics)), 3012);
        assert_eq!(s.public_base_url(3000), "http://localhost:3000");
        let s = settings(&[
            "--port",
            "8080",
            "--public-base-url",
            "https://scan.example/",
        ]);
        assert_eq!(s.port_for(Some(Service::Qr)), 8080);
        assert_eq!(s.public_base_url(8080), "https://scan.example");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Cli::try_parse_from(["scanpage", "--port", "http"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("PORT"), "{err}");
        let err = Cli::try_parse_from(["scanpage", "--features", "teleport"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("FEATURES") && err.contains("teleport"),
            "{err}"
        );
    }

    #[test]
    fn redaction_handles_garbage() {
        assert_eq!(redact_url("not a url with pass"), "…");
        assert_eq!(redact_url("postgres://u:p@h/d"), "postgres://u:***@h/d");
    }
}
