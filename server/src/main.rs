use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shipshape_server::config::{self, ENV_SETTINGS};
use shipshape_server::serve;
use shipshape_server::telemetry::logging;

/// Shipshape shows, for every service of a fleet, whether it is healthy and
/// how far its dependencies have drifted.
#[derive(Parser)]
#[command(name = "shipshape", version, after_help = env_help())]
struct Cli {
    /// The config file (default: ./shipshape.toml when it exists). It holds
    /// the server settings and the fleet's `[[service]]` tables.
    #[arg(
        long,
        short,
        global = true,
        env = "SHIPSHAPE_CONFIG",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web UI and API, load the fleet file and keep the database in
    /// step with it while running. Applies database migrations first. Stops
    /// gracefully on Ctrl-C or SIGTERM.
    Serve,
    /// Apply pending database migrations and exit (what `serve` does at
    /// start-up), e.g. before rolling out a new version.
    Migrate,
}

fn env_help() -> String {
    let lines: Vec<String> = ENV_SETTINGS
        .iter()
        .map(|(name, what)| format!("  {name:<36} {what}"))
        .collect();
    format!(
        "Settings come from defaults, then the config file, then these environment variables:\n{}\n\nLog level: RUST_LOG (for example RUST_LOG=debug).",
        lines.join("\n")
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();
    let file = config::locate_config_file(cli.config.as_deref());
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let loaded = file
        .as_deref()
        .map(config::read_config_file)
        .transpose()
        .and_then(|text| {
            let (config, warnings) = config::load(file.as_deref().zip(text.as_deref()), &env)?;
            Ok((config, warnings, text))
        });
    let (config, warnings, fleet_text) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("shipshape: invalid configuration: {error}");
            return ExitCode::from(2);
        }
    };
    for warning in warnings {
        tracing::warn!("{warning}");
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("shipshape: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve::serve(config, fleet_text).await,
            Command::Migrate => {
                let store = serve::open_store(&config).await?;
                println!(
                    "{} database {} is up to date ({} migrations known)",
                    store.backend().name(),
                    config.database.url,
                    store.known_migrations().len()
                );
                store.close().await;
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("shipshape: {error:#}");
            ExitCode::FAILURE
        }
    }
}
