//! Alert rules: a condition on one service, who it applies to, and how
//! bad it is. Evaluating a rule is pure: the facts of a service (its
//! endpoints, drift and open PRs as stored) and the time come in, and out
//! comes whether the condition holds, with a sentence saying why.

use std::time::Duration;

use shipshape_types::drift::{DependencyView, Gap};
use shipshape_types::health::duration_words;

use crate::health::state::HealthState;

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Unique among the rules; alerts are keyed by (rule name, service).
    pub name: String,
    pub condition: Condition,
    pub scope: Scope,
    pub severity: Severity,
    /// Tell the owners again this often while the alert fires; never when `None`.
    pub repeat: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// An endpoint failed this many checks in a row.
    Unhealthy { checks: u32 },
    /// An endpoint has been degraded for at least this long.
    Degraded { for_at_least: Duration },
    /// The service's drift is over this many libyears.
    DriftOver { libyears: f64 },
    /// A dependency (this one, or any) is a major version behind.
    MajorBehind { package: Option<String> },
    /// A yanked version is in use.
    Yanked,
    /// A version under a security advisory is in use.
    Vulnerable,
    /// An upgrade PR has been open for at least this many days.
    PrOpen { days: u32 },
}

impl Condition {
    /// The name written in the config file (`when = "..."`).
    pub fn kind(&self) -> &'static str {
        match self {
            Condition::Unhealthy { .. } => "unhealthy",
            Condition::Degraded { .. } => "degraded",
            Condition::DriftOver { .. } => "drift",
            Condition::MajorBehind { .. } => "major_behind",
            Condition::Yanked => "yanked",
            Condition::Vulnerable => "vulnerable",
            Condition::PrOpen { .. } => "pr_open",
        }
    }

    pub const KINDS: [&'static str; 7] = [
        "unhealthy",
        "degraded",
        "drift",
        "major_behind",
        "yanked",
        "vulnerable",
        "pr_open",
    ];

    /// The condition in words, for the rules list.
    pub fn describe(&self) -> String {
        match self {
            Condition::Unhealthy { checks } => {
                format!("an endpoint failed {checks} checks in a row")
            }
            Condition::Degraded { for_at_least } => format!(
                "an endpoint degraded for {} or longer",
                duration_words(ms_of(*for_at_least))
            ),
            Condition::DriftOver { libyears } => format!("drift over {libyears} libyears"),
            Condition::MajorBehind {
                package: Some(package),
            } => {
                format!("{package} a major version behind")
            }
            Condition::MajorBehind { package: None } => {
                "any dependency a major version behind".into()
            }
            Condition::Yanked => "a yanked version in use".into(),
            Condition::Vulnerable => "a version with a security advisory in use".into(),
            Condition::PrOpen { days } => format!("an upgrade PR open for {days} days or more"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "critical" => Some(Severity::Critical),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// Which services a rule (or a maintenance window) applies to. Each list
/// that is not empty must match; an empty scope matches every service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub teams: Vec<String>,
    pub tags: Vec<String>,
    pub tiers: Vec<u8>,
    pub services: Vec<String>,
}

impl Scope {
    pub fn matches(&self, service: &ServiceFacts) -> bool {
        (self.teams.is_empty() || self.teams.contains(&service.team))
            && (self.tags.is_empty() || service.tags.iter().any(|t| self.tags.contains(t)))
            && (self.tiers.is_empty() || self.tiers.contains(&service.tier))
            && (self.services.is_empty() || self.services.contains(&service.slug))
    }

    /// The scope in words (`team payments, tier 1`), or `every service`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut list = |label: &str, values: Vec<String>| {
            if !values.is_empty() {
                parts.push(format!("{label} {}", values.join(" or ")));
            }
        };
        list("team", self.teams.clone());
        list("tag", self.tags.clone());
        list("tier", self.tiers.iter().map(u8::to_string).collect());
        list("service", self.services.clone());
        if parts.is_empty() {
            "every service".into()
        } else {
            parts.join(", ")
        }
    }
}

/// What is known of a service when rules are evaluated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceFacts {
    pub slug: String,
    pub team: String,
    pub tags: Vec<String>,
    pub tier: u8,
    pub endpoints: Vec<EndpointFacts>,
    /// The latest snapshot's total; `None` before the first.
    pub libyears: Option<f64>,
    pub dependencies: Vec<DependencyView>,
    pub open_prs: Vec<OpenPr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EndpointFacts {
    pub url: String,
    /// `None` before the first check.
    pub state: Option<(HealthState, i64)>,
    pub failing_checks: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenPr {
    pub number: Option<i64>,
    pub title: String,
    pub opened_ms: i64,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

pub(crate) fn ms_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The first few names of a list, then how many more.
fn some_of(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

fn version_of(dependency: &DependencyView) -> String {
    let current = dependency.current.as_deref().unwrap_or("?");
    format!("{} {current}", dependency.name)
}

/// Whether `condition` holds for `service` at `now_ms`: a sentence saying
/// why when it does.
pub fn evaluate(condition: &Condition, service: &ServiceFacts, now_ms: i64) -> Option<String> {
    match condition {
        Condition::Unhealthy { checks } => {
            let failing: Vec<String> = service
                .endpoints
                .iter()
                .filter(|e| e.failing_checks >= *checks)
                .map(|e| format!("{} failed {} checks in a row", e.url, e.failing_checks))
                .collect();
            (!failing.is_empty()).then(|| some_of(&failing))
        }
        Condition::Degraded { for_at_least } => {
            let limit = ms_of(*for_at_least);
            let degraded: Vec<String> = service
                .endpoints
                .iter()
                .filter_map(|e| match e.state {
                    Some((HealthState::Degraded, since)) if now_ms - since >= limit => Some(
                        format!("{} degraded for {}", e.url, duration_words(now_ms - since)),
                    ),
                    _ => None,
                })
                .collect();
            (!degraded.is_empty()).then(|| some_of(&degraded))
        }
        Condition::DriftOver { libyears } => service
            .libyears
            .filter(|total| total > libyears)
            .map(|total| format!("drift is {total:.1} libyears, over the budget of {libyears}")),
        Condition::MajorBehind { package } => {
            let behind: Vec<String> = service
                .dependencies
                .iter()
                .filter(|d| d.gap == Some(Gap::Major))
                .filter(|d| package.as_ref().is_none_or(|p| &d.name == p))
                .map(|d| format!("{} → {}", version_of(d), d.latest.as_deref().unwrap_or("?")))
                .collect();
            (!behind.is_empty()).then(|| format!("a major version behind: {}", some_of(&behind)))
        }
        Condition::Yanked => {
            let yanked: Vec<String> = service
                .dependencies
                .iter()
                .filter(|d| d.yanked)
                .map(version_of)
                .collect();
            (!yanked.is_empty()).then(|| format!("yanked version in use: {}", some_of(&yanked)))
        }
        Condition::Vulnerable => {
            let vulnerable: Vec<String> = service
                .dependencies
                .iter()
                .filter(|d| !d.advisories.is_empty())
                .map(|d| format!("{} ({})", version_of(d), d.advisories.join(", ")))
                .collect();
            (!vulnerable.is_empty())
                .then(|| format!("security advisory on {}", some_of(&vulnerable)))
        }
        Condition::PrOpen { days } => {
            let limit = i64::from(*days) * DAY_MS;
            let old: Vec<String> = service
                .open_prs
                .iter()
                .filter(|pr| now_ms - pr.opened_ms >= limit)
                .map(|pr| {
                    let number = pr.number.map_or(String::new(), |n| format!("#{n} "));
                    format!(
                        "PR {number}\"{}\" open for {} days",
                        pr.title,
                        (now_ms - pr.opened_ms) / DAY_MS
                    )
                })
                .collect();
            (!old.is_empty()).then(|| some_of(&old))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipshape_types::drift::Ecosystem;

    const NOW: i64 = 1_800_000_000_000;
    const MINUTE: i64 = 60_000;

    fn service() -> ServiceFacts {
        ServiceFacts {
            slug: "checkout".into(),
            team: "payments".into(),
            tags: vec!["public".into()],
            tier: 1,
            ..ServiceFacts::default()
        }
    }

    fn endpoint(state: HealthState, since: i64, failing: u32) -> EndpointFacts {
        EndpointFacts {
            url: "http://checkout/health".into(),
            state: Some((state, since)),
            failing_checks: failing,
        }
    }

    fn dependency(name: &str, gap: Gap) -> DependencyView {
        DependencyView {
            current: Some("1.0.0".into()),
            latest: Some("2.0.0".into()),
            gap: Some(gap),
            ..DependencyView::unmeasured(Ecosystem::Cargo, "Cargo.toml", name)
        }
    }

    #[test]
    fn unhealthy_needs_the_number_of_failed_checks_in_a_row() {
        let rule = Condition::Unhealthy { checks: 3 };
        let mut facts = service();
        facts.endpoints = vec![endpoint(HealthState::Down, NOW, 2)];
        assert_eq!(evaluate(&rule, &facts, NOW), None);
        facts.endpoints[0].failing_checks = 3;
        assert_eq!(
            evaluate(&rule, &facts, NOW).as_deref(),
            Some("http://checkout/health failed 3 checks in a row")
        );
    }

    #[test]
    fn degraded_counts_from_when_the_state_began() {
        let rule = Condition::Degraded {
            for_at_least: Duration::from_secs(600),
        };
        let mut facts = service();
        facts.endpoints = vec![endpoint(HealthState::Degraded, NOW - 9 * MINUTE, 0)];
        assert_eq!(evaluate(&rule, &facts, NOW), None);
        let summary = evaluate(&rule, &facts, NOW + MINUTE).unwrap();
        assert_eq!(summary, "http://checkout/health degraded for 10 min");
        // Down is not degraded.
        facts.endpoints = vec![endpoint(HealthState::Down, NOW - 60 * MINUTE, 9)];
        assert_eq!(evaluate(&rule, &facts, NOW), None);
    }

    #[test]
    fn drift_and_dependency_rules() {
        let mut facts = service();
        assert_eq!(
            evaluate(&Condition::DriftOver { libyears: 10.0 }, &facts, NOW),
            None
        );
        facts.libyears = Some(12.34);
        assert_eq!(
            evaluate(&Condition::DriftOver { libyears: 10.0 }, &facts, NOW).as_deref(),
            Some("drift is 12.3 libyears, over the budget of 10")
        );
        facts.dependencies = vec![
            dependency("serde", Gap::Major),
            dependency("tokio", Gap::Minor),
        ];
        let any = Condition::MajorBehind { package: None };
        assert_eq!(
            evaluate(&any, &facts, NOW).as_deref(),
            Some("a major version behind: serde 1.0.0 → 2.0.0")
        );
        let tokio = Condition::MajorBehind {
            package: Some("tokio".into()),
        };
        assert_eq!(evaluate(&tokio, &facts, NOW), None);
        assert_eq!(evaluate(&Condition::Yanked, &facts, NOW), None);
        facts.dependencies[1].yanked = true;
        facts.dependencies[1].advisories = vec!["RUSTSEC-2026-0001".into()];
        assert_eq!(
            evaluate(&Condition::Yanked, &facts, NOW).as_deref(),
            Some("yanked version in use: tokio 1.0.0")
        );
        assert_eq!(
            evaluate(&Condition::Vulnerable, &facts, NOW).as_deref(),
            Some("security advisory on tokio 1.0.0 (RUSTSEC-2026-0001)")
        );
    }

    #[test]
    fn a_pr_open_too_long() {
        let mut facts = service();
        facts.open_prs = vec![OpenPr {
            number: Some(12),
            title: "Upgrade serde".into(),
            opened_ms: NOW - 15 * DAY_MS,
        }];
        assert_eq!(
            evaluate(&Condition::PrOpen { days: 14 }, &facts, NOW).as_deref(),
            Some("PR #12 \"Upgrade serde\" open for 15 days")
        );
        assert_eq!(evaluate(&Condition::PrOpen { days: 16 }, &facts, NOW), None);
    }

    #[test]
    fn scopes_need_every_list_given() {
        let facts = service();
        assert!(Scope::default().matches(&facts));
        let payments_tier_1 = Scope {
            teams: vec!["payments".into()],
            tiers: vec![1, 2],
            ..Scope::default()
        };
        assert!(payments_tier_1.matches(&facts));
        let other_team = Scope {
            teams: vec!["search".into()],
            ..Scope::default()
        };
        assert!(!other_team.matches(&facts));
        let tagged = Scope {
            tags: vec!["public".into()],
            services: vec!["ledger".into()],
            ..Scope::default()
        };
        assert!(!tagged.matches(&facts));
        assert_eq!(payments_tier_1.describe(), "team payments, tier 1 or 2");
    }
}
