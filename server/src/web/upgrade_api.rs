//! Upgrades over HTTP under `/api/v1/upgrades`: the overview, runs (list,
//! one, start one: dry or real, for a service or the fleet), tracked PRs,
//! the schedule and waves.
#![expect(
    unused_qualifications,
    reason = "utoipa's path macro writes the query types' paths out in full"
)]

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shipshape_types::page::{Page, PageRequest};
use shipshape_types::upgrades::{
    NewWave, RunOutcomeView, ScheduleEntryView, StartRun, UpgradePrView, UpgradeRunView,
    UpgradesOverview, WaveView,
};
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::access::ApiRoutes;
use super::error::{ApiJson, ApiPath, ApiQuery, ApiResult, CallerOf};
use crate::auth::Role;
use crate::operations::Operations;

pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .needs(Role::Viewer, routes!(overview))
        .needs(Role::Viewer, routes!(runs))
        .needs(Role::Operator, routes!(start_run))
        .needs(Role::Viewer, routes!(run))
        .needs(Role::Viewer, routes!(prs))
        .needs(Role::Viewer, routes!(schedule))
        .needs(Role::Viewer, routes!(waves))
        .needs(Role::Operator, routes!(create_wave))
        .needs(Role::Viewer, routes!(wave))
        .needs(Role::Operator, routes!(cancel_wave))
}

/// Everything the Upgrades page shows.
#[utoipa::path(get, path = "/upgrades", tag = "upgrades",
    responses((status = 200, description = "Schedule, runs, PRs and waves.", body = UpgradesOverview)))]
async fn overview(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
) -> ApiResult<Json<UpgradesOverview>> {
    Ok(Json(ops.upgrades_overview(&caller).await?))
}

/// The latest runs, newest first.
#[utoipa::path(get, path = "/upgrades/runs", tag = "upgrades", params(PageRequest),
    responses((status = 200, description = "A page of runs.", body = Page<UpgradeRunView>)))]
async fn runs(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<UpgradeRunView>>> {
    Ok(Json(ops.upgrade_runs(&caller, &page).await?))
}

#[utoipa::path(get, path = "/upgrades/runs/{id}", tag = "upgrades",
    params(("id" = i64, Path, description = "The run's id.")),
    responses(
        (status = 200, description = "The run and what it did.", body = UpgradeRunView),
        (status = 404, description = "No such run.", body = shipshape_types::page::Problem),
    ))]
async fn run(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UpgradeRunView>> {
    Ok(Json(ops.upgrade_run(&caller, id).await?))
}

/// Runs now and answers with what the run did (for a dry run, every
/// branch, diff and PR text it would write).
#[utoipa::path(post, path = "/upgrades/runs", tag = "upgrades", request_body = StartRun,
    responses(
        (status = 200, description = "What the run did.", body = RunOutcomeView),
        (status = 404, description = "No such service.", body = shipshape_types::page::Problem),
        (status = 409, description = "Another run is under way.", body = shipshape_types::page::Problem),
    ))]
async fn start_run(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(request): ApiJson<StartRun>,
) -> ApiResult<Json<RunOutcomeView>> {
    Ok(Json(ops.start_upgrade_run(&caller, &request).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PrQuery {
    /// `pending`, `open`, `merged`, `closed` or `superseded`; all when absent.
    state: Option<String>,
    after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The PRs Shipshape keeps, newest change first.
#[utoipa::path(get, path = "/upgrades/prs", tag = "upgrades", params(PrQuery),
    responses((status = 200, description = "A page of PRs.", body = Page<UpgradePrView>)))]
async fn prs(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(query): ApiQuery<PrQuery>,
) -> ApiResult<Json<Page<UpgradePrView>>> {
    let page = PageRequest {
        after: query.after,
        limit: query.limit,
    };
    Ok(Json(
        ops.upgrade_prs(&caller, query.state.as_deref(), &page)
            .await?,
    ))
}

/// Each service's schedule and next run.
#[utoipa::path(get, path = "/upgrades/schedule", tag = "upgrades", params(PageRequest),
    responses((status = 200, description = "A page of schedule entries.", body = Page<ScheduleEntryView>)))]
async fn schedule(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<ScheduleEntryView>>> {
    Ok(Json(ops.upgrade_schedule(&caller, &page).await?))
}

#[utoipa::path(get, path = "/upgrades/waves", tag = "upgrades", params(PageRequest),
    responses((status = 200, description = "A page of waves, newest first.", body = Page<WaveView>)))]
async fn waves(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<WaveView>>> {
    Ok(Json(ops.waves(&caller, &page).await?))
}

#[utoipa::path(get, path = "/upgrades/waves/{id}", tag = "upgrades",
    params(("id" = i64, Path, description = "The wave's id.")),
    responses(
        (status = 200, description = "The wave, tier by tier.", body = WaveView),
        (status = 404, description = "No such wave.", body = shipshape_types::page::Problem),
    ))]
async fn wave(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WaveView>> {
    Ok(Json(ops.wave(&caller, id).await?))
}

/// Starts a wave and opens the first tier's PRs.
#[utoipa::path(post, path = "/upgrades/waves", tag = "upgrades", request_body = NewWave,
    responses(
        (status = 201, description = "The wave.", body = WaveView),
        (status = 409, description = "An upgrade run is under way.", body = shipshape_types::page::Problem),
    ))]
async fn create_wave(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(request): ApiJson<NewWave>,
) -> ApiResult<(StatusCode, Json<WaveView>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops.create_wave(&caller, &request).await?),
    ))
}

#[utoipa::path(post, path = "/upgrades/waves/{id}/cancel", tag = "upgrades",
    params(("id" = i64, Path, description = "The wave's id.")),
    responses(
        (status = 200, description = "The wave, cancelled.", body = WaveView),
        (status = 404, description = "No such wave.", body = shipshape_types::page::Problem),
    ))]
async fn cancel_wave(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WaveView>> {
    Ok(Json(ops.cancel_wave(&caller, id).await?))
}
