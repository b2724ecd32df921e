//! Upgrades over HTTP under `/api/v1/upgrades`: the overview, runs (list,
//! one, start one: dry or real, for a service or the fleet), tracked PRs
//! and the schedule. Each handler calls one function of the upgrade
//! service.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use shipshape_types::upgrades::{
    RunOutcomeView, ScheduleEntryView, UpgradePrView, UpgradeRunView, UpgradesOverview, WaveView,
};

use super::access::ApiRoutes;
use super::error::{ApiError, json_body};
use crate::auth::Role;
use crate::common::duration::parse_duration;
use crate::upgrade::service::{NewWave, RunCause, UpgradeError, UpgradeService};

pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .read("/upgrades", overview)
        .read("/upgrades/runs", runs)
        .route(Role::Operator, Method::POST, "/upgrades/runs", start_run)
        .read("/upgrades/runs/{id}", run)
        .read("/upgrades/prs", prs)
        .read("/upgrades/schedule", schedule)
        .read("/upgrades/waves", waves)
        .route(Role::Operator, Method::POST, "/upgrades/waves", create_wave)
        .read("/upgrades/waves/{id}", wave)
        .route(
            Role::Operator,
            Method::POST,
            "/upgrades/waves/{id}/cancel",
            cancel_wave,
        )
}

impl From<UpgradeError> for ApiError {
    fn from(error: UpgradeError) -> Self {
        match error {
            UpgradeError::UnknownService(slug) => {
                ApiError::NotFound(format!("no service with slug `{slug}`"))
            }
            UpgradeError::UnknownRun(_) | UpgradeError::UnknownWave(_) => {
                ApiError::NotFound(error.to_string())
            }
            UpgradeError::Invalid(message) => ApiError::Invalid(message),
            UpgradeError::Busy => ApiError::Conflict(error.to_string()),
            UpgradeError::Store(cause) => {
                ApiError::internal("reading or recording upgrades", cause)
            }
        }
    }
}

async fn overview(
    State(upgrades): State<UpgradeService>,
) -> Result<Json<UpgradesOverview>, ApiError> {
    Ok(Json(upgrades.overview().await?))
}

async fn runs(
    State(upgrades): State<UpgradeService>,
) -> Result<Json<Vec<UpgradeRunView>>, ApiError> {
    Ok(Json(upgrades.runs().await?))
}

async fn run(
    State(upgrades): State<UpgradeService>,
    Path(id): Path<i64>,
) -> Result<Json<UpgradeRunView>, ApiError> {
    Ok(Json(upgrades.run_view(id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRun {
    /// One service's slug; absent for the whole fleet.
    service: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/upgrades/runs`: runs now and answers with what the run
/// did (for a dry run, every branch, diff and PR text it would write).
/// 409 while another run is under way.
async fn start_run(
    State(upgrades): State<UpgradeService>,
    body: Result<Json<StartRun>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<RunOutcomeView>), ApiError> {
    let request = json_body(body, r#"{"service": "checkout", "dry_run": true}"#)?;
    let outcome = upgrades
        .run(
            RunCause::Manual,
            request.service.as_deref(),
            request.dry_run,
            false,
        )
        .await?;
    Ok((StatusCode::OK, Json(outcome)))
}

#[derive(Deserialize)]
struct PrFilter {
    state: Option<String>,
}

const PR_STATES: [&str; 5] = ["pending", "open", "merged", "closed", "superseded"];

async fn prs(
    State(upgrades): State<UpgradeService>,
    Query(filter): Query<PrFilter>,
) -> Result<Json<Vec<UpgradePrView>>, ApiError> {
    if let Some(state) = &filter.state
        && !PR_STATES.contains(&state.as_str())
    {
        return Err(ApiError::Invalid(format!(
            "`{state}` is not a PR state; use one of {}",
            PR_STATES.join(", ")
        )));
    }
    Ok(Json(upgrades.prs(filter.state.as_deref()).await?))
}

async fn schedule(
    State(upgrades): State<UpgradeService>,
) -> Result<Json<Vec<ScheduleEntryView>>, ApiError> {
    Ok(Json(upgrades.schedule().await?))
}

async fn waves(State(upgrades): State<UpgradeService>) -> Result<Json<Vec<WaveView>>, ApiError> {
    Ok(Json(upgrades.waves().await?))
}

async fn wave(
    State(upgrades): State<UpgradeService>,
    Path(id): Path<i64>,
) -> Result<Json<WaveView>, ApiError> {
    Ok(Json(upgrades.wave(id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWave {
    ecosystem: String,
    package: String,
    target: String,
    /// `24h`, `3d`; default `[upgrades] wave_soak`.
    soak: Option<String>,
}

/// `POST /api/v1/upgrades/waves`: starts a wave and opens the first tier's PRs.
async fn create_wave(
    State(upgrades): State<UpgradeService>,
    body: Result<Json<CreateWave>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<WaveView>), ApiError> {
    let request = json_body(
        body,
        r#"{"ecosystem": "cargo", "package": "serde", "target": "1.0.230", "soak": "24h"}"#,
    )?;
    let soak = request
        .soak
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| ApiError::Invalid(format!("soak: {e}")))?;
    let wave = upgrades
        .create_wave(&NewWave {
            ecosystem: &request.ecosystem,
            package: &request.package,
            target: &request.target,
            soak,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(wave)))
}

async fn cancel_wave(
    State(upgrades): State<UpgradeService>,
    Path(id): Path<i64>,
) -> Result<Json<WaveView>, ApiError> {
    Ok(Json(upgrades.cancel_wave(id).await?))
}
