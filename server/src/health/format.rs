//! What a healthcheck's answer says, in whichever standard shape it comes:
//! the plain `{"status": "healthy"}`, IETF `application/health+json`
//! (draft-inadarei-api-health-check), Spring Boot Actuator, or the status
//! code alone. Pure: the poller hands over the status, content type and
//! (bounded) body.

use serde_json::{Map, Value};

/// The shape an answer was recognised in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `{"status": "healthy"}`.
    Standard,
    /// IETF `application/health+json`.
    HealthJson,
    /// Spring Boot Actuator's `/actuator/health`.
    SpringActuator,
    /// No body Shipshape understands: the status code decides.
    StatusCode,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Standard => "standard",
            Format::HealthJson => "health+json",
            Format::SpringActuator => "spring-actuator",
            Format::StatusCode => "status-code",
        }
    }
}

/// What one answer (or one component of it) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    /// Working, with a warning (health+json `warn`).
    Warn,
    /// The service does not know (Actuator `UNKNOWN`).
    Unknown,
    Fail,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Unknown => "unknown",
            Verdict::Fail => "fail",
        }
    }
}

/// One component check (`db:connections`, Actuator's `db`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentCheck {
    pub name: String,
    pub verdict: Verdict,
    /// What the service said about it: `output`, or value and unit.
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub format: Format,
    pub verdict: Verdict,
    /// Why the verdict is not `Pass`, said for a person.
    pub reason: Option<String>,
    pub components: Vec<ComponentCheck>,
    pub version: Option<String>,
    pub release_id: Option<String>,
    /// Whether the answer is in one of the standard shapes; a service that
    /// answers otherwise is flagged as non-conforming.
    pub conforming: bool,
}

/// Reads an answer. A status outside 200–399 fails whatever the body says
/// (and the standard shape wants a 2xx); the body's own verdict and its
/// components are still kept, since they say *why*.
pub fn interpret(status: u16, content_type: Option<&str>, body: &[u8]) -> Reading {
    interpret_expecting(status, None, content_type, body)
}

/// Like [`interpret`], with the endpoint's own list of status codes that
/// count as answering (`expect_status` in config) instead of the format's.
pub fn interpret_expecting(
    status: u16,
    expected: Option<&[std::ops::RangeInclusive<u16>]>,
    content_type: Option<&str>,
    body: &[u8],
) -> Reading {
    let declared_health_json = content_type.is_some_and(|c| {
        c.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/health+json"))
    });
    let document = serde_json::from_slice::<Value>(body).ok();
    let object = document.as_ref().and_then(Value::as_object);
    let status_text = object
        .and_then(|o| o.get("status"))
        .and_then(Value::as_str)
        .map(str::to_string);

    let mut reading = match (object, status_text) {
        (Some(object), Some(status_text)) => {
            match detect(object, &status_text, declared_health_json) {
                Format::HealthJson => health_json(object, &status_text),
                Format::SpringActuator => actuator(object, &status_text),
                _ => standard(&status_text),
            }
        }
        _ => Reading {
            format: Format::StatusCode,
            verdict: Verdict::Pass,
            reason: None,
            components: Vec::new(),
            version: None,
            release_id: None,
            conforming: false,
        },
    };

    let code_fails = match (expected, reading.format) {
        (Some(expected), _) => !expected.iter().any(|range| range.contains(&status)),
        (None, Format::Standard) => !(200..300).contains(&status),
        (None, _) => !(200..400).contains(&status),
    };
    if code_fails {
        let said = reading
            .reason
            .take()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let wanted = if expected.is_some() {
            ", not an expected status"
        } else {
            ""
        };
        reading.reason = Some(format!("answered HTTP {status}{wanted}{said}"));
        reading.verdict = Verdict::Fail;
    }
    reading
}

const ACTUATOR_STATUSES: [&str; 4] = ["UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"];

fn detect(object: &Map<String, Value>, status: &str, declared_health_json: bool) -> Format {
    let health_json_fields = ["checks", "releaseId", "serviceId", "output", "notes"]
        .iter()
        .any(|field| object.contains_key(*field));
    if declared_health_json || health_json_fields {
        return Format::HealthJson;
    }
    if object.contains_key("components") || ACTUATOR_STATUSES.contains(&status) {
        return Format::SpringActuator;
    }
    if health_json_verdict(status).is_some() && !status.eq_ignore_ascii_case("healthy") {
        return Format::HealthJson;
    }
    Format::Standard
}

fn standard(status: &str) -> Reading {
    let healthy = status == "healthy";
    Reading {
        format: Format::Standard,
        verdict: if healthy {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        reason: (!healthy).then(|| format!("status is `{status}`, not `healthy`")),
        components: Vec::new(),
        version: None,
        release_id: None,
        conforming: true,
    }
}

/// health+json's values, with the aliases the draft allows, any case.
fn health_json_verdict(status: &str) -> Option<Verdict> {
    match status.to_ascii_lowercase().as_str() {
        "pass" | "ok" | "up" => Some(Verdict::Pass),
        "warn" => Some(Verdict::Warn),
        "fail" | "error" | "down" => Some(Verdict::Fail),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn health_json(object: &Map<String, Value>, status: &str) -> Reading {
    let (verdict, mut reason) = match health_json_verdict(status) {
        Some(verdict) => (verdict, None),
        None => (
            Verdict::Fail,
            Some(format!("status `{status}` is not pass, warn or fail")),
        ),
    };
    let output = text(object.get("output"));
    if verdict != Verdict::Pass && reason.is_none() {
        reason = output
            .clone()
            .or_else(|| Some(format!("status is `{status}`")));
    }
    let mut components = Vec::new();
    if let Some(checks) = object.get("checks").and_then(Value::as_object) {
        for (key, observations) in checks {
            let observations: Vec<&Value> = match observations {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let several = observations.len() > 1;
            for observation in observations {
                let Some(observation) = observation.as_object() else {
                    continue;
                };
                let name = match (several, text(observation.get("componentId"))) {
                    (true, Some(id)) => format!("{key} ({id})"),
                    _ => key.clone(),
                };
                let component_verdict = observation
                    .get("status")
                    .and_then(Value::as_str)
                    .map_or(Verdict::Pass, |s| {
                        health_json_verdict(s).unwrap_or(Verdict::Fail)
                    });
                let value = text(observation.get("observedValue")).map(|value| {
                    match text(observation.get("observedUnit")) {
                        Some(unit) => format!("{value} {unit}"),
                        None => value,
                    }
                });
                components.push(ComponentCheck {
                    name,
                    verdict: component_verdict,
                    detail: text(observation.get("output")).or(value),
                });
            }
        }
    }
    if verdict != Verdict::Pass
        && output.is_none()
        && let Some(failing) = components.iter().find(|c| c.verdict >= Verdict::Warn)
    {
        reason = Some(match &failing.detail {
            Some(detail) => format!("{} is {}: {detail}", failing.name, failing.verdict.name()),
            None => format!("{} is {}", failing.name, failing.verdict.name()),
        });
    }
    Reading {
        format: Format::HealthJson,
        verdict,
        reason,
        components,
        version: text(object.get("version")),
        release_id: text(object.get("releaseId")),
        conforming: true,
    }
}

fn actuator_verdict(status: &str) -> Verdict {
    match status {
        "UP" => Verdict::Pass,
        "UNKNOWN" => Verdict::Unknown,
        _ => Verdict::Fail,
    }
}

/// Actuator nests `components` (which may have `components` of their
/// own); each leaf and group is kept as `parent/child`.
fn actuator(object: &Map<String, Value>, status: &str) -> Reading {
    fn walk(prefix: &str, components: &Map<String, Value>, out: &mut Vec<ComponentCheck>) {
        for (name, component) in components {
            let full = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let status = component
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN");
            let detail = component
                .get("details")
                .and_then(Value::as_object)
                .and_then(|details| {
                    text(details.get("error")).or_else(|| {
                        (!details.is_empty()).then(|| {
                            Value::Object(details.clone())
                                .to_string()
                                .chars()
                                .take(200)
                                .collect()
                        })
                    })
                });
            out.push(ComponentCheck {
                name: full.clone(),
                verdict: actuator_verdict(status),
                detail,
            });
            if let Some(children) = component.get("components").and_then(Value::as_object) {
                walk(&full, children, out);
            }
        }
    }
    let mut components = Vec::new();
    if let Some(top) = object.get("components").and_then(Value::as_object) {
        walk("", top, &mut components);
    }
    let known = ACTUATOR_STATUSES.contains(&status);
    let verdict = if known {
        actuator_verdict(status)
    } else {
        Verdict::Fail
    };
    let reason = match verdict {
        Verdict::Pass => None,
        _ if !known => Some(format!(
            "status `{status}` is not UP, DOWN, OUT_OF_SERVICE or UNKNOWN"
        )),
        _ => Some(
            components
                .iter()
                .find(|c| c.verdict == Verdict::Fail)
                .map(|c| match &c.detail {
                    Some(detail) => format!("{} is down: {detail}", c.name),
                    None => format!("{} is down", c.name),
                })
                .unwrap_or_else(|| format!("status is {status}")),
        ),
    };
    Reading {
        format: Format::SpringActuator,
        verdict,
        reason,
        components,
        version: None,
        release_id: None,
        conforming: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn the_standard_shape_is_healthy_only_with_healthy_and_a_2xx() {
        let ok = interpret(200, JSON, br#"{"status":"healthy"}"#);
        assert_eq!(
            (ok.format, ok.verdict, ok.conforming),
            (Format::Standard, Verdict::Pass, true)
        );
        let other = interpret(200, JSON, br#"{"status":"starting"}"#);
        assert_eq!(other.verdict, Verdict::Fail);
        assert_eq!(
            other.reason.as_deref(),
            Some("status is `starting`, not `healthy`")
        );
        let redirected = interpret(302, JSON, br#"{"status":"healthy"}"#);
        assert_eq!(redirected.verdict, Verdict::Fail);
        assert_eq!(redirected.reason.as_deref(), Some("answered HTTP 302"));
    }

    /// The example of draft-inadarei-api-health-check-06, section 3.
    const IETF_EXAMPLE: &str = r#"{
      "status": "warn", "version": "1", "releaseId": "1.2.2",
      "notes": [""], "output": "", "serviceId": "f03e522f-1f44-4062-9b55-9587f91c9c41",
      "description": "health of authz service",
      "checks": {
        "cassandra:responseTime": [
          { "componentId": "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2", "componentType": "datastore",
            "observedValue": 250, "observedUnit": "ms", "status": "pass",
            "affectedEndpoints": ["/users/{userId}"], "time": "2019-01-20T10:03:06.00Z", "output": "" },
          { "componentId": "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d3", "componentType": "datastore",
            "observedValue": 1200, "observedUnit": "ms", "status": "warn",
            "time": "2019-01-20T10:03:06.00Z", "output": "" }
        ],
        "uptime": [
          { "componentType": "system", "observedValue": 1209600.245, "observedUnit": "s",
            "status": "pass", "time": "2018-01-17T03:36:48Z" }
        ]
      },
      "links": { "about": "http://api.example.com/about/authz" }
    }"#;

    #[test]
    fn health_json_keeps_checks_version_and_release() {
        let reading = interpret(
            200,
            Some("application/health+json"),
            IETF_EXAMPLE.as_bytes(),
        );
        assert_eq!(reading.format, Format::HealthJson);
        assert_eq!(reading.verdict, Verdict::Warn);
        assert_eq!(reading.version.as_deref(), Some("1"));
        assert_eq!(reading.release_id.as_deref(), Some("1.2.2"));
        assert_eq!(reading.components.len(), 3);
        let slow = &reading.components[1];
        assert_eq!(
            slow.name,
            "cassandra:responseTime (dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d3)"
        );
        assert_eq!(
            (slow.verdict, slow.detail.as_deref()),
            (Verdict::Warn, Some("1200 ms"))
        );
        assert_eq!(reading.components[2].name, "uptime");
        assert_eq!(
            reading.reason.as_deref(),
            Some("cassandra:responseTime (dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d3) is warn: 1200 ms")
        );
    }

    #[test]
    fn health_json_aliases_are_read_in_any_case_and_detected_without_the_content_type() {
        for (status, verdict) in [
            ("OK", Verdict::Pass),
            ("Up", Verdict::Pass),
            ("pass", Verdict::Pass),
            ("ERROR", Verdict::Fail),
            ("down", Verdict::Fail),
            ("fail", Verdict::Fail),
        ] {
            let body = format!(r#"{{"status":"{status}","checks":{{}}}}"#);
            let reading = interpret(200, JSON, body.as_bytes());
            assert_eq!(
                (reading.format, reading.verdict),
                (Format::HealthJson, verdict),
                "{status}"
            );
        }
        let failing = interpret(
            503,
            Some("application/health+json; charset=utf-8"),
            br#"{"status":"fail","output":"disk full"}"#,
        );
        assert_eq!(failing.verdict, Verdict::Fail);
        assert_eq!(
            failing.reason.as_deref(),
            Some("answered HTTP 503 (disk full)")
        );
        let odd = interpret(
            200,
            Some("application/health+json"),
            br#"{"status":"sunny"}"#,
        );
        assert_eq!(odd.verdict, Verdict::Fail);
        assert!(odd.reason.unwrap().contains("`sunny`"));
    }

    /// As Spring Boot 3 answers `/actuator/health` with `show-details: always`.
    const ACTUATOR_DOWN: &str = r#"{
      "status": "DOWN",
      "components": {
        "db": { "status": "DOWN", "details": { "database": "PostgreSQL", "error": "org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection" } },
        "diskSpace": { "status": "UP", "details": { "total": 499963174912, "free": 91300069376, "threshold": 10485760, "exists": true } },
        "ping": { "status": "UP" },
        "readiness": { "status": "UP", "components": { "readinessState": { "status": "UP" } } }
      }
    }"#;

    #[test]
    fn actuator_components_are_flattened_and_the_failing_one_explains() {
        let reading = interpret(
            503,
            Some("application/vnd.spring-boot.actuator.v3+json"),
            ACTUATOR_DOWN.as_bytes(),
        );
        assert_eq!(reading.format, Format::SpringActuator);
        assert_eq!(reading.verdict, Verdict::Fail);
        let names: Vec<&str> = reading.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "db",
                "diskSpace",
                "ping",
                "readiness",
                "readiness/readinessState"
            ]
        );
        assert_eq!(
            reading.reason.as_deref(),
            Some(
                "answered HTTP 503 (db is down: org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection)"
            )
        );
        let up = interpret(200, JSON, br#"{"status":"UP"}"#);
        assert_eq!(
            (up.format, up.verdict),
            (Format::SpringActuator, Verdict::Pass)
        );
        let unknown = interpret(200, JSON, br#"{"status":"UNKNOWN"}"#);
        assert_eq!(unknown.verdict, Verdict::Unknown);
        let out = interpret(200, JSON, br#"{"status":"OUT_OF_SERVICE"}"#);
        assert_eq!(out.verdict, Verdict::Fail);
    }

    #[test]
    fn anything_else_is_decided_by_the_status_code_and_flagged_non_conforming() {
        for body in [
            &b"OK"[..],
            b"",
            b"{\"healthy\": true}",
            b"[1,2]",
            b"\xff\xfe garbage",
        ] {
            let reading = interpret(204, Some("text/plain"), body);
            assert_eq!(
                (reading.format, reading.verdict, reading.conforming),
                (Format::StatusCode, Verdict::Pass, false)
            );
        }
        let moved = interpret(301, None, b"");
        assert_eq!(
            moved.verdict,
            Verdict::Pass,
            "200-399 is up for a status-code-only check"
        );
        let expected = [418..=418];
        let teapot = interpret_expecting(418, Some(&expected), None, b"");
        assert_eq!(
            teapot.verdict,
            Verdict::Pass,
            "an endpoint's own expected codes win"
        );
        let ok_but_unexpected =
            interpret_expecting(200, Some(&expected), JSON, br#"{"status":"healthy"}"#);
        assert_eq!(
            ok_but_unexpected.reason.as_deref(),
            Some("answered HTTP 200, not an expected status")
        );
        let broken = interpret(500, Some("text/html"), b"<h1>Internal Server Error</h1>");
        assert_eq!(
            (broken.verdict, broken.reason.as_deref()),
            (Verdict::Fail, Some("answered HTTP 500"))
        );
    }
}
