//! The command line's commands besides `serve`: each opens what it needs
//! (the database, the registries), does one thing and reports it on
//! standard output. `Ok(false)` means "done, but over budget" (exit 1).

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use shipshape_types::drift::Gap;
use shipshape_types::upgrades::{RunCause, RunOutcomeView, RunStatus};

use super::services::{drift_and_upgrades, open_store};
use crate::auth::Role;
use crate::auth::service::AuthService;
use crate::common::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::deps::scan;
use crate::fleet::FleetService;

/// `shipshape scan TARGET [--json]`.
pub async fn scan(
    config: &Config,
    env: &BTreeMap<String, String>,
    target: &str,
    json: bool,
) -> anyhow::Result<bool> {
    let now = SystemClock.now_ms();
    let result = scan::scan(target, &config.drift, env, now)
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
    Ok(true)
}

/// `shipshape check TARGET [--max-libyear N] [--fail-on GAP]`: false when
/// the repository is over its budget.
pub async fn check(
    config: &Config,
    env: &BTreeMap<String, String>,
    target: &str,
    max_libyear: Option<f64>,
    fail_on: Option<Gap>,
) -> anyhow::Result<bool> {
    let now = SystemClock.now_ms();
    let result = scan::scan(target, &config.drift, env, now)
        .await
        .map_err(|e| anyhow::anyhow!("cannot check {target}: {e}"))?;
    print!("{}", scan::render_table(&result, now));
    let reasons = scan::over_budget(&result.dependencies, max_libyear, fail_on);
    if reasons.is_empty() {
        println!("within budget");
    }
    for reason in &reasons {
        println!("over budget: {reason}");
    }
    Ok(reasons.is_empty())
}

/// One upgrade run from the command line, against the server's database
/// and fleet file (`shipshape upgrade`); false when it did not finish.
pub async fn upgrade(
    config: &Config,
    env: &BTreeMap<String, String>,
    service: Option<&str>,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<bool> {
    let store = open_store(config).await?;
    if let Some(path) = &config.fleet.file {
        FleetService::new(store.clone(), Arc::new(SystemClock))
            .sync_from_file(path, &config.fleet.initial.services)
            .await
            .with_context(|| format!("storing the fleet from {}", path.display()))?;
    }
    let (_, upgrades) = drift_and_upgrades(&store, config, env);
    upgrades.recover().await?;
    let outcome: RunOutcomeView = upgrades
        .run(RunCause::Manual, service, dry_run, true)
        .await?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", crate::upgrade::report::render_outcome(&outcome));
    }
    Ok(outcome.run.status == RunStatus::Done)
}

/// What `shipshape user …` does.
pub enum UserAction {
    Add { name: String, role: Role },
    Password { name: String },
    List,
    Role { name: String, role: Role },
    Disable { name: String },
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

/// `shipshape user add|password|list|role|disable|enable`.
pub async fn user(config: &Config, action: UserAction) -> anyhow::Result<bool> {
    let store = open_store(config).await?;
    let auth = AuthService::new(
        store.clone(),
        Arc::new(SystemClock),
        config.fleet.initial.auth.clone(),
    );
    match action {
        UserAction::Add { name, role } => {
            let password = password_from_stdin(&name)?;
            auth.add_user(&name, &password, role).await?;
            println!("created {} account {name}", role.name());
        }
        UserAction::Password { name } => {
            let password = password_from_stdin(&name)?;
            auth.set_password(&name, &password).await?;
            println!("changed the password of {name} and ended its sessions");
        }
        UserAction::List => {
            for account in auth.accounts().await? {
                let state = match &account.disabled {
                    Some(when) => format!("disabled since {when}"),
                    None => format!("{} live session(s)", account.live_sessions),
                };
                let last = account.last_sign_in.as_deref().unwrap_or("never");
                println!(
                    "{:<24} {:<9} last sign-in {last:<20} {state}",
                    account.username,
                    account.role.name()
                );
            }
        }
        UserAction::Role { name, role } => {
            auth.set_role(auth.account_id(&name).await?, role).await?;
            println!("{name} is now {}", role.name());
        }
        UserAction::Disable { name } => {
            auth.set_disabled(auth.account_id(&name).await?, true)
                .await?;
            println!("disabled {name} and ended its sessions");
        }
        UserAction::Enable { name } => {
            auth.set_disabled(auth.account_id(&name).await?, false)
                .await?;
            println!("enabled {name}");
        }
    }
    store.close().await;
    Ok(true)
}

/// `shipshape token NAME --role ROLE`: the secret is printed once.
pub async fn token(config: &Config, name: &str, role: Role) -> anyhow::Result<bool> {
    let store = open_store(config).await?;
    let auth = AuthService::new(
        store.clone(),
        Arc::new(SystemClock),
        config.fleet.initial.auth.clone(),
    );
    let created = auth
        .create_token(name, role, "command line", None, None)
        .await?;
    eprintln!(
        "created {} token {name}; it is shown this once:",
        role.name()
    );
    println!("{}", created.secret);
    store.close().await;
    Ok(true)
}

/// `shipshape migrate`.
pub async fn migrate(config: &Config) -> anyhow::Result<bool> {
    let store = open_store(config).await?;
    println!(
        "{} database {} is up to date ({} migrations known)",
        store.backend().name(),
        config.database.url,
        store.known_migrations().len()
    );
    store.close().await;
    Ok(true)
}
