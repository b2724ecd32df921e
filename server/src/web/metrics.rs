use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::telemetry::metrics::FleetGauges;

/// `/metrics` in Prometheus' text exposition format.
pub async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let services = match state.fleet.count().await {
        Ok(count) => Some(count),
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
}
