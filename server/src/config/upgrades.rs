//! The `[upgrades]` part of the config file: settings of the upgrade loop,
//! and policy layers (`[upgrades.policy]`, `[upgrades.team.NAME]`,
//! `[service.upgrades]`) checked into `upgrade::policy` types.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::file::Locator;
use crate::common::cron::{CronSchedule, DEFAULT_CRON, DEFAULT_TIME_ZONE};
use crate::deps::model::DependencyKind;
use crate::deps::version::Gap;
use crate::upgrade::policy::{GroupRule, IgnoreRule, PolicyLayer};
use crate::upgrade::settings::UpgradeSettings;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpgrades {
    writes_per_minute: Option<Spanned<i64>>,
    sync_interval: Option<Spanned<String>>,
    wave_soak: Option<Spanned<String>>,
    dashboard_url: Option<Spanned<String>>,
    lock_files: Option<bool>,
    lock_timeout: Option<Spanned<String>>,
    lock_concurrency: Option<Spanned<i64>>,
    lock_memory_mb: Option<Spanned<i64>>,
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    team: BTreeMap<String, RawPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    enabled: Option<bool>,
    schedule: Option<Spanned<String>>,
    time_zone: Option<Spanned<String>>,
    min_release_age: Option<Spanned<String>>,
    max_open_prs: Option<Spanned<i64>>,
    labels: Option<Vec<String>>,
    reviewers: Option<Vec<String>>,
    branch_prefix: Option<Spanned<String>>,
    commit_message: Option<String>,
    kinds: Option<Vec<Spanned<String>>>,
    lock_maintenance: Option<Spanned<String>>,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    ignore: Vec<RawIgnore>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    packages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    package: Spanned<String>,
    versions: Option<String>,
    #[serde(default)]
    gaps: Vec<Spanned<String>>,
}

/// Characters git refuses in a branch name.
fn check_branch_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Err("the branch prefix cannot be empty".into());
    }
    if let Some(bad) = prefix
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(*c))
    {
        return Err(format!(
            "`{prefix}` contains `{bad}`, which git does not allow in a branch name"
        ));
    }
    if prefix.contains("..") || prefix.starts_with('/') || prefix.starts_with('-') {
        return Err(format!(
            "`{prefix}` is not a valid start of a git branch name"
        ));
    }
    Ok(())
}

pub(super) fn check_policy(
    locate: &Locator<'_>,
    raw: RawPolicy,
    key: &str,
) -> Result<PolicyLayer, ConfigError> {
    let at = |field: &str| format!("{key}.{field}");
    let schedule = match (&raw.schedule, &raw.time_zone) {
        (None, None) => None,
        (schedule, zone) => {
            let expression = schedule
                .as_ref()
                .map_or(DEFAULT_CRON, |s| s.get_ref().as_str());
            let time_zone = zone
                .as_ref()
                .map_or(DEFAULT_TIME_ZONE, |z| z.get_ref().as_str());
            Some(CronSchedule::parse(expression, time_zone).map_err(|m| {
                let (span, field) = match (schedule, zone) {
                    (Some(s), _) if !m.contains("time zone") => (s.span(), "schedule"),
                    (_, Some(z)) => (z.span(), "time_zone"),
                    (Some(s), None) => (s.span(), "schedule"),
                    (None, None) => (0..0, "schedule"),
                };
                locate.invalid(span, &at(field), m)
            })?)
        }
    };
    let max_open_prs = raw
        .max_open_prs
        .map(|max| {
            u32::try_from(*max.get_ref())
                .ok()
                .filter(|m| *m <= 100)
                .ok_or_else(|| {
                    locate.invalid(
                        max.span(),
                        &at("max_open_prs"),
                        "must be from 0 to 100".into(),
                    )
                })
        })
        .transpose()?;
    if let Some(prefix) = &raw.branch_prefix {
        check_branch_prefix(prefix.get_ref())
            .map_err(|m| locate.invalid(prefix.span(), &at("branch_prefix"), m))?;
    }
    let kinds = raw
        .kinds
        .map(|kinds| {
            kinds
                .iter()
                .map(|kind| match kind.get_ref().as_str() {
                    "normal" => Ok(DependencyKind::Normal),
                    "dev" => Ok(DependencyKind::Dev),
                    "build" => Ok(DependencyKind::Build),
                    other => Err(locate.invalid(
                        kind.span(),
                        &at("kinds"),
                        format!("`{other}` is not a dependency kind; use normal, dev or build"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let mut groups = Vec::with_capacity(raw.group.len());
    for (i, group) in raw.group.into_iter().enumerate() {
        if group.packages.is_empty() {
            return Err(locate.invalid(
                group.name.span(),
                &at(&format!("group[{i}].packages")),
                "a group needs at least one package or pattern".into(),
            ));
        }
        groups.push(GroupRule {
            name: group.name.into_inner(),
            packages: group.packages,
        });
    }
    let mut ignore = Vec::with_capacity(raw.ignore.len());
    for (i, rule) in raw.ignore.into_iter().enumerate() {
        let mut gaps = Vec::new();
        for gap in &rule.gaps {
            gaps.push(match gap.get_ref().as_str() {
                "major" => Gap::Major,
                "minor" => Gap::Minor,
                "patch" => Gap::Patch,
                other => {
                    return Err(locate.invalid(
                        gap.span(),
                        &at(&format!("ignore[{i}].gaps")),
                        format!("`{other}` is not a gap; use major, minor or patch"),
                    ));
                }
            });
        }
        ignore.push(IgnoreRule {
            package: rule.package.into_inner(),
            versions: rule.versions,
            gaps,
        });
    }
    let lock_maintenance = raw
        .lock_maintenance
        .map(|every| {
            if every.get_ref().trim() == "off" {
                Ok(None)
            } else {
                locate.duration(&every, &at("lock_maintenance")).map(Some)
            }
        })
        .transpose()?;
    Ok(PolicyLayer {
        enabled: raw.enabled,
        lock_maintenance,
        schedule,
        min_release_age: raw
            .min_release_age
            .map(|age| locate.duration(&age, &at("min_release_age")))
            .transpose()?,
        max_open_prs,
        labels: raw.labels,
        reviewers: raw.reviewers,
        branch_prefix: raw.branch_prefix.map(Spanned::into_inner),
        commit_message: raw.commit_message,
        kinds,
        groups,
        ignore,
    })
}

pub(super) fn check_upgrades(
    locate: &Locator<'_>,
    raw: RawUpgrades,
) -> Result<UpgradeSettings, ConfigError> {
    let defaults = UpgradeSettings::default();
    let writes_per_minute = raw
        .writes_per_minute
        .map(|w| {
            u32::try_from(*w.get_ref())
                .ok()
                .filter(|w| (1..=600).contains(w))
                .ok_or_else(|| {
                    locate.invalid(
                        w.span(),
                        "upgrades.writes_per_minute",
                        "must be from 1 to 600 (GitHub allows about 80 content-creating requests a minute)".into(),
                    )
                })
        })
        .transpose()?
        .unwrap_or(defaults.writes_per_minute);
    let lock_concurrency = raw
        .lock_concurrency
        .map(|n| {
            usize::try_from(*n.get_ref())
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| {
                    locate.invalid(
                        n.span(),
                        "upgrades.lock_concurrency",
                        "must be from 1 to 64 (each tool takes a core and up to a few hundred MiB)"
                            .into(),
                    )
                })
        })
        .transpose()?
        .unwrap_or(defaults.lock_concurrency);
    let lock_memory_mb = raw
        .lock_memory_mb
        .map(|n| {
            u64::try_from(*n.get_ref())
                .ok()
                .filter(|n| *n == 0 || (64..=65_536).contains(n))
                .ok_or_else(|| {
                    locate.invalid(
                        n.span(),
                        "upgrades.lock_memory_mb",
                        "must be 0 (no limit) or from 64 to 65536 MiB".into(),
                    )
                })
        })
        .transpose()?
        .unwrap_or(defaults.lock_memory_mb);
    let mut teams = BTreeMap::new();
    for (team, layer) in raw.team {
        let key = format!("upgrades.team.{team}");
        teams.insert(team, check_policy(locate, layer, &key)?);
    }
    Ok(UpgradeSettings {
        global: check_policy(locate, raw.policy, "upgrades.policy")?,
        teams,
        services: BTreeMap::new(),
        writes_per_minute,
        sync_interval: raw
            .sync_interval
            .map(|d| locate.duration(&d, "upgrades.sync_interval"))
            .transpose()?
            .unwrap_or(defaults.sync_interval),
        wave_soak: raw
            .wave_soak
            .map(|d| locate.duration(&d, "upgrades.wave_soak"))
            .transpose()?
            .unwrap_or(defaults.wave_soak),
        dashboard_url: raw
            .dashboard_url
            .map(|url| {
                crate::common::url::validate_http_url(url.get_ref())
                    .map(|()| url.get_ref().clone())
                    .map_err(|m| locate.invalid(url.span(), "upgrades.dashboard_url", m))
            })
            .transpose()?,
        lock_files: raw.lock_files.unwrap_or(defaults.lock_files),
        lock_timeout: raw
            .lock_timeout
            .map(|d| locate.duration(&d, "upgrades.lock_timeout"))
            .transpose()?
            .unwrap_or(defaults.lock_timeout),
        lock_concurrency,
        lock_memory_mb,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::parse_fleet_file;

    const FILE: &str = r#"
[upgrades]
writes_per_minute = 60
wave_soak = "2d"
lock_files = false
lock_timeout = "90s"
lock_concurrency = 4
lock_memory_mb = 1024

[upgrades.policy]
schedule = "30 5 * * TUE"
time_zone = "Europe/Berlin"
min_release_age = "7d"
labels = ["dependencies", "shipshape"]

[[upgrades.policy.ignore]]
package = "react"
gaps = ["major"]

[upgrades.team.payments]
max_open_prs = 2
reviewers = ["payments-leads"]
lock_maintenance = "7d"

[upgrades.team.web]
lock_maintenance = "off"

[[service]]
slug = "ledger"
team = "payments"

[service.upgrades]
branch_prefix = "deps/"

[[service.upgrades.group]]
name = "aws"
packages = ["aws-*"]
"#;

    #[test]
    fn layers_apply_global_then_team_then_service() {
        let file = parse_fleet_file(Path::new("shipshape.toml"), FILE).expect("valid");
        let settings = &file.upgrades;
        assert_eq!(settings.writes_per_minute, 60);
        assert_eq!(settings.wave_soak.as_secs(), 2 * 86_400);
        assert!(!settings.lock_files);
        assert_eq!(settings.lock_timeout.as_secs(), 90);
        assert_eq!(settings.lock_concurrency, 4);
        assert_eq!(settings.lock_memory_mb, 1024);
        let policy = settings.policy_for("ledger", "payments");
        assert_eq!(policy.schedule.expression, "30 5 * * TUE");
        assert_eq!(policy.schedule.time_zone, "Europe/Berlin");
        assert_eq!(policy.min_release_age.as_secs(), 7 * 86_400);
        assert_eq!(policy.max_open_prs, 2);
        assert_eq!(policy.reviewers, ["payments-leads"]);
        assert_eq!(policy.branch_prefix, "deps/");
        assert_eq!(policy.groups[0].name, "aws");
        assert_eq!(policy.ignore.len(), 1);
        assert_eq!(
            policy.lock_maintenance.map(|every| every.as_secs()),
            Some(7 * 86_400)
        );
        let other = settings.policy_for("storefront", "web");
        assert_eq!(other.lock_maintenance, None, "turned off for the team");
        assert_eq!(
            settings
                .policy_for("billing", "ops")
                .lock_maintenance
                .map(|every| every.as_secs()),
            Some(30 * 86_400),
            "monthly by default"
        );
        assert_eq!(other.max_open_prs, 5);
        assert_eq!(other.branch_prefix, "shipshape/");
    }

    #[test]
    fn mistakes_name_the_key_and_the_line() {
        let error = |text: &str| {
            parse_fleet_file(Path::new("shipshape.toml"), text)
                .expect_err("invalid")
                .to_string()
        };
        let typo = error("[upgrades.policy]\nshedule = \"0 6 * * MON\"\n");
        assert!(typo.contains("did you mean `schedule`"), "{typo}");
        let cron = error("[upgrades.policy]\nschedule = \"0 6 * *\"\n");
        assert!(
            cron.starts_with(
                "shipshape.toml:2:12: upgrades.policy.schedule: `0 6 * *` has 4 fields"
            ),
            "{cron}"
        );
        let zone = error("[upgrades.team.web]\ntime_zone = \"Europe/Atlantis\"\n");
        assert!(zone.contains("upgrades.team.web.time_zone"), "{zone}");
        let every = error("[upgrades.policy]\nlock_maintenance = \"monthly\"\n");
        assert!(
            every.contains("upgrades.policy.lock_maintenance"),
            "{every}"
        );
        let gap = error("[[upgrades.policy.ignore]]\npackage = \"x\"\ngaps = [\"huge\"]\n");
        assert!(gap.contains("`huge` is not a gap"), "{gap}");
        let prefix = error("[upgrades.policy]\nbranch_prefix = \"deps bot/\"\n");
        assert!(prefix.contains("git does not allow"), "{prefix}");
    }
}
