//! Alerts, rules, channels, silences and the event journal as the UI and
//! the API show them. Shared by the server (which fills them) and the
//! browser; no I/O here.

use serde::{Deserialize, Serialize};

/// One alert: a rule holding for a service, firing or resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertView {
    pub id: i64,
    pub rule: String,
    pub service: String,
    pub team: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub summary: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    /// Whether the owners were told.
    pub notified: bool,
    /// Why they were not (yet): a silence, a maintenance window, a
    /// dependency that is down.
    pub held_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleView {
    pub name: String,
    /// `unhealthy`, `degraded`, `drift`, `major_behind`, `yanked`,
    /// `vulnerable` or `pr_open`.
    pub kind: String,
    pub condition: String,
    pub scope: String,
    pub severity: String,
    /// `every 4 h` when reminders are on.
    pub repeat: Option<String>,
    pub firing: usize,
}

/// Where notifications go, and how that is going.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelView {
    pub name: String,
    /// `webhook`, `slack`, `email` or `subscription`.
    pub kind: String,
    /// Which teams' alerts it receives (`default` for the default route);
    /// for a subscription, the event types.
    pub receives: String,
    /// `ok`, `idle` (nothing sent yet), `failing`, `paused` (its breaker
    /// is open) or `misconfigured`.
    pub status: String,
    /// The last error, or what is wrong with its configuration.
    pub problem: Option<String>,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
    pub last_success_ms: Option<i64>,
    pub last_failure_ms: Option<i64>,
    pub paused_until_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SilenceView {
    pub id: i64,
    pub rule: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    pub comment: String,
    pub created_ms: i64,
    pub ends_ms: i64,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceView {
    pub name: String,
    pub scope: String,
    pub when: String,
    pub active: bool,
}

/// A journal event, for the history list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub id: i64,
    pub event_type: crate::journal::EventType,
    pub service: Option<String>,
    pub at_ms: i64,
    pub summary: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertsOverview {
    pub firing: Vec<AlertView>,
    pub resolved: Vec<AlertView>,
    pub rules: Vec<RuleView>,
    pub channels: Vec<ChannelView>,
    pub silences: Vec<SilenceView>,
    pub maintenance: Vec<MaintenanceView>,
    pub events: Vec<EventView>,
}

/// A silence to create. Empty matchers match everything of their kind;
/// at least one must be given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    pub rule: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    /// How long, like `2h` or `30m`.
    pub duration: String,
    pub comment: String,
}

/// A subscription to the event journal (`POST /api/v1/subscriptions`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// Where the events are POSTed (http or https).
    pub url: String,
    /// Signs each delivery (HMAC-SHA256) when given.
    pub secret: Option<String>,
    /// Only these event types; all when empty.
    #[serde(default)]
    pub types: Vec<String>,
}

/// A subscription as shown: the URL reduced to its host, the secret never.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionView {
    pub id: i64,
    pub url: String,
    pub types: Vec<crate::journal::EventType>,
    pub signed: bool,
    pub created_ms: i64,
}

/// The id of something just created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Created {
    pub id: i64,
}

/// What became of a silence asked for from the page: its id, or what is
/// wrong with the request (a person's mistake, not a server failure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SilenceOutcome {
    pub id: Option<i64>,
    pub problem: Option<String>,
}
