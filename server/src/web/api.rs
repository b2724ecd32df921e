//! REST API, version 1. Handlers parse, call the service layer, map.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use shipshape_app::drift::{DependencyView, DriftSummary, PackageUse, ServiceDrift};
use shipshape_app::model::{FleetFilter, ServiceDetail, ServiceSummary};

use super::AppState;
use super::error::ApiError;
use crate::deps::query::PackageQuery;
use crate::deps::service::{DriftError, DriftService};
use crate::fleet::FleetService;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_services))
        .route("/services/{slug}", get(get_service))
        .route("/services/{slug}/drift", get(get_drift))
        .route("/services/{slug}/dependencies", get(get_dependencies))
        .route("/services/{slug}/snapshots", get(get_snapshots))
        .route("/services/{slug}/refresh", post(refresh_service))
        .route("/packages", get(list_packages))
}

fn drift_error(what: &'static str, error: DriftError) -> ApiError {
    match error {
        DriftError::UnknownService(slug) => {
            ApiError::NotFound(format!("no service with slug `{slug}`"))
        }
        DriftError::NoRepository(_) => ApiError::Invalid(error.to_string()),
        other => ApiError::Internal {
            what,
            cause: other.to_string(),
        },
    }
}

async fn drift_of(drift: &DriftService, slug: &str) -> Result<ServiceDrift, ApiError> {
    drift
        .service_drift(slug)
        .await
        .map_err(|e| drift_error("reading drift", e))?
        .ok_or_else(|| ApiError::NotFound(format!("no service with slug `{slug}`")))
}

/// `GET /api/v1/services/{slug}/drift`: latest totals, rows, problems, history, refresh state.
async fn get_drift(
    State(drift): State<DriftService>,
    Path(slug): Path<String>,
) -> Result<Json<ServiceDrift>, ApiError> {
    Ok(Json(drift_of(&drift, &slug).await?))
}

/// `GET /api/v1/services/{slug}/dependencies?gap=&kind=&ecosystem=`.
async fn get_dependencies(
    State(drift): State<DriftService>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DependencyView>>, ApiError> {
    let found = drift_of(&drift, &slug).await?;
    let wanted = |key: &str, value: &str| query.get(key).is_none_or(|w| w == value);
    Ok(Json(
        found
            .dependencies
            .into_iter()
            .filter(|d| {
                wanted("gap", d.gap_or_unknown())
                    && wanted("kind", &d.kind)
                    && wanted("ecosystem", &d.ecosystem)
            })
            .collect(),
    ))
}

/// `GET /api/v1/services/{slug}/snapshots`: totals of each refresh, oldest first.
async fn get_snapshots(
    State(drift): State<DriftService>,
    Path(slug): Path<String>,
) -> Result<Json<Vec<DriftSummary>>, ApiError> {
    Ok(Json(drift_of(&drift, &slug).await?.history))
}

/// `POST /api/v1/services/{slug}/refresh`: queues a refresh; 202.
async fn refresh_service(
    State(drift): State<DriftService>,
    Path(slug): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    drift
        .request_refresh(&slug)
        .await
        .map_err(|e| drift_error("starting a refresh", e))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "status": "queued", "service": slug })),
    ))
}

/// `GET /api/v1/packages?q=serde <1.0.200`: packages across the fleet.
async fn list_packages(
    State(drift): State<DriftService>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<PackageUse>>, ApiError> {
    let parsed = match query.get("q").map(|q| q.trim()).filter(|q| !q.is_empty()) {
        Some(q) => Some(PackageQuery::parse(q).map_err(ApiError::Invalid)?),
        None => None,
    };
    Ok(Json(
        drift
            .packages(parsed.as_ref())
            .await
            .map_err(|e| drift_error("searching packages", e))?,
    ))
}

/// `GET /api/v1/services?team=&tag=&q=`: the fleet, filtered like the Overview.
async fn list_services(
    State(fleet): State<FleetService>,
    State(drift): State<DriftService>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<ServiceSummary>>, ApiError> {
    let filter = FleetFilter::from_query(|key| query.get(key).map(String::as_str));
    let mut overview = fleet
        .overview()
        .await
        .map_err(|e| ApiError::internal("listing services", e))?;
    drift
        .annotate(&mut overview.services)
        .await
        .map_err(|e| drift_error("listing services", e))?;
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
