//! REST API, version 1. Handlers parse, call the service layer, map.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use shipshape_types::drift::{DependencyView, DriftSummary, PackageUse, ServiceDrift};
use shipshape_types::model::{FleetFilter, ServiceDetail, ServiceSummary};

use super::access::ApiRoutes;
use super::error::ApiError;
use crate::auth::Role;
use crate::common::outbound::NetworkPolicy;
use crate::config::parse_service_json;
use crate::deps::query::PackageQuery;
use crate::deps::service::{DriftError, DriftService};
use crate::fleet::FleetService;
use crate::fleet::service::RegisterError;

/// Registering a service (its own CI, with an operator token) and asking
/// for a refresh are an operator's; reading is a viewer's.
pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .read("/services", list_services)
        .route(Role::Operator, Method::POST, "/services", register_service)
        .read("/services/{slug}", get_service)
        .route(
            Role::Operator,
            Method::PUT,
            "/services/{slug}",
            replace_service,
        )
        .route(
            Role::Operator,
            Method::DELETE,
            "/services/{slug}",
            deregister_service,
        )
        .read("/services/{slug}/drift", get_drift)
        .read("/services/{slug}/dependencies", get_dependencies)
        .read("/services/{slug}/snapshots", get_snapshots)
        .route(
            Role::Operator,
            Method::POST,
            "/services/{slug}/refresh",
            refresh_service,
        )
        .read("/packages", list_packages)
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
                    && wanted("kind", d.kind.name())
                    && wanted("ecosystem", d.ecosystem.config_name())
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
    detail_of(&fleet, &slug).await
}

async fn detail_of(fleet: &FleetService, slug: &str) -> Result<Json<ServiceDetail>, ApiError> {
    fleet
        .service(slug)
        .await
        .map_err(|e| ApiError::internal("reading a service", e))?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no service with slug `{slug}`")))
}

fn register_error(error: RegisterError) -> ApiError {
    match error {
        RegisterError::DeclaredElsewhere { .. } => ApiError::Conflict(error.to_string()),
        RegisterError::NotRegistered(_) => ApiError::NotFound(error.to_string()),
        RegisterError::Store(cause) => ApiError::internal("registering a service", cause),
    }
}

/// Registers the service a request body describes and answers with it:
/// 201 when new, 200 when it replaced one registered before.
async fn register_from(
    fleet: &FleetService,
    outbound: &NetworkPolicy,
    body: &Value,
) -> Result<(StatusCode, Json<ServiceDetail>), ApiError> {
    let spec = parse_service_json(body).map_err(ApiError::Invalid)?;
    for (index, endpoint) in spec.health_endpoints.iter().enumerate() {
        outbound
            .check_url(&endpoint.url)
            .await
            .map_err(|why| ApiError::Invalid(format!("health[{index}].url: {why}")))?;
    }
    let slug = spec.slug.clone();
    let created = fleet.register(spec).await.map_err(register_error)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, detail_of(fleet, &slug).await?))
}

/// `POST /api/v1/services`: registers a service (with its health
/// endpoints) in the shape of a fleet-file `[[service]]` table, as JSON.
/// 201 when new, 200 when it replaced one registered before; 409 when the
/// fleet file declares the slug.
async fn register_service(
    State(fleet): State<FleetService>,
    State(outbound): State<Arc<NetworkPolicy>>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<ServiceDetail>), ApiError> {
    register_from(&fleet, &outbound, &body).await
}

/// `PUT /api/v1/services/{slug}`: the same, for the slug in the path.
async fn replace_service(
    State(fleet): State<FleetService>,
    State(outbound): State<Arc<NetworkPolicy>>,
    Path(slug): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<(StatusCode, Json<ServiceDetail>), ApiError> {
    if let Some(object) = body.as_object_mut() {
        match object.get("slug") {
            Some(Value::String(named)) if *named != slug => {
                return Err(ApiError::Invalid(format!(
                    "the body names slug `{named}` but the path `{slug}`"
                )));
            }
            _ => {
                object.insert("slug".into(), Value::String(slug.clone()));
            }
        }
    }
    register_from(&fleet, &outbound, &body).await
}

/// `DELETE /api/v1/services/{slug}`: retires a service registered through
/// the API; its history stays. 204.
async fn deregister_service(
    State(fleet): State<FleetService>,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    fleet.deregister(&slug).await.map_err(register_error)?;
    Ok(StatusCode::NO_CONTENT)
}
