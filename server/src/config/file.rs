//! Reading `shipshape.toml`. The file is deserialised into "raw" types that
//! keep the position of every value, then checked and turned into clean
//! types, so that every problem is reported as `file:line:column: key: what`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::alerts::{RawAlerts, check_alerts, check_depends_on};
use super::auth::{RawAuth, RawOutbound, check_auth, check_outbound};
use super::upgrades::{RawPolicy, RawUpgrades, check_policy, check_upgrades};
use super::{Config, ConfigError};
use crate::alert::settings::AlertSettings;
use crate::auth::settings::AuthSettings;
use crate::common::secret::DatabaseUrl;
use crate::common::suggest::closest;
use crate::common::url::validate_http_url;
use crate::demo::{DemoFormat, SimulatedHealthcheck};
use crate::deps::model::Ecosystem;
use crate::fleet::github_org::OrgRule;
use crate::fleet::registration::{
    Declarer, HealthLimits, RegistrationRules, check_service as check_declared_service, clean_tags,
};
use crate::fleet::spec::{self, DEFAULT_TIER, ServiceSpec};
use crate::upgrade::settings::UpgradeSettings;
use shipshape_types::model::{
    HeaderValueSource, HealthEndpointRegistration, ServiceRegistration, StatusExpectation,
};

/// What a config file says: settings for the server and the fleet it declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetFile {
    pub settings: FileSettings,
    pub services: Vec<ServiceSpec>,
    /// `[[github.orgs]]`: organisations whose repositories become services.
    pub github_orgs: Vec<OrgRule>,
    /// `[upgrades]` and each service's `[service.upgrades]`.
    pub upgrades: UpgradeSettings,
    /// `[alerts]` and each service's `depends_on`.
    pub alerts: AlertSettings,
    /// `[auth]`: read at start-up only.
    pub auth: AuthSettings,
    /// `[outbound]`: read at start-up only.
    pub outbound: crate::common::outbound::NetworkPolicy,
    /// `[registration]` and `[limits]`: what services registered through
    /// the API may ask for, and every healthcheck's bounds.
    pub registration: RegistrationRules,
}

/// Settings the file gives; `None` keeps the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSettings {
    pub listen: Option<SocketAddr>,
    pub site_root: Option<PathBuf>,
    /// `[server]` header_timeout, request_timeout, max_connections.
    pub listener: crate::common::listener::ListenerLimits,
    pub database_url: Option<DatabaseUrl>,
    pub max_connections: Option<u32>,
    pub watch_interval: Option<Duration>,
    pub drift: DriftSettings,
    /// `[[demo.healthcheck]]`: simulated services started with the server.
    pub demo_healthchecks: Vec<SimulatedHealthcheck>,
}

/// The `[drift]`, `[registries.*]`, `[github]` and `[git]` sections.
/// Credentials are named by the environment variable that holds them
/// (`token_env`), never written in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriftSettings {
    pub refresh_interval: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub cache_ttl: Option<Duration>,
    pub concurrency: Option<u32>,
    pub cache_dir: Option<PathBuf>,
    /// Ecosystem → (base URL, token variable).
    pub registries: Vec<(Ecosystem, Option<String>, Option<String>)>,
    pub github_api_url: Option<String>,
    pub github_token_env: Option<String>,
    pub git_token_env: Option<String>,
    pub git_token_hosts: Vec<String>,
    pub git_ssh_key: Option<PathBuf>,
    pub libyear_budget: Option<LibyearBudget>,
}

/// A libyear budget: a finite number of years, at least 0. (`f64` is not
/// `Eq`; the settings compare by the number's bits.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LibyearBudget(pub f64);

impl Eq for LibyearBudget {}

impl FileSettings {
    pub(super) fn apply_to(&self, config: &mut Config) {
        if let Some(listen) = self.listen {
            config.server.listen = listen;
        }
        if let Some(site_root) = &self.site_root {
            config.server.site_root = site_root.clone();
        }
        config.server.limits = self.listener;
        if let Some(url) = &self.database_url {
            config.database.url = url.clone();
        }
        if let Some(max) = self.max_connections {
            config.database.max_connections = max;
        }
        if let Some(interval) = self.watch_interval {
            config.fleet.watch_interval = interval;
        }
        config.demo_healthchecks = self.demo_healthchecks.clone();
        let drift = &self.drift;
        let target = &mut config.drift;
        if let Some(v) = drift.refresh_interval {
            target.refresh_interval = v;
        }
        if let Some(v) = drift.request_timeout {
            target.request_timeout = v;
        }
        if let Some(v) = drift.cache_ttl {
            target.cache_ttl = v;
        }
        if let Some(v) = drift.concurrency {
            target.concurrency = v;
        }
        if let Some(v) = &drift.cache_dir {
            target.cache_dir = v.clone();
        }
        for (ecosystem, url, token_env) in &drift.registries {
            let registry = target.registries.entry(*ecosystem).or_default();
            if let Some(url) = url {
                registry.url = Some(url.clone());
            }
            registry.token_env = token_env.clone();
        }
        if let Some(url) = &drift.github_api_url {
            target.github_api_url = url.clone();
        }
        target.github_token_env = drift.github_token_env.clone();
        target.git_token_env = drift.git_token_env.clone();
        target.git_token_hosts = drift.git_token_hosts.clone();
        target.git_ssh_key = drift.git_ssh_key.clone();
        target.libyear_budget = drift.libyear_budget.map(|b| b.0);
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    fleet: RawFleet,
    #[serde(default)]
    drift: RawDrift,
    #[serde(default)]
    registries: std::collections::BTreeMap<String, RawRegistry>,
    #[serde(default)]
    github: RawGitHub,
    #[serde(default)]
    git: RawGit,
    #[serde(default, rename = "service")]
    services: Vec<RawService>,
    #[serde(default)]
    demo: RawDemo,
    #[serde(default)]
    upgrades: RawUpgrades,
    #[serde(default)]
    alerts: RawAlerts,
    #[serde(default)]
    auth: RawAuth,
    #[serde(default)]
    outbound: RawOutbound,
    #[serde(default)]
    registration: RawRegistration,
    #[serde(default)]
    limits: RawLimits,
}

/// `[registration]`: what the API may register.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRegistration {
    #[serde(default)]
    header_env: Vec<String>,
    #[serde(default)]
    github_owners: Vec<String>,
    #[serde(default)]
    git_hosts: Vec<String>,
}

/// `[limits]`: every healthcheck's bounds.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    max_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDemo {
    #[serde(default)]
    healthcheck: Vec<RawSimulated>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulated {
    listen: Spanned<String>,
    format: Spanned<String>,
    #[serde(default)]
    flaky: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDrift {
    refresh_interval: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    cache_ttl: Option<Spanned<String>>,
    concurrency: Option<Spanned<u32>>,
    cache_dir: Option<String>,
    libyear_budget: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    url: Option<Spanned<String>>,
    token_env: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGitHub {
    api_url: Option<Spanned<String>>,
    token_env: Option<String>,
    #[serde(default)]
    orgs: Vec<RawOrg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    name: Spanned<String>,
    team: Spanned<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    include_archived: bool,
    #[serde(default)]
    include_forks: bool,
    tier: Option<Spanned<i64>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    slug_prefix: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGit {
    token_env: Option<String>,
    #[serde(default)]
    token_hosts: Vec<String>,
    ssh_key: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    site_root: Option<String>,
    header_timeout: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    max_connections: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
    max_connections: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    watch_interval: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    slug: Spanned<String>,
    name: Option<String>,
    team: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    tier: Option<Spanned<i64>>,
    repository: Option<Spanned<String>>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    health: Vec<RawHealth>,
    upgrades: Option<RawPolicy>,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    url: Spanned<String>,
    method: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    expect_status: Vec<Spanned<RawStatus>>,
    body_contains: Option<String>,
    slow_after: Option<Spanned<String>>,
    down_after: Option<Spanned<i64>>,
    up_after: Option<Spanned<i64>>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, RawHeader>,
}

/// `200` or `"200-299"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawStatus {
    Code(i64),
    Range(String),
}

/// `"literal"` or `{ env = "NAME" }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawHeader {
    Value(String),
    Env { env: String },
}

/// Parses and checks the text of a config file. `path` is used in messages
/// and as the base of relative repository paths.
pub fn parse_fleet_file(path: &Path, text: &str) -> Result<FleetFile, ConfigError> {
    let locate = Locator { path, text };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| locate.toml_error(&e, None))?;
    let raw: RawFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        // `Spanned` values add an internal segment to the path; people never wrote it.
        let key = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "");
        locate.toml_error(e.inner(), Some(key))
    })?;

    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base_dir = if base_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base_dir
    };
    let base_dir = std::path::absolute(&base_dir).unwrap_or(base_dir);

    let drift = check_drift(&locate, &raw, &base_dir)?;
    let github_orgs = check_orgs(&locate, &raw.github.orgs)?;
    let mut registration = check_registration(&locate, &raw.registration, &raw.limits)?;
    let listener = check_listener(&locate, &raw.server)?;
    let mut settings = FileSettings {
        listen: raw
            .server
            .listen
            .map(|listen| {
                listen.get_ref().parse().map_err(|_| {
                    locate.invalid(
                        listen.span(),
                        "server.listen",
                        format!(
                            "`{}` is not an address like 127.0.0.1:3000",
                            listen.get_ref()
                        ),
                    )
                })
            })
            .transpose()?,
        site_root: raw.server.site_root.clone().map(PathBuf::from),
        listener,
        database_url: raw.database.url.map(DatabaseUrl::new),
        max_connections: raw
            .database
            .max_connections
            .map(|max| {
                if *max.get_ref() == 0 {
                    Err(locate.invalid(
                        max.span(),
                        "database.max_connections",
                        "must be at least 1".into(),
                    ))
                } else {
                    Ok(*max.get_ref())
                }
            })
            .transpose()?,
        watch_interval: raw
            .fleet
            .watch_interval
            .map(|interval| locate.duration(&interval, "fleet.watch_interval"))
            .transpose()?,
        drift,
        demo_healthchecks: check_demo(&locate, &raw.demo.healthcheck)?,
    };

    let mut upgrades = check_upgrades(&locate, raw.upgrades)?;
    let mut alerts = check_alerts(&locate, raw.alerts, &base_dir)?;
    let auth = check_auth(&locate, raw.auth)?;
    let outbound = check_outbound(&locate, raw.outbound)?;
    let mut services: Vec<ServiceSpec> = Vec::with_capacity(raw.services.len());
    let mut first_lines = std::collections::HashMap::new();
    for (index, mut raw_service) in raw.services.into_iter().enumerate() {
        let slug_span = raw_service.slug.span();
        let own_policy = raw_service.upgrades.take();
        let depends_on = std::mem::take(&mut raw_service.depends_on);
        let service = check_service(&locate, index, raw_service, &base_dir, &registration.limits)?;
        let depends_on = check_depends_on(&locate, index, &service.slug, depends_on)?;
        if !depends_on.is_empty() {
            alerts.depends_on.insert(service.slug.clone(), depends_on);
        }
        if let Some(layer) = own_policy {
            let layer = check_policy(&locate, layer, &format!("service[{index}].upgrades"))?;
            upgrades.services.insert(service.slug.clone(), layer);
        }
        let (line, _) = locate.position(slug_span.start);
        if let Some(first) = first_lines.insert(service.slug.clone(), line) {
            return Err(locate.invalid(
                slug_span,
                &format!("service[{index}].slug"),
                format!("`{}` is already declared at line {first}", service.slug),
            ));
        }
        services.push(service);
    }
    // The fleet's own repositories say which owners and hosts are this
    // server's: the API may register those, and the git token goes there.
    for service in &services {
        match &service.repository {
            Some(spec::RepositorySource::GitHub { owner, .. }) => {
                registration
                    .github_owners
                    .insert(owner.to_ascii_lowercase());
            }
            Some(spec::RepositorySource::Git { url }) => {
                if let Some(host) = crate::common::url::https_host(url)
                    && raw.git.token_hosts.is_empty()
                {
                    settings.drift.git_token_hosts.push(host);
                }
            }
            _ => {}
        }
    }
    for org in &github_orgs {
        registration
            .github_owners
            .insert(org.org.to_ascii_lowercase());
    }
    settings.drift.git_token_hosts.sort();
    settings.drift.git_token_hosts.dedup();
    Ok(FleetFile {
        settings,
        services,
        github_orgs,
        upgrades,
        alerts,
        auth,
        outbound,
        registration,
    })
}

fn check_listener(
    locate: &Locator<'_>,
    raw: &RawServer,
) -> Result<crate::common::listener::ListenerLimits, ConfigError> {
    let mut limits = crate::common::listener::ListenerLimits::default();
    if let Some(text) = &raw.header_timeout {
        limits.header_timeout = locate.duration(text, "server.header_timeout")?;
    }
    if let Some(text) = &raw.request_timeout {
        limits.request_timeout = locate.duration(text, "server.request_timeout")?;
    }
    if let Some(max) = &raw.max_connections {
        if *max.get_ref() == 0 {
            return Err(locate.invalid(
                max.span(),
                "server.max_connections",
                "must be at least 1".into(),
            ));
        }
        limits.max_connections = *max.get_ref() as usize;
    }
    Ok(limits)
}

fn check_registration(
    locate: &Locator<'_>,
    raw: &RawRegistration,
    limits: &RawLimits,
) -> Result<RegistrationRules, ConfigError> {
    let defaults = HealthLimits::default();
    let bound = |value: &Option<Spanned<String>>, key: &str, default: Duration| {
        value
            .as_ref()
            .map(|text| locate.duration(text, key))
            .transpose()
            .map(|d| d.unwrap_or(default))
    };
    let limits = HealthLimits {
        min_interval: bound(
            &limits.min_interval,
            "limits.min_interval",
            defaults.min_interval,
        )?,
        max_interval: bound(
            &limits.max_interval,
            "limits.max_interval",
            defaults.max_interval,
        )?,
        max_timeout: bound(
            &limits.max_timeout,
            "limits.max_timeout",
            defaults.max_timeout,
        )?,
    };
    let lower = |names: &[String]| {
        names
            .iter()
            .map(|n| n.trim().to_ascii_lowercase())
            .collect()
    };
    Ok(RegistrationRules {
        header_env: raw
            .header_env
            .iter()
            .map(|n| n.trim().to_string())
            .collect(),
        github_owners: lower(&raw.github_owners),
        git_hosts: lower(&raw.git_hosts),
        limits,
    })
}

fn check_demo(
    locate: &Locator<'_>,
    raw: &[RawSimulated],
) -> Result<Vec<SimulatedHealthcheck>, ConfigError> {
    raw.iter()
        .enumerate()
        .map(|(i, sim)| {
            let listen = sim.listen.get_ref().parse().map_err(|_| {
                locate.invalid(
                    sim.listen.span(),
                    &format!("demo.healthcheck[{i}].listen"),
                    format!(
                        "`{}` is not an address like 127.0.0.1:7101",
                        sim.listen.get_ref()
                    ),
                )
            })?;
            let format = DemoFormat::parse(sim.format.get_ref()).ok_or_else(|| {
                locate.invalid(
                    sim.format.span(),
                    &format!("demo.healthcheck[{i}].format"),
                    format!(
                        "`{}` is not a format; use one of {}",
                        sim.format.get_ref(),
                        DemoFormat::NAMES.join(", ")
                    ),
                )
            })?;
            Ok(SimulatedHealthcheck {
                listen,
                format,
                flaky: sim.flaky,
            })
        })
        .collect()
}

fn check_orgs(locate: &Locator<'_>, raw: &[RawOrg]) -> Result<Vec<OrgRule>, ConfigError> {
    let mut rules: Vec<OrgRule> = Vec::with_capacity(raw.len());
    for (index, org) in raw.iter().enumerate() {
        let key = |field: &str| format!("github.orgs[{index}].{field}");
        let name = org.name.get_ref().trim().to_string();
        let valid_login =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid_login {
            return Err(locate.invalid(
                org.name.span(),
                &key("name"),
                format!("`{name}` is not a GitHub organisation name (letters, digits and hyphens)"),
            ));
        }
        if rules.iter().any(|r| r.org.eq_ignore_ascii_case(&name)) {
            return Err(locate.invalid(
                org.name.span(),
                &key("name"),
                format!("`{name}` is already named by another [[github.orgs]] table"),
            ));
        }
        let team = org.team.get_ref().trim().to_string();
        if team.is_empty() {
            return Err(locate.invalid(
                org.team.span(),
                &key("team"),
                "the team that owns the discovered services cannot be empty".into(),
            ));
        }
        let tier = match &org.tier {
            Some(tier) => spec::validate_tier(*tier.get_ref())
                .map_err(|m| locate.invalid(tier.span(), &key("tier"), m))?,
            None => DEFAULT_TIER,
        };
        let slug_prefix = match &org.slug_prefix {
            Some(prefix) => {
                let text = prefix.get_ref().trim().to_string();
                spec::validate_slug(&format!("{text}x"))
                    .map_err(|m| locate.invalid(prefix.span(), &key("slug_prefix"), m))?;
                text
            }
            None => String::new(),
        };
        rules.push(OrgRule {
            org: name,
            team,
            include: org.include.clone(),
            exclude: org.exclude.clone(),
            include_archived: org.include_archived,
            include_forks: org.include_forks,
            tier,
            tags: clean_tags(&org.tags),
            slug_prefix,
        });
    }
    Ok(rules)
}

fn check_drift(
    locate: &Locator<'_>,
    raw: &RawFile,
    base_dir: &Path,
) -> Result<DriftSettings, ConfigError> {
    let duration = |value: &Option<Spanned<String>>, key: &str| {
        value.as_ref().map(|v| locate.duration(v, key)).transpose()
    };
    let url = |value: &Spanned<String>, key: &str| {
        let text = value.get_ref().trim();
        validate_http_url(text)
            .map(|()| text.trim_end_matches('/').to_string())
            .map_err(|m| locate.invalid(value.span(), key, m))
    };
    let mut registries = Vec::new();
    for (name, registry) in &raw.registries {
        let ecosystem = Ecosystem::from_config_name(name).ok_or_else(|| {
            let known = Ecosystem::CONFIG_NAMES;
            let hint = closest(name, &known)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            locate.invalid(
                registry.url.as_ref().map_or(0..0, Spanned::span),
                &format!("registries.{name}"),
                format!(
                    "`{name}` is not an ecosystem (use {}){hint}",
                    known.join(", ")
                ),
            )
        })?;
        let base = registry
            .url
            .as_ref()
            .map(|u| url(u, &format!("registries.{name}.url")))
            .transpose()?;
        registries.push((ecosystem, base, registry.token_env.clone()));
    }
    Ok(DriftSettings {
        refresh_interval: duration(&raw.drift.refresh_interval, "drift.refresh_interval")?,
        request_timeout: duration(&raw.drift.request_timeout, "drift.request_timeout")?,
        cache_ttl: duration(&raw.drift.cache_ttl, "drift.cache_ttl")?,
        concurrency: raw
            .drift
            .concurrency
            .as_ref()
            .map(|c| {
                if *c.get_ref() == 0 {
                    Err(locate.invalid(c.span(), "drift.concurrency", "must be at least 1".into()))
                } else {
                    Ok(*c.get_ref())
                }
            })
            .transpose()?,
        cache_dir: raw.drift.cache_dir.as_ref().map(|d| base_dir.join(d)),
        registries,
        github_api_url: raw
            .github
            .api_url
            .as_ref()
            .map(|u| url(u, "github.api_url"))
            .transpose()?,
        github_token_env: raw.github.token_env.clone(),
        git_token_env: raw.git.token_env.clone(),
        git_token_hosts: raw.git.token_hosts.clone(),
        git_ssh_key: raw.git.ssh_key.as_ref().map(|k| base_dir.join(k)),
        libyear_budget: raw
            .drift
            .libyear_budget
            .as_ref()
            .map(|budget| {
                let years = *budget.get_ref();
                if years.is_finite() && years >= 0.0 {
                    Ok(LibyearBudget(years))
                } else {
                    Err(locate.invalid(
                        budget.span(),
                        "drift.libyear_budget",
                        format!("{years} is not a number of years (0 or more)"),
                    ))
                }
            })
            .transpose()?,
    })
}

fn check_service(
    locate: &Locator<'_>,
    index: usize,
    raw: RawService,
    base_dir: &Path,
    limits: &HealthLimits,
) -> Result<ServiceSpec, ConfigError> {
    let spanned = |value: &Spanned<String>| value.get_ref().clone();
    let declared = ServiceRegistration {
        slug: spanned(&raw.slug),
        name: raw.name.clone(),
        team: spanned(&raw.team),
        tags: raw.tags.clone(),
        tier: raw.tier.as_ref().map(|tier| *tier.get_ref()),
        repository: raw.repository.as_ref().map(spanned),
        public: raw.public,
        health: raw
            .health
            .iter()
            .map(|health| HealthEndpointRegistration {
                url: spanned(&health.url),
                method: health.method.as_ref().map(spanned),
                interval: health.interval.as_ref().map(spanned),
                timeout: health.timeout.as_ref().map(spanned),
                expect_status: health
                    .expect_status
                    .iter()
                    .map(|code| match code.get_ref() {
                        RawStatus::Code(code) => StatusExpectation::Code(*code),
                        RawStatus::Range(range) => StatusExpectation::Range(range.clone()),
                    })
                    .collect(),
                body_contains: health.body_contains.clone(),
                slow_after: health.slow_after.as_ref().map(spanned),
                down_after: health.down_after.as_ref().map(|n| *n.get_ref()),
                up_after: health.up_after.as_ref().map(|n| *n.get_ref()),
                headers: health
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        let source = match value {
                            RawHeader::Value(value) => HeaderValueSource::Value(value.clone()),
                            RawHeader::Env { env } => HeaderValueSource::Env { env: env.clone() },
                        };
                        (name.clone(), source)
                    })
                    .collect(),
            })
            .collect(),
    };
    check_declared_service(&declared, Declarer::FleetFile { base_dir }, limits).map_err(|error| {
        let span = span_of(&raw, &error.key);
        locate.invalid(
            span,
            &format!("service[{index}].{}", error.key),
            error.message,
        )
    })
}

/// Where in the file the field a [`FieldError`] names was written (the
/// service's slug when the field itself has no position).
fn span_of(raw: &RawService, key: &str) -> std::ops::Range<usize> {
    let fallback = raw.slug.span();
    let optional =
        |value: &Option<Spanned<String>>| value.as_ref().map_or(fallback.clone(), Spanned::span);
    match key {
        "slug" => raw.slug.span(),
        "team" => raw.team.span(),
        "tier" => raw.tier.as_ref().map_or(fallback.clone(), Spanned::span),
        "repository" => optional(&raw.repository),
        _ => {
            let Some((endpoint, field)) = key
                .strip_prefix("health[")
                .and_then(|rest| rest.split_once("]."))
            else {
                return fallback;
            };
            let Some(health) = endpoint
                .parse::<usize>()
                .ok()
                .and_then(|i| raw.health.get(i))
            else {
                return fallback;
            };
            let optional_count = |value: &Option<Spanned<i64>>| {
                value.as_ref().map_or(health.url.span(), Spanned::span)
            };
            match field {
                "method" => health
                    .method
                    .as_ref()
                    .map_or(health.url.span(), Spanned::span),
                "interval" => health
                    .interval
                    .as_ref()
                    .map_or(health.url.span(), Spanned::span),
                "timeout" => health
                    .timeout
                    .as_ref()
                    .map_or(health.url.span(), Spanned::span),
                "slow_after" => health
                    .slow_after
                    .as_ref()
                    .map_or(health.url.span(), Spanned::span),
                "down_after" => optional_count(&health.down_after),
                "up_after" => optional_count(&health.up_after),
                "expect_status" => health
                    .expect_status
                    .first()
                    .map_or(health.url.span(), Spanned::span),
                _ => health.url.span(),
            }
        }
    }
}

pub(super) struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    /// Line and column (both from 1) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    pub(super) fn invalid(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        message: String,
    ) -> ConfigError {
        let (line, column) = self.position(span.start);
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            message,
        }
    }

    /// A duration such as `30s`, or an error at its position.
    pub(super) fn duration(
        &self,
        value: &Spanned<String>,
        key: &str,
    ) -> Result<Duration, ConfigError> {
        crate::common::duration::parse_duration(value.get_ref())
            .map_err(|m| self.invalid(value.span(), key, m))
    }

    fn toml_error(&self, error: &toml::de::Error, key: Option<String>) -> ConfigError {
        let (line, column) = error
            .span()
            .map_or((1, 1), |span| self.position(span.start));
        let mut message = error.message().trim().to_string();
        if let Some(unknown) = unknown_field(&message)
            && let Some(expected) = message.split("expected one of ").nth(1)
        {
            let options: Vec<String> = expected
                .split(", ")
                .map(|o| o.trim_matches(|c| c == '`' || c == ' ').to_string())
                .collect();
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            if let Some(suggestion) = closest(&unknown, &options) {
                message = format!("{message}; did you mean `{suggestion}`?");
            }
        }
        let key = match key.filter(|k| !k.is_empty() && k != ".") {
            Some(key) => key,
            None => "(file)".to_string(),
        };
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    }
}

/// The name in serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::spec::{DEFAULT_HEALTH_TIMEOUT, RepositorySource};

    fn parse(text: &str) -> Result<FleetFile, String> {
        parse_fleet_file(Path::new("/srv/fleet/shipshape.toml"), text).map_err(|e| e.to_string())
    }

    const VALID: &str = r#"
[server]
listen = "0.0.0.0:8080"

[database]
url = "sqlite://data/shipshape.db"

[fleet]
watch_interval = "5s"

[[service]]
slug = "checkout"
name = "Checkout API"
team = "payments"
tags = ["rust", "public", "rust"]
tier = 1
repository = "services/checkout"

  [[service.health]]
  url = "http://127.0.0.1:9000/_internal_/healthcheck"
  interval = "15s"

[[service]]
slug = "ledger"
team = "payments"
repository = "github:acme/ledger"
"#;

    #[test]
    fn reads_a_valid_file() {
        let file = parse(VALID).expect("valid file");
        assert_eq!(
            file.settings.listen,
            Some("0.0.0.0:8080".parse().expect("addr"))
        );
        assert_eq!(file.settings.watch_interval, Some(Duration::from_secs(5)));
        assert_eq!(file.services.len(), 2);
        let checkout = &file.services[0];
        assert_eq!(checkout.tags, ["public", "rust"]);
        assert_eq!(checkout.tier, 1);
        assert_eq!(
            checkout.repository,
            Some(RepositorySource::Local {
                path: PathBuf::from("/srv/fleet/services/checkout")
            })
        );
        assert_eq!(
            checkout.health_endpoints[0].interval,
            Duration::from_secs(15)
        );
        assert_eq!(checkout.health_endpoints[0].timeout, DEFAULT_HEALTH_TIMEOUT);
        assert_eq!(checkout.health_endpoints[0].method, "GET");
        let ledger = &file.services[1];
        assert_eq!(
            ledger.name, "ledger",
            "the slug stands in for a missing name"
        );
        assert_eq!(ledger.tier, DEFAULT_TIER);
    }

    #[test]
    fn a_misspelt_key_names_file_line_key_and_suggests() {
        let error = parse("[server]\nlisten = \"127.0.0.1:3000\"\n\n[[service]]\nslug = \"a\"\nteam = \"t\"\ntierr = 2\n")
            .unwrap_err();
        assert!(
            error.starts_with("/srv/fleet/shipshape.toml:7:1: service[0]"),
            "{error}"
        );
        assert!(error.contains("unknown field `tierr`"), "{error}");
        assert!(error.contains("did you mean `tier`?"), "{error}");
    }

    #[test]
    fn a_wrong_type_names_file_line_and_key() {
        let error = parse("[[service]]\nslug = \"a\"\nteam = \"t\"\ntier = \"one\"\n").unwrap_err();
        assert!(
            error.starts_with("/srv/fleet/shipshape.toml:4:8: service[0].tier: "),
            "{error}"
        );
        assert!(error.contains("invalid type: string \"one\""), "{error}");
    }

    #[test]
    fn an_unknown_section_is_refused() {
        let error = parse("[servr]\nlisten = \"x\"\n").unwrap_err();
        assert!(error.starts_with("/srv/fleet/shipshape.toml:1:"), "{error}");
        assert!(error.contains("unknown field `servr`"), "{error}");
        assert!(error.contains("did you mean `server`?"), "{error}");
    }

    #[test]
    fn invalid_values_name_their_position() {
        let error = parse("[[service]]\nslug = \"a\"\nteam = \"t\"\n\n[[service]]\nslug = \"Bad Slug\"\nteam = \"t\"\n").unwrap_err();
        assert_eq!(
            error,
            "/srv/fleet/shipshape.toml:6:8: service[1].slug: `Bad Slug` must start with a lowercase letter"
        );
        let error = parse("[[service]]\nslug = \"a\"\nteam = \"t\"\n[[service.health]]\nurl = \"http://x\"\ntimeout = \"10\"\n")
            .unwrap_err();
        assert!(error.starts_with("/srv/fleet/shipshape.toml:6:11: service[0].health[0].timeout: `10` is not a duration"), "{error}");
        let error = parse("[server]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(
            error.starts_with("/srv/fleet/shipshape.toml:2:10: server.listen:"),
            "{error}"
        );
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let error = parse("[[service]]\nslug = \"a\nteam = \"t\"\n").unwrap_err();
        assert!(error.starts_with("/srv/fleet/shipshape.toml:2:"), "{error}");
    }

    #[test]
    fn a_missing_required_key_is_named() {
        let error = parse("[[service]]\nslug = \"a\"\n").unwrap_err();
        assert!(error.contains("missing field `team`"), "{error}");
        assert!(error.contains("service[0]"), "{error}");
    }

    #[test]
    fn duplicate_slugs_are_refused_with_both_lines() {
        let error = parse(
            "[[service]]\nslug = \"a\"\nteam = \"t\"\n[[service]]\nslug = \"a\"\nteam = \"u\"\n",
        )
        .unwrap_err();
        assert_eq!(
            error,
            "/srv/fleet/shipshape.toml:5:8: service[1].slug: `a` is already declared at line 2"
        );
    }
}
