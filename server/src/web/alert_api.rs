//! `/api/v1/events`, `/api/v1/alerts`, `/api/v1/silences` and
//! `/api/v1/subscriptions`: thin handlers over the alert service and the
//! journal.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use shipshape_types::alerts::{AlertsOverview, NewSilence, SilenceView};

use super::access::ApiRoutes;
use super::error::{ApiError, json_body};
use crate::alert::service::{AlertError, AlertService};
use crate::auth::Role;
use crate::common::url::redacted_url;
use crate::common::url::validate_http_url;
use crate::store::{EventFilter, MAX_EVENTS_PER_READ, Store, StoredEvent, event_types};

/// Silencing is an operator's; subscriptions send the journal to any URL,
/// so adding or removing one is an admin's.
pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .read("/events", events)
        .read("/alerts", overview)
        .read("/silences", silences)
        .route(Role::Operator, Method::POST, "/silences", create_silence)
        .route(
            Role::Operator,
            Method::POST,
            "/silences/{id}/expire",
            expire_silence,
        )
        .read("/subscriptions", subscriptions)
        .route(Role::Admin, Method::POST, "/subscriptions", subscribe)
        .route(
            Role::Admin,
            Method::DELETE,
            "/subscriptions/{id}",
            unsubscribe,
        )
}

impl From<AlertError> for ApiError {
    fn from(error: AlertError) -> Self {
        match error {
            AlertError::Invalid(message) => ApiError::Invalid(message),
            AlertError::NotFound(what) => ApiError::NotFound(format!("no {what}")),
            AlertError::Store(cause) => ApiError::internal("reading or recording alerts", cause),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventQuery {
    /// The cursor: the id of the last event already read.
    after: Option<i64>,
    limit: Option<i64>,
    /// Comma-separated event types.
    #[serde(rename = "type")]
    types: Option<String>,
    service: Option<String>,
    team: Option<String>,
}

#[derive(Serialize)]
struct EventPage {
    events: Vec<EventOut>,
    /// Pass as `after` to read on; the same when nothing new came.
    next_cursor: i64,
}

#[derive(Serialize)]
struct EventOut {
    id: i64,
    #[serde(rename = "type")]
    event_type: String,
    service: Option<String>,
    team: Option<String>,
    at: String,
    at_ms: i64,
    payload: serde_json::Value,
}

impl From<StoredEvent> for EventOut {
    fn from(event: StoredEvent) -> Self {
        EventOut {
            at: crate::alert::message::rfc3339(event.at_ms),
            id: event.id,
            event_type: event.event_type,
            service: event.service,
            team: event.team,
            at_ms: event.at_ms,
            payload: event.payload,
        }
    }
}

fn event_types_from(text: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut types = Vec::new();
    for name in text.unwrap_or_default().split(',').map(str::trim) {
        if name.is_empty() {
            continue;
        }
        if !event_types::ALL.contains(&name) {
            return Err(ApiError::Invalid(format!(
                "`{name}` is not an event type; use one of {}",
                event_types::ALL.join(", ")
            )));
        }
        types.push(name.to_string());
    }
    Ok(types)
}

/// `GET /api/v1/events?after=ID&limit=N&type=a,b&service=SLUG&team=TEAM`:
/// the journal after the cursor, oldest first.
async fn events(
    State(store): State<Store>,
    query: Result<Query<EventQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::Invalid("after: must be 0 or an event id".into()));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_EVENTS_PER_READ).contains(&limit) {
        return Err(ApiError::Invalid(format!(
            "limit: must be from 1 to {MAX_EVENTS_PER_READ}"
        )));
    }
    let filter = EventFilter {
        after,
        limit,
        types: event_types_from(query.types.as_deref())?,
        service: query.service,
        team: query.team,
    };
    let events = store
        .events(&filter)
        .await
        .map_err(|e| ApiError::internal("reading the event journal", e))?;
    let next_cursor = events.last().map_or(after, |e| e.id);
    Ok(Json(EventPage {
        events: events.into_iter().map(EventOut::from).collect(),
        next_cursor,
    }))
}

/// `GET /api/v1/alerts`: firing and recently resolved alerts, rules,
/// channels with their delivery health, silences, maintenance windows and
/// the latest events.
async fn overview(State(alerts): State<AlertService>) -> Result<Json<AlertsOverview>, ApiError> {
    Ok(Json(alerts.overview().await.map_err(AlertError::from)?))
}

async fn silences(State(alerts): State<AlertService>) -> Result<Json<Vec<SilenceView>>, ApiError> {
    Ok(Json(alerts.silences().await.map_err(AlertError::from)?))
}

#[derive(Serialize)]
struct Created {
    id: i64,
}

/// `POST /api/v1/silences` with `{"service": "...", "duration": "2h",
/// "comment": "..."}` (and/or `rule`, `team`).
async fn create_silence(
    State(alerts): State<AlertService>,
    body: Result<Json<NewSilence>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let new = json_body(
        body,
        r#"{"service": "checkout", "duration": "2h", "comment": "migrating the ledger"}"#,
    )?;
    let id = alerts.create_silence(&new).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

async fn expire_silence(
    State(alerts): State<AlertService>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    alerts.expire_silence(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSubscription {
    url: String,
    secret: Option<String>,
    #[serde(default)]
    types: Vec<String>,
}

/// A subscription as shown: the URL reduced to its host, the secret never.
#[derive(Serialize)]
struct SubscriptionOut {
    id: i64,
    url: String,
    types: Vec<String>,
    signed: bool,
    created_ms: i64,
}

/// `POST /api/v1/subscriptions` with `{"url": "...", "secret": "...",
/// "types": ["alert.firing"]}`: the events journaled from now on are
/// POSTed to `url`, signed when a secret is given.
async fn subscribe(
    State(alerts): State<AlertService>,
    State(outbound): State<std::sync::Arc<crate::common::outbound::NetworkPolicy>>,
    body: Result<Json<NewSubscription>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<SubscriptionOut>), ApiError> {
    let new = json_body(
        body,
        r#"{"url": "https://hooks.example.com/shipshape", "secret": "...", "types": ["alert.firing", "alert.resolved"]}"#,
    )?;
    // The URL may carry a token: the message does not repeat it.
    validate_http_url(new.url.trim())
        .map_err(|_| ApiError::Invalid("url: must be an http:// or https:// URL".into()))?;
    outbound
        .check_url(new.url.trim())
        .await
        .map_err(|why| ApiError::Invalid(format!("url: {why}")))?;
    let types = event_types_from(Some(&new.types.join(",")))?;
    let secret = new.secret.filter(|s| !s.is_empty());
    let now = alerts.now_ms();
    let id = alerts
        .store()
        .create_subscription(new.url.trim(), secret.as_deref(), &types, now)
        .await
        .map_err(AlertError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(SubscriptionOut {
            id,
            url: redacted_url(new.url.trim()),
            types,
            signed: secret.is_some(),
            created_ms: now,
        }),
    ))
}

async fn subscriptions(
    State(alerts): State<AlertService>,
) -> Result<Json<Vec<SubscriptionOut>>, ApiError> {
    let list = alerts
        .store()
        .subscriptions()
        .await
        .map_err(AlertError::from)?;
    Ok(Json(
        list.into_iter()
            .map(|s| SubscriptionOut {
                id: s.id,
                url: redacted_url(&s.url),
                types: s.types,
                signed: s.secret.is_some(),
                created_ms: s.created_ms,
            })
            .collect(),
    ))
}

async fn unsubscribe(
    State(alerts): State<AlertService>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let now = alerts.now_ms();
    if alerts
        .store()
        .delete_subscription(id, now)
        .await
        .map_err(AlertError::from)?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no subscription {id}")))
    }
}
