//! A service as a person declares it (a fleet-file `[[service]]` table or
//! a body sent to `POST /api/v1/services`), checked into a [`ServiceSpec`].
//! One set of rules for both: the config file maps a [`FieldError`]'s key
//! to its line and column, the API answers it as it is. Pure.

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

/// Checks a declared service. Relative repository paths are taken from
/// `base_dir` (the fleet file's folder).
pub fn check_service(
    declared: &ServiceRegistration,
    base_dir: &Path,
) -> Result<ServiceSpec, FieldError> {
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
    let health_endpoints = declared
        .health
        .iter()
        .enumerate()
        .map(|(index, endpoint)| check_endpoint(endpoint, &format!("health[{index}]")))
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
    let timeout = duration(&declared.timeout, "timeout", DEFAULT_HEALTH_TIMEOUT)?;
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
            HeaderValueSource::Env { env } => HeaderSource::Env(env.clone()),
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
        let spec = check_service(&service, Path::new("/srv")).expect("valid");
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
        let error = check_service(&declared("Bad"), Path::new("/")).unwrap_err();
        assert_eq!(error.key, "slug");
        let mut service = declared("a");
        service.team = " ".into();
        assert_eq!(
            check_service(&service, Path::new("/")).unwrap_err().key,
            "team"
        );
        let mut service = declared("a");
        service.tier = Some(9);
        assert_eq!(
            check_service(&service, Path::new("/")).unwrap_err().key,
            "tier"
        );
        let mut service = declared("a");
        let mut wrong = endpoint();
        wrong.interval = Some("often".into());
        service.health = vec![endpoint(), wrong];
        let error = check_service(&service, Path::new("/")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("health[1].interval: `often` is not a duration"),
            "{error}"
        );
        let mut wrong = endpoint();
        wrong.down_after = Some(0);
        assert_eq!(
            check_endpoint(&wrong, "health[0]").unwrap_err().key,
            "health[0].down_after"
        );
        let mut wrong = endpoint();
        wrong.headers = [(
            "bad header".to_string(),
            HeaderValueSource::Value("x".into()),
        )]
        .into();
        assert_eq!(
            check_endpoint(&wrong, "health[0]").unwrap_err().key,
            "health[0].headers"
        );
    }
}
