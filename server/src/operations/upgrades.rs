//! Upgrade PRs: the Upgrades page's data, runs now (operators), the PRs
//! Shipshape keeps, the schedule, and waves.

use shipshape_types::auth::{Caller, Role};
use shipshape_types::page::{Page, PageRequest};
use shipshape_types::upgrades::{
    NewWave, PrState, RunOutcomeView, ScheduleEntryView, StartRun, UpgradePrView, UpgradeRunView,
    UpgradesOverview, WaveView,
};

use super::{OperationError, Operations, Result};
use crate::upgrade::service::RunCause;

impl Operations {
    pub async fn upgrades_overview(&self, caller: &Caller) -> Result<UpgradesOverview> {
        caller.require(Role::Viewer)?;
        Ok(self.upgrades.overview().await?)
    }

    pub async fn upgrade_runs(
        &self,
        caller: &Caller,
        page: &PageRequest,
    ) -> Result<Page<UpgradeRunView>> {
        caller.require(Role::Viewer)?;
        Page::of(self.upgrades.runs().await?, page).map_err(OperationError::Invalid)
    }

    pub async fn upgrade_run(&self, caller: &Caller, id: i64) -> Result<UpgradeRunView> {
        caller.require(Role::Viewer)?;
        Ok(self.upgrades.run_view(id).await?)
    }

    /// Runs now, for one service or the fleet, and answers with what the
    /// run did (for a dry run, every branch, diff and PR text it would
    /// write). A run under way is a conflict.
    pub async fn start_upgrade_run(
        &self,
        caller: &Caller,
        request: &StartRun,
    ) -> Result<RunOutcomeView> {
        caller.require(Role::Operator)?;
        let service = request
            .service
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        Ok(self
            .upgrades
            .run(RunCause::Manual, service, request.dry_run, false)
            .await?)
    }

    /// The PRs Shipshape keeps, newest change first, of one state or all.
    pub async fn upgrade_prs(
        &self,
        caller: &Caller,
        state: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<UpgradePrView>> {
        caller.require(Role::Viewer)?;
        let state = state
            .map(|text| {
                PrState::parse(text).ok_or_else(|| {
                    let known: Vec<&str> = PrState::ALL.iter().map(|s| s.name()).collect();
                    OperationError::Invalid(format!(
                        "state: `{text}` is not a PR state; use one of {}",
                        known.join(", ")
                    ))
                })
            })
            .transpose()?;
        Page::of(self.upgrades.prs(state).await?, page).map_err(OperationError::Invalid)
    }

    pub async fn upgrade_schedule(
        &self,
        caller: &Caller,
        page: &PageRequest,
    ) -> Result<Page<ScheduleEntryView>> {
        caller.require(Role::Viewer)?;
        Page::of(self.upgrades.schedule().await?, page).map_err(OperationError::Invalid)
    }

    pub async fn waves(&self, caller: &Caller, page: &PageRequest) -> Result<Page<WaveView>> {
        caller.require(Role::Viewer)?;
        Page::of(self.upgrades.waves().await?, page).map_err(OperationError::Invalid)
    }

    pub async fn wave(&self, caller: &Caller, id: i64) -> Result<WaveView> {
        caller.require(Role::Viewer)?;
        Ok(self.upgrades.wave(id).await?)
    }

    /// Starts a wave and opens the first tier's PRs.
    pub async fn create_wave(&self, caller: &Caller, request: &NewWave) -> Result<WaveView> {
        caller.require(Role::Operator)?;
        Ok(self.upgrades.create_wave(request).await?)
    }

    pub async fn cancel_wave(&self, caller: &Caller, id: i64) -> Result<WaveView> {
        caller.require(Role::Operator)?;
        Ok(self.upgrades.cancel_wave(id).await?)
    }
}
