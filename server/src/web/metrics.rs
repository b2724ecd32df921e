//! `/metrics` for Prometheus (a viewer token scrapes it).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, CallerOf};
use crate::operations::OperationError;
use crate::telemetry::metrics::FleetGauges;

/// Prometheus' text exposition format.
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, description = "Metrics in Prometheus' text format.", content_type = "text/plain", body = String)))]
pub async fn scrape(State(state): State<AppState>, CallerOf(caller): CallerOf) -> Response {
    let services = match state.ops.count_services(&caller).await {
        Ok(count) => Some(count),
        Err(denied @ OperationError::Denied(_)) => return ApiError(denied).into_response(),
        Err(error) => {
            tracing::warn!("metrics: could not count services: {error}");
            None
        }
    };
    let mut body = state.metrics.render(FleetGauges {
        services,
        database_up: services.is_some(),
    });
    state.checks.render(&mut body);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
