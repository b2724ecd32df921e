//! What the upgrade service is told to do (`[upgrades]`, `[upgrades.policy]`,
//! `[upgrades.team.NAME]` and `[service.upgrades]` in the config file,
//! checked by `config`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::policy::{Policy, PolicyLayer};

/// Upgrade settings as read from the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeSettings {
    pub global: PolicyLayer,
    pub teams: BTreeMap<String, PolicyLayer>,
    /// Service slug → its own layer (fleet-file services only).
    pub services: BTreeMap<String, PolicyLayer>,
    pub writes_per_minute: u32,
    /// How often open PRs are checked for merges and closes.
    pub sync_interval: Duration,
    /// How long a wave's services stay merged and healthy before the next tier.
    pub wave_soak: Duration,
    /// The dashboard's address, linked from PR bodies.
    pub dashboard_url: Option<String>,
}

impl Default for UpgradeSettings {
    fn default() -> Self {
        UpgradeSettings {
            global: PolicyLayer::default(),
            teams: BTreeMap::new(),
            services: BTreeMap::new(),
            writes_per_minute: crate::integrations::github::DEFAULT_WRITES_PER_MINUTE,
            sync_interval: Duration::from_secs(5 * 60),
            wave_soak: Duration::from_secs(24 * 3600),
            dashboard_url: None,
        }
    }
}

impl UpgradeSettings {
    /// The policy in force for a service of `team`.
    pub fn policy_for(&self, slug: &str, team: &str) -> Policy {
        let mut policy = Policy::default().with(&self.global);
        if let Some(layer) = self.teams.get(team) {
            policy = policy.with(layer);
        }
        if let Some(layer) = self.services.get(slug) {
            policy = policy.with(layer);
        }
        policy
    }
}
