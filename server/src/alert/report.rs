//! The Alerts page, assembled from what the store holds and what the
//! config says: alerts, rules with how many fire, channels and
//! subscriptions with their delivery health, silences, maintenance windows
//! and the newest journal events. Pure, like `health::report`.

use std::collections::BTreeMap;

use shipshape_types::alerts::{
    AlertView, AlertsOverview, ChannelView, EventView, MaintenanceView, RuleView, SilenceView,
};
use shipshape_types::format::utc_timestamp;
use shipshape_types::health::duration_words;

use super::engine::{Silence, WindowTime};
use super::records::{StoredAlert, Subscription, TargetState};
use super::rule::ms_of;
use super::settings::AlertSettings;
use crate::common::url::redacted_url;
use crate::store::{EventType, StoredEvent};

/// What the page is made from.
pub struct PageFacts<'a> {
    pub now_ms: i64,
    pub settings: &'a AlertSettings,
    /// A channel's target (`channel:NAME`) → what is wrong with its setup.
    pub channel_problems: BTreeMap<String, String>,
    pub firing: Vec<StoredAlert>,
    pub resolved: Vec<StoredAlert>,
    /// Delivery target → its health and breaker.
    pub targets: BTreeMap<String, TargetState>,
    pub subscriptions: Vec<Subscription>,
    /// Active silences and those that ended lately, newest first.
    pub silences: Vec<Silence>,
    /// Newest first.
    pub events: Vec<StoredEvent>,
}

/// The delivery target of a configured channel.
pub fn target_of(channel: &str) -> String {
    format!("channel:{channel}")
}

pub fn alerts_page(facts: &PageFacts<'_>) -> AlertsOverview {
    let firing: Vec<AlertView> = facts.firing.iter().map(alert_view).collect();
    AlertsOverview {
        rules: rule_views(facts.settings, &firing),
        channels: channel_views(facts),
        silences: facts
            .silences
            .iter()
            .map(|s| silence_view(s, facts.now_ms))
            .collect(),
        maintenance: facts
            .settings
            .maintenance
            .iter()
            .map(|w| MaintenanceView {
                name: w.name.clone(),
                scope: w.scope.describe(),
                when: match &w.when {
                    WindowTime::Once { start_ms, end_ms } => {
                        format!("{} to {}", utc_timestamp(*start_ms), utc_timestamp(*end_ms))
                    }
                    WindowTime::Recurring { schedule, duration } => format!(
                        "`{}` ({}) for {}",
                        schedule.expression,
                        schedule.time_zone,
                        duration_words(ms_of(*duration))
                    ),
                },
                active: w.active(facts.now_ms),
            })
            .collect(),
        events: facts
            .events
            .iter()
            .map(|e| EventView {
                id: e.id,
                event_type: e.event_type,
                service: e.service.clone(),
                at_ms: e.at_ms,
                summary: event_summary(e),
            })
            .collect(),
        resolved: facts.resolved.iter().map(alert_view).collect(),
        firing,
    }
}

fn rule_views(settings: &AlertSettings, firing: &[AlertView]) -> Vec<RuleView> {
    settings
        .rules
        .iter()
        .map(|rule| RuleView {
            name: rule.name.clone(),
            kind: rule.condition.kind().into(),
            condition: rule.condition.describe(),
            scope: rule.scope.describe(),
            severity: rule.severity.name().into(),
            repeat: rule
                .repeat
                .map(|r| format!("every {}", duration_words(ms_of(r)))),
            firing: firing.iter().filter(|a| a.rule == rule.name).count(),
        })
        .collect()
}

/// A delivery target's state in words: misconfigured, paused (its breaker
/// is open), failing, ok, or idle (nothing sent yet); with the problem.
fn delivery_status(
    state: Option<&TargetState>,
    problem: Option<&String>,
    now_ms: i64,
) -> (String, Option<String>) {
    if let Some(problem) = problem {
        return ("misconfigured".into(), Some(problem.clone()));
    }
    match state {
        None => ("idle".into(), None),
        Some(state) if state.open_until_ms.is_some_and(|u| u > now_ms) => {
            ("paused".into(), state.last_error.clone())
        }
        Some(state) if state.consecutive_failures > 0 => {
            ("failing".into(), state.last_error.clone())
        }
        Some(state) if state.last_success_ms.is_some() => ("ok".into(), None),
        Some(_) => ("idle".into(), None),
    }
}

fn channel_views(facts: &PageFacts<'_>) -> Vec<ChannelView> {
    let view = |name: String, kind: &str, receives: String, target: String| {
        let state = facts.targets.get(&target);
        let (status, problem) =
            delivery_status(state, facts.channel_problems.get(&target), facts.now_ms);
        let state = state.cloned().unwrap_or_default();
        ChannelView {
            name,
            kind: kind.into(),
            receives,
            status,
            problem,
            delivered: state.delivered,
            failed: state.failed,
            pending: state.pending,
            last_success_ms: state.last_success_ms,
            last_failure_ms: state.last_failure_ms,
            paused_until_ms: state.open_until_ms.filter(|u| *u > facts.now_ms),
        }
    };
    let settings = facts.settings;
    let channels = settings.channels.iter().map(|channel| {
        let teams: Vec<String> = settings
            .routes
            .iter()
            .filter(|r| r.channels.contains(&channel.name))
            .map(|r| r.team.clone().unwrap_or_else(|| "default".into()))
            .collect();
        view(
            channel.name.clone(),
            channel.kind.name(),
            if teams.is_empty() {
                "no route".into()
            } else {
                teams.join(", ")
            },
            target_of(&channel.name),
        )
    });
    let subscriptions = facts.subscriptions.iter().map(|subscription| {
        view(
            format!(
                "subscription {} ({})",
                subscription.id,
                redacted_url(&subscription.url)
            ),
            "subscription",
            if subscription.types.is_empty() {
                "every event".into()
            } else {
                subscription
                    .types
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            format!("subscription:{}", subscription.id),
        )
    });
    channels.chain(subscriptions).collect()
}

pub fn silence_view(silence: &Silence, now_ms: i64) -> SilenceView {
    SilenceView {
        active: silence.active(now_ms),
        id: silence.id,
        rule: silence.rule.clone(),
        service: silence.service.clone(),
        team: silence.team.clone(),
        comment: silence.comment.clone(),
        created_ms: silence.created_ms,
        ends_ms: silence.ends_ms,
    }
}

pub fn alert_view(alert: &StoredAlert) -> AlertView {
    AlertView {
        id: alert.id,
        rule: alert.rule.clone(),
        service: alert.service.clone(),
        team: alert.team.clone(),
        severity: alert.severity.clone(),
        state: alert.state.clone(),
        summary: alert.summary.clone(),
        started_ms: alert.started_ms,
        resolved_ms: alert.resolved_ms,
        notified: alert.notified_ms.is_some(),
        held_reason: alert.held_reason.clone(),
    }
}

/// One line about a journal event, for the history list.
pub fn event_summary(event: &StoredEvent) -> String {
    let payload = &event.payload;
    let text = |key: &str| payload[key].as_str().unwrap_or("?").to_string();
    match event.event_type {
        EventType::HealthChanged => format!("health {} → {}", text("from"), text("to")),
        EventType::IncidentOpened => "incident opened".into(),
        EventType::IncidentClosed => "incident closed".into(),
        EventType::DependencyMajorBehind => format!(
            "{} {} is a major version behind {}",
            text("package"),
            text("current"),
            text("latest")
        ),
        EventType::DependencyYanked => {
            format!("{} {} was yanked", text("package"), text("current"))
        }
        EventType::DependencyVulnerable => {
            format!(
                "{} {} has a security advisory",
                text("package"),
                text("current")
            )
        }
        EventType::DriftOverBudget => {
            format!("drift over budget ({} libyears)", payload["libyears"])
        }
        EventType::DriftWithinBudget => {
            format!(
                "drift back within budget ({} libyears)",
                payload["libyears"]
            )
        }
        EventType::PrOpened | EventType::PrMerged | EventType::PrClosed => format!(
            "upgrade PR {} {}",
            payload["number"]
                .as_i64()
                .map_or("(unnumbered)".into(), |n| format!("#{n}")),
            text("state")
        ),
        EventType::AlertFiring => format!("alert {} firing: {}", text("rule"), text("summary")),
        EventType::AlertReminder => format!("alert {} still firing", text("rule")),
        EventType::AlertResolved => format!("alert {} resolved", text("rule")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(failures: i64, open_until_ms: Option<i64>, success: Option<i64>) -> TargetState {
        TargetState {
            consecutive_failures: failures,
            open_until_ms,
            last_success_ms: success,
            last_error: Some("500 from the receiver".into()),
            ..TargetState::default()
        }
    }

    #[test]
    fn a_channel_says_how_its_deliveries_go() {
        let now = 1_000_000;
        let misconfigured = "the environment variable SLACK_URL is not set".to_string();
        assert_eq!(
            delivery_status(None, Some(&misconfigured), now),
            ("misconfigured".into(), Some(misconfigured.clone()))
        );
        assert_eq!(delivery_status(None, None, now).0, "idle");
        assert_eq!(
            delivery_status(Some(&target(5, Some(now + 1), None)), None, now),
            ("paused".into(), Some("500 from the receiver".into()))
        );
        assert_eq!(
            delivery_status(Some(&target(5, Some(now - 1), None)), None, now).0,
            "failing",
            "a breaker that has closed again is failing, not paused"
        );
        assert_eq!(
            delivery_status(Some(&target(0, None, Some(now))), None, now),
            ("ok".into(), None)
        );
    }

    #[test]
    fn an_event_is_told_in_one_line() {
        let event = StoredEvent {
            id: 7,
            event_type: EventType::DependencyMajorBehind,
            service: Some("checkout".into()),
            team: Some("payments".into()),
            at_ms: 0,
            payload: serde_json::json!({"package": "axum", "current": "0.7.5", "latest": "0.8.1"}),
        };
        assert_eq!(
            event_summary(&event),
            "axum 0.7.5 is a major version behind 0.8.1"
        );
    }
}
