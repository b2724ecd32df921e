//! What happens to one alert (a rule and a service) at one evaluation:
//! the firing/resolved pairing, holds (silences, maintenance windows,
//! dependency-aware inhibition) and reminders. Pure: the stored alert,
//! whether the condition holds, what holds it and the time come in; a
//! decision comes out, which the service layer writes.
//!
//! The promises kept here:
//! - an alert fires once per episode, and a firing is always recorded,
//!   held or not;
//! - owners who were told of a firing are always told of its resolution,
//!   even when a silence or maintenance window began in between;
//! - owners who were never told (held the whole time) are not told of a
//!   resolution of something they never heard of;
//! - a hold that ends while the alert still fires lets the firing out.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use super::rule::{Scope, ServiceFacts, ms_of};
use crate::common::cron::CronSchedule;

/// A firing alert as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiringAlert {
    pub started_ms: i64,
    /// When owners were last told (of the firing or a reminder).
    pub notified_ms: Option<i64>,
    /// Why owners have not been told (or reminded) now.
    pub held_reason: Option<String>,
}

/// What holds notifications of an alert back at this moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holds {
    /// A silence or maintenance window: mutes firings and reminders.
    pub muted: Option<String>,
    /// A service this one depends on is down: holds a new firing only.
    pub inhibited: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to record or send.
    Quiet,
    /// The condition began to hold: record the firing, and tell the owners
    /// now unless it is held (then say why).
    Fire { held_reason: Option<String> },
    /// Still firing: tell the owners now, for the first time (a hold
    /// ended) or again (a reminder).
    Notify { reminder: bool },
    /// Still firing, nobody to tell now; the reason changed.
    Hold { held_reason: Option<String> },
    /// The condition stopped holding: record the resolution, and tell the
    /// owners when they heard of the firing.
    Resolve { notify: bool },
}

pub fn decide(
    firing: Option<&FiringAlert>,
    condition_holds: bool,
    holds: &Holds,
    repeat: Option<Duration>,
    now_ms: i64,
) -> Decision {
    let Some(alert) = firing else {
        return if condition_holds {
            Decision::Fire {
                held_reason: holds.muted.clone().or_else(|| holds.inhibited.clone()),
            }
        } else {
            Decision::Quiet
        };
    };
    if !condition_holds {
        return Decision::Resolve {
            notify: alert.notified_ms.is_some(),
        };
    }
    let held = match alert.notified_ms {
        // Not told yet: any hold keeps it back.
        None => holds.muted.clone().or_else(|| holds.inhibited.clone()),
        // Told already: only a mute stops reminders; inhibition is about
        // new alerts.
        Some(_) => holds.muted.clone(),
    };
    if held.is_some() {
        return if held != alert.held_reason {
            Decision::Hold { held_reason: held }
        } else {
            Decision::Quiet
        };
    }
    match alert.notified_ms {
        None => Decision::Notify { reminder: false },
        Some(last) if repeat.is_some_and(|every| now_ms - last >= ms_of(every)) => {
            Decision::Notify { reminder: true }
        }
        Some(_) if alert.held_reason.is_some() => Decision::Hold { held_reason: None },
        Some(_) => Decision::Quiet,
    }
}

/// A silence as stored: mutes the alerts it matches until `ends_ms`.
/// Each matcher left empty matches everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silence {
    pub id: i64,
    pub rule: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    pub comment: String,
    pub created_ms: i64,
    pub ends_ms: i64,
}

impl Silence {
    pub fn active(&self, now_ms: i64) -> bool {
        self.created_ms <= now_ms && now_ms < self.ends_ms
    }

    pub fn matches(&self, rule: &str, service: &str, team: &str) -> bool {
        self.rule.as_deref().is_none_or(|r| r == rule)
            && self.service.as_deref().is_none_or(|s| s == service)
            && self.team.as_deref().is_none_or(|t| t == team)
    }
}

/// A time when notifications of some services are expected to be noisy.
#[derive(Clone, Debug, PartialEq)]
pub struct MaintenanceWindow {
    pub name: String,
    pub scope: Scope,
    pub when: WindowTime,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WindowTime {
    Once {
        start_ms: i64,
        end_ms: i64,
    },
    /// Starts at each time of the schedule and lasts `duration`.
    Recurring {
        schedule: CronSchedule,
        duration: Duration,
    },
}

impl MaintenanceWindow {
    pub fn active(&self, now_ms: i64) -> bool {
        match &self.when {
            WindowTime::Once { start_ms, end_ms } => *start_ms <= now_ms && now_ms < *end_ms,
            WindowTime::Recurring { schedule, duration } => {
                // The first start after (now - duration) is on or before now.
                let opened_after = now_ms - ms_of(*duration);
                schedule
                    .next_after(opened_after)
                    .is_some_and(|start| start <= now_ms)
            }
        }
    }
}

/// Why notifications of (rule, service) are muted now, if they are.
pub fn muted_by(
    rule: &str,
    service: &ServiceFacts,
    silences: &[Silence],
    windows: &[MaintenanceWindow],
    now_ms: i64,
) -> Option<String> {
    if let Some(silence) = silences
        .iter()
        .find(|s| s.active(now_ms) && s.matches(rule, &service.slug, &service.team))
    {
        return Some(format!("silenced: {}", silence.comment));
    }
    windows
        .iter()
        .find(|w| w.active(now_ms) && w.scope.matches(service))
        .map(|w| format!("maintenance window {}", w.name))
}

/// Whether new alerts of `slug` are held because a service it depends on
/// is down (`down` holds the slugs of services that are down now).
pub fn inhibited_by(
    slug: &str,
    depends_on: &BTreeMap<String, Vec<String>>,
    down: &HashSet<String>,
) -> Option<String> {
    depends_on
        .get(slug)?
        .iter()
        .find(|dependency| down.contains(dependency.as_str()))
        .map(|dependency| format!("held: {dependency}, which {slug} depends on, is down"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const MINUTE: i64 = 60_000;

    fn firing(notified: Option<i64>, held: Option<&str>) -> FiringAlert {
        FiringAlert {
            started_ms: NOW - 10 * MINUTE,
            notified_ms: notified,
            held_reason: held.map(str::to_string),
        }
    }

    fn muted(reason: &str) -> Holds {
        Holds {
            muted: Some(reason.into()),
            inhibited: None,
        }
    }

    fn inhibited(reason: &str) -> Holds {
        Holds {
            muted: None,
            inhibited: Some(reason.into()),
        }
    }

    /// Runs a sequence of evaluations the way the service layer applies
    /// decisions, and returns what owners were told.
    fn run(steps: &[(bool, Holds)], repeat: Option<Duration>) -> Vec<&'static str> {
        let mut alert: Option<FiringAlert> = None;
        let mut told = Vec::new();
        for (i, (holds_now, holds)) in steps.iter().enumerate() {
            let now = NOW + i64::try_from(i).unwrap() * MINUTE;
            match decide(alert.as_ref(), *holds_now, holds, repeat, now) {
                Decision::Quiet => {}
                Decision::Fire { held_reason } => {
                    if held_reason.is_none() {
                        told.push("firing");
                    }
                    alert = Some(FiringAlert {
                        started_ms: now,
                        notified_ms: held_reason.is_none().then_some(now),
                        held_reason,
                    });
                }
                Decision::Notify { reminder } => {
                    told.push(if reminder { "reminder" } else { "firing" });
                    let a = alert.as_mut().unwrap();
                    a.notified_ms = Some(now);
                    a.held_reason = None;
                }
                Decision::Hold { held_reason } => alert.as_mut().unwrap().held_reason = held_reason,
                Decision::Resolve { notify } => {
                    if notify {
                        told.push("resolved");
                    }
                    alert = None;
                }
            }
        }
        told
    }

    #[test]
    fn an_alert_fires_once_and_resolves_once() {
        let free = Holds::default();
        let steps = [
            (false, free.clone()),
            (true, free.clone()),
            (true, free.clone()),
            (true, free.clone()),
            (false, free.clone()),
            (false, free.clone()),
        ];
        assert_eq!(run(&steps, None), ["firing", "resolved"]);
    }

    #[test]
    fn a_silence_started_in_between_does_not_swallow_the_resolution() {
        let free = Holds::default();
        let steps = [
            (true, free.clone()),
            (true, muted("silenced: deploying")),
            (false, muted("silenced: deploying")),
        ];
        assert_eq!(run(&steps, None), ["firing", "resolved"]);
    }

    #[test]
    fn a_firing_held_throughout_is_recorded_but_never_told() {
        let window = muted("maintenance window nightly");
        let steps = [
            (true, window.clone()),
            (true, window.clone()),
            (false, window),
        ];
        assert_eq!(run(&steps, None), Vec::<&str>::new());
        // The firing is still recorded, with its reason.
        assert_eq!(
            decide(None, true, &muted("maintenance window nightly"), None, NOW),
            Decision::Fire {
                held_reason: Some("maintenance window nightly".into())
            }
        );
    }

    #[test]
    fn a_firing_is_let_out_when_its_hold_ends() {
        let steps = [
            (true, muted("silenced: deploying")),
            (true, Holds::default()),
            (false, Holds::default()),
        ];
        assert_eq!(run(&steps, None), ["firing", "resolved"]);
    }

    #[test]
    fn reminders_keep_their_interval_and_respect_silences() {
        let free = Holds::default();
        let every_two_minutes = Some(Duration::from_secs(120));
        let steps = [
            (true, free.clone()),
            (true, free.clone()),
            (true, free.clone()),
            (true, muted("silenced: known")),
            (true, muted("silenced: known")),
            (true, free.clone()),
            (false, free.clone()),
        ];
        assert_eq!(
            run(&steps, every_two_minutes),
            ["firing", "reminder", "reminder", "resolved"]
        );
        assert_eq!(run(&steps, None), ["firing", "resolved"]);
    }

    #[test]
    fn inhibition_holds_new_alerts_only_and_says_why() {
        let reason = "held: ledger, which checkout depends on, is down";
        assert_eq!(
            decide(None, true, &inhibited(reason), None, NOW),
            Decision::Fire {
                held_reason: Some(reason.into())
            }
        );
        // Already told: the inhibition does not matter any more.
        let told = firing(Some(NOW - MINUTE), None);
        assert_eq!(
            decide(Some(&told), true, &inhibited(reason), None, NOW),
            Decision::Quiet
        );
        // The dependency came back while the dependent still fails: tell.
        let steps = [
            (true, inhibited(reason)),
            (true, inhibited(reason)),
            (true, Holds::default()),
        ];
        assert_eq!(run(&steps, None), ["firing"]);
        // It recovered along with its dependency: nobody hears of it.
        let steps = [(true, inhibited(reason)), (false, Holds::default())];
        assert_eq!(run(&steps, None), Vec::<&str>::new());
    }

    #[test]
    fn a_changed_hold_reason_is_recorded_once() {
        let held = firing(None, Some("silenced: a"));
        assert_eq!(
            decide(Some(&held), true, &muted("silenced: a"), None, NOW),
            Decision::Quiet
        );
        assert_eq!(
            decide(Some(&held), true, &muted("maintenance window b"), None, NOW),
            Decision::Hold {
                held_reason: Some("maintenance window b".into())
            }
        );
    }

    fn facts(slug: &str, team: &str) -> ServiceFacts {
        ServiceFacts {
            slug: slug.into(),
            team: team.into(),
            tier: 3,
            ..ServiceFacts::default()
        }
    }

    #[test]
    fn silences_match_by_rule_service_and_team_until_they_end() {
        let silence = Silence {
            id: 1,
            rule: Some("down".into()),
            service: None,
            team: Some("payments".into()),
            comment: "migrating the ledger".into(),
            created_ms: NOW - MINUTE,
            ends_ms: NOW + MINUTE,
        };
        let checkout = facts("checkout", "payments");
        let silences = [silence];
        assert_eq!(
            muted_by("down", &checkout, &silences, &[], NOW).as_deref(),
            Some("silenced: migrating the ledger")
        );
        assert_eq!(muted_by("drift", &checkout, &silences, &[], NOW), None);
        assert_eq!(
            muted_by("down", &facts("search", "search"), &silences, &[], NOW),
            None
        );
        assert_eq!(
            muted_by("down", &checkout, &silences, &[], NOW + MINUTE),
            None
        );
    }

    #[test]
    fn maintenance_windows_once_and_recurring() {
        let once = MaintenanceWindow {
            name: "ledger-move".into(),
            scope: Scope {
                services: vec!["checkout".into()],
                ..Scope::default()
            },
            when: WindowTime::Once {
                start_ms: NOW,
                end_ms: NOW + 60 * MINUTE,
            },
        };
        assert!(!once.active(NOW - 1));
        assert!(once.active(NOW + 59 * MINUTE));
        assert!(!once.active(NOW + 60 * MINUTE));
        // Sundays 02:00-04:00 in Berlin.
        let nightly = MaintenanceWindow {
            name: "sunday".into(),
            scope: Scope::default(),
            when: WindowTime::Recurring {
                schedule: CronSchedule::parse("0 2 * * SUN", "Europe/Berlin").unwrap(),
                duration: Duration::from_secs(2 * 3600),
            },
        };
        // 2026-11-22 is a Sunday; Berlin is UTC+1 then.
        let sunday_0230_berlin = 1_795_311_000_000; // 2026-11-22T01:30:00Z
        assert!(nightly.active(sunday_0230_berlin));
        assert!(!nightly.active(sunday_0230_berlin + 2 * 60 * MINUTE));
        assert!(!nightly.active(sunday_0230_berlin - 60 * MINUTE));
        let windows = [once, nightly];
        assert_eq!(
            muted_by("down", &facts("checkout", "payments"), &[], &windows, NOW).as_deref(),
            Some("maintenance window ledger-move")
        );
    }

    #[test]
    fn dependents_of_a_down_service_are_inhibited() {
        let depends_on = BTreeMap::from([("checkout".to_string(), vec!["ledger".to_string()])]);
        let down = HashSet::from(["ledger".to_string()]);
        assert_eq!(
            inhibited_by("checkout", &depends_on, &down).as_deref(),
            Some("held: ledger, which checkout depends on, is down")
        );
        assert_eq!(inhibited_by("ledger", &depends_on, &down), None);
        assert_eq!(inhibited_by("checkout", &depends_on, &HashSet::new()), None);
    }
}
