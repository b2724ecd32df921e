//! Healthcheck endpoints in each shape Shipshape reads (`/health/NAME`),
//! switched between healthy and failing by the test or the demo while they
//! run, plus the ways a healthcheck misbehaves: hanging, a huge body, a
//! redirect.

use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use serde_json::json;

#[derive(Clone, Debug)]
pub enum FakeHealth {
    Answer {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Accepts the request and never answers.
    Hang,
    /// 200 with a body of this many bytes (`{"status":"healthy","pad":"xxx…`).
    Huge { bytes: usize },
    /// 302 to another URL.
    Redirect { to: String },
}

impl FakeHealth {
    fn json(status: u16, content_type: &str, body: serde_json::Value) -> Self {
        FakeHealth::Answer {
            status,
            content_type: content_type.into(),
            body: body.to_string(),
        }
    }

    /// `{"status": "healthy"}`, or `unhealthy` with a 503.
    pub fn standard(healthy: bool) -> Self {
        if healthy {
            Self::json(200, "application/json", json!({ "status": "healthy" }))
        } else {
            Self::json(503, "application/json", json!({ "status": "unhealthy" }))
        }
    }

    /// IETF `application/health+json` with two checks; `status` is `pass`,
    /// `warn` or `fail` (the database check carries it).
    pub fn health_json(status: &str) -> Self {
        let code = if status == "fail" { 503 } else { 200 };
        Self::json(
            code,
            "application/health+json",
            json!({
                "status": status, "version": "1", "releaseId": "2026.11.3",
                "serviceId": "0d1e4b8f-demo",
                "checks": {
                    "postgres:responseTime": [{
                        "componentId": "primary", "componentType": "datastore",
                        "observedValue": if status == "pass" { 4 } else { 1_800 }, "observedUnit": "ms",
                        "status": status, "time": "2026-11-23T10:00:00Z",
                        "output": if status == "fail" { "connection refused" } else { "" },
                    }],
                    "uptime": [{ "componentType": "system", "observedValue": 86_400, "observedUnit": "s", "status": "pass" }],
                },
            }),
        )
    }

    /// Spring Boot Actuator's `/actuator/health`, UP or DOWN (the database).
    pub fn actuator(up: bool) -> Self {
        let (code, status, db) = if up {
            (
                200,
                "UP",
                json!({ "status": "UP", "details": { "database": "PostgreSQL", "validationQuery": "isValid()" } }),
            )
        } else {
            (
                503,
                "DOWN",
                json!({ "status": "DOWN", "details": { "database": "PostgreSQL", "error": "java.net.ConnectException: Connection refused" } }),
            )
        };
        Self::json(
            code,
            "application/vnd.spring-boot.actuator.v3+json",
            json!({
                "status": status,
                "components": {
                    "db": db,
                    "diskSpace": { "status": "UP", "details": { "total": 499_963_174_912_u64, "free": 91_300_069_376_u64, "threshold": 10_485_760, "exists": true } },
                    "ping": { "status": "UP" },
                },
            }),
        )
    }

    /// A plain-text answer: only the status code says anything.
    pub fn plain(status: u16) -> Self {
        FakeHealth::Answer {
            status,
            content_type: "text/plain".into(),
            body: if status < 400 {
                "OK".into()
            } else {
                "Service Unavailable".into()
            },
        }
    }

    /// The response, or `None` for a hang.
    pub(crate) fn response(&self) -> Option<Response<Body>> {
        let builder = Response::builder();
        let response = match self {
            FakeHealth::Answer {
                status,
                content_type,
                body,
            } => builder
                .status(StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.clone())),
            FakeHealth::Hang => return None,
            FakeHealth::Huge { bytes } => {
                let mut body = br#"{"status":"healthy","pad":""#.to_vec();
                body.resize(*bytes, b'x');
                builder
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
            }
            FakeHealth::Redirect { to } => builder
                .status(StatusCode::FOUND)
                .header(header::LOCATION, to)
                .body(Body::empty()),
        };
        Some(response.unwrap_or_default())
    }
}
