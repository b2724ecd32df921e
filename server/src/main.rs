use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shipshape_server::auth::Role;
use shipshape_server::auth::service::AuthService;
use shipshape_server::common::clock::SystemClock;
use shipshape_server::config::{self, ENV_SETTINGS};
use shipshape_server::deps::scan;
use shipshape_server::serve;
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

/// One line of standard input, without its line ending.
fn password_from_stdin(name: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if std::io::stdin().is_terminal() {
        eprint!("password for {name} (at least 12 characters; it is shown as you type): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
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
    let mut over_budget = false;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve::serve(config, fleet_text, &env).await,
            Command::Scan { target, json } => {
                let now = shipshape_server::common::clock::Clock::now_ms(&SystemClock);
                let result = scan::scan(&target, &config.drift, &env, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot scan {target}: {e}"))?;
                if json {
                    println!(
                        "{}",
                        serde_json::json!({ "dependencies": result.dependencies, "problems": result.problems })
                    );
                } else {
                    print!("{}", scan::render_table(&result, now));
                }
                Ok(())
            }
            Command::Check { target, max_libyear, fail_on } => {
                let now = shipshape_server::common::clock::Clock::now_ms(&SystemClock);
                let result = scan::scan(&target, &config.drift, &env, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot check {target}: {e}"))?;
                print!("{}", scan::render_table(&result, now));
                let reasons = scan::over_budget(&result.dependencies, max_libyear, fail_on.as_deref().and_then(Gap::parse));
                if reasons.is_empty() {
                    println!("within budget");
                } else {
                    for reason in &reasons {
                        println!("over budget: {reason}");
                    }
                    over_budget = true;
                }
                Ok(())
            }
            Command::Upgrade { service, dry_run, json } => {
                let outcome = serve::upgrade_once(&config, &env, service.as_deref(), dry_run).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&outcome)?);
                } else {
                    print!("{}", shipshape_server::upgrade::report::render_outcome(&outcome));
                }
                if outcome.run.status != "done" {
                    over_budget = true;
                }
                Ok(())
            }
            Command::User { action } => {
                let store = serve::open_store(&config).await?;
                let auth = AuthService::new(store.clone(), std::sync::Arc::new(SystemClock), config.fleet.initial.auth.clone());
                match action {
                    UserCommand::Add { name, admin, role } => {
                        let role = if admin { Role::Admin } else { role.as_deref().and_then(Role::parse).unwrap_or(Role::Viewer) };
                        let password = password_from_stdin(&name)?;
                        auth.add_user(&name, &password, role).await?;
                        println!("created {} account {name}", role.name());
                    }
                    UserCommand::Password { name } => {
                        let password = password_from_stdin(&name)?;
                        auth.set_password(&name, &password).await?;
                        println!("changed the password of {name} and ended its sessions");
                    }
                    UserCommand::List => {
                        for account in auth.accounts().await? {
                            let state = match &account.disabled {
                                Some(when) => format!("disabled since {when}"),
                                None => format!("{} live session(s)", account.live_sessions),
                            };
                            let last = account.last_sign_in.as_deref().unwrap_or("never");
                            println!("{:<24} {:<9} last sign-in {last:<20} {state}", account.username, account.role.name());
                        }
                    }
                    UserCommand::Role { name, role } => {
                        let role = Role::parse(&role).unwrap_or(Role::Viewer);
                        auth.set_role(auth.account_id(&name).await?, role).await?;
                        println!("{name} is now {}", role.name());
                    }
                    UserCommand::Disable { name } => {
                        auth.set_disabled(auth.account_id(&name).await?, true).await?;
                        println!("disabled {name} and ended its sessions");
                    }
                    UserCommand::Enable { name } => {
                        auth.set_disabled(auth.account_id(&name).await?, false).await?;
                        println!("enabled {name}");
                    }
                }
                store.close().await;
                Ok(())
            }
            Command::Token { name, role } => {
                let store = serve::open_store(&config).await?;
                let auth = AuthService::new(store.clone(), std::sync::Arc::new(SystemClock), config.fleet.initial.auth.clone());
                let role = Role::parse(&role).unwrap_or(Role::Viewer);
                let created = auth.create_token(&name, role, "command line").await?;
                eprintln!("created {} token {name}; it is shown this once:", role.name());
                println!("{}", created.secret);
                store.close().await;
                Ok(())
            }
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
        Ok(()) if over_budget => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("shipshape: {error:#}");
            ExitCode::FAILURE
        }
    }
}
