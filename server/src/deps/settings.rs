//! What the drift service is told to do (`[drift]`, `[registries.*]`,
//! `[github]` and `[git]` in the config file, checked by `config`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::model::Ecosystem;

/// Dependency drift: how often to refresh, where registries and GitHub
/// are, and the names of the environment variables holding credentials.
#[derive(Clone, Debug)]
pub struct DriftConfig {
    pub refresh_interval: Duration,
    pub request_timeout: Duration,
    pub cache_ttl: Duration,
    /// Requests in flight per registry.
    pub concurrency: u32,
    /// Where git repositories are cloned.
    pub cache_dir: PathBuf,
    /// Only the ecosystems whose registry is not the public default.
    pub registries: BTreeMap<Ecosystem, RegistryConfig>,
    pub github_api_url: String,
    pub github_token_env: Option<String>,
    /// Content-creating GitHub requests a minute (`[upgrades] writes_per_minute`).
    pub github_writes_per_minute: u32,
    pub git_token_env: Option<String>,
    /// The hosts the git token is sent to (`[git] token_hosts`; by default
    /// the hosts of the fleet file's `https://` repositories).
    pub git_token_hosts: Vec<String>,
    pub git_ssh_key: Option<PathBuf>,
    /// Libyears over which a service's drift is journaled as over budget.
    pub libyear_budget: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct RegistryConfig {
    pub url: Option<String>,
    pub token_env: Option<String>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            refresh_interval: Duration::from_secs(6 * 3600),
            request_timeout: Duration::from_secs(15),
            cache_ttl: Duration::from_secs(15 * 60),
            concurrency: 16,
            cache_dir: PathBuf::from(".shipshape-cache/repositories"),
            registries: BTreeMap::new(),
            github_api_url: crate::integrations::github::DEFAULT_API_URL.to_string(),
            github_token_env: None,
            github_writes_per_minute: crate::integrations::github::DEFAULT_WRITES_PER_MINUTE,
            git_token_env: None,
            git_token_hosts: Vec::new(),
            git_ssh_key: None,
            libyear_budget: None,
        }
    }
}
