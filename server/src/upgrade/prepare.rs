//! From a repository's files and the registries' answers to the PRs it
//! should have: plans the groups, edits the manifests of each, checks that
//! every edited manifest reads back to the intended versions, and writes
//! the PR texts. Pure: the run supplies what it fetched.

use std::collections::{BTreeMap, BTreeSet};

use super::body::{EditNotes, PrTexts, pr_texts};
use super::diff::unified_diff;
use super::edit::{ManifestBump, edit_manifest};
use super::locks::{LockBump, LockOutcome, LockRefresher, MAINTENANCE_GROUP, StaleLock};
use super::plan::{DependencyInput, Plan, PlannedGroup, plan};
use super::policy::Policy;
use super::versions::allows;
use crate::deps::crawl::{Answers, measure_all};
use crate::deps::read::{read_repository, read_snapshot};
use crate::deps::source::Snapshot;

/// One PR ready to be written.
#[derive(Clone, Debug)]
pub struct PreparedGroup {
    pub group: PlannedGroup,
    /// Path → new text, only the files that change.
    pub files: BTreeMap<String, String>,
    /// Path → unified diff.
    pub diffs: BTreeMap<String, String>,
    pub texts: PrTexts,
    pub notes: EditNotes,
}

impl PreparedGroup {
    /// Names what the commit holds: the same key on the next run means the
    /// branch already has it.
    pub fn content_key(&self) -> String {
        crate::deps::source::fnv1a_hex(
            self.files
                .iter()
                .flat_map(|(path, text)| path.bytes().chain([0]).chain(text.bytes()).chain([0])),
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub plan: Plan,
    pub groups: Vec<PreparedGroup>,
    /// (group key, why it has no PR: nothing in the manifests changes).
    pub skipped: Vec<(String, String)>,
    /// Problems reading the repository (manifests that do not parse).
    pub problems: Vec<String>,
}

/// What every PR of one repository is prepared against.
pub struct Repository<'a> {
    pub service: &'a str,
    pub snapshot: &'a Snapshot,
    pub policy: &'a Policy,
    pub dashboard_url: Option<&'a str>,
    pub now_ms: i64,
}

/// Edits the manifests of one group; `Err` when one cannot be edited.
fn edit_group(
    snapshot: &Snapshot,
    group: &PlannedGroup,
) -> Result<(BTreeMap<String, String>, EditNotes), String> {
    let mut by_manifest: BTreeMap<&str, Vec<ManifestBump>> = BTreeMap::new();
    for proposal in &group.proposals {
        by_manifest
            .entry(proposal.manifest.as_str())
            .or_default()
            .push(ManifestBump {
                name: proposal.name.clone(),
                target: proposal.to.clone(),
            });
    }
    let mut files = BTreeMap::new();
    let mut notes = EditNotes::default();
    let mut stale_locks: BTreeMap<String, (crate::deps::model::Ecosystem, BTreeSet<LockBump>)> =
        BTreeMap::new();
    for (path, bumps) in by_manifest {
        let manifest = snapshot
            .manifests
            .iter()
            .find(|m| m.path == path)
            .ok_or_else(|| format!("{path} is no longer in the repository"))?;
        let text = snapshot
            .texts
            .get(path)
            .ok_or_else(|| format!("{path} could not be read"))?;
        let edited = edit_manifest(manifest, text, &bumps).map_err(|e| e.to_string())?;
        for (name, reason) in edited.blocked {
            notes.not_changed.push((name, reason));
        }
        // go.mod has no lock discovery reads, but its go.sum goes stale
        // all the same: the PR says so.
        // A requirements file pinned with `--hash` lines is its own lock:
        // the hashes of a rewritten pin go stale.
        let lock = manifest.lock.clone().or_else(|| match manifest.ecosystem {
            crate::deps::model::Ecosystem::Go => Some(match super::locks::plan::folder_of(path) {
                "" => "go.sum".to_string(),
                folder => format!("{folder}/go.sum"),
            }),
            crate::deps::model::Ecosystem::Python
                if path.ends_with(".txt") && text.contains("--hash") =>
            {
                Some(path.to_string())
            }
            _ => None,
        });
        if let Some(lock) = &lock {
            let moved = edited
                .rewritten
                .iter()
                .map(|(name, _, _)| name)
                .chain(edited.lock_only.iter().map(|(name, _)| name));
            for name in moved {
                let Some(proposal) = group
                    .proposals
                    .iter()
                    .find(|p| p.manifest == path && p.name == *name)
                else {
                    continue;
                };
                stale_locks
                    .entry(lock.clone())
                    .or_insert_with(|| (manifest.ecosystem, BTreeSet::new()))
                    .1
                    .insert(LockBump {
                        name: name.clone(),
                        from: Some(proposal.from.clone()),
                        to: proposal.to.clone(),
                    });
            }
        } else {
            for (name, reason) in edited.lock_only {
                notes.not_changed.push((name, reason));
            }
        }
        if edited.text != *text {
            files.insert(path.to_string(), edited.text);
        }
    }
    for (lock, (ecosystem, bumps)) in stale_locks {
        notes.stale_locks.push(StaleLock {
            lock,
            ecosystem,
            bumps: bumps.into_iter().collect(),
            maintenance: false,
        });
    }
    notes.not_changed.sort();
    notes.not_changed.dedup();
    Ok((files, notes))
}

/// Reads the edited manifests back and checks that each bumped dependency
/// now asks for a version that allows its target (those the editor left
/// alone, with a reason in `notes`, are not bumped by this PR).
fn verify(
    snapshot: &Snapshot,
    group: &PlannedGroup,
    files: &BTreeMap<String, String>,
    notes: &EditNotes,
) -> Result<(), String> {
    let mut texts = snapshot.texts.clone();
    texts.extend(files.iter().map(|(p, t)| (p.clone(), t.clone())));
    let reading = read_repository(&snapshot.manifests, &texts);
    if let Some(error) = reading.errors.iter().find(|e| files.contains_key(&e.file)) {
        return Err(format!("the edited manifest does not read back: {error}"));
    }
    for proposal in &group.proposals {
        let left_alone = notes
            .not_changed
            .iter()
            .any(|(name, _)| *name == proposal.name);
        if !files.contains_key(&proposal.manifest) || left_alone {
            continue;
        }
        for found in reading
            .dependencies
            .iter()
            .filter(|d| d.manifest == proposal.manifest && d.declared.name == proposal.name)
        {
            let requirement = found.declared.requirement.as_deref();
            if found.declared.non_registry_source.is_none()
                && requirement.is_some()
                && allows(proposal.ecosystem, requirement, &proposal.to) == Ok(false)
            {
                return Err(format!(
                    "{}: {} reads back as `{}`, which does not allow {}",
                    proposal.manifest,
                    proposal.name,
                    requirement.unwrap_or_default(),
                    proposal.to
                ));
            }
        }
    }
    Ok(())
}

/// Edits, checks and writes the texts of one planned group; `Err` says why
/// it cannot become a PR (nothing in the manifests changes, an edit that
/// does not read back).
pub fn prepare_group(
    input: &Repository<'_>,
    group: &PlannedGroup,
) -> Result<PreparedGroup, String> {
    let (files, notes) = edit_group(input.snapshot, group).and_then(|(files, notes)| {
        verify(input.snapshot, group, &files, &notes).map(|()| (files, notes))
    })?;
    // Nothing in the manifests changes but a lock pins an older version
    // than they allow: a lock-only PR, if the tool regenerates the lock
    // (`regenerate_locks`; the caller drops it when no lock was written).
    if files.is_empty() && notes.stale_locks.is_empty() {
        let reasons: Vec<String> = notes
            .not_changed
            .iter()
            .map(|(name, reason)| format!("{name}: {reason}"))
            .chain(
                notes
                    .stale_locks
                    .iter()
                    .map(|stale| format!("only {} would change", stale.lock)),
            )
            .collect();
        return Err(format!("no manifest changes ({})", reasons.join("; ")));
    }
    let diffs = files
        .iter()
        .map(|(path, text)| {
            let old = input.snapshot.texts.get(path).map_or("", String::as_str);
            (path.clone(), unified_diff(path, old, text))
        })
        .collect();
    let texts = pr_texts(
        input.service,
        group,
        input.policy,
        &notes,
        input.dashboard_url,
        input.now_ms,
    );
    Ok(PreparedGroup {
        group: group.clone(),
        files,
        diffs,
        texts,
        notes,
    })
}

/// The repository's lock-file maintenance PR: every lock file its
/// manifests name, to be refreshed within their ranges by each tool
/// (`regenerate_locks` writes the files; no manifest changes).
pub fn lock_maintenance_group(input: &Repository<'_>) -> Option<PreparedGroup> {
    let mut locks: BTreeMap<String, crate::deps::model::Ecosystem> = BTreeMap::new();
    for manifest in &input.snapshot.manifests {
        if let Some(lock) = &manifest.lock {
            locks.entry(lock.clone()).or_insert(manifest.ecosystem);
        }
    }
    if locks.is_empty() {
        return None;
    }
    let group = PlannedGroup {
        key: MAINTENANCE_GROUP.into(),
        title: "Refresh lock files".into(),
        branch: format!("{}{MAINTENANCE_GROUP}", input.policy.branch_prefix),
        proposals: Vec::new(),
    };
    let notes = EditNotes {
        stale_locks: locks
            .into_iter()
            .map(|(lock, ecosystem)| StaleLock {
                lock,
                ecosystem,
                bumps: Vec::new(),
                maintenance: true,
            })
            .collect(),
        ..EditNotes::default()
    };
    let texts = pr_texts(
        input.service,
        &group,
        input.policy,
        &notes,
        input.dashboard_url,
        input.now_ms,
    );
    Some(PreparedGroup {
        group,
        files: BTreeMap::new(),
        diffs: BTreeMap::new(),
        texts,
        notes,
    })
}

/// Plans the repository's groups from the registries' `answers`, leaving
/// out versions a person `declined` ((name, version) pairs), and prepares
/// each.
pub fn prepare(
    input: &Repository<'_>,
    answers: &Answers,
    declined: &BTreeSet<(String, String)>,
) -> Prepared {
    let reading = read_snapshot(input.snapshot);
    let measured = measure_all(&reading.dependencies, answers, input.now_ms);
    let inputs: Vec<DependencyInput<'_>> = reading
        .dependencies
        .iter()
        .zip(&measured)
        // A workspace member's inherited version is bumped at the root.
        .filter(|(found, _)| found.inherited_from.is_none())
        .filter_map(|(found, view)| {
            let info = answers
                .get(&(found.ecosystem, found.declared.name.clone()))?
                .as_ref()
                .ok()?;
            Some(DependencyInput {
                ecosystem: found.ecosystem,
                manifest: &found.manifest,
                name: &found.declared.name,
                kind: found.declared.kind,
                // A lock that disagrees with its manifest (a PR merged
                // without its lock) leaves the version unknown; planning
                // still starts from what the lock pins, so open PRs stay.
                current: view
                    .current
                    .as_deref()
                    .or_else(|| found.locked.first().map(String::as_str))?,
                releases: &info.releases,
            })
        })
        .collect();
    let plan = plan(input.policy, &inputs, declined, input.now_ms);
    let mut prepared = Prepared {
        problems: reading.problems(),
        ..Prepared::default()
    };
    for group in &plan.groups {
        match prepare_group(input, group) {
            Ok(ready) => prepared.groups.push(ready),
            Err(reason) => prepared.skipped.push((group.key.clone(), reason)),
        }
    }
    prepared.plan = plan;
    prepared
}

/// Regenerates the lock files `group`'s edits leave stale with each
/// ecosystem's tool, adds them to the PR's files and diffs, and writes the
/// PR's texts again to say what moved (or why a lock was left alone).
/// Returns a line per lock that could not be updated, for the run's log;
/// `Err` when the group changes only locks and none could be regenerated
/// (it cannot become a PR).
pub async fn regenerate_locks(
    input: &Repository<'_>,
    group: &mut PreparedGroup,
    refresher: &LockRefresher,
) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    if group.notes.stale_locks.is_empty() {
        return Ok(problems);
    }
    let mut texts = input.snapshot.texts.clone();
    texts.extend(group.files.iter().map(|(p, t)| (p.clone(), t.clone())));
    let mut outcomes = Vec::new();
    for stale in &group.notes.stale_locks {
        let outcome = refresher.refresh(&texts, stale).await;
        match &outcome {
            LockOutcome::Updated { text, .. } => {
                let old = input
                    .snapshot
                    .texts
                    .get(&stale.lock)
                    .map_or("", String::as_str);
                if text == old {
                    // Already as fresh as the manifests allow.
                    outcomes.push((stale.lock.clone(), outcome));
                    continue;
                }
                group
                    .diffs
                    .insert(stale.lock.clone(), unified_diff(&stale.lock, old, text));
                group.files.insert(stale.lock.clone(), text.clone());
            }
            LockOutcome::NotUpdated { why, .. } => {
                problems.push(format!(
                    "{}: {} not updated: {why}",
                    group.group.key, stale.lock
                ));
            }
        }
        outcomes.push((stale.lock.clone(), outcome));
    }
    group.notes.lock_outcomes = outcomes;
    if group.files.is_empty() {
        // A lock-only group whose lock could not be regenerated, or whose
        // locks are already fresh: no PR.
        let why: Vec<String> = group
            .notes
            .lock_outcomes
            .iter()
            .filter_map(|(lock, outcome)| match outcome {
                LockOutcome::NotUpdated { why, .. } => Some(format!("{lock}: {why}")),
                LockOutcome::Updated { .. } => None,
            })
            .collect();
        return Err(if why.is_empty() {
            "every lock file is already as fresh as its manifests allow".to_string()
        } else {
            format!(
                "only lock files would change and none could be regenerated ({})",
                why.join("; ")
            )
        });
    }
    group.texts = pr_texts(
        input.service,
        &group.group,
        input.policy,
        &group.notes,
        input.dashboard_url,
        input.now_ms,
    );
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::discover::ManifestFile;
    use crate::deps::model::Ecosystem;
    use crate::deps::version::Gap;
    use crate::upgrade::plan::Proposal;

    #[test]
    fn a_hashed_requirements_pin_is_edited_and_its_stale_hashes_are_said() {
        let text = "fastapi==0.110.0 \\\n    --hash=sha256:aaaa\nnumpy==1.26.4\n";
        let snapshot = Snapshot {
            revision: "r1".into(),
            manifests: vec![ManifestFile {
                ecosystem: Ecosystem::Python,
                path: "requirements.txt".into(),
                lock: None,
                lock_note: None,
            }],
            texts: [("requirements.txt".to_string(), text.to_string())].into(),
            cargo_resolved: BTreeMap::new(),
        };
        let group = PlannedGroup {
            key: "minor-patch".into(),
            title: "Update fastapi".into(),
            branch: "shipshape/minor-patch".into(),
            proposals: vec![Proposal {
                ecosystem: Ecosystem::Python,
                manifest: "requirements.txt".into(),
                name: "fastapi".into(),
                from: "0.110.0".into(),
                to: "0.115.0".into(),
                gap: Gap::Minor,
                published_ms: None,
            }],
        };
        let (files, notes) = edit_group(&snapshot, &group).expect("edited");
        assert!(files["requirements.txt"].starts_with("fastapi==0.115.0 \\\n"));
        let stale: Vec<&str> = notes.stale_locks.iter().map(|s| s.lock.as_str()).collect();
        assert_eq!(stale, ["requirements.txt"], "the hashes are stale");

        let plain = Snapshot {
            texts: [(
                "requirements.txt".to_string(),
                "fastapi==0.110.0\n".to_string(),
            )]
            .into(),
            ..snapshot
        };
        let (_, notes) = edit_group(&plain, &group).expect("edited");
        assert!(notes.stale_locks.is_empty(), "no hashes, nothing stale");
    }
}
