//! Health over HTTP: current status, history and incidents under
//! `/api/v1`, live changes as server-sent events, and README badges.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde_json::{Value, json};
use shipshape_types::health::{HealthSummary, IncidentView, ServiceHealth};
use tokio::sync::broadcast::error::RecvError;

use super::access::ApiRoutes;
use super::error::ApiError;
use crate::fleet::FleetService;
use crate::health::badge::{health_badge, not_found_badge, uptime_badge};
use crate::health::rollup::DAY_MS;
use crate::health::service::{HealthService, MAX_HISTORY_POINTS, Resolution};

pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .read("/health", fleet_health)
        .read("/health/events", health_events)
        .read("/incidents", fleet_incidents)
        .read("/services/{slug}/health", service_health)
        .read("/services/{slug}/health/history", service_history)
        .read("/services/{slug}/incidents", service_incidents)
}

/// Badges go in READMEs: anyone may fetch them.
pub fn badge_routes() -> ApiRoutes {
    ApiRoutes::default()
        .public_read("/badge/{slug}/health.svg", health_svg)
        .public_read("/badge/{slug}/uptime.svg", uptime_svg)
}

fn unknown(slug: &str) -> ApiError {
    ApiError::NotFound(format!("no service with slug `{slug}`"))
}

/// `GET /api/v1/health`: every service with endpoints, its level, since
/// when, 24-hour uptime and last hour's latency.
async fn fleet_health(
    State(fleet): State<FleetService>,
    State(health): State<HealthService>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let mut overview = fleet
        .overview()
        .await
        .map_err(|e| ApiError::internal("reading the fleet's health", e))?;
    health
        .annotate(&mut overview.services)
        .await
        .map_err(|e| ApiError::internal("reading the fleet's health", e))?;
    Ok(Json(
        overview
            .services
            .into_iter()
            .filter_map(|s| {
                let summary: HealthSummary = s.health?;
                Some(json!({ "slug": s.slug, "health": summary }))
            })
            .collect(),
    ))
}

/// `GET /api/v1/services/{slug}/health`: endpoints with their last answer
/// and components, uptime over 24 h/7 d/30 d/90 d, 90 days, latency, incidents.
async fn service_health(
    State(health): State<HealthService>,
    Path(slug): Path<String>,
) -> Result<Json<ServiceHealth>, ApiError> {
    health
        .service_health(&slug)
        .await
        .map_err(|e| ApiError::internal("reading a service's health", e))?
        .map(Json)
        .ok_or_else(|| unknown(&slug))
}

fn parse_ms(query: &HashMap<String, String>, key: &str) -> Result<Option<i64>, ApiError> {
    query
        .get(key)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                ApiError::Invalid(format!(
                    "`{key}` must be a Unix time in milliseconds, not `{v}`"
                ))
            })
        })
        .transpose()
}

/// `GET /api/v1/services/{slug}/health/history?from=&until=&resolution=`:
/// counts by state, uptime and latency percentiles per bucket and
/// endpoint. `from`/`until` are Unix ms (default: the last 24 hours);
/// `resolution` is `minute`, `hour` or `day` (default: the finest that
/// keeps the answer small).
async fn service_history(
    State(health): State<HealthService>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let until = parse_ms(&query, "until")?.unwrap_or_else(|| health.now_ms());
    let from = parse_ms(&query, "from")?.unwrap_or(until - DAY_MS);
    if from >= until {
        return Err(ApiError::Invalid(format!(
            "`from` ({from}) must be before `until` ({until})"
        )));
    }
    let resolution = match query.get("resolution") {
        Some(text) => Resolution::parse(text).ok_or_else(|| {
            ApiError::Invalid(format!(
                "`resolution` must be `minute`, `hour` or `day`, not `{text}`"
            ))
        })?,
        None => Resolution::for_range(until - from),
    };
    if (until - from) / resolution.width_ms() > MAX_HISTORY_POINTS {
        return Err(ApiError::Invalid(format!(
            "that range holds more than {MAX_HISTORY_POINTS} points at this resolution; choose a coarser one"
        )));
    }
    let endpoints = health
        .history(&slug, from, until, resolution)
        .await
        .map_err(|e| ApiError::internal("reading health history", e))?
        .ok_or_else(|| unknown(&slug))?;
    Ok(Json(json!({
        "service": slug,
        "from": from,
        "until": until,
        "resolution": resolution.name(),
        "endpoints": endpoints.into_iter().map(|e| json!({
            "endpoint_id": e.endpoint_id,
            "url": e.url,
            "points": e.buckets.iter().map(|b| json!({
                "start_ms": b.start_ms,
                "up": b.counts.up,
                "degraded": b.counts.degraded,
                "down": b.counts.down,
                "unknown": b.counts.unknown,
                "no_data": b.counts.no_data,
                "uptime": b.counts.uptime(),
                "p50_ms": b.latency.percentile(0.5),
                "p95_ms": b.latency.percentile(0.95),
                "p99_ms": b.latency.percentile(0.99),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })))
}

fn incidents_json(incidents: Vec<(String, IncidentView)>) -> Json<Vec<Value>> {
    Json(
        incidents
            .into_iter()
            .map(|(slug, incident)| {
                json!({
                    "service": slug,
                    "endpoint_url": incident.endpoint_url,
                    "started_ms": incident.started_ms,
                    "ended_ms": incident.ended_ms,
                    "duration_ms": incident.ended_ms.map(|end| end - incident.started_ms),
                    "first_detail": incident.first_detail,
                })
            })
            .collect(),
    )
}

fn open_only(query: &HashMap<String, String>) -> Result<bool, ApiError> {
    match query.get("open").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::Invalid(format!(
            "`open` must be `true` or `false`, not `{other}`"
        ))),
    }
}

/// `GET /api/v1/incidents?open=true`: the fleet's incidents, newest first.
async fn fleet_incidents(
    State(health): State<HealthService>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let incidents = health
        .incidents(None, open_only(&query)?)
        .await
        .map_err(|e| ApiError::internal("listing incidents", e))?;
    Ok(incidents_json(incidents))
}

/// `GET /api/v1/services/{slug}/incidents?open=true`.
async fn service_incidents(
    State(fleet): State<FleetService>,
    State(health): State<HealthService>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let open = open_only(&query)?;
    if fleet
        .service(&slug)
        .await
        .map_err(|e| ApiError::internal("listing incidents", e))?
        .is_none()
    {
        return Err(unknown(&slug));
    }
    let incidents = health
        .incidents(Some(&slug), open)
        .await
        .map_err(|e| ApiError::internal("listing incidents", e))?;
    Ok(incidents_json(incidents))
}

/// `GET /api/v1/health/events`: a `health` event (`{"slug","level",
/// "since_ms"}`) each time a service's health changes, for open pages.
async fn health_events(
    State(health): State<HealthService>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (receiver, closing) = health.subscribe();
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
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
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

/// `GET /badge/{slug}/health.svg`.
async fn health_svg(
    State(health): State<HealthService>,
    Path(slug): Path<String>,
    request: HeaderMap,
) -> Result<Response, ApiError> {
    let found = health
        .badge(&slug, 1)
        .await
        .map_err(|e| ApiError::internal("drawing a badge", e))?;
    Ok(match found {
        Some((level, _)) => svg(StatusCode::OK, health_badge(level), &request),
        None => svg(StatusCode::NOT_FOUND, not_found_badge("health"), &request),
    })
}

/// `GET /badge/{slug}/uptime.svg?period=24h|7d|30d|90d` (default 30d).
async fn uptime_svg(
    State(health): State<HealthService>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    request: HeaderMap,
) -> Result<Response, ApiError> {
    let period = query.get("period").map_or("30d", String::as_str);
    let days = match period {
        "24h" => 1,
        "7d" => 7,
        "30d" => 30,
        "90d" => 90,
        other => {
            return Err(ApiError::Invalid(format!(
                "`period` must be 24h, 7d, 30d or 90d, not `{other}`"
            )));
        }
    };
    let found = health
        .badge(&slug, days)
        .await
        .map_err(|e| ApiError::internal("drawing a badge", e))?;
    Ok(match found {
        Some((_, uptime)) => svg(StatusCode::OK, uptime_badge(period, uptime), &request),
        None => svg(StatusCode::NOT_FOUND, not_found_badge("uptime"), &request),
    })
}
