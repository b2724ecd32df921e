//! Writing a group's PR step by step (commit, branch, PR, labels and
//! reviewers), its row saved after every step; closing PRs no longer
//! needed; reading merges and closes back.

use std::collections::{BTreeMap, BTreeSet};

use shipshape_types::upgrades::{EventLevel, PrState, PrStep};

use super::views::bump_view;
use super::{UpgradeError, UpgradeService};
use crate::deps::registry::time::parse_rfc3339_ms;
use crate::fleet::spec::StoredService;
use crate::integrations::github::GitHubError;
use crate::store::StoreError;
use crate::upgrade::github::{BranchHead, CodeHost};
use crate::upgrade::prepare::PreparedGroup;
use crate::upgrade::store::{NewPr, StoredPr};

impl UpgradeService {
    /// Brings the service's PRs on GitHub in line with `groups`; the action
    /// taken per group key.
    pub(super) async fn write_prs<H: CodeHost>(
        &self,
        target: &PrTarget<'_, H>,
        groups: &[PreparedGroup],
        events: &mut Vec<(EventLevel, String)>,
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
            pr.wave_id.is_none()
                && pr.state == PrState::Open
                && !wanted.contains(pr.group_key.as_str())
        }) {
            let reason = "Superseded: Shipshape no longer proposes these updates (a newer version is proposed in another PR, or they are no longer needed).";
            let Some(number) = pr.number else { continue };
            match host.close_pull(repo, number, reason).await {
                Ok(()) => {
                    pr.state = PrState::Superseded;
                    pr.closed_ms = Some(clock.now_ms());
                    pr.updated_ms = clock.now_ms();
                    pr.note = Some(reason.into());
                    store.save_pr(pr).await?;
                    events.push((
                        EventLevel::Info,
                        format!("closed #{number} ({}): superseded", pr.group_key),
                    ));
                }
                Err(error) => events.push((
                    EventLevel::Error,
                    format!("#{number} ({}) could not be closed: {error}", pr.group_key),
                )),
            }
        }
        let mut open_count = live
            .iter()
            .filter(|pr| {
                pr.state == PrState::Open
                    && pr.wave_id.is_none()
                    && wanted.contains(pr.group_key.as_str())
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
                events.push((EventLevel::Info, format!("{key}: {why}")));
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
                    events.push((
                        EventLevel::Info,
                        format!("{action} {number}{}", group.texts.title),
                    ));
                    actions.insert(key.to_string(), action);
                }
                Err(PrError::Store(error)) => return Err(error),
                Err(PrError::GitHub(error)) => {
                    events.push((EventLevel::Error, format!("{key}: {error}")));
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
    pub(super) async fn sync_pr<H: CodeHost>(
        &self,
        host: &H,
        mut pr: StoredPr,
        events: &mut Vec<(EventLevel, String)>,
    ) -> Result<StoredPr, StoreError> {
        let Some(number) = pr.number.filter(|_| pr.state == PrState::Open) else {
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
                    pr.state = PrState::Merged;
                    pr.merged_ms = parse_rfc3339_ms(merged).or(Some(now));
                    events.push((
                        EventLevel::Info,
                        format!("#{number} ({}) was merged", pr.group_key),
                    ));
                } else {
                    pr.state = PrState::Closed;
                    events.push((
                        EventLevel::Info,
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
                EventLevel::Warning,
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
        for pr in self.inner.store.upgrade_prs(Some(PrState::Open)).await? {
            let synced = self.sync_pr(host.as_ref(), pr, &mut events).await?;
            changed += usize::from(synced.state != PrState::Open);
        }
        Ok(changed)
    }

    /// Writes one group's PR step by step, from where its row says the
    /// last run stopped; the row and what was done (`opened`, `updated`,
    /// `unchanged`).
    pub(super) async fn ensure_pr<H: CodeHost>(
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
            Some(pr) if pr.content_key == content_key && pr.step == PrStep::Complete => {
                return Ok((pr, "unchanged".into()));
            }
            Some(mut pr) => {
                if pr.content_key != content_key {
                    // New versions: a new commit on the same branch and PR.
                    pr.content_key = content_key;
                    pr.bumps = bumps;
                    pr.title = group.texts.title.clone();
                    pr.step = PrStep::Planned;
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
        if pr.step == PrStep::Planned {
            let commit = host
                .commit_files(repo, head, &group.files, &group.texts.commit_message)
                .await?;
            pr.commit_sha = Some(commit);
            pr.step = PrStep::Committed;
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        if pr.step == PrStep::Committed {
            let commit = pr.commit_sha.clone().unwrap_or_default();
            let exists = host.branch_head(repo, &pr.branch).await?.is_some();
            host.point_branch(repo, &pr.branch, &commit, exists).await?;
            pr.step = PrStep::Pushed;
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        if pr.step == PrStep::Pushed {
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
            pr.state = PrState::Open;
            pr.opened_ms = pr.opened_ms.or(Some(clock.now_ms()));
            pr.step = PrStep::Opened;
            pr.note = None;
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        if pr.step == PrStep::Opened {
            if let Some(number) = pr.number {
                host.label_and_request_review(repo, number, &policy.labels, &policy.reviewers)
                    .await?;
            }
            pr.step = PrStep::Complete;
            pr.updated_ms = clock.now_ms();
            store.save_pr(&pr).await?;
        }
        Ok((pr, action))
    }
}

/// The default branch of `repo` and its head: what a PR starts from.
pub(super) async fn github_base<H: CodeHost>(
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
pub(super) struct PrTarget<'a, H> {
    pub(super) host: &'a H,
    pub(super) run_id: i64,
    pub(super) service: &'a StoredService,
    pub(super) repo: &'a str,
    pub(super) base_branch: &'a str,
    pub(super) head: &'a BranchHead,
    pub(super) policy: &'a crate::upgrade::policy::Policy,
}

impl<H> Clone for PrTarget<'_, H> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<H> Copy for PrTarget<'_, H> {}

/// Why writing one PR stopped.
#[derive(Debug)]
pub(super) enum PrError {
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
