use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::store::Store;

const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Shipshape's own healthcheck, in the fleet's standard shape: 200 with
/// `{"status": "healthy"}`, or 503 naming the part that fails.
pub async fn healthcheck(State(store): State<Store>) -> (StatusCode, Json<Value>) {
    let failure = match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, store.ping()).await {
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
        None => (StatusCode::OK, Json(json!({ "status": "healthy" }))),
        Some(detail) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unhealthy",
                "checks": { "database": { "status": "unhealthy", "detail": detail } }
            })),
        ),
    }
}
