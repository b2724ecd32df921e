//! The demo's simulated services: small healthchecks on loopback, started
//! with Shipshape when the config asks (`[[demo.healthcheck]]`), so that a
//! first start shows a dashboard that moves. Each answers in one of the
//! shapes Shipshape reads, with a latency that wanders; a `flaky` one fails
//! for a minute and a half in every ten. `POST /_demo/down`, `/_demo/up`
//! and `/_demo/auto` switch one by hand, to watch an incident happen.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::common::clock::{Clock, SystemClock};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoFormat {
    /// `{"status": "healthy"}`
    Standard,
    /// IETF `application/health+json`
    HealthJson,
    /// Spring Boot Actuator
    SpringActuator,
    /// An empty 200 or 503.
    StatusCode,
}

impl DemoFormat {
    pub const NAMES: [&'static str; 4] =
        ["standard", "health+json", "spring-actuator", "status-code"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "standard" => Some(DemoFormat::Standard),
            "health+json" => Some(DemoFormat::HealthJson),
            "spring-actuator" => Some(DemoFormat::SpringActuator),
            "status-code" => Some(DemoFormat::StatusCode),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedHealthcheck {
    pub listen: SocketAddr,
    pub format: DemoFormat,
    pub flaky: bool,
}

/// How a simulated service is doing at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Healthy,
    /// Working, with a warning (health+json's `warn`, a slow database).
    Warning,
    Failing,
}

const CYCLE_MS: i64 = 10 * 60_000;

/// A flaky service's condition at `now_ms`: failing 90 s in every ten
/// minutes, warning for the minute before. Pure, so it is tested.
pub fn flaky_condition(now_ms: i64) -> Condition {
    match now_ms.rem_euclid(CYCLE_MS) {
        t if (7 * 60_000..8 * 60_000 + 30_000).contains(&t) => Condition::Failing,
        t if (6 * 60_000..7 * 60_000).contains(&t) => Condition::Warning,
        _ => Condition::Healthy,
    }
}

/// A latency that wanders between about 5 and 60 ms over minutes, with a
/// little noise, so sparklines have a shape.
pub fn wandering_latency_ms(now_ms: i64, seed: u16) -> u64 {
    let phase = (now_ms as f64 / 180_000.0) + f64::from(seed);
    let slow = (phase.sin() + 1.0) / 2.0; // 0..1 over about twenty minutes
    let noise = ((now_ms / 1000).wrapping_mul(2_654_435_761) ^ i64::from(seed)).rem_euclid(9);
    5 + (slow * 45.0) as u64 + noise as u64
}

/// The answer of a simulated healthcheck: status, content type and body.
pub fn answer(format: DemoFormat, condition: Condition) -> (u16, &'static str, String) {
    let failing = condition == Condition::Failing;
    let code = if failing { 503 } else { 200 };
    match format {
        DemoFormat::Standard => (
            code,
            "application/json",
            json!({ "status": if failing { "unhealthy" } else { "healthy" } }).to_string(),
        ),
        DemoFormat::HealthJson => {
            let status = match condition {
                Condition::Healthy => "pass",
                Condition::Warning => "warn",
                Condition::Failing => "fail",
            };
            let (observed, output) = match condition {
                Condition::Healthy => (4, ""),
                Condition::Warning => (850, "replica lag above 500 ms"),
                Condition::Failing => (5_000, "connection refused by db-primary:5432"),
            };
            (
                code,
                "application/health+json",
                json!({
                    "status": status,
                    "version": "1",
                    "releaseId": "2026.11.3",
                    "checks": {
                        "postgres:responseTime": [{
                            "componentType": "datastore",
                            "observedValue": observed,
                            "observedUnit": "ms",
                            "status": status,
                            "output": output,
                        }],
                        "uptime": [{ "componentType": "system", "observedValue": 86_400, "observedUnit": "s", "status": "pass" }],
                    },
                })
                .to_string(),
            )
        }
        DemoFormat::SpringActuator => {
            let (status, db) = if failing {
                (
                    "DOWN",
                    json!({ "status": "DOWN", "details": { "error": "java.net.ConnectException: Connection refused" } }),
                )
            } else {
                (
                    "UP",
                    json!({ "status": "UP", "details": { "database": "PostgreSQL" } }),
                )
            };
            (
                code,
                "application/vnd.spring-boot.actuator.v3+json",
                json!({
                    "status": status,
                    "components": {
                        "db": db,
                        "diskSpace": { "status": "UP", "details": { "free": 52_000_000_000_u64 } },
                        "ping": { "status": "UP" },
                    },
                })
                .to_string(),
            )
        }
        DemoFormat::StatusCode => (code, "text/plain", String::new()),
    }
}

/// 0: on its own schedule; 1: forced up; 2: forced down.
struct Simulated {
    check: SimulatedHealthcheck,
    forced: AtomicU8,
    seed: u16,
}

impl Simulated {
    fn condition(&self, now_ms: i64) -> Condition {
        match self.forced.load(Ordering::Relaxed) {
            1 => Condition::Healthy,
            2 => Condition::Failing,
            _ if self.check.flaky => flaky_condition(now_ms),
            _ => Condition::Healthy,
        }
    }
}

async fn healthcheck(State(sim): State<Arc<Simulated>>) -> Response {
    let now = SystemClock.now_ms();
    tokio::time::sleep(Duration::from_millis(wandering_latency_ms(now, sim.seed))).await;
    let (status, content_type, body) = answer(sim.check.format, sim.condition(now));
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        [(header::CONTENT_TYPE, content_type)],
        body,
    )
        .into_response()
}

fn force(value: u8) -> impl Fn(State<Arc<Simulated>>) -> std::future::Ready<&'static str> + Clone {
    move |State(sim): State<Arc<Simulated>>| {
        sim.forced.store(value, Ordering::Relaxed);
        std::future::ready(match value {
            1 => "forced up\n",
            2 => "forced down\n",
            _ => "on its own schedule\n",
        })
    }
}

/// Starts every simulated healthcheck and serves them until `cancel`. One
/// whose address is taken is reported and skipped (its service then shows
/// down, as a real one would); the others still start.
pub async fn run_simulated(checks: Vec<SimulatedHealthcheck>, cancel: CancellationToken) {
    let mut servers = tokio::task::JoinSet::new();
    for (index, check) in checks.into_iter().enumerate() {
        let listen = check.listen;
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(
                    "demo: the simulated healthcheck on {listen} could not start: {error}"
                );
                continue;
            }
        };
        let sim = Arc::new(Simulated {
            check,
            forced: AtomicU8::new(0),
            seed: u16::try_from(index).unwrap_or(0),
        });
        let app = Router::new()
            .route("/_demo/up", post(force(1)))
            .route("/_demo/down", post(force(2)))
            .route("/_demo/auto", post(force(0)))
            .fallback(any(healthcheck))
            .with_state(sim);
        let cancel = cancel.clone();
        tracing::info!("demo: simulated healthcheck on http://{listen}");
        servers.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(cancel.cancelled_owned())
                .await;
        });
    }
    while servers.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::format::{Format, Verdict, interpret};

    #[test]
    fn a_flaky_service_fails_ninety_seconds_in_ten_minutes_after_a_warning() {
        let minute = 60_000;
        assert_eq!(flaky_condition(0), Condition::Healthy);
        assert_eq!(flaky_condition(6 * minute + 10), Condition::Warning);
        assert_eq!(flaky_condition(7 * minute), Condition::Failing);
        assert_eq!(flaky_condition(8 * minute + 29_999), Condition::Failing);
        assert_eq!(flaky_condition(8 * minute + 30_000), Condition::Healthy);
        assert_eq!(flaky_condition(CYCLE_MS + 7 * minute), Condition::Failing);
        let failing = (0..CYCLE_MS / 1000)
            .filter(|s| flaky_condition(s * 1000) == Condition::Failing)
            .count();
        assert_eq!(failing, 90);
    }

    #[test]
    fn latency_wanders_within_its_bounds() {
        let seen: Vec<u64> = (0..1200)
            .map(|s| wandering_latency_ms(s * 1000, 3))
            .collect();
        assert!(seen.iter().all(|ms| (5..=58).contains(ms)), "{seen:?}");
        assert!(seen.iter().max() > Some(&40) && seen.iter().min() < Some(&15));
    }

    #[test]
    fn every_format_is_read_by_shipshape_as_intended() {
        let cases = [
            (DemoFormat::Standard, Format::Standard),
            (DemoFormat::HealthJson, Format::HealthJson),
            (DemoFormat::SpringActuator, Format::SpringActuator),
            (DemoFormat::StatusCode, Format::StatusCode),
        ];
        for (demo, format) in cases {
            for (condition, verdict) in [
                (Condition::Healthy, Verdict::Pass),
                (Condition::Failing, Verdict::Fail),
            ] {
                let (status, content_type, body) = answer(demo, condition);
                let reading = interpret(status, Some(content_type), body.as_bytes());
                assert_eq!(reading.format, format, "{demo:?}");
                assert_eq!(reading.verdict, verdict, "{demo:?} {condition:?}");
                // A bare status code is read, but flagged as not one of
                // the standard shapes (the demo shows the flag).
                assert_eq!(
                    reading.conforming,
                    demo != DemoFormat::StatusCode,
                    "{demo:?}"
                );
            }
        }
        let (status, content_type, body) = answer(DemoFormat::HealthJson, Condition::Warning);
        let reading = interpret(status, Some(content_type), body.as_bytes());
        assert_eq!(reading.verdict, Verdict::Warn);
        assert!(
            reading
                .components
                .iter()
                .any(|c| c.name == "postgres:responseTime")
        );
    }

    #[test]
    fn format_names_parse() {
        for name in DemoFormat::NAMES {
            assert!(DemoFormat::parse(name).is_some(), "{name}");
        }
        assert_eq!(DemoFormat::parse("xml"), None);
    }
}
