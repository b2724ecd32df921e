//! `/api/v1/services` and `/api/v1/packages`: the fleet's services (read,
//! and registered by their own CI with an operator token) and their drift.
//! Each handler reads its input, calls one operation, and answers.
#![expect(
    unused_qualifications,
    reason = "utoipa's path macro writes the query types' paths out in full"
)]

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shipshape_types::drift::{
    DependencyFilter, DependencyView, DriftSummary, PackageUse, ServiceDrift,
};
use shipshape_types::model::{FleetFilter, ServiceDetail, ServiceRegistration, ServiceSummary};
use shipshape_types::page::{Page, PageRequest};
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::access::ApiRoutes;
use super::error::{ApiJson, ApiPath, ApiQuery, ApiResult, CallerOf};
use crate::auth::Role;
use crate::operations::Operations;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .needs(Role::Viewer, routes!(list_services))
        .needs(Role::Operator, routes!(register_service))
        .needs(Role::Viewer, routes!(get_service))
        .needs(Role::Operator, routes!(replace_service))
        .needs(Role::Operator, routes!(deregister_service))
        .needs(Role::Viewer, routes!(get_drift))
        .needs(Role::Viewer, routes!(get_dependencies))
        .needs(Role::Viewer, routes!(get_snapshots))
        .needs(Role::Operator, routes!(refresh_service))
        .needs(Role::Viewer, routes!(list_packages))
}

/// The Overview's filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ServiceQuery {
    /// Only this team's services.
    team: Option<String>,
    /// Only services with this tag.
    tag: Option<String>,
    /// Part of a slug or name, in any case.
    q: Option<String>,
    after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The fleet, filtered like the Overview, with each service's drift and
/// health.
#[utoipa::path(get, path = "/services", tag = "services", params(ServiceQuery),
    responses((status = 200, description = "A page of services, by slug.", body = Page<ServiceSummary>)))]
async fn list_services(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(query): ApiQuery<ServiceQuery>,
) -> ApiResult<Json<Page<ServiceSummary>>> {
    let filter = FleetFilter::from_query(|key| match key {
        "team" => query.team.as_deref(),
        "tag" => query.tag.as_deref(),
        "q" => query.q.as_deref(),
        _ => None,
    });
    let page = PageRequest {
        after: query.after,
        limit: query.limit,
    };
    Ok(Json(ops.list_services(&caller, &filter, &page).await?))
}

/// Registers a service (its own CI, with an operator token) in the shape
/// of a fleet-file `[[service]]` table; a service registered before is
/// replaced.
#[utoipa::path(post, path = "/services", tag = "services", request_body = ServiceRegistration,
    responses(
        (status = 201, description = "Registered.", body = ServiceDetail),
        (status = 200, description = "Replaced a service registered before.", body = ServiceDetail),
        (status = 409, description = "The fleet file or a discovered organisation declares this slug.", body = shipshape_types::page::Problem),
    ))]
async fn register_service(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(declared): ApiJson<ServiceRegistration>,
) -> ApiResult<(StatusCode, Json<ServiceDetail>)> {
    let (created, detail) = ops.register_service(&caller, &declared).await?;
    Ok((created_or_ok(created), Json(detail)))
}

fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

#[utoipa::path(get, path = "/services/{slug}", tag = "services",
    params(("slug" = String, Path, description = "The service's slug.")),
    responses(
        (status = 200, description = "The service.", body = ServiceDetail),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn get_service(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ServiceDetail>> {
    Ok(Json(ops.service_detail(&caller, &slug).await?))
}

/// Registers or replaces the service of the path's slug.
#[utoipa::path(put, path = "/services/{slug}", tag = "services", request_body = ServiceRegistration,
    params(("slug" = String, Path, description = "The service's slug.")),
    responses(
        (status = 201, description = "Registered.", body = ServiceDetail),
        (status = 200, description = "Replaced.", body = ServiceDetail),
        (status = 409, description = "The fleet file or a discovered organisation declares this slug.", body = shipshape_types::page::Problem),
    ))]
async fn replace_service(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    ApiJson(declared): ApiJson<ServiceRegistration>,
) -> ApiResult<(StatusCode, Json<ServiceDetail>)> {
    let (created, detail) = ops.replace_service(&caller, &slug, declared).await?;
    Ok((created_or_ok(created), Json(detail)))
}

/// Retires a service registered through the API; its history stays.
#[utoipa::path(delete, path = "/services/{slug}", tag = "services",
    params(("slug" = String, Path, description = "The service's slug.")),
    responses(
        (status = 204, description = "Retired."),
        (status = 404, description = "No service with this slug was registered through the API.", body = shipshape_types::page::Problem),
        (status = 409, description = "The fleet file or a discovered organisation declares this slug.", body = shipshape_types::page::Problem),
    ))]
async fn deregister_service(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<StatusCode> {
    ops.deregister_service(&caller, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Latest totals, rows, problems, history and the refresh's state.
#[utoipa::path(get, path = "/services/{slug}/drift", tag = "drift",
    params(("slug" = String, Path, description = "The service's slug.")),
    responses(
        (status = 200, description = "The service's drift.", body = ServiceDrift),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn get_drift(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ServiceDrift>> {
    Ok(Json(ops.service_drift(&caller, &slug).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DependencyQuery {
    /// `up-to-date`, `patch`, `minor`, `major` or `unknown`.
    gap: Option<String>,
    /// `normal`, `dev` or `build`.
    kind: Option<String>,
    /// `cargo`, `npm`, `python`, `go`, `ruby` or `maven`.
    ecosystem: Option<String>,
    after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The dependencies of the latest snapshot, by manifest and name.
#[utoipa::path(get, path = "/services/{slug}/dependencies", tag = "drift",
    params(("slug" = String, Path, description = "The service's slug."), DependencyQuery),
    responses(
        (status = 200, description = "A page of dependencies.", body = Page<DependencyView>),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn get_dependencies(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<DependencyQuery>,
) -> ApiResult<Json<Page<DependencyView>>> {
    let filter = DependencyFilter {
        gap: query.gap,
        kind: query.kind,
        ecosystem: query.ecosystem,
    };
    let page = PageRequest {
        after: query.after,
        limit: query.limit,
    };
    Ok(Json(
        ops.dependencies(&caller, &slug, &filter, &page).await?,
    ))
}

/// The totals of each refresh, oldest first.
#[utoipa::path(get, path = "/services/{slug}/snapshots", tag = "drift",
    params(("slug" = String, Path, description = "The service's slug."), PageRequest),
    responses(
        (status = 200, description = "A page of snapshot totals.", body = Page<DriftSummary>),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn get_snapshots(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<DriftSummary>>> {
    Ok(Json(ops.snapshots(&caller, &slug, &page).await?))
}

/// Whether a refresh was queued.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Queued {
    /// `queued`.
    status: &'static str,
    service: String,
}

/// Queues a refresh of the service's drift.
#[utoipa::path(post, path = "/services/{slug}/refresh", tag = "drift",
    params(("slug" = String, Path, description = "The service's slug.")),
    responses(
        (status = 202, description = "Queued.", body = Queued),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn refresh_service(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    ops.refresh_service(&caller, &slug).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            status: "queued",
            service: slug,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PackageQueryText {
    /// A package name with an optional version condition: `serde <1.0.200`,
    /// `npm:express >=4`; every package when absent.
    q: Option<String>,
    after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Packages across the fleet: which versions are in use, and where.
#[utoipa::path(get, path = "/packages", tag = "drift", params(PackageQueryText),
    responses((status = 200, description = "A page of packages, by ecosystem and name.", body = Page<PackageUse>)))]
async fn list_packages(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(query): ApiQuery<PackageQueryText>,
) -> ApiResult<Json<Page<PackageUse>>> {
    let packages = ops
        .packages(&caller, query.q.as_deref().unwrap_or_default())
        .await?;
    let page = PageRequest {
        after: query.after,
        limit: query.limit,
    };
    Page::of(packages, &page)
        .map(Json)
        .map_err(|problem| crate::operations::OperationError::Invalid(problem).into())
}
