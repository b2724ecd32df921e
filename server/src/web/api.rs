//! REST API, version 1. Handlers parse, call the service layer, map.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use shipshape_app::model::{FleetFilter, ServiceDetail, ServiceSummary};

use super::AppState;
use super::error::ApiError;
use crate::fleet::FleetService;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_services))
        .route("/services/{slug}", get(get_service))
}

/// `GET /api/v1/services?team=&tag=&q=`: the fleet, filtered like the Overview.
async fn list_services(
    State(fleet): State<FleetService>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<ServiceSummary>>, ApiError> {
    let filter = FleetFilter::from_query(|key| query.get(key).map(String::as_str));
    let overview = fleet
        .overview()
        .await
        .map_err(|e| ApiError::internal("listing services", e))?;
    Ok(Json(
        filter
            .apply(&overview.services)
            .into_iter()
            .cloned()
            .collect(),
    ))
}

async fn get_service(
    State(fleet): State<FleetService>,
    Path(slug): Path<String>,
) -> Result<Json<ServiceDetail>, ApiError> {
    fleet
        .service(&slug)
        .await
        .map_err(|e| ApiError::internal("reading a service", e))?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no service with slug `{slug}`")))
}
