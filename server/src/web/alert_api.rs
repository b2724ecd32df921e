//! `/api/v1/events`, `/api/v1/alerts`, `/api/v1/silences` and
//! `/api/v1/subscriptions`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shipshape_types::alerts::{
    AlertsOverview, Created, NewSilence, NewSubscription, SilenceView, SubscriptionView,
};
use shipshape_types::page::{Page, PageRequest};
use utoipa_axum::routes;

use super::access::ApiRoutes;
use super::error::{ApiJson, ApiPath, ApiQuery, ApiResult, CallerOf};
use crate::auth::Role;
use crate::operations::{EventQuery, JournalEvent, Operations};

/// Silencing is an operator's; subscriptions send the journal to any URL,
/// so adding or removing one is an admin's.
pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .needs(Role::Viewer, routes!(events))
        .needs(Role::Viewer, routes!(overview))
        .needs(Role::Viewer, routes!(silences))
        .needs(Role::Operator, routes!(create_silence))
        .needs(Role::Operator, routes!(expire_silence))
        .needs(Role::Viewer, routes!(subscriptions))
        .needs(Role::Admin, routes!(subscribe))
        .needs(Role::Admin, routes!(unsubscribe))
}

/// The journal after the cursor, oldest first; `next_cursor` is always
/// where to read on.
#[utoipa::path(get, path = "/events", tag = "alerts", params(EventQuery),
    responses((status = 200, description = "A page of events.", body = Page<JournalEvent>)))]
async fn events(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> ApiResult<Json<Page<JournalEvent>>> {
    Ok(Json(ops.events(&caller, &query).await?))
}

/// Firing and recently resolved alerts, rules, channels with their
/// delivery health, silences, maintenance windows and the latest events.
#[utoipa::path(get, path = "/alerts", tag = "alerts",
    responses((status = 200, description = "Everything the Alerts page shows.", body = AlertsOverview)))]
async fn overview(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
) -> ApiResult<Json<AlertsOverview>> {
    Ok(Json(ops.alerts_overview(&caller).await?))
}

/// Active silences and those that ended in the last day, newest first.
#[utoipa::path(get, path = "/silences", tag = "alerts", params(PageRequest),
    responses((status = 200, description = "A page of silences.", body = Page<SilenceView>)))]
async fn silences(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<SilenceView>>> {
    Ok(Json(ops.silences(&caller, &page).await?))
}

/// Silences the alerts of a rule, a service or a team (all given must
/// match) for a while.
#[utoipa::path(post, path = "/silences", tag = "alerts", request_body = NewSilence,
    responses((status = 201, description = "The silence's id.", body = Created)))]
async fn create_silence(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(silence): ApiJson<NewSilence>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = ops.create_silence(&caller, &silence).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(post, path = "/silences/{id}/expire", tag = "alerts",
    params(("id" = i64, Path, description = "The silence's id.")),
    responses(
        (status = 204, description = "Ended."),
        (status = 404, description = "No active silence with this id.", body = shipshape_types::page::Problem),
    ))]
async fn expire_silence(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    ops.expire_silence(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Webhook subscriptions to the journal, each URL reduced to its host.
#[utoipa::path(get, path = "/subscriptions", tag = "alerts", params(PageRequest),
    responses((status = 200, description = "A page of subscriptions.", body = Page<SubscriptionView>)))]
async fn subscriptions(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<SubscriptionView>>> {
    Ok(Json(ops.subscriptions(&caller, &page).await?))
}

/// The events journaled from now on are POSTed to the URL, signed when a
/// secret is given.
#[utoipa::path(post, path = "/subscriptions", tag = "alerts", request_body = NewSubscription,
    responses((status = 201, description = "The subscription.", body = SubscriptionView)))]
async fn subscribe(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(subscription): ApiJson<NewSubscription>,
) -> ApiResult<(StatusCode, Json<SubscriptionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops.subscribe(&caller, &subscription).await?),
    ))
}

#[utoipa::path(delete, path = "/subscriptions/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "The subscription's id.")),
    responses(
        (status = 204, description = "Stopped."),
        (status = 404, description = "No such subscription.", body = shipshape_types::page::Problem),
    ))]
async fn unsubscribe(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    ops.unsubscribe(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
