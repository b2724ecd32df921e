//! A service as a person declares it (a fleet-file `[[service]]` table or
//! a body sent to `POST /api/v1/services`), checked into a [`ServiceSpec`].
//! One set of rules for both: the config file maps a [`FieldError`]'s key
//! to its line and column, the API answers it as it is. Pure.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use shipshape_types::model::{
    HeaderValueSource, HealthEndpointRegistration, ServiceRegistration, StatusExpectation,
};

use super::spec::{
    DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_TIMEOUT, DEFAULT_TIER, Expectations, HeaderSource,
    HealthEndpointSpec, RepositorySource, ServiceSpec, parse_status_range, validate_method,
    validate_slug, validate_tier,
};
use crate::common::duration::parse_duration;
use crate::common::url::validate_http_url;

/// What is wrong, and with which field (`health[0].interval`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

fn field(key: impl Into<String>) -> impl FnOnce(String) -> FieldError {
    let key = key.into();
    move |message| FieldError { key, message }
}

/// Trimmed, without empties, sorted and without repeats.
pub fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Who declares a service, and so how much of the server it may use.
#[derive(Clone, Copy, Debug)]
pub enum Declarer<'a> {
    /// The admin's fleet file, with its full power: any repository (a
    /// relative path is taken from `base_dir`, the file's folder) and
    /// header values read from the server's environment.
    FleetFile { base_dir: &'a Path },
    /// A caller of the API (most often a CI job with an operator token):
    /// only what the admin allowed in `[registration]`.
    Api(&'a RegistrationRules),
}

/// What a service registered through the API may ask of the server. An
/// operator token must not turn the server's own credentials and
/// environment against it: no other organisation's repositories through
/// the server's GitHub token, no clone from a host the git token does not
/// belong to, no secret read from the environment into a header sent to a
/// URL of the caller's choosing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistrationRules {
    /// Environment variables a health header may be read from.
    pub header_env: BTreeSet<String>,
    /// GitHub owners (organisations or users), lower case, whose
    /// repositories may be registered as `github:owner/repo`.
    pub github_owners: BTreeSet<String>,
    /// Hosts, lower case, that `https://` git repositories may come from.
    pub git_hosts: BTreeSet<String>,
    /// The bounds of every healthcheck's schedule.
    pub limits: HealthLimits,
}

/// How often and how long a healthcheck may run, for the file and the
/// API alike: a check every millisecond or one that waits for a year
/// would starve every other endpoint of the monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthLimits {
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub max_timeout: Duration,
}

impl Default for HealthLimits {
    fn default() -> Self {
        HealthLimits {
            min_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(24 * 3600),
            max_timeout: Duration::from_secs(60),
        }
    }
}

impl HealthLimits {
    /// Whether `interval` and `timeout` are within the bounds; the message
    /// names the setting to change. Pure.
    pub fn check(
        &self,
        interval: Duration,
        timeout: Duration,
    ) -> Result<(), (&'static str, String)> {
        let shown = |d: Duration| crate::common::duration::format_duration(d);
        if interval < self.min_interval || interval > self.max_interval {
            return Err((
                "interval",
                format!(
                    "{} is outside the allowed {} to {} ([limits] min_interval and max_interval in the config)",
                    shown(interval),
                    shown(self.min_interval),
                    shown(self.max_interval)
                ),
            ));
        }
        if timeout.is_zero() || timeout > self.max_timeout {
            return Err((
                "timeout",
                format!(
                    "{} is outside the allowed 1ms to {} ([limits] max_timeout in the config)",
                    shown(timeout),
                    shown(self.max_timeout)
                ),
            ));
        }
        if timeout > interval {
            return Err((
                "timeout",
                format!(
                    "{} is longer than the interval ({}): checks of one endpoint would overlap",
                    shown(timeout),
                    shown(interval)
                ),
            ));
        }
        Ok(())
    }
}

impl RegistrationRules {
    /// Whether the API may register `repository`; the message says what
    /// it may register instead.
    fn allows_repository(&self, repository: &RepositorySource) -> Result<(), String> {
        match repository {
            RepositorySource::GitHub { owner, repo } => {
                if self.github_owners.contains(&owner.to_ascii_lowercase()) {
                    Ok(())
                } else {
                    Err(format!(
                        "github:{owner}/{repo} is not in an organisation this server watches ({}); an admin adds owners in [registration] github_owners",
                        listed(&self.github_owners)
                    ))
                }
            }
            RepositorySource::Git { url } => {
                let host = crate::common::url::https_host(url).ok_or_else(|| {
                    "only https:// git URLs without credentials may be registered through the API".to_string()
                })?;
                if self.git_hosts.contains(&host) {
                    Ok(())
                } else {
                    Err(format!(
                        "the git host {host} is not one this server clones from ({}); an admin adds hosts in [registration] git_hosts",
                        listed(&self.git_hosts)
                    ))
                }
            }
            RepositorySource::Local { .. } => Err(
                "a folder on the server cannot be registered through the API; use github:owner/repo or an https:// git URL".to_string(),
            ),
        }
    }
}

fn listed(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        "none are allowed".to_string()
    } else {
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Checks a declared service.
pub fn check_service(
    declared: &ServiceRegistration,
    declarer: Declarer<'_>,
    limits: &HealthLimits,
) -> Result<ServiceSpec, FieldError> {
    let base_dir = match declarer {
        Declarer::FleetFile { base_dir } => base_dir,
        Declarer::Api(_) => Path::new("/"),
    };
    let slug = declared.slug.trim().to_string();
    validate_slug(&slug).map_err(field("slug"))?;
    let team = declared.team.trim().to_string();
    if team.is_empty() {
        return Err(field("team")("the owning team cannot be empty".into()));
    }
    let tier = match declared.tier {
        Some(tier) => validate_tier(tier).map_err(field("tier"))?,
        None => DEFAULT_TIER,
    };
    let repository = declared
        .repository
        .as_deref()
        .map(|text| RepositorySource::parse(text, base_dir).map_err(field("repository")))
        .transpose()?;
    if let (Declarer::Api(rules), Some(repository)) = (declarer, &repository) {
        rules
            .allows_repository(repository)
            .map_err(field("repository"))?;
    }
    let health_endpoints = declared
        .health
        .iter()
        .enumerate()
        .map(|(index, endpoint)| {
            check_endpoint(endpoint, &format!("health[{index}]"), declarer, limits)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ServiceSpec {
        name: declared
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&slug)
            .to_string(),
        slug,
        team,
        tags: clean_tags(&declared.tags),
        tier,
        repository,
        health_endpoints,
        public: declared.public,
    })
}

/// Checks one healthcheck; `prefix` names it in errors (`health[0]`).
pub fn check_endpoint(
    declared: &HealthEndpointRegistration,
    prefix: &str,
    declarer: Declarer<'_>,
    limits: &HealthLimits,
) -> Result<HealthEndpointSpec, FieldError> {
    let key = |name: &str| format!("{prefix}.{name}");
    validate_http_url(&declared.url).map_err(field(key("url")))?;
    let method = match &declared.method {
        Some(method) => validate_method(method).map_err(field(key("method")))?,
        None => "GET".to_string(),
    };
    let duration = |value: &Option<String>, name: &str, default: Duration| match value {
        Some(text) => parse_duration(text).map_err(field(key(name))),
        None => Ok(default),
    };
    let interval = duration(&declared.interval, "interval", DEFAULT_HEALTH_INTERVAL)?;
    // Left out, the timeout is the default or the interval, the shorter.
    let timeout = duration(
        &declared.timeout,
        "timeout",
        DEFAULT_HEALTH_TIMEOUT.min(interval),
    )?;
    limits
        .check(interval, timeout)
        .map_err(|(name, message)| field(key(name))(message))?;
    let status = declared
        .expect_status
        .iter()
        .map(|code| {
            let text = match code {
                StatusExpectation::Code(code) => code.to_string(),
                StatusExpectation::Range(range) => range.clone(),
            };
            parse_status_range(&text).map_err(field(key("expect_status")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let slow_after_ms = declared
        .slow_after
        .as_deref()
        .map(|text| {
            parse_duration(text)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .map_err(field(key("slow_after")))
        })
        .transpose()?;
    let in_a_row = |value: Option<i64>, name: &str| {
        value
            .map(|n| match u32::try_from(n) {
                Ok(count @ 1..=100) => Ok(count),
                _ => Err(field(key(name))(format!(
                    "must be a number of checks from 1 to 100, not {n}"
                ))),
            })
            .transpose()
    };
    let down_after = in_a_row(declared.down_after, "down_after")?;
    let up_after = in_a_row(declared.up_after, "up_after")?;
    let mut headers = Vec::with_capacity(declared.headers.len());
    for (name, value) in &declared.headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(field(key("headers"))(format!(
                "`{name}` is not an HTTP header name"
            )));
        }
        let source = match value {
            HeaderValueSource::Value(value) => HeaderSource::Value(value.clone()),
            HeaderValueSource::Env { env } => {
                if let Declarer::Api(rules) = declarer
                    && !rules.header_env.contains(env)
                {
                    return Err(field(format!("{}.{name}", key("headers")))(format!(
                        "a service registered through the API may not read the server's environment variable `{env}`; an admin allows named variables in [registration] header_env"
                    )));
                }
                HeaderSource::Env(env.clone())
            }
        };
        headers.push((name.clone(), source));
    }
    Ok(HealthEndpointSpec {
        url: declared.url.clone(),
        method,
        interval,
        timeout,
        expect: Expectations {
            status,
            headers,
            body_contains: declared.body_contains.clone().filter(|b| !b.is_empty()),
            slow_after_ms,
            down_after,
            up_after,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(base_dir: &str) -> Declarer<'_> {
        Declarer::FleetFile {
            base_dir: Path::new(base_dir),
        }
    }

    fn declared(slug: &str) -> ServiceRegistration {
        ServiceRegistration {
            slug: slug.into(),
            name: None,
            team: "payments".into(),
            tags: vec!["rust".into(), " rust ".into(), String::new()],
            tier: None,
            repository: None,
            public: false,
            health: vec![],
        }
    }

    fn endpoint() -> HealthEndpointRegistration {
        HealthEndpointRegistration {
            url: "http://127.0.0.1:9000/health".into(),
            method: None,
            interval: Some("15s".into()),
            timeout: None,
            expect_status: vec![
                StatusExpectation::Code(200),
                StatusExpectation::Range("204-299".into()),
            ],
            body_contains: Some(String::new()),
            slow_after: Some("800ms".into()),
            down_after: None,
            up_after: Some(4),
            headers: [(
                "authorization".to_string(),
                HeaderValueSource::Env {
                    env: "TOKEN".into(),
                },
            )]
            .into(),
        }
    }

    #[test]
    fn a_declared_service_gets_its_defaults_and_clean_tags() {
        let mut service = declared("checkout");
        service.health = vec![endpoint()];
        let spec = check_service(&service, file("/srv"), &HealthLimits::default()).expect("valid");
        assert_eq!((spec.name.as_str(), spec.tier), ("checkout", DEFAULT_TIER));
        assert_eq!(spec.tags, ["rust"]);
        let health = &spec.health_endpoints[0];
        assert_eq!(
            (health.method.as_str(), health.interval, health.timeout),
            ("GET", Duration::from_secs(15), DEFAULT_HEALTH_TIMEOUT)
        );
        assert_eq!(health.expect.status, [(200, 200), (204, 299)]);
        assert_eq!(
            health.expect.body_contains, None,
            "an empty text asks for nothing"
        );
        assert_eq!(health.expect.slow_after_ms, Some(800));
        assert_eq!(health.expect.up_after, Some(4));
        assert_eq!(
            health.expect.headers,
            [(
                "authorization".to_string(),
                HeaderSource::Env("TOKEN".into())
            )]
        );
    }

    #[test]
    fn each_mistake_names_its_field() {
        let error =
            check_service(&declared("Bad"), file("/"), &HealthLimits::default()).unwrap_err();
        assert_eq!(error.key, "slug");
        let mut service = declared("a");
        service.team = " ".into();
        assert_eq!(
            check_service(&service, file("/"), &HealthLimits::default())
                .unwrap_err()
                .key,
            "team"
        );
        let mut service = declared("a");
        service.tier = Some(9);
        assert_eq!(
            check_service(&service, file("/"), &HealthLimits::default())
                .unwrap_err()
                .key,
            "tier"
        );
        let mut service = declared("a");
        let mut wrong = endpoint();
        wrong.interval = Some("often".into());
        service.health = vec![endpoint(), wrong];
        let error = check_service(&service, file("/"), &HealthLimits::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("health[1].interval: `often` is not a duration"),
            "{error}"
        );
        let mut wrong = endpoint();
        wrong.down_after = Some(0);
        assert_eq!(
            check_endpoint(&wrong, "health[0]", file("/"), &HealthLimits::default())
                .unwrap_err()
                .key,
            "health[0].down_after"
        );
        let mut wrong = endpoint();
        wrong.headers = [(
            "bad header".to_string(),
            HeaderValueSource::Value("x".into()),
        )]
        .into();
        assert_eq!(
            check_endpoint(&wrong, "health[0]", file("/"), &HealthLimits::default())
                .unwrap_err()
                .key,
            "health[0].headers"
        );
    }

    fn api_rules() -> RegistrationRules {
        RegistrationRules {
            header_env: ["CHECK_TOKEN".to_string()].into(),
            github_owners: ["acme".to_string()].into(),
            git_hosts: ["git.acme.dev".to_string()].into(),
            limits: HealthLimits::default(),
        }
    }

    #[test]
    fn the_api_may_not_read_the_servers_environment_or_reach_other_repositories() {
        let rules = api_rules();
        let api = Declarer::Api(&rules);
        let limits = HealthLimits::default();
        let mut service = declared("checkout");
        service.health = vec![endpoint()];
        service.health[0].headers = [(
            "x-leak".to_string(),
            HeaderValueSource::Env {
                env: "SHIPSHAPE_ADMIN_PASSWORD".into(),
            },
        )]
        .into();
        let error = check_service(&service, api, &limits).unwrap_err();
        assert_eq!(error.key, "health[0].headers.x-leak");
        assert!(
            error.message.contains("SHIPSHAPE_ADMIN_PASSWORD"),
            "{error}"
        );
        // The fleet file keeps its power; an allowed name passes the API.
        assert!(check_service(&service, file("/"), &limits).is_ok());
        service.health[0].headers = [(
            "authorization".to_string(),
            HeaderValueSource::Env {
                env: "CHECK_TOKEN".into(),
            },
        )]
        .into();
        assert!(check_service(&service, api, &limits).is_ok());

        let repository = |text: &str| {
            let mut service = declared("checkout");
            service.repository = Some(text.to_string());
            check_service(&service, api, &limits).map(|spec| spec.repository)
        };
        assert!(repository("github:acme/checkout").is_ok());
        assert!(repository("https://github.com/ACME/checkout").is_ok());
        assert!(repository("https://git.acme.dev/team/checkout.git").is_ok());
        for refused in [
            "github:someone-else/secrets",
            "https://evil.example/acme/checkout.git",
            "http://git.acme.dev/team/checkout.git",
            "https://user:pw@git.acme.dev/team/checkout.git",
            "ssh://git@git.acme.dev/team/checkout.git",
            "git://git.acme.dev/team/checkout.git",
            "file:///etc",
            "/etc",
            "../..",
            "-oProxyCommand=touch@x:y",
        ] {
            let error = repository(refused).unwrap_err();
            assert_eq!(error.key, "repository", "{refused}");
        }
    }

    #[test]
    fn schedules_are_bounded() {
        let limits = HealthLimits::default();
        let with = |interval: &str, timeout: &str| {
            let mut service = declared("checkout");
            let mut health = endpoint();
            health.interval = Some(interval.into());
            health.timeout = Some(timeout.into());
            service.health = vec![health];
            check_service(&service, file("/"), &limits).map_err(|e| e.key)
        };
        assert!(with("30s", "5s").is_ok());
        assert_eq!(with("1ms", "1ms").unwrap_err(), "health[0].interval");
        assert_eq!(with("400d", "5s").unwrap_err(), "health[0].interval");
        assert_eq!(with("1h", "3650d").unwrap_err(), "health[0].timeout");
        assert_eq!(with("10s", "20s").unwrap_err(), "health[0].timeout");
    }
}
