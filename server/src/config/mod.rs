//! Shipshape's configuration: typed, loaded once at start-up, in three
//! layers: defaults, then the file (`shipshape.toml`), then `SHIPSHAPE_*`
//! environment variables. Only the fleet part of the file is read again while
//! running (see `fleet::watch`).

pub mod alerts;
pub mod auth;
mod file;
mod upgrades;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::secret::DatabaseUrl;
use crate::deps::settings::DriftConfig;
pub use file::{DriftSettings, FileSettings, FleetFile, parse_fleet_file};

use crate::common::duration::parse_duration;
use crate::deps::model::Ecosystem;

pub const DEFAULT_CONFIG_FILE: &str = "shipshape.toml";

#[derive(Clone, Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub fleet: FleetConfig,
    pub drift: DriftConfig,
    /// Simulated healthchecks the demo fleet polls (see `demo`).
    pub demo_healthchecks: Vec<crate::demo::SimulatedHealthcheck>,
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where cargo-leptos put the wasm bundle, the JS glue and the CSS.
    pub site_root: PathBuf,
    /// Timeouts and the connection limit of the listener.
    pub limits: crate::common::listener::ListenerLimits,
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    pub url: DatabaseUrl,
    pub max_connections: u32,
}

#[derive(Clone, Debug)]
pub struct FleetConfig {
    /// The file the fleet was read from; `None` when Shipshape runs without one.
    pub file: Option<PathBuf>,
    /// How often the fleet file is checked for changes.
    pub watch_interval: Duration,
    /// The fleet as read at start-up.
    pub initial: FleetFile,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
                site_root: PathBuf::from("target/site"),
                limits: Default::default(),
            },
            database: DatabaseConfig {
                url: DatabaseUrl::new("sqlite://shipshape.db"),
                max_connections: 8,
            },
            fleet: FleetConfig {
                file: None,
                watch_interval: Duration::from_secs(2),
                initial: FleetFile::default(),
            },
            drift: DriftConfig::default(),
            demo_healthchecks: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A syntax error, an unknown key, a wrong type or an invalid value.
    #[error("{path}:{line}:{column}: {key}: {message}", path = .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

/// The environment variables Shipshape reads, and what each sets.
pub const ENV_SETTINGS: &[(&str, &str)] = &[
    ("SHIPSHAPE_CONFIG", "path of the config file"),
    ("SHIPSHAPE_LISTEN", "server.listen"),
    ("SHIPSHAPE_SITE_ROOT", "server.site_root"),
    ("SHIPSHAPE_DATABASE_URL", "database.url"),
    (
        "SHIPSHAPE_ADMIN_USER",
        "the first admin's name, created on a database without accounts",
    ),
    (
        "SHIPSHAPE_ADMIN_PASSWORD",
        "the first admin's password (at least 12 characters)",
    ),
    (
        "SHIPSHAPE_DATABASE_MAX_CONNECTIONS",
        "database.max_connections",
    ),
    ("SHIPSHAPE_FLEET_WATCH_INTERVAL", "fleet.watch_interval"),
    ("SHIPSHAPE_DRIFT_REFRESH_INTERVAL", "drift.refresh_interval"),
    ("SHIPSHAPE_DRIFT_CACHE_DIR", "drift.cache_dir"),
    ("SHIPSHAPE_GITHUB_API_URL", "github.api_url"),
    ("SHIPSHAPE_REGISTRY_CARGO_URL", "registries.cargo.url"),
    ("SHIPSHAPE_REGISTRY_NPM_URL", "registries.npm.url"),
    ("SHIPSHAPE_REGISTRY_PYTHON_URL", "registries.python.url"),
    ("SHIPSHAPE_REGISTRY_GO_URL", "registries.go.url"),
    ("SHIPSHAPE_REGISTRY_RUBY_URL", "registries.ruby.url"),
    ("SHIPSHAPE_REGISTRY_MAVEN_URL", "registries.maven.url"),
];

/// Variables with Shipshape's prefix that belong to its scripts and test
/// suite, not to the server; they are not reported as typos.
const TOOLING_ENV: &[&str] = &["SHIPSHAPE_TOOLS_DIR", "SHIPSHAPE_CHROMIUM", "SHIPSHAPE_BIN"];
const TOOLING_ENV_PREFIX: &str = "SHIPSHAPE_TEST_";

/// Where the config file comes from: the `--config` flag (or
/// `SHIPSHAPE_CONFIG`, which clap reads into the same flag), else
/// `shipshape.toml` in the working directory when there is one.
pub fn locate_config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => {
            let default = PathBuf::from(DEFAULT_CONFIG_FILE);
            default.is_file().then_some(default)
        }
    }
}

/// Reads the config file's text. The caller keeps it: the fleet watcher
/// compares later versions of the file against exactly what was loaded.
pub fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the whole configuration from the config file's path and text (see
/// [`read_config_file`]), if there is one. `env` is passed in (not read
/// here) so that tests can give their own.
pub fn load(
    file: Option<(&Path, &str)>,
    env: &BTreeMap<String, String>,
) -> Result<(Config, Vec<String>), ConfigError> {
    let mut config = Config::default();
    if let Some((path, text)) = file {
        let parsed = parse_fleet_file(path, text)?;
        parsed.settings.apply_to(&mut config);
        config.drift.github_writes_per_minute = parsed.upgrades.writes_per_minute;
        config.fleet.file = Some(path.to_path_buf());
        config.fleet.initial = parsed;
    }
    let warnings = apply_env(&mut config, env)?;
    Ok((config, warnings))
}

/// Applies `SHIPSHAPE_*` variables; returns a warning for each variable that
/// looks like a setting but is not one (most often a typo).
fn apply_env(
    config: &mut Config,
    env: &BTreeMap<String, String>,
) -> Result<Vec<String>, ConfigError> {
    let invalid = |var: &str, message: String| ConfigError::Env {
        var: var.to_string(),
        message,
    };
    let mut warnings = Vec::new();
    for (var, value) in env.iter().filter(|(k, _)| k.starts_with("SHIPSHAPE_")) {
        match var.as_str() {
            "SHIPSHAPE_CONFIG" => {}
            "SHIPSHAPE_LISTEN" => {
                config.server.listen = value.parse().map_err(|_| {
                    invalid(
                        var,
                        format!("`{value}` is not an address like 127.0.0.1:3000"),
                    )
                })?;
            }
            "SHIPSHAPE_SITE_ROOT" => config.server.site_root = PathBuf::from(value),
            // Read by `serve` on a database without accounts.
            "SHIPSHAPE_ADMIN_USER" | "SHIPSHAPE_ADMIN_PASSWORD" => {}
            "SHIPSHAPE_DATABASE_URL" => config.database.url = DatabaseUrl::new(value.clone()),
            "SHIPSHAPE_DATABASE_MAX_CONNECTIONS" => {
                config.database.max_connections =
                    value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        invalid(var, format!("`{value}` is not a positive whole number"))
                    })?;
            }
            "SHIPSHAPE_FLEET_WATCH_INTERVAL" => {
                config.fleet.watch_interval =
                    parse_duration(value).map_err(|message| invalid(var, message))?;
            }
            "SHIPSHAPE_DRIFT_REFRESH_INTERVAL" => {
                config.drift.refresh_interval =
                    parse_duration(value).map_err(|message| invalid(var, message))?;
            }
            "SHIPSHAPE_DRIFT_CACHE_DIR" => config.drift.cache_dir = PathBuf::from(value),
            "SHIPSHAPE_GITHUB_API_URL" => config.drift.github_api_url = value.clone(),
            registry
                if registry.starts_with("SHIPSHAPE_REGISTRY_")
                    && registry.ends_with("_URL")
                    && Ecosystem::from_config_name(
                        &registry["SHIPSHAPE_REGISTRY_".len()..registry.len() - 4]
                            .to_ascii_lowercase(),
                    )
                    .is_some() =>
            {
                let name =
                    registry["SHIPSHAPE_REGISTRY_".len()..registry.len() - 4].to_ascii_lowercase();
                if let Some(ecosystem) = Ecosystem::from_config_name(&name) {
                    config.drift.registries.entry(ecosystem).or_default().url =
                        Some(value.trim_end_matches('/').to_string());
                }
            }
            tooling
                if TOOLING_ENV.contains(&tooling) || tooling.starts_with(TOOLING_ENV_PREFIX) => {}
            unknown => {
                let known: Vec<&str> = ENV_SETTINGS.iter().map(|(name, _)| *name).collect();
                let hint = crate::common::suggest::closest(unknown, &known)
                    .map(|k| format!("; did you mean {k}?"))
                    .unwrap_or_default();
                warnings.push(format!(
                    "ignoring environment variable {unknown}: it is not a Shipshape setting{hint}"
                ));
            }
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_file_or_env() {
        let (config, warnings) = load(None, &env(&[])).expect("defaults load");
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database.url.expose(), "sqlite://shipshape.db");
        assert!(config.fleet.initial.services.is_empty());
        assert!(warnings.is_empty());
    }

    #[test]
    fn environment_overrides_and_validates() {
        let (config, _) = load(
            None,
            &env(&[
                ("SHIPSHAPE_LISTEN", "0.0.0.0:8080"),
                ("SHIPSHAPE_DATABASE_URL", "postgres://u:pw@h/db"),
            ]),
        )
        .expect("env applies");
        assert_eq!(config.server.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(
            config.database.url.redacted(),
            "postgres://u:[redacted]@h/db"
        );

        let error = load(None, &env(&[("SHIPSHAPE_LISTEN", "localhost")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "environment variable SHIPSHAPE_LISTEN: `localhost` is not an address like 127.0.0.1:3000"
        );
    }

    #[test]
    fn misspelt_environment_variable_is_named_with_a_suggestion() {
        let (_, warnings) = load(None, &env(&[("SHIPSHAPE_DATABSE_URL", "x")])).expect("loads");
        assert_eq!(
            warnings,
            [
                "ignoring environment variable SHIPSHAPE_DATABSE_URL: it is not a Shipshape setting; did you mean SHIPSHAPE_DATABASE_URL?"
            ]
        );
    }

    #[test]
    fn variables_of_the_scripts_and_tests_are_not_typos() {
        let (_, warnings) = load(
            None,
            &env(&[
                ("SHIPSHAPE_TOOLS_DIR", "/x"),
                ("SHIPSHAPE_TEST_POSTGRES_URL", "postgres://h/db"),
            ]),
        )
        .expect("loads");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn debug_output_of_config_never_shows_the_database_password() {
        let (config, _) = load(
            None,
            &env(&[("SHIPSHAPE_DATABASE_URL", "postgres://u:s3cr3t@h/db")]),
        )
        .expect("loads");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
