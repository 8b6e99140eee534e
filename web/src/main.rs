//! `scanpage`: the one binary. `scanpage` (or `scanpage serve`) runs everything in one process;
//! `scanpage serve --service qr` runs one service; `scanpage migrate` applies migrations.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shared::config::{Service, Settings};
use web::app::{Mode, Server, open_databases};

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
        Command::Migrate => {
            let databases = open_databases(&cli.settings, &Service::ALL).await?;
            for (service, db) in databases {
                println!("{service}: migrations applied ({})", db.backend().name());
            }
            Ok(())
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("scanpage: {message}");
    ExitCode::FAILURE
}
