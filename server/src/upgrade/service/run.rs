//! One run: which services, then for each its repository read, its plan
//! made, and its PRs written (or, for a dry run, previewed).

use std::collections::{BTreeMap, BTreeSet};

use shipshape_types::upgrades::{
    BumpView, EventLevel, FileDiffView, GroupPreviewView, HeldView, PrState, RunCause,
    RunOutcomeView, RunStatus, ServicePreviewView,
};

use super::prs::{PrTarget, github_base};
use super::views::bump_view;
use super::{UpgradeError, UpgradeService};
use crate::deps::read::read_snapshot;
use crate::deps::source::{Fetched, Snapshot};
use crate::fleet::spec::{RepositorySource, StoredService};
use crate::upgrade::github::BranchHead;
use crate::upgrade::locks::MAINTENANCE_GROUP;
use crate::upgrade::prepare::{Repository, lock_maintenance_group, prepare, regenerate_locks};

/// What one service's part of a run decided, before and after writing.
struct ServiceRun {
    preview: ServicePreviewView,
    /// (level, message) for the run's journal.
    events: Vec<(EventLevel, String)>,
}

impl UpgradeService {
    /// Runs for one service (`scope`) or the whole fleet. A dry run reads
    /// and plans but writes nothing to GitHub. `wait` queues behind a run
    /// under way instead of answering `Busy`.
    pub async fn run(
        &self,
        cause: RunCause,
        scope: Option<&str>,
        dry_run: bool,
        wait: bool,
    ) -> Result<RunOutcomeView, UpgradeError> {
        let _turn = if wait {
            self.inner.running.lock().await
        } else {
            self.inner
                .running
                .try_lock()
                .map_err(|_| UpgradeError::Busy)?
        };
        let store = &self.inner.store;
        let services = match scope {
            Some(slug) => vec![
                store
                    .active_service(slug)
                    .await?
                    .ok_or_else(|| UpgradeError::UnknownService(slug.to_string()))?,
            ],
            None => store.active_services().await?,
        };
        let run_id = store
            .start_run(cause, scope, dry_run, self.inner.clock.now_ms())
            .await?;
        // Cached answers are revalidated (ETag): a release published since
        // the last drift refresh is proposed now, not hours later.
        self.inner.registries.expire_caches();
        let mut previews = Vec::with_capacity(services.len());
        for service in &services {
            let outcome = self.run_service(run_id, service, dry_run).await;
            for (level, message) in &outcome.events {
                store
                    .add_run_event(
                        run_id,
                        Some(service.id),
                        *level,
                        message,
                        self.inner.clock.now_ms(),
                    )
                    .await?;
            }
            previews.push(outcome.preview);
        }
        let failed = previews.iter().filter(|p| p.error.is_some()).count();
        let (status, error) = if failed > 0 && failed == services.len() {
            (
                RunStatus::Failed,
                Some(format!("no service could be upgraded ({failed} failed)")),
            )
        } else {
            (RunStatus::Done, None)
        };
        store
            .finish_run(run_id, status, error.as_deref(), self.inner.clock.now_ms())
            .await?;
        Ok(RunOutcomeView {
            run: self.run_view(run_id).await?,
            services: previews,
        })
    }

    async fn run_service(&self, run_id: i64, service: &StoredService, dry_run: bool) -> ServiceRun {
        let spec = &service.spec;
        let settings = self.settings();
        let policy = settings.policy_for(&spec.slug, &spec.team);
        let mut run = ServiceRun {
            preview: ServicePreviewView {
                service: spec.slug.clone(),
                repository: spec.repository.as_ref().map(RepositorySource::display),
                groups: Vec::new(),
                held: Vec::new(),
                error: None,
            },
            events: Vec::new(),
        };
        let fail = |mut run: ServiceRun, message: String| {
            run.events.push((EventLevel::Error, message.clone()));
            run.preview.error = Some(message);
            run
        };
        if !policy.enabled {
            run.events.push((
                EventLevel::Info,
                "upgrades are turned off by its policy".into(),
            ));
            return run;
        }
        let Some(source) = &spec.repository else {
            return fail(run, "it has no repository to upgrade".into());
        };
        let github_repo = match source {
            RepositorySource::GitHub { owner, repo } => Some(format!("{owner}/{repo}")),
            _ if dry_run => None,
            other => {
                return fail(
                    run,
                    format!(
                        "upgrade PRs are opened on GitHub; {} is not a GitHub repository (a dry run still previews them)",
                        other.display()
                    ),
                );
            }
        };
        let host = self.github();
        if github_repo.is_some() && host.is_none() && !dry_run {
            return fail(
                run,
                "the GitHub client could not be set up (see the server's log)".into(),
            );
        }
        // The base to commit on: read before the files, so the files are at
        // least as new as the commit the PR starts from.
        let mut base: Option<(String, BranchHead)> = None;
        if let (Some(repo), Some(host)) = (&github_repo, &host)
            && !dry_run
        {
            match github_base(host.as_ref(), repo).await {
                Ok(found) => base = Some(found),
                Err(error) => return fail(run, format!("{repo}: {error}")),
            }
        }
        let snapshot = match self.read_repository(source).await {
            Ok(snapshot) => snapshot,
            Err(message) => return fail(run, message),
        };
        // Merges and closes first: a version a person just declined is not
        // proposed again, and a slot a merge freed counts.
        if let (Some(host), Some(_)) = (&host, &base) {
            let live = match self.inner.store.live_prs(service.id).await {
                Ok(live) => live,
                Err(error) => return fail(run, error.to_string()),
            };
            for pr in live {
                if let Err(error) = self.sync_pr(host.as_ref(), pr, &mut run.events).await {
                    return fail(run, error.to_string());
                }
            }
        }
        let reading = read_snapshot(&snapshot);
        let answers = self.inner.registries.ask(&reading.dependencies).await;
        let declined: BTreeSet<(String, String)> =
            match self.inner.store.declined_prs(service.id).await {
                Ok(prs) => prs
                    .iter()
                    .flat_map(|pr| {
                        serde_json::from_str::<Vec<BumpView>>(&pr.bumps)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|b| (b.name, b.to))
                    })
                    .collect(),
                Err(error) => return fail(run, error.to_string()),
            };
        let now_ms = self.inner.clock.now_ms();
        let repository = Repository {
            service: &spec.slug,
            snapshot: &snapshot,
            policy: &policy,
            dashboard_url: settings.dashboard_url.as_deref(),
            now_ms,
        };
        let mut prepared = prepare(&repository, &answers, &declined);
        // Lock-file maintenance, last so that the PR limit spends itself on
        // version bumps first: while its PR is open it is refreshed on every
        // run; otherwise once the interval has passed since the last one.
        if let Some(every) = policy.lock_maintenance {
            let earlier = match self
                .inner
                .store
                .group_prs(service.id, MAINTENANCE_GROUP)
                .await
            {
                Ok(earlier) => earlier,
                Err(error) => return fail(run, error.to_string()),
            };
            let live = earlier
                .iter()
                .any(|pr| matches!(pr.state, PrState::Pending | PrState::Open));
            let last = earlier.iter().map(|pr| pr.created_ms).max();
            let due = live
                || last.is_none_or(|started| {
                    now_ms.saturating_sub(started)
                        >= i64::try_from(every.as_millis()).unwrap_or(i64::MAX)
                });
            if due && let Some(group) = lock_maintenance_group(&repository) {
                prepared.groups.push(group);
            }
        }
        // The lock files each PR's edits leave behind, regenerated by the
        // ecosystem's tool (dry runs too: the preview shows the lock diff).
        let mut groups = Vec::with_capacity(prepared.groups.len());
        for mut group in std::mem::take(&mut prepared.groups) {
            match regenerate_locks(&repository, &mut group, &self.inner.locks).await {
                Ok(problems) => {
                    for problem in problems {
                        run.events.push((EventLevel::Warning, problem));
                    }
                    groups.push(group);
                }
                Err(reason) => prepared.skipped.push((group.group.key.clone(), reason)),
            }
        }
        prepared.groups = groups;
        for problem in &prepared.problems {
            run.events.push((EventLevel::Warning, problem.clone()));
        }
        for held in &prepared.plan.held {
            run.preview.held.push(HeldView {
                ecosystem: held.ecosystem,
                name: held.name.clone(),
                version: held.version.clone(),
                reason: held.reason.clone(),
            });
        }
        for (key, reason) in &prepared.skipped {
            run.events
                .push((EventLevel::Info, format!("{key}: not proposed: {reason}")));
        }
        let mut actions: BTreeMap<String, String> = BTreeMap::new();
        if let (Some(repo), Some(host), Some((branch, head))) = (&github_repo, &host, &base) {
            let written = self
                .write_prs(
                    &PrTarget {
                        host: host.as_ref(),
                        run_id,
                        service,
                        repo,
                        base_branch: branch,
                        head,
                        policy: &policy,
                    },
                    &prepared.groups,
                    &mut run.events,
                )
                .await;
            match written {
                Ok(done) => actions = done,
                Err(error) => return fail(run, error.to_string()),
            }
        } else {
            let live = self
                .inner
                .store
                .live_prs(service.id)
                .await
                .unwrap_or_default();
            for group in &prepared.groups {
                let action = match live.iter().find(|pr| pr.group_key == group.group.key) {
                    Some(pr) if pr.content_key == group.content_key() => "unchanged".into(),
                    Some(_) => "update".into(),
                    None => "open".into(),
                };
                actions.insert(group.group.key.clone(), action);
            }
        }
        for group in &prepared.groups {
            run.preview.groups.push(GroupPreviewView {
                group: group.group.key.clone(),
                branch: group.group.branch.clone(),
                title: group.texts.title.clone(),
                body: group.texts.body.clone(),
                commit_message: group.texts.commit_message.clone(),
                bumps: group.group.proposals.iter().map(bump_view).collect(),
                files: group
                    .diffs
                    .iter()
                    .map(|(path, diff)| FileDiffView {
                        path: path.clone(),
                        diff: diff.clone(),
                    })
                    .collect(),
                action: actions
                    .get(&group.group.key)
                    .cloned()
                    .unwrap_or_else(|| "open".into()),
            });
        }
        if dry_run {
            run.events.push((
                EventLevel::Info,
                format!(
                    "dry run: {} PR(s) would be written, nothing was sent to GitHub",
                    prepared.groups.len()
                ),
            ));
        }
        run
    }

    /// The repository's manifests as they are now.
    pub(super) async fn read_repository(
        &self,
        source: &RepositorySource,
    ) -> Result<Snapshot, String> {
        let reader = self.inner.sources.reader(source)?;
        match reader.fetch(None).await {
            Ok(Fetched::Changed(snapshot)) => Ok(snapshot),
            Ok(Fetched::Unchanged { .. }) => {
                Err("the repository answered without its files".into())
            }
            Err(error) => Err(error.to_string()),
        }
    }
}
