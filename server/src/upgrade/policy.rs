//! What upgrade PRs a service gets: the policy, set globally, per team and
//! per service (each layer overrides what it names; ignore rules and
//! custom groups add up). Pure.

use std::time::Duration;

use crate::common::cron::{CronSchedule, DEFAULT_CRON, DEFAULT_TIME_ZONE};
use crate::deps::model::DependencyKind;
use crate::deps::version::Gap;

/// Packages to leave alone: all of their updates, some versions, or some
/// gaps (`gap = "major"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    /// A name, or a pattern with `*` (`@types/*`).
    pub package: String,
    /// A requirement in the package's ecosystem (`>=19`); `None`: any version.
    pub versions: Option<String>,
    /// Gaps to ignore; empty: any gap.
    pub gaps: Vec<Gap>,
}

/// Packages proposed together in one PR, whatever their gaps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRule {
    pub name: String,
    /// Names or `*` patterns.
    pub packages: Vec<String>,
}

/// One layer as written: `None` leaves the layer below in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyLayer {
    pub enabled: Option<bool>,
    pub schedule: Option<CronSchedule>,
    pub min_release_age: Option<Duration>,
    pub max_open_prs: Option<u32>,
    pub labels: Option<Vec<String>>,
    pub reviewers: Option<Vec<String>>,
    pub branch_prefix: Option<String>,
    pub commit_message: Option<String>,
    pub kinds: Option<Vec<DependencyKind>>,
    /// `Some(None)`: lock-file maintenance turned off by this layer.
    pub lock_maintenance: Option<Option<Duration>>,
    pub groups: Vec<GroupRule>,
    pub ignore: Vec<IgnoreRule>,
}

/// The policy in force for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    pub schedule: CronSchedule,
    pub min_release_age: Duration,
    pub max_open_prs: u32,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub branch_prefix: String,
    /// `{title}` is replaced by the PR's title, `{group}` by the group key.
    pub commit_message: String,
    pub kinds: Vec<DependencyKind>,
    /// How often a PR refreshes every lock file within the manifests'
    /// ranges (transitive packages move only this way); `None`: never.
    pub lock_maintenance: Option<Duration>,
    /// Most specific first.
    pub groups: Vec<GroupRule>,
    pub ignore: Vec<IgnoreRule>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enabled: true,
            #[expect(
                clippy::expect_used,
                reason = "the default expression is a constant known to parse"
            )]
            schedule: CronSchedule::parse(DEFAULT_CRON, DEFAULT_TIME_ZONE)
                .expect("the default schedule parses"),
            min_release_age: Duration::from_secs(3 * 86_400),
            max_open_prs: 5,
            labels: vec!["dependencies".into()],
            reviewers: Vec::new(),
            branch_prefix: "shipshape/".into(),
            commit_message: "{title}".into(),
            kinds: vec![
                DependencyKind::Normal,
                DependencyKind::Dev,
                DependencyKind::Build,
            ],
            lock_maintenance: Some(Duration::from_secs(30 * 86_400)),
            groups: Vec::new(),
            ignore: Vec::new(),
        }
    }
}

impl Policy {
    /// This policy with `layer` on top.
    pub fn with(mut self, layer: &PolicyLayer) -> Policy {
        if let Some(enabled) = layer.enabled {
            self.enabled = enabled;
        }
        if let Some(schedule) = &layer.schedule {
            self.schedule = schedule.clone();
        }
        if let Some(age) = layer.min_release_age {
            self.min_release_age = age;
        }
        if let Some(max) = layer.max_open_prs {
            self.max_open_prs = max;
        }
        if let Some(labels) = &layer.labels {
            self.labels = labels.clone();
        }
        if let Some(reviewers) = &layer.reviewers {
            self.reviewers = reviewers.clone();
        }
        if let Some(prefix) = &layer.branch_prefix {
            self.branch_prefix = prefix.clone();
        }
        if let Some(message) = &layer.commit_message {
            self.commit_message = message.clone();
        }
        if let Some(kinds) = &layer.kinds {
            self.kinds = kinds.clone();
        }
        if let Some(maintenance) = layer.lock_maintenance {
            self.lock_maintenance = maintenance;
        }
        let mut groups = layer.groups.clone();
        groups.append(&mut self.groups);
        self.groups = groups;
        self.ignore.extend(layer.ignore.iter().cloned());
        self
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    let (last, middle) = rest.split_last().unwrap_or((&"", &[]));
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_what_they_name_and_add_rules() {
        let global = PolicyLayer {
            max_open_prs: Some(3),
            ignore: vec![IgnoreRule {
                package: "react".into(),
                versions: None,
                gaps: vec![Gap::Major],
            }],
            ..PolicyLayer::default()
        };
        let team = PolicyLayer {
            labels: Some(vec!["deps".into(), "payments".into()]),
            groups: vec![GroupRule {
                name: "aws".into(),
                packages: vec!["aws-*".into()],
            }],
            ..PolicyLayer::default()
        };
        let service = PolicyLayer {
            max_open_prs: Some(1),
            ignore: vec![IgnoreRule {
                package: "@types/*".into(),
                versions: None,
                gaps: Vec::new(),
            }],
            ..PolicyLayer::default()
        };
        let policy = Policy::default().with(&global).with(&team).with(&service);
        assert_eq!(policy.max_open_prs, 1);
        assert_eq!(policy.labels, ["deps", "payments"]);
        assert_eq!(policy.ignore.len(), 2);
        assert_eq!(policy.groups[0].name, "aws");
        assert_eq!(policy.branch_prefix, "shipshape/");
    }

    #[test]
    fn globs() {
        assert!(glob_matches("@types/*", "@types/node"));
        assert!(glob_matches("aws-sdk-*", "aws-sdk-s3"));
        assert!(glob_matches("*-core", "jackson-core"));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxbyy"));
        assert!(!glob_matches("serde", "serde_json"));
        assert!(glob_matches("*", "anything"));
    }
}
