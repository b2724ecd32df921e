//! Health over HTTP: current status, history and incidents under
//! `/api/v1`, live changes as server-sent events, and README badges.
#![expect(
    unused_qualifications,
    reason = "utoipa's path macro writes the query types' paths out in full"
)]

use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use shipshape_types::health::{
    HealthHistory, IncidentListItem, ServiceHealth, ServiceHealthSummary,
};
use shipshape_types::page::{Page, PageRequest};
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::access::ApiRoutes;
use super::error::{ApiPath, ApiQuery, ApiResult, CallerOf};
use crate::auth::Role;
use crate::health::badge::{health_badge, not_found_badge, uptime_badge};
use crate::operations::{BadgePeriod, HistoryQuery, Operations};

pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .needs(Role::Viewer, routes!(fleet_health))
        .needs(Role::Viewer, routes!(health_events))
        .needs(Role::Viewer, routes!(fleet_incidents))
        .needs(Role::Viewer, routes!(service_health))
        .needs(Role::Viewer, routes!(service_history))
        .needs(Role::Viewer, routes!(service_incidents))
}

/// Badges go in READMEs: anyone may fetch them.
pub fn badge_routes() -> ApiRoutes {
    ApiRoutes::default()
        .public(routes!(health_svg))
        .public(routes!(uptime_svg))
}

/// Every service with endpoints: its level, since when, 24-hour uptime and
/// the last hour's latency.
#[utoipa::path(get, path = "/health", tag = "health", params(PageRequest),
    responses((status = 200, description = "A page of services' health.", body = Page<ServiceHealthSummary>)))]
async fn fleet_health(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<ServiceHealthSummary>>> {
    Ok(Json(ops.fleet_health(&caller, &page).await?))
}

/// Endpoints with their last answer and components, uptime over 24 h, 7 d,
/// 30 d and 90 d, 90 days, latency, incidents.
#[utoipa::path(get, path = "/services/{slug}/health", tag = "health",
    params(("slug" = String, Path, description = "The service's slug.")),
    responses(
        (status = 200, description = "The service's health.", body = ServiceHealth),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn service_health(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<ServiceHealth>> {
    Ok(Json(ops.service_health(&caller, &slug).await?))
}

/// Counts by state, uptime and latency percentiles per bucket and endpoint.
#[utoipa::path(get, path = "/services/{slug}/health/history", tag = "health",
    params(("slug" = String, Path, description = "The service's slug."), HistoryQuery),
    responses(
        (status = 200, description = "The service's history.", body = HealthHistory),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn service_history(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<HealthHistory>> {
    Ok(Json(ops.health_history(&caller, &slug, &query).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct IncidentQuery {
    /// Only incidents still open.
    open: Option<bool>,
    after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

impl IncidentQuery {
    fn page(&self) -> PageRequest {
        PageRequest {
            after: self.after.clone(),
            limit: self.limit,
        }
    }
}

/// The fleet's incidents, newest first.
#[utoipa::path(get, path = "/incidents", tag = "health", params(IncidentQuery),
    responses((status = 200, description = "A page of incidents.", body = Page<IncidentListItem>)))]
async fn fleet_incidents(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<Page<IncidentListItem>>> {
    let open = query.open.unwrap_or(false);
    Ok(Json(
        ops.incidents(&caller, None, open, &query.page()).await?,
    ))
}

/// A service's incidents, newest first.
#[utoipa::path(get, path = "/services/{slug}/incidents", tag = "health",
    params(("slug" = String, Path, description = "The service's slug."), IncidentQuery),
    responses(
        (status = 200, description = "A page of incidents.", body = Page<IncidentListItem>),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
    ))]
async fn service_incidents(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<Page<IncidentListItem>>> {
    let open = query.open.unwrap_or(false);
    Ok(Json(
        ops.incidents(&caller, Some(&slug), open, &query.page())
            .await?,
    ))
}

/// One server-sent event of the health stream.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct HealthStreamEvent {
    /// `health` (a service's health changed) or `lagged` (the stream fell
    /// behind: load what the page shows again).
    event: String,
    /// For `health`, `{"slug", "level", "since_ms"}` as JSON; for
    /// `lagged`, `reload`.
    data: String,
}

/// Server-sent events: a `health` event (`{"slug","level","since_ms"}`)
/// each time a service's health changes, and a `lagged` event when the
/// stream fell behind and the page should load what it shows again.
#[utoipa::path(get, path = "/health/events", tag = "health",
    responses((status = 200, description = "An event stream.", content_type = "text/event-stream", body = HealthStreamEvent)))]
async fn health_events(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let (receiver, closing) = ops.health_changes(&caller)?;
    let stream =
        futures::stream::unfold((receiver, closing), |(mut receiver, closing)| async move {
            let received = tokio::select! {
                () = closing.cancelled() => return None,
                received = receiver.recv() => received,
            };
            let event = match received {
                Ok(change) => Event::default()
                    .event("health")
                    .json_data(&change)
                    .unwrap_or_else(|_| Event::default().comment("unencodable change")),
                // A page too slow to keep up has missed changes; it is
                // told to reload what it shows.
                Err(RecvError::Lagged(_)) => Event::default().event("lagged").data("reload"),
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (receiver, closing)))
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Badges are cached for a minute and revalidated by ETag.
fn svg(status: StatusCode, body: String, request: &HeaderMap) -> Response {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml; charset=utf-8"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        ),
    ];
    if fresh && status == StatusCode::OK {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (status, headers, body).into_response()
}

#[utoipa::path(get, path = "/badge/{slug}/health.svg",
    params(("slug" = String, Path, description = "The service's slug.")),
    responses((status = 200, description = "An SVG badge.", content_type = "image/svg+xml", body = String)))]
async fn health_svg(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    request: HeaderMap,
) -> ApiResult<Response> {
    Ok(match ops.badge(&caller, &slug, BadgePeriod::Day).await? {
        Some((level, _)) => svg(StatusCode::OK, health_badge(level), &request),
        None => svg(StatusCode::NOT_FOUND, not_found_badge("health"), &request),
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BadgeQuery {
    /// `24h`, `7d`, `30d` (default) or `90d`.
    period: Option<String>,
}

#[utoipa::path(get, path = "/badge/{slug}/uptime.svg",
    params(("slug" = String, Path, description = "The service's slug."), BadgeQuery),
    responses((status = 200, description = "An SVG badge.", content_type = "image/svg+xml", body = String)))]
async fn uptime_svg(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<BadgeQuery>,
    request: HeaderMap,
) -> ApiResult<Response> {
    let period = BadgePeriod::parse(query.period.as_deref().unwrap_or("30d"))?;
    Ok(match ops.badge(&caller, &slug, period).await? {
        Some((_, uptime)) => svg(
            StatusCode::OK,
            uptime_badge(period.name(), uptime),
            &request,
        ),
        None => svg(StatusCode::NOT_FOUND, not_found_badge("uptime"), &request),
    })
}
