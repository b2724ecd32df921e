//! What the alert capability keeps and reads, as plain records: the store
//! fills them, the pure rules, engine and report read them.

use super::outbox::Pending;
use crate::store::{EventType, StoredEvent};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAlert {
    pub id: i64,
    pub rule: String,
    pub service: String,
    pub team: String,
    pub severity: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub summary: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    pub firing_event: i64,
    pub notified_ms: Option<i64>,
    pub held_reason: Option<String>,
}

/// An alert about to fire.
#[derive(Clone, Debug)]
pub struct NewAlert<'a> {
    pub rule: &'a str,
    pub service: &'a str,
    pub team: &'a str,
    pub severity: &'a str,
    pub summary: &'a str,
    pub held_reason: Option<&'a str>,
    /// Where the alert is seen on the dashboard (in the event).
    pub link: Option<&'a str>,
}

/// The health of the endpoints, as alert rules read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointHealthFacts {
    pub service: String,
    pub url: String,
    pub state: Option<String>,
    pub since_ms: Option<i64>,
    pub failing_checks: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    /// Never shown in full: see `web::alert_api`.
    pub url: String,
    pub secret: Option<String>,
    pub types: Vec<EventType>,
    pub created_ms: i64,
    pub cursor: i64,
}

/// A delivery target's health and breaker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetState {
    pub target: String,
    pub consecutive_failures: i64,
    pub open_until_ms: Option<i64>,
    pub last_attempt_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub last_failure_ms: Option<i64>,
    pub last_error: Option<String>,
    pub delivered: i64,
    pub failed: i64,
    /// Deliveries waiting now.
    pub pending: i64,
}

/// A pending delivery with the event it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingDelivery {
    pub pending: Pending,
    /// `firing`, `reminder`, `resolved` or `event`.
    pub kind: String,
    pub event: StoredEvent,
}
