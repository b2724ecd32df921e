//! The upgrade service layer: runs (scheduled, "run now", dry), the PRs
//! they keep on GitHub, and the queries the API and the UI make.
//!
//! A run is recorded before anything is written to GitHub. Each PR's row
//! is created before its first write and saved after every step (commit,
//! branch, PR, labels), and the PR is looked for on GitHub by its branch
//! before one is opened, so a run killed at any point and started again
//! finishes what was begun: never a second PR for a group, never a PR
//! Shipshape has lost track of.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use shipshape_types::upgrades::{
    BumpView, FileDiffView, GroupPreviewView, HeldView, RunEventView, RunOutcomeView,
    ScheduleEntryView, ServicePreviewView, UpgradePrView, UpgradeRunView, UpgradesOverview,
};

use super::github::{BranchHead, CodeHost};
use super::plan::Proposal;
use super::prepare::{PreparedGroup, Repository, prepare};
use crate::common::clock::Clock;
use crate::deps::crawl::Registries;
use crate::deps::read::read_snapshot;
use crate::deps::registry::time::parse_rfc3339_ms;
use crate::deps::service::Sources;
use crate::deps::source::{Fetched, Snapshot};
use crate::fleet::spec::RepositorySource;
use crate::fleet::spec::StoredService;
use crate::integrations::github::{GitHubClient, GitHubError};
use crate::store::{Store, StoreError};
use crate::upgrade::settings::UpgradeSettings;
use crate::upgrade::store::{NewPr, StoredPr, StoredRun};

mod campaign;

const RUNS_SHOWN: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no service `{0}`")]
    UnknownService(String),
    #[error("an upgrade run is under way; try again when it has finished")]
    Busy,
    #[error("no upgrade run {0}")]
    UnknownRun(i64),
    #[error("no upgrade wave {0}")]
    UnknownWave(i64),
    /// The request cannot be done as asked; said so the person can fix it.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct UpgradeService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    registries: Registries,
    sources: Sources,
    settings: RwLock<UpgradeSettings>,
    /// One run at a time: two runs could both think a group has no PR.
    running: tokio::sync::Mutex<()>,
}

/// Who asked for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunCause {
    Schedule,
    Manual,
    Wave,
}

impl RunCause {
    fn name(self) -> &'static str {
        match self {
            RunCause::Schedule => "schedule",
            RunCause::Manual => "manual",
            RunCause::Wave => "wave",
        }
    }
}

fn bump_view(p: &Proposal) -> BumpView {
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

fn pr_view(pr: &StoredPr) -> UpgradePrView {
    UpgradePrView {
        service: pr.service_slug.clone(),
        repository: pr.repository.clone(),
        group: pr.group_key.clone(),
        branch: pr.branch.clone(),
        title: pr.title.clone(),
        number: pr.number,
        url: pr.url.clone(),
        state: pr.state.clone(),
        step: pr.step.clone(),
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

/// What one service's part of a run decided, before and after writing.
struct ServiceRun {
    preview: ServicePreviewView,
    /// (level, message) for the run's journal.
    events: Vec<(&'static str, String)>,
}

impl UpgradeService {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        registries: Registries,
        sources: Sources,
        settings: UpgradeSettings,
    ) -> Self {
        UpgradeService {
            inner: Arc::new(Inner {
                store,
                clock,
                registries,
                sources,
                settings: RwLock::new(settings),
                running: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Replaces the settings (the fleet file was read again).
    pub fn set_settings(&self, settings: UpgradeSettings) {
        if let Ok(mut current) = self.inner.settings.write() {
            *current = settings;
        }
    }

    pub fn settings(&self) -> UpgradeSettings {
        self.inner
            .settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    fn github(&self) -> Option<Arc<GitHubClient>> {
        self.inner.sources.github.clone()
    }

    /// Closes runs a stopped server left `running`; called at start-up.
    pub async fn recover(&self) -> Result<u64, UpgradeError> {
        Ok(self
            .inner
            .store
            .interrupt_unfinished_runs(self.inner.clock.now_ms())
            .await?)
    }

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
            .start_run(cause.name(), scope, dry_run, self.inner.clock.now_ms())
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
                        level,
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
                "failed",
                Some(format!("no service could be upgraded ({failed} failed)")),
            )
        } else {
            ("done", None)
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
            run.events.push(("error", message.clone()));
            run.preview.error = Some(message);
            run
        };
        if !policy.enabled {
            run.events
                .push(("info", "upgrades are turned off by its policy".into()));
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
        let prepared = prepare(
            &Repository {
                service: &spec.slug,
                snapshot: &snapshot,
                policy: &policy,
                dashboard_url: settings.dashboard_url.as_deref(),
                now_ms,
            },
            &answers,
            &declined,
        );
        for problem in &prepared.problems {
            run.events.push(("warning", problem.clone()));
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
                .push(("info", format!("{key}: not proposed: {reason}")));
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
                "info",
                format!(
                    "dry run: {} PR(s) would be written, nothing was sent to GitHub",
                    prepared.groups.len()
                ),
            ));
        }
        run
    }

    /// The repository's manifests as they are now.
    async fn read_repository(&self, source: &RepositorySource) -> Result<Snapshot, String> {
        let reader = self.inner.sources.reader(source)?;
        match reader.fetch(None).await {
            Ok(Fetched::Changed(snapshot)) => Ok(snapshot),
            Ok(Fetched::Unchanged { .. }) => {
                Err("the repository answered without its files".into())
            }
            Err(error) => Err(error.to_string()),
        }
    }

    /// Brings the service's PRs on GitHub in line with `groups`; the action
    /// taken per group key.
    async fn write_prs<H: CodeHost>(
        &self,
        target: &PrTarget<'_, H>,
        groups: &[PreparedGroup],
        events: &mut Vec<(&'static str, String)>,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let PrTarget {
            host,
            service,
            repo,
            policy,
            ..
        } = *target;
        let store = &self.inner.store;
        let clock = &self.inner.clock;
        let mut live = store.live_prs(service.id).await?;
        let wanted: BTreeSet<&str> = groups.iter().map(|g| g.group.key.as_str()).collect();
        for pr in live.iter_mut().filter(|pr| {
            pr.wave_id.is_none() && pr.state == "open" && !wanted.contains(pr.group_key.as_str())
        }) {
            let reason = "Superseded: Shipshape no longer proposes these updates (a newer version is proposed in another PR, or they are no longer needed).";
            let Some(number) = pr.number else { continue };
            match host.close_pull(repo, number, reason).await {
                Ok(()) => {
                    pr.state = "superseded".into();
                    pr.closed_ms = Some(clock.now_ms());
                    pr.updated_ms = clock.now_ms();
                    pr.note = Some(reason.into());
                    store.save_pr(pr).await?;
                    events.push((
                        "info",
                        format!("closed #{number} ({}): superseded", pr.group_key),
                    ));
                }
                Err(error) => events.push((
                    "error",
                    format!("#{number} ({}) could not be closed: {error}", pr.group_key),
                )),
            }
        }
        let mut open_count = live
            .iter()
            .filter(|pr| {
                pr.state == "open" && pr.wave_id.is_none() && wanted.contains(pr.group_key.as_str())
            })
            .count();
        let mut actions = BTreeMap::new();
        for group in groups {
            let key = group.group.key.as_str();
            let existing = live.iter().find(|pr| pr.group_key == key).cloned();
            if existing.is_none() && open_count >= policy.max_open_prs as usize {
                let why = format!(
                    "waiting: {open_count} upgrade PRs are open (the policy allows {})",
                    policy.max_open_prs
                );
                events.push(("info", format!("{key}: {why}")));
                actions.insert(key.to_string(), why);
                continue;
            }
            let is_new = existing.is_none();
            match self.ensure_pr(target, group, existing, None).await {
                Ok((pr, action)) => {
                    if is_new {
                        open_count += 1;
                    }
                    let number = pr.number.map(|n| format!("#{n} ")).unwrap_or_default();
                    events.push(("info", format!("{action} {number}{}", group.texts.title)));
                    actions.insert(key.to_string(), action);
                }
                Err(PrError::Store(error)) => return Err(error),
                Err(PrError::GitHub(error)) => {
                    events.push(("error", format!("{key}: {error}")));
                    actions.insert(key.to_string(), format!("failed: {error}"));
                    if matches!(error.status, Some(401 | 403 | 429)) {
                        // Credentials or rate limits: the next group would fail too.
                        break;
                    }
                }
            }
        }
        Ok(actions)
    }

    /// Reads a live PR's state on GitHub: merged or closed by a person.
    async fn sync_pr<H: CodeHost>(
        &self,
        host: &H,
        mut pr: StoredPr,
        events: &mut Vec<(&'static str, String)>,
    ) -> Result<StoredPr, StoreError> {
        let Some(number) = pr.number.filter(|_| pr.state == "open") else {
            return Ok(pr);
        };
        match host.pull(&pr.repository, number).await {
            Ok(found) if found.state == "closed" => {
                let now = self.inner.clock.now_ms();
                pr.closed_ms = found
                    .closed_at
                    .as_deref()
                    .and_then(parse_rfc3339_ms)
                    .or(Some(now));
                if let Some(merged) = found.merged_at.as_deref() {
                    pr.state = "merged".into();
                    pr.merged_ms = parse_rfc3339_ms(merged).or(Some(now));
                    events.push(("info", format!("#{number} ({}) was merged", pr.group_key)));
                } else {
                    pr.state = "closed".into();
                    events.push((
                        "info",
                        format!(
                            "#{number} ({}) was closed without merging; its versions will not be proposed again",
                            pr.group_key
                        ),
                    ));
                }
                pr.updated_ms = now;
                self.inner.store.save_pr(&pr).await?;
            }
            Ok(_) => {}
            Err(error) => events.push((
                "warning",
                format!("#{number} ({}) could not be read: {error}", pr.group_key),
            )),
        }
        Ok(pr)
    }

    /// Checks every open PR for merges and closes (the sync loop).
    pub async fn sync_open_prs(&self) -> Result<usize, UpgradeError> {
        let Some(host) = self.github() else {
            return Ok(0);
        };
        let mut changed = 0;
        let mut events = Vec::new();
        for pr in self.inner.store.upgrade_prs(Some("open")).await? {
            let synced = self.sync_pr(host.as_ref(), pr, &mut events).await?;
            changed += usize::from(synced.state != "open");
        }
        Ok(changed)
    }

    /// Writes one group's PR step by step, from where its row says the
    /// last run stopped; the row and what was done (`opened`, `updated`,
    /// `unchanged`).
    async fn ensure_pr<H: CodeHost>(
        &self,
        target: &PrTarget<'_, H>,
        group: &PreparedGroup,
        existing: Option<StoredPr>,
        wave_id: Option<i64>,
    ) -> Result<(StoredPr, String), PrError> {
        let PrTarget {
            host,
            run_id,
            service,
            repo,
            base_branch,
            head,
            policy,
        } = *target;
        let store = &self.inner.store;
        let clock = &self.inner.clock;
        let content_key = group.content_key();
        let bumps = serde_json::to_string(
            &group
                .group
                .proposals
                .iter()
                .map(bump_view)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_else(|_| "[]".into());
        let (mut pr, mut action) = match existing {
            Some(pr) if pr.content_key == content_key && pr.step == "complete" => {
                return Ok((pr, "unchanged".into()));
            }
            Some(mut pr) => {
                if pr.content_key != content_key {
                    // New versions: a new commit on the same branch and PR.
                    pr.content_key = content_key;
                    pr.bumps = bumps;
                    pr.title = group.texts.title.clone();
                    pr.step = "planned".into();
                    pr.commit_sha = None;
                }
                pr.run_id = Some(run_id);
                pr.updated_ms = clock.now_ms();
                store.save_pr(&pr).await?;
                let action = if pr.number.is_some() {
                    "updated"
                } else {
                    "opened"
                };
                (pr, action.to_string())
            }
            None => {
                let pr = store
                    .insert_pr(
                        &NewPr {
                            service_id: service.id,
                            repository: repo,
                            group_key: &group.group.key,
                            branch: &group.group.branch,
                            title: &group.texts.title,
                            bumps: &bumps,
                            content_key: &content_key,
                            wave_id,
                            run_id,
                        },
                        clock.now_ms(),
                    )
                    .await?;
                (pr, "opened".to_string())
            }
        };
        if pr.step == "planned" {
            let commit = host
                .commit_files(repo, head, &group.files, &group.texts.commit_message)
                .await?;
            pr.commit_sha = Some(commit);
            pr.step = "committed".into();
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        if pr.step == "committed" {
            let commit = pr.commit_sha.clone().unwrap_or_default();
            let exists = host.branch_head(repo, &pr.branch).await?.is_some();
            host.point_branch(repo, &pr.branch, &commit, exists).await?;
            pr.step = "pushed".into();
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        if pr.step == "pushed" {
            let number = match pr.number {
                Some(number) => Some(number),
                // Opened by a run killed before it could save the number?
                None => host.open_pull_for(repo, &pr.branch).await?.map(|found| {
                    pr.url = Some(found.html_url);
                    found.number
                }),
            };
            match number {
                Some(number) => {
                    host.update_pull(repo, number, &group.texts.title, &group.texts.body)
                        .await?;
                    pr.number = Some(number);
                    if action == "opened" && pr.opened_ms.is_some() {
                        action = "updated".into();
                    }
                }
                None => {
                    let opened = host
                        .open_pull(
                            repo,
                            &pr.branch,
                            base_branch,
                            &group.texts.title,
                            &group.texts.body,
                        )
                        .await?;
                    pr.number = Some(opened.number);
                    pr.url = Some(opened.html_url);
                }
            }
            pr.state = "open".into();
            pr.opened_ms = pr.opened_ms.or(Some(clock.now_ms()));
            pr.step = "opened".into();
            pr.note = None;
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        if pr.step == "opened" {
            if let Some(number) = pr.number {
                host.label_and_request_review(repo, number, &policy.labels, &policy.reviewers)
                    .await?;
            }
            pr.step = "complete".into();
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        Ok((pr, action))
    }

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

    pub async fn prs(&self, state: Option<&str>) -> Result<Vec<UpgradePrView>, UpgradeError> {
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

/// The default branch of `repo` and its head: what a PR starts from.
async fn github_base<H: CodeHost>(
    host: &H,
    repo: &str,
) -> Result<(String, BranchHead), GitHubError> {
    let branch = host.default_branch(repo).await?;
    let head = host
        .branch_head(repo, &branch)
        .await?
        .ok_or_else(|| GitHubError {
            status: None,
            message: format!("the default branch {branch} has no commit"),
        })?;
    Ok((branch, head))
}

/// Where and for whom a run writes PRs: the repository on the code host,
/// the commit they start from, and the service's policy.
struct PrTarget<'a, H> {
    host: &'a H,
    run_id: i64,
    service: &'a StoredService,
    repo: &'a str,
    base_branch: &'a str,
    head: &'a BranchHead,
    policy: &'a super::policy::Policy,
}

impl<H> Clone for PrTarget<'_, H> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<H> Copy for PrTarget<'_, H> {}

/// Why writing one PR stopped.
#[derive(Debug)]
enum PrError {
    Store(StoreError),
    GitHub(GitHubError),
}

impl From<StoreError> for PrError {
    fn from(error: StoreError) -> Self {
        PrError::Store(error)
    }
}

impl From<GitHubError> for PrError {
    fn from(error: GitHubError) -> Self {
        PrError::GitHub(error)
    }
}
