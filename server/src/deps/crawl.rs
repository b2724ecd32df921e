//! The parts of a refresh shared by the server and `shipshape scan`:
//! asking the registries once per package for a whole batch of
//! repositories, and turning each dependency and its answer into a row.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use futures::future::join_all;
use shipshape_types::drift::{DependencyView, VersionSource};

use super::analyze::{LockEvidence, Outcome, analyze};
use super::model::Ecosystem;
use super::read::FoundDependency;
use super::registry::answers::PackageInfo;
use super::registry::client::Registry;
use super::version::{Pep440Scheme, VersionScheme};

/// One registry per ecosystem.
#[derive(Clone, Default)]
pub struct Registries(pub HashMap<Ecosystem, Arc<dyn Registry>>);

pub type Answers = HashMap<(Ecosystem, String), Result<Arc<PackageInfo>, String>>;

impl Registries {
    /// Asks each package's registry once, whatever the number of
    /// repositories using it. Registries work in parallel, each within its
    /// own concurrency bound, so a slow one does not hold the others.
    pub async fn ask<'a>(&self, found: impl IntoIterator<Item = &'a FoundDependency>) -> Answers {
        let mut wanted: BTreeMap<(Ecosystem, String), BTreeSet<String>> = BTreeMap::new();
        for dependency in found {
            if dependency.declared.non_registry_source.is_some() {
                continue;
            }
            let versions = wanted
                .entry((dependency.ecosystem, dependency.declared.name.clone()))
                .or_default();
            versions.extend(dependency.locked.iter().cloned());
            // Go's version in use is the one go.mod requires.
            if dependency.ecosystem == Ecosystem::Go
                && let Some(required) = &dependency.declared.requirement
            {
                versions.insert(required.clone());
            }
        }
        let asked = join_all(
            wanted
                .into_iter()
                .map(|((ecosystem, name), in_use)| async move {
                    let in_use: Vec<String> = in_use.into_iter().collect();
                    let answer = match self.0.get(&ecosystem) {
                        Some(registry) => registry
                            .package(&name, &in_use)
                            .await
                            .map_err(|e| e.to_string()),
                        None => Err(format!(
                            "no registry is configured for {}",
                            ecosystem.config_name()
                        )),
                    };
                    ((ecosystem, name), answer)
                }),
        )
        .await;
        asked.into_iter().collect()
    }

    pub fn expire_caches(&self) {
        for registry in self.0.values() {
            registry.expire_cache();
        }
    }
}

/// Advisories that affect `current`: PyPI lists the versions that fix each;
/// one is in effect while the version in use is older than a fix.
fn affecting(info: &PackageInfo, ecosystem: Ecosystem, current: &str) -> Vec<String> {
    if ecosystem != Ecosystem::Python {
        return Vec::new();
    }
    let scheme = Pep440Scheme;
    let Ok(current) = scheme.parse_version(current) else {
        return Vec::new();
    };
    info.advisories
        .iter()
        .filter(|advisory| {
            advisory.fixed_in.is_empty()
                || advisory
                    .fixed_in
                    .iter()
                    .filter_map(|fixed| scheme.parse_version(fixed).ok())
                    .all(|fixed| current < fixed)
        })
        .map(|advisory| advisory.id.clone())
        .collect()
}

/// Measures every dependency against the registries' answers.
pub fn measure_all(
    found: &[FoundDependency],
    answers: &Answers,
    now_ms: i64,
) -> Vec<DependencyView> {
    found
        .iter()
        .map(|dependency| {
            let answer = answers.get(&(dependency.ecosystem, dependency.declared.name.clone()));
            let (info, error) = match answer {
                Some(Ok(info)) => (Some(info.as_ref()), None),
                Some(Err(error)) => (None, Some(error.as_str())),
                None => (None, None),
            };
            let mut row = DependencyView {
                requirement: dependency.declared.requirement.clone(),
                kind: dependency.declared.kind,
                optional: dependency.declared.optional,
                source: dependency.declared.non_registry_source.clone(),
                locked: dependency.locked.clone(),
                lock_file: dependency.lock_file.clone(),
                inherited_from: dependency.inherited_from.clone(),
                ..DependencyView::unmeasured(
                    dependency.ecosystem,
                    dependency.manifest.clone(),
                    dependency.declared.name.clone(),
                )
            };
            match analyze(
                dependency.ecosystem,
                &dependency.declared,
                dependency.lock_file.as_deref().map(|file| LockEvidence {
                    file,
                    versions: &dependency.locked,
                }),
                info,
                error,
                now_ms,
            ) {
                Outcome::Measured(drift, source) => {
                    row.version_source = source;
                    if let Some(info) = info {
                        row.deprecated = info.deprecated.get(&drift.current).cloned();
                        row.advisories = affecting(info, dependency.ecosystem, &drift.current);
                    }
                    row.gap = Some(drift.gap);
                    row.releases_behind = i64::try_from(drift.releases_behind).ok();
                    row.libyears = drift.libyears.map(|y| (y * 100.0).round() / 100.0);
                    row.age_days = drift.age_days;
                    row.yanked = drift.current_yanked;
                    row.current = Some(drift.current);
                    row.wanted = drift.wanted;
                    row.latest = drift.latest;
                }
                Outcome::NotFromRegistry(source) => {
                    row.note = Some(format!("not from a registry ({source})"));
                }
                Outcome::Unknown(reason) => row.note = Some(reason),
            }
            if row.version_source == VersionSource::RangeOnly {
                row.note = Some(match &row.lock_file {
                    Some(lock) => {
                        format!("not in {lock}: newest release the range allows, assumed")
                    }
                    None => "not locked: newest release the range allows, assumed".to_string(),
                });
            }
            row
        })
        .collect()
}

/// `problems` with those the measurement found added once each: a lock
/// that pins a version its manifest's requirement does not allow is the
/// service's problem, not only a note on one row.
pub fn with_lock_problems(mut problems: Vec<String>, rows: &[DependencyView]) -> Vec<String> {
    for row in rows {
        let Some(note) = row
            .note
            .as_deref()
            .filter(|n| n.starts_with("lock does not satisfy"))
        else {
            continue;
        };
        let problem = format!("{}: {}: {note}", row.manifest, row.name);
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    problems
}

/// A stored row back to what the manifest declared, so that an unchanged
/// repository is measured again without being read again.
pub fn found_from_row(row: &DependencyView) -> FoundDependency {
    use super::model::DeclaredDependency;
    FoundDependency {
        ecosystem: row.ecosystem,
        manifest: row.manifest.clone(),
        declared: DeclaredDependency {
            name: row.name.clone(),
            requirement: row.requirement.clone(),
            kind: row.kind,
            optional: row.optional,
            non_registry_source: row.source.clone(),
        },
        locked: row.locked.clone(),
        // Rows stored before lock files were named still had their versions.
        lock_file: row
            .lock_file
            .clone()
            .or_else(|| (!row.locked.is_empty()).then(|| "the lock file".to_string())),
        inherited_from: row.inherited_from.clone(),
    }
}
