//! What changed between two drift snapshots of a service that the event
//! journal records: a dependency newly a major version behind, newly
//! yanked or newly under an advisory, and the service's libyears crossing
//! its budget either way. Pure: the store calls it inside the transaction
//! that writes the new snapshot.

use std::collections::HashMap;

use serde_json::{Value, json};
use shipshape_types::drift::{DependencyView, Ecosystem, Gap};

use shipshape_types::journal::EventType;

#[derive(Clone, Debug, PartialEq)]
pub struct DriftChange {
    pub event_type: EventType,
    pub payload: Value,
}

type Key<'a> = (Ecosystem, &'a str, &'a str);

fn key(dependency: &DependencyView) -> Key<'_> {
    (dependency.ecosystem, &dependency.manifest, &dependency.name)
}

fn described(dependency: &DependencyView) -> Value {
    json!({
        "ecosystem": dependency.ecosystem,
        "manifest": dependency.manifest,
        "package": dependency.name,
        "current": dependency.current,
        "latest": dependency.latest,
        "gap": dependency.gap,
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(target), Value::Object(extra)) = (base.as_object_mut(), extra) {
        target.extend(extra);
    }
    base
}

fn total_libyears(dependencies: &[DependencyView]) -> f64 {
    dependencies.iter().filter_map(|d| d.libyears).sum()
}

/// Changes from `previous` (none before the first snapshot) to `current`.
/// A first snapshot reports everything it finds: knowing nothing before,
/// each problem is new to Shipshape.
pub fn drift_changes(
    previous: Option<&[DependencyView]>,
    current: &[DependencyView],
    libyear_budget: Option<f64>,
) -> Vec<DriftChange> {
    let before: HashMap<Key<'_>, &DependencyView> = previous
        .unwrap_or_default()
        .iter()
        .map(|d| (key(d), d))
        .collect();
    let mut changes = Vec::new();
    for dependency in current {
        let was = before.get(&key(dependency));
        let is_major = dependency.gap == Some(Gap::Major);
        let was_major_to_same =
            was.is_some_and(|w| w.gap == Some(Gap::Major) && w.latest == dependency.latest);
        if is_major && !was_major_to_same {
            changes.push(DriftChange {
                event_type: EventType::DependencyMajorBehind,
                payload: described(dependency),
            });
        }
        if dependency.yanked && !was.is_some_and(|w| w.yanked && w.current == dependency.current) {
            changes.push(DriftChange {
                event_type: EventType::DependencyYanked,
                payload: described(dependency),
            });
        }
        let new_advisories: Vec<&String> = dependency
            .advisories
            .iter()
            .filter(|a| !was.is_some_and(|w| w.advisories.contains(a)))
            .collect();
        if !new_advisories.is_empty() {
            changes.push(DriftChange {
                event_type: EventType::DependencyVulnerable,
                payload: with(
                    described(dependency),
                    json!({ "advisories": new_advisories }),
                ),
            });
        }
    }
    if let Some(budget) = libyear_budget {
        let was = previous.map_or(0.0, total_libyears);
        let now = total_libyears(current);
        let payload =
            || json!({ "libyears": round2(now), "previous": round2(was), "budget": budget });
        if was <= budget && now > budget {
            changes.push(DriftChange {
                event_type: EventType::DriftOverBudget,
                payload: payload(),
            });
        } else if was > budget && now <= budget && previous.is_some() {
            changes.push(DriftChange {
                event_type: EventType::DriftWithinBudget,
                payload: payload(),
            });
        }
    }
    changes
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependency(
        name: &str,
        current: &str,
        latest: &str,
        gap: Gap,
        libyears: f64,
    ) -> DependencyView {
        DependencyView {
            current: Some(current.into()),
            latest: Some(latest.into()),
            gap: Some(gap),
            libyears: Some(libyears),
            ..DependencyView::unmeasured(Ecosystem::Cargo, "Cargo.toml", name)
        }
    }

    fn kinds(changes: &[DriftChange]) -> Vec<EventType> {
        changes.iter().map(|c| c.event_type).collect()
    }

    #[test]
    fn a_dependency_falling_a_major_behind_is_reported_once() {
        let before = [dependency("serde", "1.0.0", "1.0.5", Gap::Patch, 0.1)];
        let after = [dependency("serde", "1.0.0", "2.0.0", Gap::Major, 1.0)];
        let changes = drift_changes(Some(&before), &after, None);
        assert_eq!(kinds(&changes), [EventType::DependencyMajorBehind]);
        assert_eq!(changes[0].payload["package"], "serde");
        assert_eq!(changes[0].payload["latest"], "2.0.0");
        // The next refresh finds the same: nothing new to say.
        assert!(drift_changes(Some(&after), &after, None).is_empty());
        // A newer major still is news.
        let further = [dependency("serde", "1.0.0", "3.0.0", Gap::Major, 2.0)];
        assert_eq!(
            kinds(&drift_changes(Some(&after), &further, None)),
            [EventType::DependencyMajorBehind]
        );
    }

    #[test]
    fn yanks_and_new_advisories_are_reported() {
        let before = [dependency("tokio", "1.2.0", "1.2.0", Gap::UpToDate, 0.0)];
        let mut after = before.clone();
        after[0].yanked = true;
        after[0].advisories = vec!["RUSTSEC-2026-0001".into()];
        let changes = drift_changes(Some(&before), &after, None);
        assert_eq!(
            kinds(&changes),
            [EventType::DependencyYanked, EventType::DependencyVulnerable]
        );
        assert_eq!(changes[1].payload["advisories"][0], "RUSTSEC-2026-0001");
        let mut more = after.clone();
        more[0].advisories.push("RUSTSEC-2026-0002".into());
        let changes = drift_changes(Some(&after), &more, None);
        assert_eq!(kinds(&changes), [EventType::DependencyVulnerable]);
        assert_eq!(
            changes[0].payload["advisories"],
            json!(["RUSTSEC-2026-0002"])
        );
    }

    #[test]
    fn the_budget_is_reported_when_crossed_either_way() {
        let low = [dependency("a", "1.0.0", "1.1.0", Gap::Minor, 2.0)];
        let high = [dependency("a", "1.0.0", "1.9.0", Gap::Minor, 12.5)];
        assert_eq!(
            kinds(&drift_changes(Some(&low), &high, Some(10.0))),
            [EventType::DriftOverBudget]
        );
        assert!(drift_changes(Some(&high), &high, Some(10.0)).is_empty());
        assert_eq!(
            kinds(&drift_changes(Some(&high), &low, Some(10.0))),
            [EventType::DriftWithinBudget]
        );
        assert!(drift_changes(Some(&low), &high, None).is_empty());
        // A first snapshot over the budget is over it; one within says nothing.
        assert_eq!(
            kinds(&drift_changes(None, &high, Some(10.0))),
            [EventType::DriftOverBudget]
        );
        assert!(drift_changes(None, &low, Some(10.0)).is_empty());
    }
}
