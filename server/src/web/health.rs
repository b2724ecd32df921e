//! Shipshape's own healthcheck, in the fleet's standard shape.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::operations::Operations;

const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `{"status": "healthy"}`, or what is not.
#[derive(Serialize, ToSchema)]
pub struct HealthAnswer {
    /// `healthy` or `unhealthy`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Checks>,
}

#[derive(Serialize, ToSchema)]
struct Checks {
    database: Check,
}

#[derive(Serialize, ToSchema)]
struct Check {
    status: &'static str,
    detail: &'static str,
}

/// 200 with `{"status": "healthy"}`, or 503 naming the part that fails.
#[utoipa::path(get, path = "/_internal_/healthcheck",
    responses(
        (status = 200, description = "Healthy.", body = HealthAnswer),
        (status = 503, description = "Unhealthy, with the part that fails.", body = HealthAnswer),
    ))]
pub async fn healthcheck(State(ops): State<Operations>) -> (StatusCode, Json<HealthAnswer>) {
    let failure = match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, ops.database_answers()).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => {
            tracing::warn!("healthcheck: the database failed: {error}");
            Some("the database did not answer a query")
        }
        Err(_) => {
            tracing::warn!(
                "healthcheck: the database did not answer within {DATABASE_CHECK_TIMEOUT:?}"
            );
            Some("the database did not answer within 2 seconds")
        }
    };
    match failure {
        None => (
            StatusCode::OK,
            Json(HealthAnswer {
                status: "healthy",
                checks: None,
            }),
        ),
        Some(detail) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthAnswer {
                status: "unhealthy",
                checks: Some(Checks {
                    database: Check {
                        status: "unhealthy",
                        detail,
                    },
                }),
            }),
        ),
    }
}

/// Whether this replica can do its work: the database answers and every
/// background loop beats. For a load balancer's or Kubernetes' readiness
/// probe; names of loops and ages only, nothing of the fleet.
#[derive(Serialize, ToSchema)]
pub struct ReadyAnswer {
    /// `ready` or `not ready`.
    status: &'static str,
    database: &'static str,
    loops: Vec<crate::telemetry::heartbeat::LoopState>,
}

/// 200 when ready, 503 with the part that is not.
#[utoipa::path(get, path = "/_internal_/ready",
    responses(
        (status = 200, description = "Ready: the database answers and every loop beats.", body = ReadyAnswer),
        (status = 503, description = "Not ready, with what is not.", body = ReadyAnswer),
    ))]
pub async fn ready(
    State(ops): State<Operations>,
    State(heartbeats): State<crate::telemetry::heartbeat::Heartbeats>,
) -> (StatusCode, Json<ReadyAnswer>) {
    let database = matches!(
        tokio::time::timeout(DATABASE_CHECK_TIMEOUT, ops.database_answers()).await,
        Ok(Ok(()))
    );
    let loops = heartbeats.states();
    let ready = database && loops.iter().all(|l| !l.stale);
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(ReadyAnswer {
            status: if ready { "ready" } else { "not ready" },
            database: if database {
                "answers"
            } else {
                "does not answer"
            },
            loops,
        }),
    )
}
