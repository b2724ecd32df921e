//! Which bumps a service's repository gets, grouped into PRs. By default
//! all patch and minor updates of a repository share one PR and each major
//! update has its own; custom groups gather packages by pattern. Ignore
//! rules, the minimum release age and versions a person declined (closed
//! without merging) hold bumps back, and each held bump says why. Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use shipshape_types::format::utc_date;

use super::policy::{Policy, glob_matches};
use super::versions::{Target, allows, choose_targets};
use crate::deps::drift::Release;
use crate::deps::model::{DependencyKind, Ecosystem};
use crate::deps::version::Gap;

pub const MINOR_PATCH_GROUP: &str = "minor-patch";
const DAY_MS: i64 = 86_400_000;

/// One dependency of a service as its latest reading gives it.
#[derive(Clone, Debug)]
pub struct DependencyInput<'a> {
    pub ecosystem: Ecosystem,
    pub manifest: &'a str,
    pub name: &'a str,
    pub kind: DependencyKind,
    pub current: &'a str,
    pub releases: &'a [Release],
}

/// One bump of one dependency in one manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub ecosystem: Ecosystem,
    pub manifest: String,
    pub name: String,
    pub from: String,
    pub to: String,
    pub gap: Gap,
    pub published_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedGroup {
    /// Stable across runs: the same group on the next run has the same key,
    /// so its PR is updated rather than a new one opened.
    pub key: String,
    pub title: String,
    pub branch: String,
    pub proposals: Vec<Proposal>,
}

/// A bump not proposed this time, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Held {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub groups: Vec<PlannedGroup>,
    pub held: Vec<Held>,
}

/// The part of a version that names its line of compatibility: `2` for
/// `2.1.0`, `0.9` for `0.9.3`.
fn compatibility_line(version: &str) -> String {
    let mut parts = version.trim_start_matches('v').split('.');
    let first = parts.next().unwrap_or_default();
    if first == "0" {
        format!("0.{}", parts.next().unwrap_or("0"))
    } else {
        first.to_string()
    }
}

/// Lowercase letters, digits, `.` and `-` only: safe in a branch name.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn ignored(policy: &Policy, input: &DependencyInput<'_>, release: &Release, gap: Gap) -> bool {
    policy.ignore.iter().any(|rule| {
        glob_matches(&rule.package, input.name)
            && (rule.gaps.is_empty() || rule.gaps.contains(&gap))
            && rule.versions.as_deref().is_none_or(|versions| {
                allows(input.ecosystem, Some(versions), &release.version).unwrap_or(false)
            })
    })
}

/// Plans the PRs of one repository. `declined` holds (name, version) pairs
/// a person closed without merging; they are not proposed again.
pub fn plan(
    policy: &Policy,
    dependencies: &[DependencyInput<'_>],
    declined: &BTreeSet<(String, String)>,
    now_ms: i64,
) -> Plan {
    let min_age_ms = i64::try_from(policy.min_release_age.as_millis()).unwrap_or(i64::MAX);
    let mut result = Plan::default();
    let mut grouped: BTreeMap<String, Vec<Proposal>> = BTreeMap::new();
    let mut custom_names: BTreeMap<String, String> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    for input in dependencies {
        if !policy.kinds.contains(&input.kind) {
            continue;
        }
        let allowed = |release: &Release, gap: Gap| {
            !ignored(policy, input, release, gap)
                && !declined.contains(&(input.name.to_string(), release.version.clone()))
        };
        let old_enough = |release: &Release, gap: Gap| {
            allowed(release, gap)
                && release
                    .published_ms
                    .is_none_or(|published| now_ms - published >= min_age_ms)
        };
        let (Ok(newest), Ok(proposable)) = (
            choose_targets(input.ecosystem, input.current, input.releases, &allowed),
            choose_targets(input.ecosystem, input.current, input.releases, &old_enough),
        ) else {
            continue;
        };
        for (newest, chosen) in [
            (&newest.within_major, &proposable.within_major),
            (&newest.next_major, &proposable.next_major),
        ] {
            if let Some(young) = newest
                && chosen.as_ref() != Some(young)
                && let Some(published) = young.published_ms
            {
                result.held.push(Held {
                    ecosystem: input.ecosystem,
                    name: input.name.to_string(),
                    version: young.version.clone(),
                    reason: format!(
                        "released {}; the policy waits {} days, so it is proposed from {}",
                        utc_date(published),
                        min_age_ms / DAY_MS,
                        utc_date(published + min_age_ms)
                    ),
                });
            }
        }
        let custom = policy
            .groups
            .iter()
            .find(|g| g.packages.iter().any(|p| glob_matches(p, input.name)));
        let targets: Vec<&Target> = match custom {
            // A custom group takes each package's newest proposal, major or not.
            Some(_) => proposable
                .next_major
                .as_ref()
                .or(proposable.within_major.as_ref())
                .into_iter()
                .collect(),
            None => [&proposable.within_major, &proposable.next_major]
                .into_iter()
                .flatten()
                .collect(),
        };
        for target in targets {
            if !seen.insert((
                input.manifest.to_string(),
                input.name.to_string(),
                target.version.clone(),
            )) {
                continue;
            }
            let key = match custom {
                Some(group) => {
                    let key = format!("group-{}", slug(&group.name));
                    custom_names.insert(key.clone(), group.name.clone());
                    key
                }
                None if target.gap != Gap::Major => MINOR_PATCH_GROUP.to_string(),
                None => format!(
                    "major-{}-{}-{}",
                    input.ecosystem.config_name(),
                    slug(input.name),
                    compatibility_line(&target.version)
                ),
            };
            grouped.entry(key).or_default().push(Proposal {
                ecosystem: input.ecosystem,
                manifest: input.manifest.to_string(),
                name: input.name.to_string(),
                from: input.current.to_string(),
                to: target.version.clone(),
                gap: target.gap,
                published_ms: target.published_ms,
            });
        }
    }
    for (key, mut proposals) in grouped {
        proposals.sort_by(|a, b| (&a.name, &a.manifest).cmp(&(&b.name, &b.manifest)));
        let packages: BTreeSet<&str> = proposals.iter().map(|p| p.name.as_str()).collect();
        let title = match (custom_names.get(&key), packages.len()) {
            (Some(name), n) if n > 1 => format!("Update the {name} group ({n} packages)"),
            (_, 1) => {
                let first = &proposals[0];
                let major = if first.gap == Gap::Major {
                    " (major)"
                } else {
                    ""
                };
                format!("Update {} to {}{major}", first.name, first.to)
            }
            (_, n) => format!("Update {n} dependencies (patch and minor)"),
        };
        result.groups.push(PlannedGroup {
            branch: format!("{}{key}", policy.branch_prefix),
            key,
            title,
            proposals,
        });
    }
    // The everyday PR first, then custom groups, then majors.
    result.groups.sort_by_key(|g| {
        let rank = if g.key == MINOR_PATCH_GROUP {
            0
        } else if g.key.starts_with("group-") {
            1
        } else {
            2
        };
        (rank, g.key.clone())
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upgrade::policy::{GroupRule, IgnoreRule};

    const NOW: i64 = 1_795_000_000_000;

    fn released(version: &str, days_ago: i64) -> Release {
        Release {
            version: version.into(),
            published_ms: Some(NOW - days_ago * DAY_MS),
            yanked: false,
        }
    }

    struct Fixture {
        releases: BTreeMap<&'static str, Vec<Release>>,
    }

    impl Fixture {
        fn new() -> Self {
            let mut releases = BTreeMap::new();
            releases.insert(
                "serde",
                vec![released("1.0.190", 400), released("1.0.210", 30)],
            );
            releases.insert(
                "tokio",
                vec![
                    released("1.36.0", 300),
                    released("1.41.0", 20),
                    released("1.42.0", 1),
                ],
            );
            releases.insert(
                "axum",
                vec![
                    released("0.7.5", 200),
                    released("0.7.9", 50),
                    released("0.8.1", 10),
                ],
            );
            releases.insert(
                "aws-sdk-s3",
                vec![released("1.0.0", 100), released("1.5.0", 10)],
            );
            releases.insert(
                "aws-config",
                vec![released("1.0.0", 100), released("2.0.0", 10)],
            );
            Fixture { releases }
        }

        fn inputs(&self) -> Vec<DependencyInput<'_>> {
            [
                ("serde", "1.0.190"),
                ("tokio", "1.36.0"),
                ("axum", "0.7.5"),
                ("aws-sdk-s3", "1.0.0"),
                ("aws-config", "1.0.0"),
            ]
            .into_iter()
            .map(|(name, current)| DependencyInput {
                ecosystem: Ecosystem::Cargo,
                manifest: "Cargo.toml",
                name,
                kind: DependencyKind::Normal,
                current,
                releases: &self.releases[name],
            })
            .collect()
        }
    }

    fn summary(plan: &Plan) -> Vec<(String, Vec<String>)> {
        plan.groups
            .iter()
            .map(|g| {
                (
                    g.key.clone(),
                    g.proposals
                        .iter()
                        .map(|p| format!("{}@{}", p.name, p.to))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn minor_and_patch_together_each_major_alone() {
        let fixture = Fixture::new();
        let plan = plan(&Policy::default(), &fixture.inputs(), &BTreeSet::new(), NOW);
        assert_eq!(
            summary(&plan),
            [
                (
                    "minor-patch".to_string(),
                    vec![
                        "aws-sdk-s3@1.5.0",
                        "axum@0.7.9",
                        "serde@1.0.210",
                        "tokio@1.41.0"
                    ]
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>()
                ),
                (
                    "major-cargo-aws-config-2".into(),
                    vec!["aws-config@2.0.0".into()]
                ),
                ("major-cargo-axum-0.8".into(), vec!["axum@0.8.1".into()]),
            ]
        );
        assert_eq!(
            plan.groups[0].title,
            "Update 4 dependencies (patch and minor)"
        );
        assert_eq!(plan.groups[0].branch, "shipshape/minor-patch");
        assert_eq!(plan.groups[2].title, "Update axum to 0.8.1 (major)");
        // tokio 1.42.0 is a day old: held, with the day it will be proposed.
        assert_eq!(plan.held.len(), 1);
        assert_eq!(plan.held[0].version, "1.42.0");
        assert!(
            plan.held[0].reason.contains("waits 3 days"),
            "{:?}",
            plan.held
        );
    }

    #[test]
    fn custom_groups_ignore_rules_and_declined_versions() {
        let fixture = Fixture::new();
        let policy = Policy {
            groups: vec![GroupRule {
                name: "AWS SDK".into(),
                packages: vec!["aws-*".into()],
            }],
            ignore: vec![
                IgnoreRule {
                    package: "axum".into(),
                    versions: None,
                    gaps: vec![Gap::Major],
                },
                IgnoreRule {
                    package: "tokio".into(),
                    versions: Some(">=1.40".into()),
                    gaps: Vec::new(),
                },
            ],
            min_release_age: std::time::Duration::ZERO,
            ..Policy::default()
        };
        let declined = BTreeSet::from([("serde".to_string(), "1.0.210".to_string())]);
        let plan = plan(&policy, &fixture.inputs(), &declined, NOW);
        assert_eq!(
            summary(&plan),
            [
                ("minor-patch".to_string(), vec!["axum@0.7.9".to_string()]),
                (
                    "group-aws-sdk".into(),
                    vec!["aws-config@2.0.0".into(), "aws-sdk-s3@1.5.0".into()]
                ),
            ]
        );
        assert_eq!(
            plan.groups[1].title,
            "Update the AWS SDK group (2 packages)"
        );
        assert!(plan.held.is_empty());
    }

    #[test]
    fn kinds_not_included_are_left_out() {
        let fixture = Fixture::new();
        let policy = Policy {
            kinds: vec![DependencyKind::Dev],
            ..Policy::default()
        };
        assert_eq!(
            plan(&policy, &fixture.inputs(), &BTreeSet::new(), NOW),
            Plan::default()
        );
    }
}
