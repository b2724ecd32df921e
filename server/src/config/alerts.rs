//! The `[alerts]` part of the config file: rules, channels, routes by
//! team, SMTP, maintenance windows, and each service's `depends_on`,
//! checked into `alert` types. Secrets (webhook URLs and signing secrets,
//! the SMTP password) are named by environment variable or written in the
//! file; either way they are kept as [`SecretSource`] and never shown.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::file::Locator;
use crate::alert::engine::{MaintenanceWindow, WindowTime};
use crate::alert::rule::{Condition, Rule, Scope, Severity};
use crate::alert::settings::{
    AlertSettings, ChannelKind, ChannelSpec, Route, SmtpSecurity, SmtpSettings,
};
use crate::common::cron::{CronSchedule, DEFAULT_TIME_ZONE};
use crate::common::secret::{Secret, SecretSource};
use crate::deps::registry::time::parse_rfc3339_ms;
use crate::fleet::spec::{self, validate_tier};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    evaluate_every: Option<Spanned<String>>,
    group_wait: Option<Spanned<String>>,
    channel_failing_after: Option<Spanned<String>>,
    dashboard_url: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    channel: Vec<RawChannel>,
    #[serde(default)]
    route: Vec<RawRoute>,
    smtp: Option<RawSmtp>,
    #[serde(default)]
    maintenance: Vec<RawMaintenance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    when: Spanned<String>,
    checks: Option<Spanned<i64>>,
    #[serde(rename = "for")]
    lasting: Option<Spanned<String>>,
    libyears: Option<Spanned<f64>>,
    package: Option<Spanned<String>>,
    days: Option<Spanned<i64>>,
    severity: Option<Spanned<String>>,
    repeat: Option<Spanned<String>>,
    #[serde(default)]
    teams: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    tiers: Vec<Spanned<i64>>,
    #[serde(default)]
    services: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: Spanned<String>,
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    url_env: Option<String>,
    secret: Option<String>,
    secret_env: Option<String>,
    #[serde(default)]
    to: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    team: Option<String>,
    channels: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: Spanned<String>,
    port: Option<Spanned<i64>>,
    security: Option<Spanned<String>>,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    from: Spanned<String>,
    ca_file: Option<String>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaintenance {
    name: Spanned<String>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    cron: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
    time_zone: Option<Spanned<String>>,
    #[serde(default)]
    teams: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    tiers: Vec<Spanned<i64>>,
    #[serde(default)]
    services: Vec<String>,
}

fn scope(
    locate: &Locator<'_>,
    key: &str,
    teams: Vec<String>,
    tags: Vec<String>,
    tiers: &[Spanned<i64>],
    services: Vec<String>,
) -> Result<Scope, ConfigError> {
    let tiers = tiers
        .iter()
        .map(|tier| {
            validate_tier(*tier.get_ref())
                .map_err(|m| locate.invalid(tier.span(), &format!("{key}.tiers"), m))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scope {
        teams,
        tags,
        tiers,
        services,
    })
}

/// A secret given either way, but not both and not neither.
fn secret_source(
    locate: &Locator<'_>,
    at: std::ops::Range<usize>,
    key: &str,
    value: Option<String>,
    env: Option<String>,
) -> Result<Option<SecretSource>, ConfigError> {
    match (value, env) {
        (Some(_), Some(_)) => {
            Err(locate.invalid(at, key, format!("give `{key}` or `{key}_env`, not both")))
        }
        (Some(value), None) => Ok(Some(SecretSource::Value(Secret::new(value)))),
        (None, Some(env)) => Ok(Some(SecretSource::Env(env))),
        (None, None) => Ok(None),
    }
}

fn check_rule(locate: &Locator<'_>, index: usize, raw: RawRule) -> Result<Rule, ConfigError> {
    let key = format!("alerts.rule[{index}]");
    let at = |field: &str| format!("{key}.{field}");
    let kind = raw.when.get_ref().as_str();
    // Settings of another kind of rule are refused: usually a typo in `when`.
    let given: [(&str, Option<std::ops::Range<usize>>, &str); 5] = [
        (
            "checks",
            raw.checks.as_ref().map(Spanned::span),
            "unhealthy",
        ),
        ("for", raw.lasting.as_ref().map(Spanned::span), "degraded"),
        (
            "libyears",
            raw.libyears.as_ref().map(Spanned::span),
            "drift",
        ),
        (
            "package",
            raw.package.as_ref().map(Spanned::span),
            "major_behind",
        ),
        ("days", raw.days.as_ref().map(Spanned::span), "pr_open"),
    ];
    if Condition::KINDS.contains(&kind) {
        for (field, span, belongs_to) in &given {
            if let Some(span) = span
                && *belongs_to != kind
            {
                return Err(locate.invalid(
                    span.clone(),
                    &at(field),
                    format!(
                        "`{field}` belongs to rules with when = \"{belongs_to}\", not \"{kind}\""
                    ),
                ));
            }
        }
    }
    let condition = match kind {
        "unhealthy" => Condition::Unhealthy {
            checks: match &raw.checks {
                Some(checks) => u32::try_from(*checks.get_ref())
                    .ok()
                    .filter(|c| (1..=1000).contains(c))
                    .ok_or_else(|| {
                        locate.invalid(
                            checks.span(),
                            &at("checks"),
                            "must be from 1 to 1000".into(),
                        )
                    })?,
                None => 3,
            },
        },
        "degraded" => Condition::Degraded {
            for_at_least: match &raw.lasting {
                Some(lasting) => locate.duration(lasting, &at("for"))?,
                None => Duration::from_secs(10 * 60),
            },
        },
        "drift" => {
            let Some(libyears) = &raw.libyears else {
                return Err(locate.invalid(
                    raw.when.span(),
                    &at("libyears"),
                    "a drift rule needs `libyears`, the budget".into(),
                ));
            };
            let years = *libyears.get_ref();
            if !(years.is_finite() && years >= 0.0) {
                return Err(locate.invalid(
                    libyears.span(),
                    &at("libyears"),
                    format!("{years} is not a number of years (0 or more)"),
                ));
            }
            Condition::DriftOver { libyears: years }
        }
        "major_behind" => Condition::MajorBehind {
            package: raw.package.map(|p| p.into_inner()),
        },
        "yanked" => Condition::Yanked,
        "vulnerable" => Condition::Vulnerable,
        "pr_open" => Condition::PrOpen {
            days: match &raw.days {
                Some(days) => u32::try_from(*days.get_ref())
                    .ok()
                    .filter(|d| (1..=365).contains(d))
                    .ok_or_else(|| {
                        locate.invalid(days.span(), &at("days"), "must be from 1 to 365".into())
                    })?,
                None => 14,
            },
        },
        other => {
            return Err(locate.invalid(
                raw.when.span(),
                &at("when"),
                format!(
                    "`{other}` is not a kind of rule; use one of {}",
                    Condition::KINDS.join(", ")
                ),
            ));
        }
    };
    let severity = match &raw.severity {
        Some(severity) => Severity::parse(severity.get_ref()).ok_or_else(|| {
            locate.invalid(
                severity.span(),
                &at("severity"),
                format!(
                    "`{}` is not a severity; use critical, warning or info",
                    severity.get_ref()
                ),
            )
        })?,
        None => Severity::Warning,
    };
    let repeat = raw
        .repeat
        .as_ref()
        .map(|r| locate.duration(r, &at("repeat")))
        .transpose()?;
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(locate.invalid(raw.name.span(), &at("name"), "a rule needs a name".into()));
    }
    Ok(Rule {
        name,
        condition,
        scope: scope(locate, &key, raw.teams, raw.tags, &raw.tiers, raw.services)?,
        severity,
        repeat,
    })
}

fn check_channel(
    locate: &Locator<'_>,
    index: usize,
    raw: RawChannel,
    has_smtp: bool,
) -> Result<ChannelSpec, ConfigError> {
    let key = format!("alerts.channel[{index}]");
    let at = |field: &str| format!("{key}.{field}");
    let name_span = raw.name.span();
    let url_span = raw.url.as_ref().map_or(name_span.clone(), Spanned::span);
    let url = secret_source(
        locate,
        url_span,
        &at("url"),
        raw.url.map(|u| u.into_inner()),
        raw.url_env,
    )?;
    if let Some(SecretSource::Value(url)) = &url {
        // The URL is a secret (Slack's carries its token): the message
        // says what is wrong without repeating it.
        crate::common::url::validate_http_url(url.expose()).map_err(|_| {
            locate.invalid(
                name_span.clone(),
                &at("url"),
                "is not an http:// or https:// URL".into(),
            )
        })?;
    }
    let needs_url = |url: Option<SecretSource>| {
        url.ok_or_else(|| {
            locate.invalid(
                name_span.clone(),
                &at("url"),
                "this channel needs `url` or `url_env`".into(),
            )
        })
    };
    let kind = match raw.kind.get_ref().as_str() {
        "webhook" => ChannelKind::Webhook {
            url: needs_url(url)?,
            secret: secret_source(
                locate,
                name_span.clone(),
                &at("secret"),
                raw.secret,
                raw.secret_env,
            )?,
        },
        "slack" => ChannelKind::Slack {
            url: needs_url(url)?,
        },
        "email" => {
            if !has_smtp {
                return Err(locate.invalid(
                    raw.kind.span(),
                    &at("kind"),
                    "e-mail channels need an [alerts.smtp] section".into(),
                ));
            }
            if raw.to.is_empty() {
                return Err(locate.invalid(
                    raw.kind.span(),
                    &at("to"),
                    "an e-mail channel needs at least one address in `to`".into(),
                ));
            }
            let mut to = Vec::new();
            for address in raw.to {
                if !looks_like_address(address.get_ref()) {
                    return Err(locate.invalid(
                        address.span(),
                        &at("to"),
                        format!("`{}` is not an e-mail address", address.get_ref()),
                    ));
                }
                to.push(address.into_inner());
            }
            ChannelKind::Email { to }
        }
        other => {
            return Err(locate.invalid(
                raw.kind.span(),
                &at("kind"),
                format!("`{other}` is not a kind of channel; use webhook, slack or email"),
            ));
        }
    };
    Ok(ChannelSpec {
        name: raw.name.into_inner(),
        kind,
    })
}

/// `name@host`, or `Name <name@host>`: enough to catch a typo here; the
/// mail library reads it properly.
fn looks_like_address(text: &str) -> bool {
    let address = text
        .rsplit_once('<')
        .map_or(text, |(_, rest)| rest.trim_end_matches('>'));
    let Some((local, host)) = address.trim().split_once('@') else {
        return false;
    };
    !local.is_empty() && !host.is_empty() && !host.contains('@') && !address.contains(' ')
}

fn check_smtp(
    locate: &Locator<'_>,
    raw: RawSmtp,
    base_dir: &Path,
) -> Result<SmtpSettings, ConfigError> {
    let security = match raw.security.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            return Err(locate.invalid(
                raw.security.as_ref().map_or(0..0, Spanned::span),
                "alerts.smtp.security",
                format!("`{other}` is not a security mode; use starttls, tls or none"),
            ));
        }
    };
    let port = match &raw.port {
        Some(port) => u16::try_from(*port.get_ref())
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                locate.invalid(
                    port.span(),
                    "alerts.smtp.port",
                    "must be from 1 to 65535".into(),
                )
            })?,
        None => match security {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        },
    };
    if !looks_like_address(raw.from.get_ref()) {
        return Err(locate.invalid(
            raw.from.span(),
            "alerts.smtp.from",
            format!("`{}` is not an e-mail address", raw.from.get_ref()),
        ));
    }
    let host = raw.host.get_ref().trim().to_string();
    if host.is_empty() {
        return Err(locate.invalid(
            raw.host.span(),
            "alerts.smtp.host",
            "cannot be empty".into(),
        ));
    }
    Ok(SmtpSettings {
        host,
        port,
        security,
        password: secret_source(
            locate,
            raw.host.span(),
            "alerts.smtp.password",
            raw.password,
            raw.password_env,
        )?,
        username: raw.username,
        from: raw.from.into_inner(),
        ca_file: raw.ca_file.map(|f| base_dir.join(f)),
        timeout: raw
            .timeout
            .as_ref()
            .map(|t| locate.duration(t, "alerts.smtp.timeout"))
            .transpose()?
            .unwrap_or(Duration::from_secs(15)),
    })
}

fn check_maintenance(
    locate: &Locator<'_>,
    index: usize,
    raw: RawMaintenance,
) -> Result<MaintenanceWindow, ConfigError> {
    let key = format!("alerts.maintenance[{index}]");
    let at = |field: &str| format!("{key}.{field}");
    let time = |value: &Spanned<String>, field: &str| {
        parse_rfc3339_ms(value.get_ref()).ok_or_else(|| {
            locate.invalid(
                value.span(),
                &at(field),
                format!(
                    "`{}` is not a time like 2026-12-01T02:00:00Z",
                    value.get_ref()
                ),
            )
        })
    };
    let when = match (&raw.start, &raw.end, &raw.cron, &raw.duration) {
        (Some(start), Some(end), None, None) => {
            let (start_ms, end_ms) = (time(start, "start")?, time(end, "end")?);
            if end_ms <= start_ms {
                return Err(locate.invalid(
                    end.span(),
                    &at("end"),
                    "the window ends before it starts".into(),
                ));
            }
            WindowTime::Once { start_ms, end_ms }
        }
        (None, None, Some(cron), Some(duration)) => {
            let zone = raw
                .time_zone
                .as_ref()
                .map_or(DEFAULT_TIME_ZONE, |z| z.get_ref().as_str());
            let schedule = CronSchedule::parse(cron.get_ref(), zone).map_err(|m| {
                let (span, field) = match &raw.time_zone {
                    Some(z) if m.contains("time zone") => (z.span(), "time_zone"),
                    _ => (cron.span(), "cron"),
                };
                locate.invalid(span, &at(field), m)
            })?;
            WindowTime::Recurring {
                schedule,
                duration: locate.duration(duration, &at("duration"))?,
            }
        }
        _ => {
            return Err(locate.invalid(
                raw.name.span(),
                &key,
                "a maintenance window needs `start` and `end` (once), or `cron` and `duration` (recurring)"
                    .into(),
            ));
        }
    };
    Ok(MaintenanceWindow {
        name: raw.name.into_inner(),
        scope: scope(locate, &key, raw.teams, raw.tags, &raw.tiers, raw.services)?,
        when,
    })
}

pub(super) fn check_alerts(
    locate: &Locator<'_>,
    raw: RawAlerts,
    base_dir: &Path,
) -> Result<AlertSettings, ConfigError> {
    let defaults = AlertSettings::default();
    let mut rules: Vec<Rule> = Vec::with_capacity(raw.rule.len());
    for (index, raw_rule) in raw.rule.into_iter().enumerate() {
        let span = raw_rule.name.span();
        let rule = check_rule(locate, index, raw_rule)?;
        if rules.iter().any(|r| r.name == rule.name) {
            return Err(locate.invalid(
                span,
                &format!("alerts.rule[{index}].name"),
                format!("a rule named `{}` is already declared", rule.name),
            ));
        }
        rules.push(rule);
    }
    let smtp = raw
        .smtp
        .map(|smtp| check_smtp(locate, smtp, base_dir))
        .transpose()?;
    let mut channels: Vec<ChannelSpec> = Vec::with_capacity(raw.channel.len());
    for (index, raw_channel) in raw.channel.into_iter().enumerate() {
        let span = raw_channel.name.span();
        let channel = check_channel(locate, index, raw_channel, smtp.is_some())?;
        if channels.iter().any(|c| c.name == channel.name) {
            return Err(locate.invalid(
                span,
                &format!("alerts.channel[{index}].name"),
                format!("a channel named `{}` is already declared", channel.name),
            ));
        }
        channels.push(channel);
    }
    let mut routes = Vec::with_capacity(raw.route.len());
    let mut teams_routed = BTreeSet::new();
    for (index, route) in raw.route.into_iter().enumerate() {
        let key = format!("alerts.route[{index}]");
        let mut names = Vec::new();
        for channel in route.channels {
            if !channels.iter().any(|c| &c.name == channel.get_ref()) {
                let known: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
                return Err(locate.invalid(
                    channel.span(),
                    &format!("{key}.channels"),
                    format!(
                        "no channel is named `{}` (declared: {})",
                        channel.get_ref(),
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
            names.push(channel.into_inner());
        }
        if !teams_routed.insert(route.team.clone()) {
            return Err(locate.invalid(
                0..0,
                &key,
                match &route.team {
                    Some(team) => format!("team `{team}` has two routes"),
                    None => "there are two default routes (without `team`)".into(),
                },
            ));
        }
        routes.push(Route {
            team: route.team,
            channels: names,
        });
    }
    let maintenance = raw
        .maintenance
        .into_iter()
        .enumerate()
        .map(|(index, window)| check_maintenance(locate, index, window))
        .collect::<Result<Vec<_>, _>>()?;
    let duration = |value: &Option<Spanned<String>>, key: &str, default: Duration| {
        value
            .as_ref()
            .map(|v| locate.duration(v, key))
            .transpose()
            .map(|d| d.unwrap_or(default))
    };
    Ok(AlertSettings {
        evaluate_every: duration(
            &raw.evaluate_every,
            "alerts.evaluate_every",
            defaults.evaluate_every,
        )?,
        group_wait: duration(&raw.group_wait, "alerts.group_wait", defaults.group_wait)?,
        channel_failing_after: duration(
            &raw.channel_failing_after,
            "alerts.channel_failing_after",
            defaults.channel_failing_after,
        )?,
        dashboard_url: raw
            .dashboard_url
            .map(|url| {
                let text = url.get_ref().trim().trim_end_matches('/').to_string();
                crate::common::url::validate_http_url(&text)
                    .map(|()| text)
                    .map_err(|m| locate.invalid(url.span(), "alerts.dashboard_url", m))
            })
            .transpose()?,
        rules,
        channels,
        routes,
        smtp,
        maintenance,
        depends_on: BTreeMap::new(),
    })
}

/// A service's `depends_on`: slugs, not itself.
pub(super) fn check_depends_on(
    locate: &Locator<'_>,
    index: usize,
    slug: &str,
    raw: Vec<Spanned<String>>,
) -> Result<Vec<String>, ConfigError> {
    let key = format!("service[{index}].depends_on");
    let mut slugs = Vec::with_capacity(raw.len());
    for dependency in raw {
        spec::validate_slug(dependency.get_ref())
            .map_err(|m| locate.invalid(dependency.span(), &key, m))?;
        if dependency.get_ref() == slug {
            return Err(locate.invalid(
                dependency.span(),
                &key,
                "a service cannot depend on itself".into(),
            ));
        }
        slugs.push(dependency.into_inner());
    }
    Ok(slugs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::parse_fleet_file;

    fn parse(text: &str) -> Result<AlertSettings, String> {
        parse_fleet_file(Path::new("/srv/shipshape.toml"), text)
            .map(|file| file.alerts)
            .map_err(|e| e.to_string())
    }

    const VALID: &str = r#"
[[service]]
slug = "checkout"
team = "payments"
depends_on = ["ledger"]

[alerts]
evaluate_every = "30s"
group_wait = "1m"

[[alerts.rule]]
name = "down"
when = "unhealthy"
checks = 5
severity = "critical"
repeat = "4h"
teams = ["payments"]
tiers = [1, 2]

[[alerts.rule]]
name = "old-serde"
when = "major_behind"
package = "serde"

[[alerts.channel]]
name = "hook"
kind = "webhook"
url_env = "HOOK_URL"
secret = "s3cret"

[[alerts.channel]]
name = "mail"
kind = "email"
to = ["Payments on call <oncall@example.com>"]

[alerts.smtp]
host = "smtp.example.com"
security = "tls"
username = "shipshape"
password_env = "SMTP_PASSWORD"
from = "shipshape@example.com"

[[alerts.route]]
team = "payments"
channels = ["mail"]

[[alerts.route]]
channels = ["hook"]

[[alerts.maintenance]]
name = "sunday"
cron = "0 2 * * SUN"
duration = "2h"
time_zone = "Europe/Berlin"
services = ["ledger"]

[[alerts.maintenance]]
name = "move"
start = "2026-12-01T02:00:00Z"
end = "2026-12-01T04:00:00Z"
"#;

    #[test]
    fn reads_rules_channels_routes_smtp_windows_and_dependencies() {
        let alerts = parse(VALID).unwrap();
        assert_eq!(alerts.evaluate_every, Duration::from_secs(30));
        assert_eq!(alerts.group_wait, Duration::from_secs(60));
        assert_eq!(
            alerts.rules[0].condition,
            Condition::Unhealthy { checks: 5 }
        );
        assert_eq!(alerts.rules[0].severity, Severity::Critical);
        assert_eq!(alerts.rules[0].repeat, Some(Duration::from_secs(4 * 3600)));
        assert_eq!(alerts.rules[0].scope.tiers, [1, 2]);
        assert_eq!(
            alerts.rules[1].condition,
            Condition::MajorBehind {
                package: Some("serde".into())
            }
        );
        assert_eq!(alerts.rules[1].severity, Severity::Warning, "the default");
        let smtp = alerts.smtp.as_ref().unwrap();
        assert_eq!((smtp.security, smtp.port), (SmtpSecurity::Tls, 465));
        assert_eq!(
            alerts
                .channels_for("payments")
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["mail"]
        );
        assert_eq!(
            alerts
                .channels_for("search")
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["hook"],
            "the default route"
        );
        assert_eq!(alerts.maintenance.len(), 2);
        assert_eq!(alerts.depends_on["checkout"], ["ledger"]);
        // Secrets are kept, never shown.
        let shown = format!("{alerts:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn mistakes_name_the_key_and_line() {
        let cases = [
            (
                "[[alerts.rule]]\nname = \"a\"\nwhen = \"unhealty\"\n",
                "/srv/shipshape.toml:3:8: alerts.rule[0].when: `unhealty` is not a kind of rule",
            ),
            (
                "[[alerts.rule]]\nname = \"a\"\nwhen = \"degraded\"\nchecks = 3\n",
                "alerts.rule[0].checks: `checks` belongs to rules with when = \"unhealthy\", not \"degraded\"",
            ),
            (
                "[[alerts.rule]]\nname = \"a\"\nwhen = \"drift\"\n",
                "a drift rule needs `libyears`",
            ),
            (
                "[[alerts.rule]]\nname = \"a\"\nwhen = \"yanked\"\nseverity = \"high\"\n",
                "`high` is not a severity",
            ),
            (
                "[[alerts.rule]]\nname = \"a\"\nwhen = \"yanked\"\n[[alerts.rule]]\nname = \"a\"\nwhen = \"vulnerable\"\n",
                "a rule named `a` is already declared",
            ),
            (
                "[[alerts.channel]]\nname = \"m\"\nkind = \"email\"\nto = [\"a@b.c\"]\n",
                "e-mail channels need an [alerts.smtp] section",
            ),
            (
                "[[alerts.channel]]\nname = \"h\"\nkind = \"webhook\"\n",
                "this channel needs `url` or `url_env`",
            ),
            (
                "[[alerts.channel]]\nname = \"h\"\nkind = \"slack\"\nurl = \"hooks.slack.com/x\"\n",
                "alerts.channel[0].url: is not an http:// or https:// URL",
            ),
            (
                "[[alerts.route]]\nchannels = [\"nowhere\"]\n",
                "no channel is named `nowhere` (declared: none)",
            ),
            (
                "[[alerts.maintenance]]\nname = \"w\"\nstart = \"2026-12-01T02:00:00Z\"\n",
                "needs `start` and `end` (once), or `cron` and `duration` (recurring)",
            ),
            (
                "[[alerts.maintenance]]\nname = \"w\"\nstart = \"2026-12-01T04:00:00Z\"\nend = \"2026-12-01T02:00:00Z\"\n",
                "the window ends before it starts",
            ),
            (
                "[[service]]\nslug = \"a\"\nteam = \"t\"\ndepends_on = [\"a\"]\n",
                "service[0].depends_on: a service cannot depend on itself",
            ),
            (
                "[alerts]\ngroup_wiat = \"1m\"\n",
                "unknown field `group_wiat`",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}\n→ {error}");
        }
    }

    #[test]
    fn a_secret_url_is_not_repeated_in_its_error() {
        let error = parse(
            "[[alerts.channel]]\nname = \"h\"\nkind = \"slack\"\nurl = \"hooks.slack.com/services/T0/B0/TOKEN123\"\n",
        )
        .unwrap_err();
        assert!(!error.contains("TOKEN123"), "{error}");
    }
}
