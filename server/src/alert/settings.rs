//! What the alert service is told to do (`[alerts]` and each service's
//! `depends_on` in the config file, checked by `config`): rules, channels,
//! routes by team, SMTP and maintenance windows.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::engine::MaintenanceWindow;
use super::rule::Rule;
use crate::common::secret::SecretSource;

#[derive(Clone, Debug, PartialEq)]
pub struct AlertSettings {
    /// How often every rule is evaluated against every service.
    pub evaluate_every: Duration,
    /// How long alerts of one team wait for each other before going out
    /// as one message.
    pub group_wait: Duration,
    /// The dashboard's address, linked from notifications.
    pub dashboard_url: Option<String>,
    /// A channel whose messages have waited this long while its attempts
    /// fail raises an alert of its own, through the other channels.
    pub channel_failing_after: Duration,
    pub rules: Vec<Rule>,
    pub channels: Vec<ChannelSpec>,
    pub routes: Vec<Route>,
    pub smtp: Option<SmtpSettings>,
    pub maintenance: Vec<MaintenanceWindow>,
    /// Service slug → the services it depends on (`depends_on`).
    pub depends_on: BTreeMap<String, Vec<String>>,
}

// Budgets are checked to be finite numbers, so equality is an equivalence.
impl Eq for AlertSettings {}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            evaluate_every: Duration::from_secs(15),
            group_wait: Duration::from_secs(30),
            dashboard_url: None,
            channel_failing_after: Duration::from_secs(15 * 60),
            rules: Vec::new(),
            channels: Vec::new(),
            routes: Vec::new(),
            smtp: None,
            maintenance: Vec::new(),
            depends_on: BTreeMap::new(),
        }
    }
}

impl AlertSettings {
    /// The channels a team's alerts go to: its own route's, else the
    /// default route's.
    pub fn channels_for(&self, team: &str) -> Vec<&ChannelSpec> {
        let route = self
            .routes
            .iter()
            .find(|r| r.team.as_deref() == Some(team))
            .or_else(|| self.routes.iter().find(|r| r.team.is_none()));
        route
            .map(|r| {
                r.channels
                    .iter()
                    .filter_map(|name| self.channels.iter().find(|c| &c.name == name))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    pub name: String,
    pub kind: ChannelKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// JSON body with the events, signed with an HMAC of `secret`.
    Webhook {
        url: SecretSource,
        secret: Option<SecretSource>,
    },
    /// A Slack-compatible incoming webhook.
    Slack { url: SecretSource },
    /// E-mail through `[alerts.smtp]`.
    Email { to: Vec<String> },
}

impl ChannelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Slack { .. } => "slack",
            ChannelKind::Email { .. } => "email",
        }
    }
}

/// Where a team's alerts go; `team: None` is the default route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub team: Option<String>,
    pub channels: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the
    /// server does not offer it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    pub from: String,
    /// A CA certificate (PEM) trusted beside the system's, for relays
    /// with an internal CA.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}
