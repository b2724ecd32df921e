//! What the Upgrades page and the API read: runs with what they did, the
//! PRs Shipshape keeps, each service's schedule.

use shipshape_types::upgrades::{
    BumpView, PrState, RunEventView, ScheduleEntryView, UpgradePrView, UpgradeRunView,
    UpgradesOverview,
};

use super::{RUNS_SHOWN, UpgradeError, UpgradeService};
use crate::upgrade::plan::Proposal;
use crate::upgrade::store::{StoredPr, StoredRun};

pub(super) fn bump_view(p: &Proposal) -> BumpView {
    BumpView {
        ecosystem: p.ecosystem,
        manifest: p.manifest.clone(),
        name: p.name.clone(),
        from: p.from.clone(),
        to: p.to.clone(),
        gap: p.gap,
        published_ms: p.published_ms,
    }
}

pub(super) fn pr_view(pr: &StoredPr) -> UpgradePrView {
    UpgradePrView {
        service: pr.service_slug.clone(),
        repository: pr.repository.clone(),
        group: pr.group_key.clone(),
        branch: pr.branch.clone(),
        title: pr.title.clone(),
        number: pr.number,
        url: pr.url.clone(),
        state: pr.state,
        step: pr.step,
        created_ms: pr.created_ms,
        updated_ms: pr.updated_ms,
        opened_ms: pr.opened_ms,
        closed_ms: pr.closed_ms,
        merged_ms: pr.merged_ms,
        bumps: serde_json::from_str(&pr.bumps).unwrap_or_default(),
        note: pr.note.clone(),
        wave_id: pr.wave_id,
    }
}

impl UpgradeService {
    pub async fn run_view(&self, run_id: i64) -> Result<UpgradeRunView, UpgradeError> {
        let run = self
            .inner
            .store
            .upgrade_run(run_id)
            .await?
            .ok_or(UpgradeError::UnknownRun(run_id))?;
        self.view_of_run(run).await
    }

    /// A run already read, with what it did.
    async fn view_of_run(&self, run: StoredRun) -> Result<UpgradeRunView, UpgradeError> {
        let events = self
            .inner
            .store
            .run_events(run.id)
            .await?
            .into_iter()
            .map(|e| RunEventView {
                at_ms: e.at_ms,
                service: e.service_slug,
                level: e.level,
                message: e.message,
            })
            .collect();
        Ok(UpgradeRunView {
            id: run.id,
            cause: run.cause,
            scope: run.scope,
            dry_run: run.dry_run,
            started_ms: run.started_ms,
            finished_ms: run.finished_ms,
            status: run.status,
            error: run.error,
            events,
        })
    }

    pub async fn runs(&self) -> Result<Vec<UpgradeRunView>, UpgradeError> {
        let mut views = Vec::new();
        for run in self.inner.store.upgrade_runs(RUNS_SHOWN).await? {
            views.push(self.view_of_run(run).await?);
        }
        Ok(views)
    }

    pub async fn prs(&self, state: Option<PrState>) -> Result<Vec<UpgradePrView>, UpgradeError> {
        let mut prs: Vec<UpgradePrView> = self
            .inner
            .store
            .upgrade_prs(state)
            .await?
            .iter()
            .map(pr_view)
            .collect();
        prs.sort_by_key(|pr| std::cmp::Reverse(pr.updated_ms));
        Ok(prs)
    }

    /// Each active service's schedule and next run.
    pub async fn schedule(&self) -> Result<Vec<ScheduleEntryView>, UpgradeError> {
        let settings = self.settings();
        let now = self.inner.clock.now_ms();
        Ok(self
            .inner
            .store
            .active_services()
            .await?
            .into_iter()
            .map(|service| {
                let policy = settings.policy_for(&service.spec.slug, &service.spec.team);
                ScheduleEntryView {
                    next_run_ms: policy
                        .enabled
                        .then(|| policy.schedule.next_after(now))
                        .flatten(),
                    service: service.spec.slug,
                    team: service.spec.team,
                    expression: policy.schedule.expression,
                    time_zone: policy.schedule.time_zone,
                    enabled: policy.enabled,
                }
            })
            .collect())
    }

    pub async fn overview(&self) -> Result<UpgradesOverview, UpgradeError> {
        Ok(UpgradesOverview {
            schedule: self.schedule().await?,
            runs: self.runs().await?,
            prs: self.prs(None).await?,
            waves: self.waves().await?,
            can_write: self.github().is_some(),
        })
    }
}
