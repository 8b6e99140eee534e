//! `scanpage`: the one binary. `scanpage` (or `scanpage serve`) runs everything in one process;
//! `scanpage serve --service qr` runs one service; `scanpage migrate` applies migrations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shared::config::{Service, Settings};
use web::app::{Mode, Server, auth_admin, open_databases};

/// See the workspace manifest for why the binary does not use the system allocator. The
/// `system-allocator` feature keeps the system's, for heap profilers that watch `malloc`
/// (`heaptrack`, see docs/performance.md).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "scanpage",
    version,
    about = "Dynamic QR codes, link-in-bio pages and scan analytics"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default): every service, or one with --service.
    Serve {
        /// Run only this service (split mode).
        #[arg(long, env = "SERVICE", value_enum)]
        service: Option<Service>,
    },
    /// Apply every service's migrations and exit.
    Migrate,
    /// Copy the SQLite database(s) to DEST while the server runs (a consistent `VACUUM INTO`
    /// snapshot). PostgreSQL: use pg_dump (docs/operations.md, "Backups").
    Backup {
        /// The copy (a folder when services have separate SQLite files); never overwritten.
        dest: std::path::PathBuf,
    },
    /// Exit 0 when this machine's server answers `GET /healthz` (a container health check
    /// without curl in the image).
    Health {
        /// The service whose port to ask (as `serve --service`).
        #[arg(long, env = "SERVICE", value_enum)]
        service: Option<Service>,
    },
    /// Beta invites.
    Invites {
        #[command(subcommand)]
        command: InvitesCommand,
    },
    /// User accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The signup waitlist.
    Waitlist {
        #[command(subcommand)]
        command: WaitlistCommand,
    },
    /// Demo data for the founder's console.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The email outbox (what was queued, whether or not SMTP delivery is on).
    Email {
        #[command(subcommand)]
        command: EmailCommand,
    },
    /// The token signing key (`JWT_PRIVATE_KEY`).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The gateway table (which path goes to which service).
    Routes {
        #[command(subcommand)]
        command: RoutesCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Create ~30 demo users with six weeks of activity (marked as demo data).
    Seed,
    /// Delete every demo user and their data.
    Clear,
}

#[derive(Subcommand)]
enum EmailCommand {
    /// Print the messages queued for an address, oldest first. Without SMTP this is how a
    /// developer reads a verification or reset link (they are never logged).
    Outbox { to: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new Ed25519 signing key for `JWT_PRIVATE_KEY`: one line of base64, which a
    /// platform's variable field keeps intact (`--pem` prints the PEM instead).
    Generate {
        #[arg(long)]
        pem: bool,
    },
    /// Print the public half of this configuration's key (`JWT_PUBLIC_KEY` for services that run
    /// apart from auth).
    Public,
}

#[derive(Subcommand)]
enum RoutesCommand {
    /// Print the split-mode nginx gateway configuration (committed as deploy/nginx.conf, with
    /// the defaults); `--listen` and `--upstream` render it for other addresses (the smoke test).
    Nginx {
        /// nginx's `listen`: a port or host:port.
        #[arg(long, default_value = "80")]
        listen: String,
        /// Where a service answers, as `service=host:port` (repeatable; default: its compose
        /// host name and default port).
        #[arg(long = "upstream", value_name = "SERVICE=HOST:PORT")]
        upstreams: Vec<String>,
        /// The DNS server nginx asks for the services' names, each time their answer expires
        /// (default: Docker's embedded DNS).
        #[arg(long, default_value = "127.0.0.11")]
        resolver: String,
    },
}

#[derive(Subcommand)]
enum InvitesCommand {
    /// Create N single-use invite codes and print them.
    Create {
        #[arg(default_value_t = 1)]
        count: usize,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Make an account a founder.
    Promote { email: String },
}

#[derive(Subcommand)]
enum WaitlistCommand {
    /// Approve a waitlisted email: prints the invite code to send them.
    Approve { email: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    shared::telemetry::init(cli.settings.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&err.to_string()),
    };
    let result = runtime.block_on(run(cli));
    // Background tasks (bus writers, consumers) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err.to_string()),
    }
}

async fn run(cli: Cli) -> Result<(), shared::Error> {
    match cli.command.unwrap_or(Command::Serve { service: None }) {
        Command::Serve { service } => {
            let mode = service.map_or(Mode::AllInOne, Mode::Single);
            let started = std::time::Instant::now();
            let server = Server::start(cli.settings, mode).await?;
            tracing::info!(addr = %server.addr, elapsed_ms = started.elapsed().as_millis() as u64, "listening");
            println!(
                "Scanpage ({}) is running at {}",
                server.mode, server.public_base_url
            );
            tokio::spawn(server.shutdown().listen_for_signals());
            server.run_until_stopped().await
        }
        Command::Invites {
            command: InvitesCommand::Create { count },
        } => {
            let auth = auth_admin(cli.settings).await?;
            for code in auth
                .create_invites(count.min(auth::beta::MAX_INVITES_PER_BATCH), None)
                .await
                .map_err(cli_error)?
            {
                println!("{code}");
            }
            Ok(())
        }
        Command::Keys { command } => {
            match command {
                KeysCommand::Generate { pem } => {
                    let pair = shared::identity::KeyPair::generate();
                    let key = if pem {
                        pair.to_pkcs8_pem()?
                    } else {
                        pair.to_setting()? + "\n"
                    };
                    print!("{key}");
                }
                KeysCommand::Public => {
                    let pair = shared::identity::KeyPair::load_or_generate(&cli.settings)?;
                    println!(
                        "{}",
                        shared::identity::public_key_setting(&pair.public_bytes())
                    );
                }
            }
            Ok(())
        }
        Command::Users {
            command: UsersCommand::Promote { email },
        } => {
            let auth = auth_admin(cli.settings).await?;
            if auth.promote(&email).await.map_err(cli_error)? {
                println!("{email} is now a founder");
                Ok(())
            } else {
                Err(shared::Error::Config(format!(
                    "no account with the email {email}"
                )))
            }
        }
        Command::Waitlist {
            command: WaitlistCommand::Approve { email },
        } => {
            let auth = auth_admin(cli.settings).await?;
            match auth.approve_waitlisted(&email).await.map_err(cli_error)? {
                Some(code) => {
                    println!("{code}");
                    Ok(())
                }
                None => Err(shared::Error::Config(format!(
                    "{email} is not waiting on the waitlist"
                ))),
            }
        }
        Command::Demo { command } => {
            let settings = std::sync::Arc::new(cli.settings);
            let port = settings.port_for(None);
            let public_base_url = settings.public_base_url(port);
            let shutdown = shared::shutdown::Shutdown::new();
            let (_, handles) =
                web::app::assemble(settings, Mode::AllInOne, &public_base_url, &shutdown).await?;
            match command {
                DemoCommand::Seed => {
                    let s = web::demo::seed(&handles, &shutdown).await?;
                    println!(
                        "Seeded demo data: {} users, {} QR codes, {} scans, {} microsites, {} \
                         feedback messages, {} plan choices, {} interview opt-ins.\nRemove it \
                         with `scanpage demo clear`.",
                        s.users,
                        s.qr_codes,
                        s.scans,
                        s.microsites,
                        s.feedback,
                        s.plans,
                        s.interviews
                    );
                }
                DemoCommand::Clear => {
                    let n = web::demo::clear(&handles, &shutdown).await?;
                    println!("Deleted {n} demo users and their data.");
                }
            }
            Ok(())
        }
        Command::Email {
            command: EmailCommand::Outbox { to },
        } => {
            let databases = open_databases(&cli.settings, &[Service::Auth]).await?;
            if let Some(db) = databases.get(&Service::Auth) {
                let outbox = email::Outbox::new(db.pool().clone());
                for body in outbox.bodies_for(&to.trim().to_lowercase()).await? {
                    println!("{body}\n---");
                }
            }
            Ok(())
        }
        Command::Routes {
            command:
                RoutesCommand::Nginx {
                    listen,
                    upstreams,
                    resolver,
                },
        } => {
            print!("{}", nginx_gateway(&listen, &upstreams, &resolver)?);
            Ok(())
        }
        Command::Backup { dest } => {
            for copied in web::backup::backup(&cli.settings, &dest).await? {
                let services: Vec<&str> = copied.services.iter().map(|s| s.name()).collect();
                println!("{} -> {}", services.join(","), copied.to.display());
            }
            Ok(())
        }
        Command::Health { service } => {
            let port = cli.settings.port_for(service);
            let host = if cli.settings.host.is_unspecified() {
                std::net::IpAddr::from([127, 0, 0, 1])
            } else {
                cli.settings.host
            };
            let base = format!("http://{}/", std::net::SocketAddr::new(host, port));
            let url = url::Url::parse(&base).map_err(|e| shared::Error::Config(e.to_string()))?;
            let client = shared::client::ServiceClient::http(service.unwrap_or(Service::Web), url);
            let answer = client
                .send(
                    axum::http::Method::GET,
                    "/healthz",
                    axum::http::HeaderMap::default(),
                    None,
                )
                .await
                .map_err(|e| shared::Error::Config(format!("{base}healthz: {e}")))?;
            if answer.status.is_success() {
                Ok(())
            } else {
                Err(shared::Error::Config(format!(
                    "{base}healthz: {}",
                    answer.status
                )))
            }
        }
        Command::Migrate => {
            let databases = open_databases(&cli.settings, &Service::ALL).await?;
            for (service, db) in databases {
                println!("{service}: migrations applied ({})", db.backend().name());
            }
            Ok(())
        }
    }
}

/// `scanpage routes nginx` with its `--listen` / `--upstream service=host:port` options.
fn nginx_gateway(
    listen: &str,
    upstreams: &[String],
    resolver: &str,
) -> Result<String, shared::Error> {
    use clap::ValueEnum as _;
    use shared::routing::{Gateway, nginx_config_for};
    let config = |e: String| shared::Error::Config(format!("routes nginx: {e}"));
    let mut gateway = Gateway::default()
        .listen(listen)
        .and_then(|g| g.resolver(resolver))
        .map_err(config)?;
    for upstream in upstreams {
        let (name, addr) = upstream.split_once('=').ok_or_else(|| {
            config(format!(
                "--upstream {upstream:?}: expected service=host:port"
            ))
        })?;
        let service = Service::from_str(name, true).map_err(config)?;
        gateway = gateway.upstream(service, addr).map_err(config)?;
    }
    Ok(nginx_config_for(&gateway))
}

fn cli_error(err: auth::AuthError) -> shared::Error {
    shared::Error::Config(shared::ApiError::from(err).message().to_owned())
}

fn fail(message: &str) -> ExitCode {
    eprintln!("scanpage: {message}");
    ExitCode::FAILURE
}
