//! Wiring: which services this process runs, their databases, how they reach each other, and the
//! server's life from bind to graceful exit. `main` and the tests both start the app through
//! [`Server::start`], so what is tested is what runs.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use analytics::client::AnalyticsClient;
use analytics::product::client::ConsoleClient;
use auth::client::AuthClient;
use axum::Router;
use microsite::client::MicrositeClient;
use microsite::qr_directory::{QrDirectory, QrServiceDirectory, UnreachableQrDirectory};
use qr::client::QrClient;
use shared::Error;
use shared::bus::EventBus;
use shared::client::ServiceClient;
use shared::config::{Service, Settings};
use shared::context::ServiceContext;
use shared::db::Db;
use shared::health::Readiness;
use shared::identity::{Identity, KeyPair};
use shared::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What one process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every service in one process (the default).
    AllInOne,
    /// One service alone (split mode).
    Single(Service),
}

impl Mode {
    pub fn services(self) -> Vec<Service> {
        match self {
            Mode::AllInOne => Service::ALL.to_vec(),
            Mode::Single(service) => vec![service],
        }
    }

    fn port(self, settings: &Settings) -> u16 {
        settings.port_for(match self {
            Mode::AllInOne => None,
            Mode::Single(s) => Some(s),
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::AllInOne => f.write_str("all-in-one"),
            Mode::Single(s) => write!(f, "{s} service"),
        }
    }
}

/// The clients through which the web frontend reaches the other services.
#[derive(Clone)]
pub struct Clients {
    pub auth: AuthClient,
    pub qr: QrClient,
    pub microsite: MicrositeClient,
    /// The founder console's numbers (analytics' `/api/v1/admin/*`).
    pub console: ConsoleClient,
    pub analytics: AnalyticsClient,
}

/// Connects each service's database (services that share a URL share a pool) and applies that
/// service's migrations.
pub async fn open_databases(
    settings: &Settings,
    services: &[Service],
) -> Result<BTreeMap<Service, Db>, Error> {
    let mut by_url: BTreeMap<String, Db> = BTreeMap::new();
    let mut databases = BTreeMap::new();
    for &service in services {
        let target = settings.database_for(service);
        let db = if let Some(db) = by_url.get(&target.url) {
            db.clone()
        } else {
            let db = Db::connect(&target).await?;
            by_url.insert(target.url.clone(), db.clone());
            db
        };
        db.migrate(service, migrator(service)).await.map_err(|e| {
            Error::Config(format!(
                "{}: migrating the {service} schema failed: {e}",
                target.source
            ))
        })?;
        if service == Service::Qr {
            // The media module lives in the qr service, with its own tables and ledger there.
            media::migrate(&db).await.map_err(|e| {
                Error::Config(format!(
                    "{}: migrating the media schema failed: {e}",
                    target.source
                ))
            })?;
        }
        databases.insert(service, db);
    }
    Ok(databases)
}

fn migrator(service: Service) -> sqlx::migrate::Migrator {
    match service {
        Service::Auth => auth::migrator(),
        Service::Qr => qr::migrator(),
        Service::Microsite => microsite::migrator(),
        Service::Analytics => analytics::migrator(),
        Service::Web => sqlx::migrate!("../migrations/web"),
    }
}

/// Builds the complete router of this process.
pub async fn build(
    settings: Arc<Settings>,
    mode: Mode,
    public_base_url: &str,
    shutdown: &Shutdown,
) -> Result<Router, Error> {
    Ok(assemble(settings, mode, public_base_url, shutdown).await?.0)
}

/// What the founder's tools (`scanpage demo`) drive directly, beside the router.
pub struct Handles {
    pub bus: EventBus,
    pub auth: Option<Arc<auth::Auth>>,
    pub beta: Option<crate::beta::Beta>,
}

/// [`build`], also returning the [`Handles`] of what this process runs.
pub async fn assemble(
    settings: Arc<Settings>,
    mode: Mode,
    public_base_url: &str,
    shutdown: &Shutdown,
) -> Result<(Router, Handles), Error> {
    let services = mode.services();
    let storage = shared::storage::check(&settings, &services, &shared::storage::Host::detect())?;
    for warning in &storage.warnings {
        tracing::error!("{warning}");
    }
    let databases = open_databases(&settings, &services).await?;

    let redis_target = settings.redis_target();
    let redis = match &redis_target {
        Some(target) => Some(shared::context::connect_redis(target).await?),
        None => None,
    };
    let bus = match &redis_target {
        Some(target) => EventBus::redis(target, shutdown).await?,
        // A burst beyond the queue spills to disk: scans are recorded late, not lost.
        None => EventBus::memory_with_overflow(
            100_000,
            settings.data_dir.join("bus-overflow"),
            settings.bus_overflow_max_mb.saturating_mul(1024 * 1024),
        ),
    };
    // Consumers retry an event this often, then hand it to the dead letters.
    let bus = bus.with_retry(shared::bus::RetryPolicy {
        max_attempts: settings.dlq_max_attempts,
        ..Default::default()
    });
    {
        let bus = bus.clone();
        // First of the drain hooks: queued events go to the overflow files, which the next start
        // delivers; the consumers' drains then write only what they already hold.
        shutdown.on_drain("event bus", move || async move {
            let kept = bus.persist_queues().await;
            if kept > 0 {
                tracing::info!(events = kept, "queued events moved to the overflow files");
            }
            if !bus.flush(Duration::from_secs(3)).await {
                tracing::warn!("some events could not be handed to the bus before exit");
            }
        });
    }

    let identity = build_identity(&settings, mode).await?;
    if bus.is_shared() {
        // Other processes (split mode, several instances) end sessions too: hear about them.
        identity.follow_revocations(&bus, shutdown);
    }
    let context = |db: &Db| ServiceContext {
        db: db.clone(),
        bus: bus.clone(),
        redis: redis.clone(),
        settings: settings.clone(),
        public_base_url: Arc::from(public_base_url),
        shutdown: shutdown.clone(),
        identity: identity.clone(),
    };

    let mut handles = Handles {
        bus: bus.clone(),
        auth: None,
        beta: None,
    };
    // `microsite` codes ask microsite who owns a page; without a way to reach it (split mode, no
    // MICROSITE_URL) those codes answer 503 and everything else works.
    let (microsite_directory, microsite_slot): (Arc<dyn qr::microsite::MicrositeDirectory>, _) =
        if let Some(url) = settings.service_url(Service::Microsite) {
            let client = ServiceClient::http(Service::Microsite, url.clone());
            (Arc::new(qr::microsite::ServiceDirectory::new(client)), None)
        } else if services.contains(&Service::Microsite) {
            let (client, slot) = ServiceClient::deferred(Service::Microsite);
            (
                Arc::new(qr::microsite::ServiceDirectory::new(client)),
                Some(slot),
            )
        } else {
            (Arc::new(qr::microsite::NoDirectory), None)
        };
    let mut routers: BTreeMap<Service, Router> = BTreeMap::new();
    for (&service, db) in &databases {
        if service == Service::Auth {
            handles.auth = Some(auth::service(&context(db))?);
        }
        let router = match service {
            Service::Auth => auth::build(context(db)).await?,
            // qr and microsite ask each other (microsite codes, QR blocks). Services are built in
            // `Service` order: qr first, with a client for microsite that is filled in below.
            // Uploads (`/api/v1/media`) and their public URLs (`/media/…`) are served by the qr
            // service: logos are its first user.
            Service::Qr => qr::build_with(context(db), microsite_directory.clone())
                .await?
                .merge(media::build(&context(db))),
            // Uploaded avatars for the pages' og:image cards come from media, in qr's router.
            Service::Microsite => {
                microsite::build_full(
                    context(db),
                    qr_directory(&settings, &routers),
                    og_media(&settings, &routers),
                )
                .await?
            }
            Service::Analytics => analytics::build(context(db)).await?,
            Service::Web => continue, // needs the clients of the others, built below
        };
        routers.insert(service, router);
    }
    if let (Some(slot), Some(router)) = (microsite_slot, routers.get(&Service::Microsite)) {
        slot.fill(router.clone());
    }
    let mut approved_hosts = None;
    if services.contains(&Service::Web) {
        let clients = Clients {
            auth: AuthClient::new(client_for(Service::Auth, &settings, &routers)?),
            qr: QrClient::new(client_for(Service::Qr, &settings, &routers)?),
            microsite: MicrositeClient::new(client_for(Service::Microsite, &settings, &routers)?),
            console: ConsoleClient::new(client_for(Service::Analytics, &settings, &routers)?),
            analytics: AnalyticsClient::new(client_for(Service::Analytics, &settings, &routers)?),
        };
        let web_db = databases
            .get(&Service::Web)
            .ok_or_else(|| Error::Config("the web service has no database".into()))?;
        let beta = crate::beta::Beta::new(
            web_db.pool().clone(),
            bus.clone(),
            redis.clone(),
            crate::beta::plans::parse(&settings.pricing_plans),
        );
        crate::beta::forget_deleted_users(&beta, &bus, shutdown).await?;
        handles.beta = Some(beta.clone());
        let clients_for_insights = clients.clone();
        crate::beta::digest::start(
            &settings,
            services.contains(&Service::Auth),
            crate::beta::digest::Sources {
                clients: clients.clone(),
                pool: web_db.pool().clone(),
            },
            databases
                .get(&Service::Auth)
                .map(|db| email::Outbox::new(db.pool().clone())),
            shutdown,
        )?;
        let state = crate::pages::WebState {
            clients,
            beta,
            features: settings.features,
            secure_cookies: public_base_url.starts_with("https://"),
            public_host: Arc::from(
                url::Url::parse(public_base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default(),
            ),
            email_delivery: settings.email_delivery_on(),
            outbox: databases
                .get(&Service::Auth)
                .map(|db| email::Outbox::new(db.pool().clone())),
            identity: identity.clone(),
        };
        // The insights route takes session cookies too: behind the same cross-site check.
        let insights = crate::insights::router(crate::insights::InsightsState {
            features: settings.features,
            identity: identity.clone(),
            clients: clients_for_insights,
            outbox: databases
                .get(&Service::Auth)
                .map(|db| email::Outbox::new(db.pool().clone())),
        });
        let pages = crate::pages::router(state).merge(insights);
        let (future, hosts) = future_services(
            &settings,
            &databases,
            &bus,
            &identity,
            shutdown,
            public_base_url,
        )
        .await?;
        approved_hosts = hosts;
        routers.insert(
            Service::Web,
            pages.merge(future).merge(crate::api_docs::router()),
        );
    }
    if let Some(db) = databases.get(&Service::Auth) {
        // The email outbox lives in auth's database (its only sender): deliver it from here.
        let outbox = email::Outbox::new(db.pool().clone());
        email::start(
            outbox,
            &settings,
            shutdown,
            email::Pacing::default(),
            Some(bus.clone()),
        )?;
    }

    watch_resources(&databases, &bus, shutdown);
    let readiness = Readiness {
        databases: databases.into_iter().collect(),
        redis,
        warnings: storage.warnings,
        metrics_token: settings
            .metrics_token
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(|t| std::sync::Arc::from(t.trim())),
    };
    // Cross-site posts are refused by their Origin / Sec-Fetch-Site before any handler runs: the
    // pages' forms (whose handlers then check the session's CSRF token as well) and the JSON API,
    // which takes the session cookie too — a foreign page can post a form-encoded, multipart or
    // empty body to it without a preflight. Scripts and other services send neither header and
    // pass. The public URL is trusted explicitly because behind a proxy the Host header may
    // differ from it. A link hop's `<a ping>` is exempt (see `microsite::public::is_hop_path`).
    let csrf = tower_http::csrf::CsrfLayer::new()
        .with_insecure_bypass(|method, uri| {
            method == axum::http::Method::POST && microsite::public::is_hop_path(uri.path())
        })
        .add_trusted_origin(public_base_url)
        .map_err(|e| Error::Config(format!("PUBLIC_BASE_URL: not usable as an origin: {e}")))?;
    let app = routers
        .into_values()
        .fold(shared::health::router(readiness), Router::merge);
    // Custom domains (flag `domains`): checked in memory before any route, and before the
    // cross-site check.
    let by_host = approved_hosts.map(|hosts| {
        shared::layer::GuardLayer::new(move |request: &mut axum::extract::Request| {
            crate::custom_domains::route_by_host(&hosts, request)
        })
    });
    let router = shared::http::finish_with(
        app,
        shared::http::Limits {
            request_timeout: settings.request_timeout(),
            max_body_bytes: settings.max_body_bytes,
            hsts: public_base_url.starts_with("https://"),
            client_addr: Arc::new(settings.client_addr_policy()),
        },
        tower::ServiceBuilder::new()
            .option_layer(by_host)
            .layer(csrf),
    );
    Ok((router, handles))
}

/// `/metrics` readings of this process's database pools and in-process event queue, taken at
/// scrape time. The readings hold a weak reference; the strong one lives until shutdown.
fn watch_resources(databases: &BTreeMap<Service, Db>, bus: &EventBus, shutdown: &Shutdown) {
    struct Watched {
        pools: Vec<(&'static str, sqlx::AnyPool)>,
        bus: EventBus,
    }
    let watched = Arc::new(Watched {
        pools: databases
            .iter()
            .map(|(service, db)| (service.name(), db.pool().clone()))
            .collect(),
        bus: bus.clone(),
    });
    let weak = Arc::downgrade(&watched);
    shared::metrics::on_scrape(move || {
        let Some(watched) = weak.upgrade() else {
            return false;
        };
        for (service, pool) in &watched.pools {
            let (size, idle) = (pool.size(), pool.num_idle() as u32);
            metrics::gauge!("db_pool_connections", "service" => *service, "state" => "idle")
                .set(f64::from(idle));
            metrics::gauge!("db_pool_connections", "service" => *service, "state" => "in_use")
                .set(f64::from(size.saturating_sub(idle)));
        }
        // In-process only: with Redis the lag is the streams' pending entries (XPENDING).
        if let Some(backlog) = watched.bus.backlog() {
            metrics::gauge!("bus_backlog_events").set(backlog as f64);
        }
        true
    });
    let stopped = shutdown.triggered();
    tokio::spawn(async move {
        stopped.await;
        drop(watched);
    });
}

/// The future services' stand-ins that web hosts: the dead-letter processor and custom domains
/// (their tables are in web's database) and their API ([`crate::future_api`]). With the
/// `domains` flag on, also the approved hosts for the `Host` routing layer.
async fn future_services(
    settings: &Settings,
    databases: &BTreeMap<Service, Db>,
    bus: &EventBus,
    identity: &Identity,
    shutdown: &Shutdown,
    public_base_url: &str,
) -> Result<(Router, Option<crate::custom_domains::ApprovedHosts>), Error> {
    use crate::custom_domains as domains;
    use crate::dead_letters as dlq;
    use crate::future_api as api;
    use shared::features::Feature;
    let db = databases
        .get(&Service::Web)
        .ok_or_else(|| Error::Config("the web database could not be opened".into()))?;
    let dead_letters: Arc<dyn dlq::DeadLetterStore> =
        Arc::new(dlq::SqlDeadLetters::new(db.pool().clone()));
    dlq::start(bus, dead_letters.clone(), shutdown).await?;
    let store = domains::SqlDomains::new(db.pool().clone());
    let hosts = if settings.features.is_enabled(Feature::Domains) {
        Some(domains::follow(bus, store.clone(), shutdown).await?)
    } else {
        None
    };
    let router = api::router(api::FutureState {
        features: settings.features,
        identity: identity.clone(),
        bus: bus.clone(),
        dead_letters,
        drafter: Arc::new(microsite::drafter::RuleDrafter {
            features: settings.features,
        }),
        domains: store,
        public_host: Arc::from(
            url::Url::parse(public_base_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
        ),
    });
    Ok((router, hosts))
}

/// The auth domain alone, for the founder's command-line tools (`scanpage invites create`,
/// `scanpage users promote`): no server, no bus consumers.
pub async fn auth_admin(settings: Settings) -> Result<Arc<auth::Auth>, Error> {
    let settings = Arc::new(settings);
    let databases = open_databases(&settings, &[Service::Auth]).await?;
    let db = databases
        .get(&Service::Auth)
        .cloned()
        .ok_or_else(|| Error::Config("the auth database could not be opened".into()))?;
    let port = settings.port_for(None);
    let ctx = ServiceContext {
        db,
        bus: EventBus::memory(16),
        redis: None,
        public_base_url: Arc::from(settings.public_base_url(port)),
        identity: build_identity(&settings, Mode::Single(Service::Auth)).await?,
        settings,
        shutdown: Shutdown::new(),
    };
    auth::service(&ctx)
}

/// Token verification for this process. A process that runs auth (or has a private key
/// configured) loads or generates the signing key and verifies with its public half. A split-mode
/// service never sees the private key: it is given `JWT_PUBLIC_KEY`, or reads the key from auth's
/// JWKS at `AUTH_URL` once at start (auth keeps one key for its lifetime).
async fn build_identity(settings: &Settings, mode: Mode) -> Result<Identity, Error> {
    let runs_auth = mode.services().contains(&Service::Auth);
    if !runs_auth && let Some(x) = settings.jwt_public_key.as_deref().filter(|k| !k.is_empty()) {
        return Identity::from_jwk_x(x);
    }
    let has_private = settings
        .jwt_private_key
        .as_deref()
        .is_some_and(|k| !k.is_empty());
    if !runs_auth && !has_private {
        // A key generated here would not be auth's: every token would be refused.
        if let Some(auth_url) = settings.service_url(Service::Auth) {
            let x = fetch_auth_public_key(auth_url, JWKS_WAIT).await?;
            return Identity::from_jwk_x(&x);
        }
        if mode != Mode::Single(Service::Web) {
            tracing::warn!(
                "neither JWT_PUBLIC_KEY nor AUTH_URL is set: the {mode} cannot verify auth's \
                 tokens"
            );
        }
    }
    Ok(Identity::new(
        KeyPair::load_or_generate(settings)?.public_bytes(),
    ))
}

/// How long a split service waits at start for auth's JWKS (auth may be starting beside it).
const JWKS_WAIT: Duration = Duration::from_secs(30);

/// The Ed25519 key (`x`) from auth's `/.well-known/jwks.json`, retried until `wait` is over.
pub async fn fetch_auth_public_key(auth_url: &url::Url, wait: Duration) -> Result<String, Error> {
    let client = ServiceClient::http(Service::Auth, auth_url.clone());
    let deadline = Instant::now() + wait;
    loop {
        let last = match client
            .send(
                axum::http::Method::GET,
                "/.well-known/jwks.json",
                axum::http::HeaderMap::default(),
                None,
            )
            .await
        {
            Ok(answer) if answer.status.is_success() => {
                let jwks: serde_json::Value =
                    serde_json::from_slice(&answer.body).map_err(|e| {
                        Error::Config(format!("AUTH_URL: auth's JWKS is unreadable: {e}"))
                    })?;
                let x = jwks["keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|k| k["kty"] == "OKP" && k["crv"] == "Ed25519")
                    .and_then(|k| k["x"].as_str());
                return x.map(str::to_owned).ok_or_else(|| {
                    Error::Config("AUTH_URL: auth's JWKS has no Ed25519 key".into())
                });
            }
            Ok(answer) => format!("answered {}", answer.status),
            Err(err) => err.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(Error::Config(format!(
                "AUTH_URL: could not read auth's public key from {auth_url}: {last} (or set \
                 JWT_PUBLIC_KEY)"
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A service's client: over HTTP when `<SERVICE>_URL` is set, else in-process when this process
/// runs that service, else a start-up error naming the variable.
fn client_for(
    service: Service,
    settings: &Settings,
    routers: &BTreeMap<Service, Router>,
) -> Result<ServiceClient, Error> {
    if let Some(url) = settings.service_url(service) {
        return Ok(ServiceClient::http(service, url.clone()));
    }
    match routers.get(&service) {
        Some(router) => Ok(ServiceClient::in_process(service, router.clone())),
        None => Err(Error::Config(format!(
            "{}_URL: required when the {service} service runs in another process",
            service.env_prefix()
        ))),
    }
}

/// How the microsite service checks QR blocks: by asking qr (in-process or at `QR_URL`). A split
/// microsite service without `QR_URL` still starts, but refuses new QR blocks as unavailable.
fn qr_directory(settings: &Settings, routers: &BTreeMap<Service, Router>) -> Arc<dyn QrDirectory> {
    match client_for(Service::Qr, settings, routers) {
        Ok(client) => Arc::new(QrServiceDirectory::new(client)),
        Err(err) => {
            tracing::warn!(%err, "microsite cannot reach qr: pages with new QR blocks are refused");
            Arc::new(UnreachableQrDirectory)
        }
    }
}

/// Where the microsite service's og:image cards fetch uploaded avatars: the media module, mounted
/// in qr's router (in-process or at `QR_URL`); without it the cards draw initials.
fn og_media(
    settings: &Settings,
    routers: &BTreeMap<Service, Router>,
) -> Arc<dyn microsite::og::MediaSource> {
    match client_for(Service::Qr, settings, routers) {
        Ok(client) => Arc::new(microsite::og::ServiceMedia::new(client)),
        Err(_) => Arc::new(microsite::og::NoMedia),
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub public_base_url: String,
    pub mode: Mode,
    shutdown: Shutdown,
    task: JoinHandle<std::io::Result<()>>,
    budget: Duration,
}

impl Server {
    /// Connects, migrates, binds and starts serving. Port 0 picks a free port (tests).
    pub async fn start(settings: Settings, mode: Mode) -> Result<Server, Error> {
        let settings = Arc::new(settings);
        let port = mode.port(&settings);
        let addr = SocketAddr::new(settings.host, port);
        // Bind first: a port in use should fail before any database work.
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Config(format!("PORT: cannot listen on {addr}: {e}")))?;
        let addr = listener.local_addr()?;
        let public_base_url = settings.public_base_url(addr.port());
        let shutdown = Shutdown::new();
        let router = build(settings.clone(), mode, &public_base_url, &shutdown).await?;

        let stop = shutdown.triggered();
        let options = shared::serve::Options {
            header_read_timeout: settings.header_read_timeout(),
        };
        let task = tokio::spawn(shared::serve::serve(listener, router, options, stop));
        Ok(Server {
            addr,
            public_base_url,
            mode,
            shutdown,
            task,
            budget: settings.shutdown_timeout(),
        })
    }

    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves until shutdown is triggered, then stops accepting, lets in-flight requests finish
    /// and runs the drain hooks — all within the shutdown budget.
    pub async fn run_until_stopped(mut self) -> Result<(), Error> {
        // The serving task ends soon after a shutdown is triggered (the connections were idle),
        // so both branches can be ready at once: the shutdown one is checked first, and a task
        // that ended because of the shutdown still gets the drain. Before, a random pick could
        // skip the drain hooks and lose whatever they would have written.
        let ended = tokio::select! {
            biased;
            () = self.shutdown.triggered() => None,
            result = &mut self.task => Some(result),
        };
        let serving = ended.is_none();
        if let Some(result) = ended
            && !self.shutdown.is_triggered()
        {
            return match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.into()),
                Err(e) => Err(Error::Config(format!("the server stopped: {e}"))),
            };
        }
        let deadline = Instant::now() + self.budget;
        // In-flight requests get most of the budget; the drain hooks the rest.
        let for_requests = self.budget.mul_f32(0.6);
        if serving
            && tokio::time::timeout(for_requests, &mut self.task)
                .await
                .is_err()
        {
            tracing::warn!(
                ?for_requests,
                "in-flight requests did not finish; closing them"
            );
            self.task.abort();
        }
        self.shutdown
            .drain(deadline.saturating_duration_since(Instant::now()))
            .await;
        tracing::info!("stopped");
        Ok(())
    }
}
