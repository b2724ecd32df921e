use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shipshape_server::auth::Role;
use shipshape_server::config::{self, ENV_SETTINGS};
use shipshape_server::serve;
use shipshape_server::serve::commands::{self, UserAction};
use shipshape_server::telemetry::logging;
use shipshape_types::drift::Gap;

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
    /// Print the dependency drift of one repository (a path, a git URL or
    /// github:owner/repo), without a server or a database.
    Scan {
        /// The repository to read.
        target: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Plan upgrade PRs for the fleet (or one service) and open or update
    /// them on GitHub now; with --dry-run, print the branches, diffs and PR
    /// texts that would be written and write nothing. Uses the database and
    /// fleet file the server uses.
    Upgrade {
        /// Only this service (its slug).
        #[arg(long, value_name = "SLUG")]
        service: Option<String>,
        /// Show what would be written; write nothing to GitHub.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Like scan, but exit with status 1 when the repository is over its
    /// drift budget (for CI).
    Check {
        target: String,
        /// Fail when the total libyears exceed this.
        #[arg(long, value_name = "YEARS")]
        max_libyear: Option<f64>,
        /// Fail when any dependency is this far behind or further.
        #[arg(long, value_parser = ["patch", "minor", "major"])]
        fail_on: Option<String>,
    },
    /// Manage accounts: `user add --admin NAME` creates the first admin.
    /// The password is read from standard input (one line).
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Create an API token for scripts and CI (sent as
    /// `Authorization: Bearer TOKEN`); the token is printed once.
    Token {
        /// What the token is for, e.g. `ci-registration`.
        name: String,
        #[arg(long, value_parser = ["viewer", "operator", "admin"], default_value = "viewer")]
        role: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (a viewer unless --role or --admin says otherwise).
    Add {
        name: String,
        /// Make the account an admin (same as --role admin).
        #[arg(long)]
        admin: bool,
        #[arg(long, value_parser = ["viewer", "operator", "admin"], conflicts_with = "admin")]
        role: Option<String>,
    },
    /// Set a new password (read from standard input) and end the
    /// account's sessions.
    Password { name: String },
    /// List the accounts with their role and state.
    List,
    /// Give an account another role (the last enabled admin keeps theirs).
    Role {
        name: String,
        #[arg(value_parser = ["viewer", "operator", "admin"])]
        role: String,
    },
    /// Disable an account: its sessions end and it cannot sign in.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
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
    let config = &config;
    let env = &env;
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve::serve(config.clone(), fleet_text, env)
                .await
                .map(|()| true),
            Command::Scan { target, json } => commands::scan(config, env, &target, json).await,
            Command::Check {
                target,
                max_libyear,
                fail_on,
            } => {
                let fail_on = fail_on.as_deref().and_then(Gap::parse);
                commands::check(config, env, &target, max_libyear, fail_on).await
            }
            Command::Upgrade {
                service,
                dry_run,
                json,
            } => commands::upgrade(config, env, service.as_deref(), dry_run, json).await,
            Command::User { action } => commands::user(config, action.into()).await,
            Command::Token { name, role } => {
                commands::token(config, &name, role_named(&role)).await
            }
            Command::Migrate => commands::migrate(config).await,
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("shipshape: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A role clap has already checked.
fn role_named(text: &str) -> Role {
    Role::parse(text).unwrap_or(Role::Viewer)
}

impl From<UserCommand> for UserAction {
    fn from(command: UserCommand) -> UserAction {
        match command {
            UserCommand::Add { name, admin, role } => UserAction::Add {
                name,
                role: if admin {
                    Role::Admin
                } else {
                    role.as_deref().map_or(Role::Viewer, role_named)
                },
            },
            UserCommand::Password { name } => UserAction::Password { name },
            UserCommand::List => UserAction::List,
            UserCommand::Role { name, role } => UserAction::Role {
                name,
                role: role_named(&role),
            },
            UserCommand::Disable { name } => UserAction::Disable { name },
            UserCommand::Enable { name } => UserAction::Enable { name },
        }
    }
}
