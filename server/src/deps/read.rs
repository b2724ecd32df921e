//! Reads a whole repository's dependencies from the text of its manifests
//! and lock files. Pure: a source (local folder, git clone, GitHub) supplies
//! the file list and the texts; this decides which files to read and joins
//! each declared dependency with the versions its lock file pins.

use std::collections::{BTreeMap, BTreeSet};

use super::discover::{ManifestFile, find_manifests, folder, folders_above, join};
use super::manifest::js_lock::{JsLock, JsResolution};
use super::manifest::{cargo, go, gradle, maven, npm, python, ruby};
use super::model::{DeclaredDependency, DependencyKind, Ecosystem, ManifestError};
use super::source::Snapshot;

/// One dependency of one manifest, with the versions its lock file pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundDependency {
    pub ecosystem: Ecosystem,
    /// The manifest that declares it, from the repository's root.
    pub manifest: String,
    pub declared: DeclaredDependency,
    /// Versions the lock file pins for this name (empty without a lock).
    pub locked: Vec<String>,
    /// The lock file that governs the manifest, when one does.
    pub lock_file: Option<String>,
    /// The Cargo workspace root whose `[workspace.dependencies]` sets its
    /// version (`workspace = true`).
    pub inherited_from: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositoryReading {
    pub dependencies: Vec<FoundDependency>,
    /// Manifests or lock files that could not be read; the others still are.
    pub errors: Vec<ManifestError>,
    /// Manifests that were read but that no lock governs: their versions
    /// are assumed from ranges. A problem of the service, not of the file.
    pub unlocked: Vec<ManifestError>,
}

impl RepositoryReading {
    /// Everything the service's owners should hear of, errors first.
    pub fn problems(&self) -> Vec<String> {
        self.errors
            .iter()
            .chain(&self.unlocked)
            .map(ToString::to_string)
            .collect()
    }
}

/// The files a reading needs from a repository whose paths are `paths`:
/// every manifest and lock file (sources fetch only these).
pub fn files_to_read<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<ManifestFile> {
    find_manifests(paths)
}

/// The distinct paths of `manifests` and their lock files (not `bun.lockb`,
/// which is binary and only named).
pub fn paths_of(manifests: &[ManifestFile]) -> Vec<String> {
    let mut paths: Vec<String> = manifests
        .iter()
        .flat_map(|m| std::iter::once(m.path.clone()).chain(m.lock.clone()))
        .filter(|path| !path.ends_with("bun.lockb"))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A lock file as read once for all the manifests it governs.
enum ReadLock {
    /// Package name → versions (Cargo, Python, Ruby).
    ByName(BTreeMap<String, Vec<String>>),
    Js(JsLock),
    /// Could not be read: reported once, its manifests measured without it.
    Unreadable,
}

/// Keeps each manifest's lock only where the ecosystem's own rules make it
/// the one that governs it: a JavaScript lock governs the manifest beside it
/// and the workspaces it installs (recorded in the lock, or for yarn classic
/// declared by the root `package.json`); a uv.lock the members of its
/// workspace. Any other manifest under such a lock is not locked, and its
/// `lock_note` says why. A lock that cannot be read is left in place (the
/// reading reports it).
pub fn settle_locks(manifests: &mut [ManifestFile], texts: &BTreeMap<String, String>) {
    // Each lock and its root manifest are read once, however many members.
    let mut members_of: BTreeMap<String, Option<LockMembers>> = BTreeMap::new();
    for manifest in manifests.iter_mut() {
        let Some(lock) = manifest.lock.clone() else {
            continue;
        };
        let lock_folder = folder(&lock);
        let manifest_folder = folder(&manifest.path);
        if lock_folder == manifest_folder || manifest.ecosystem == Ecosystem::Cargo {
            continue;
        }
        let Some(member) = relative_to(lock_folder, manifest_folder) else {
            continue;
        };
        let governed = members_of
            .entry(lock.clone())
            .or_insert_with(|| LockMembers::read(manifest.ecosystem, &lock, texts))
            .as_ref()
            .and_then(|members| members.include(manifest.ecosystem, &member));
        if governed == Some(false) {
            let root = join(lock_folder, manifest_root_name(manifest.ecosystem));
            manifest.lock_note = Some(format!(
                "not locked: {lock} governs only the workspace of {root}, and {manifest_folder} is not one of its members"
            ));
            manifest.lock = None;
        }
    }
}

/// Who a lock installs for: the project folders it records (JavaScript
/// locks, uv's editable members) and the workspace patterns its root
/// manifest declares.
struct LockMembers {
    /// `None` when the lock does not record its projects (yarn classic).
    recorded: Option<BTreeSet<String>>,
    /// `None` when there is no root manifest beside the lock.
    declared: Option<Vec<String>>,
}

impl LockMembers {
    /// `None` when the lock cannot be read (the reading reports it) or is
    /// not one whose members Shipshape follows.
    fn read(ecosystem: Ecosystem, lock: &str, texts: &BTreeMap<String, String>) -> Option<Self> {
        let text = texts.get(lock)?;
        let root_manifest = |name: &str| texts.get(&join(folder(lock), name));
        match ecosystem {
            Ecosystem::Npm => {
                let js = JsLock::parse(lock, text).ok()?;
                Some(LockMembers {
                    recorded: js.projects().cloned(),
                    declared: root_manifest("package.json")
                        .and_then(|text| npm::parse_manifest("package.json", text).ok())
                        .map(|root| root.workspaces),
                })
            }
            Ecosystem::Python => Some(LockMembers {
                recorded: python::local_packages(lock, text)
                    .ok()
                    .map(|local| local.into_values().collect()),
                declared: root_manifest("pyproject.toml").map(|t| python::uv_workspace_members(t)),
            }),
            _ => None,
        }
    }

    /// Whether the project in `member` (from the lock's folder) is one the
    /// lock installs; `None` when neither the lock nor its root says.
    fn include(&self, ecosystem: Ecosystem, member: &str) -> Option<bool> {
        let recorded = self.recorded.as_ref().map(|r| r.contains(member));
        let declared = self
            .declared
            .as_ref()
            .map(|patterns| workspace_globs_match(patterns, member));
        match ecosystem {
            // The lock's own record decides; the root's patterns only
            // where the lock keeps none.
            Ecosystem::Npm => recorded.or(declared),
            _ => match (recorded, declared) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (None, None) => None,
                _ => Some(false),
            },
        }
    }
}

fn manifest_root_name(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Python => "pyproject.toml",
        _ => "package.json",
    }
}

/// `sub` from `base` (`web`, `web/packages/ui` → `packages/ui`).
fn relative_to(base: &str, sub: &str) -> Option<String> {
    if base.is_empty() {
        return Some(sub.to_string());
    }
    sub.strip_prefix(base)?
        .strip_prefix('/')
        .map(str::to_string)
}

/// Whether `folder` is among workspace patterns (`packages/*`, `apps/**`,
/// `tools/cli`, with `!` exclusions), as npm, yarn and uv match them.
pub fn workspace_globs_match(patterns: &[String], folder: &str) -> bool {
    let matches = |pattern: &str| glob_matches(pattern.trim_start_matches("./"), folder);
    patterns
        .iter()
        .filter(|p| !p.starts_with('!'))
        .any(|p| matches(p))
        && !patterns
            .iter()
            .filter_map(|p| p.strip_prefix('!'))
            .any(matches)
}

fn glob_matches(pattern: &str, path: &str) -> bool {
    fn segments(pattern: &[&str], path: &[&str]) -> bool {
        match (pattern.first(), path.first()) {
            (None, None) => true,
            (Some(&"**"), _) => {
                segments(&pattern[1..], path) || (!path.is_empty() && segments(pattern, &path[1..]))
            }
            (Some(p), Some(s)) => segment_matches(p, s) && segments(&pattern[1..], &path[1..]),
            _ => false,
        }
    }
    fn segment_matches(pattern: &str, segment: &str) -> bool {
        match pattern.split_once('*') {
            None => pattern == segment,
            Some((before, after)) => {
                segment.len() >= before.len() + after.len()
                    && segment.starts_with(before)
                    && segment_matches_suffix(after, &segment[before.len()..])
            }
        }
    }
    fn segment_matches_suffix(pattern: &str, rest: &str) -> bool {
        if !pattern.contains('*') {
            return rest.ends_with(pattern);
        }
        (0..=rest.len())
            .filter(|i| rest.is_char_boundary(*i))
            .any(|i| segment_matches(pattern, &rest[i..]))
    }
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments(&pattern, &path)
}

/// Reads `manifests` from `texts` (path → content). A file missing from
/// `texts` is reported as an error, like one that does not parse.
pub fn read_repository(
    manifests: &[ManifestFile],
    texts: &BTreeMap<String, String>,
) -> RepositoryReading {
    let mut manifests = manifests.to_vec();
    settle_locks(&mut manifests, texts);
    read_with_cargo(&manifests, texts, &BTreeMap::new())
}

/// Reads a source's snapshot, taking cargo's own answer for the Cargo
/// manifests it covers.
pub fn read_snapshot(snapshot: &Snapshot) -> RepositoryReading {
    // Sources settle a snapshot's locks when they read it.
    read_with_cargo(
        &snapshot.manifests,
        &snapshot.texts,
        &snapshot.cargo_resolved,
    )
}

/// `cargo_resolved` (manifest path → dependencies from `cargo metadata`)
/// replaces the TOML reading of the manifests it names; the TOML is still
/// parsed, so that a broken file is reported with its line.
fn read_with_cargo(
    manifests: &[ManifestFile],
    texts: &BTreeMap<String, String>,
    cargo_resolved: &BTreeMap<String, Vec<DeclaredDependency>>,
) -> RepositoryReading {
    let mut reading = RepositoryReading::default();
    let mut locks: BTreeMap<String, ReadLock> = BTreeMap::new();
    let text_of = |path: &str| -> Result<&str, ManifestError> {
        texts
            .get(path)
            .map(String::as_str)
            .ok_or_else(|| ManifestError {
                file: path.to_string(),
                line: 1,
                message: "listed in the repository but could not be fetched".into(),
            })
    };
    let workspace_packages = workspace_packages(manifests, texts);
    let manifest_paths: Vec<&str> = manifests.iter().map(|m| m.path.as_str()).collect();

    // Cargo workspaces: a member inherits from the nearest folder above it
    // whose Cargo.toml has `[workspace.dependencies]`, so roots go first.
    let mut cargo_manifests: Vec<&ManifestFile> = manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Cargo)
        .collect();
    cargo_manifests.sort_by_key(|m| (m.path.matches('/').count(), m.path.clone()));
    let mut workspaces: BTreeMap<String, cargo::WorkspaceDependencies> = BTreeMap::new();

    for manifest in cargo_manifests
        .into_iter()
        .chain(manifests.iter().filter(|m| m.ecosystem != Ecosystem::Cargo))
    {
        if let Some(lock_path) = &manifest.lock
            && !locks.contains_key(lock_path)
        {
            let read = if lock_path.ends_with("bun.lockb") {
                Err(ManifestError {
                    file: lock_path.clone(),
                    line: 1,
                    message: "bun.lockb (binary) is not read: its projects are measured from ranges; `bun install --save-text-lockfile` writes bun.lock, which is".into(),
                })
            } else {
                text_of(lock_path).and_then(|text| read_lock(manifest.ecosystem, lock_path, text))
            };
            let read = read.unwrap_or_else(|error| {
                // A broken lock is reported once; its manifests are still
                // read, measured as if they had no lock.
                reading.errors.push(error);
                ReadLock::Unreadable
            });
            locks.insert(lock_path.clone(), read);
        }
        let lock = manifest
            .lock
            .as_ref()
            .and_then(|path| locks.get(path).map(|read| (path, read)))
            .filter(|(_, read)| !matches!(read, ReadLock::Unreadable));
        let mut written: Vec<(String, String)> = Vec::new();
        // Cargo: which dependencies take their version from the workspace
        // root (named), and from which index the root's own table starts.
        let mut inherited_names: Vec<String> = Vec::new();
        let mut inherited_root: Option<String> = None;
        let mut workspace_rows_from = usize::MAX;
        // A requirements file's `-c` constraints: (file, name → pinned version).
        let mut requirement_pins: Option<ConstraintPins> = None;
        let declared = text_of(&manifest.path).and_then(|text| match manifest.ecosystem {
            Ecosystem::Cargo => {
                let root = folders_above(&manifest.path)
                    .find(|dir| workspaces.contains_key(*dir))
                    .map(|dir| join(dir, "Cargo.toml"));
                let inherited = nearest_workspace(&workspaces, &manifest.path);
                let parsed = cargo::parse_manifest(&manifest.path, text, inherited)?;
                let mut dependencies = cargo_resolved
                    .get(&manifest.path)
                    .cloned()
                    .unwrap_or(parsed.dependencies);
                inherited_names = parsed.inherited;
                inherited_root = root;
                if let Some(workspace) = parsed.workspace {
                    // The root's `[workspace.dependencies]` are where those
                    // versions are written: reported (and counted) here once.
                    let table = workspace.dependencies().map_err(|message| ManifestError {
                        file: manifest.path.clone(),
                        line: 1,
                        message,
                    })?;
                    inherited_root = Some(manifest.path.clone());
                    workspace_rows_from = dependencies.len();
                    dependencies.extend(table);
                    workspaces.insert(folder(&manifest.path).to_string(), workspace);
                }
                Ok(dependencies)
            }
            Ecosystem::Npm => npm::parse_manifest(&manifest.path, text).map(|m| {
                written = m.written;
                m.dependencies
            }),
            Ecosystem::Python if manifest.path.ends_with(".txt") => {
                read_requirements(manifest, texts, &manifest_paths).map(|(dependencies, pins)| {
                    requirement_pins = pins;
                    dependencies
                })
            }
            Ecosystem::Python if manifest.path.ends_with("Pipfile") => {
                python::parse_pipfile(&manifest.path, text)
            }
            Ecosystem::Python => python::parse_pyproject(&manifest.path, text),
            // Indirect requirements belong to the modules that import them;
            // the service owns (and upgrades) its direct ones.
            Ecosystem::Go => go::parse_go_mod(&manifest.path, text).map(|m| {
                m.dependencies
                    .into_iter()
                    .filter(|r| !r.indirect)
                    .map(|r| r.declared)
                    .collect()
            }),
            Ecosystem::Ruby => ruby::parse_gemfile(&manifest.path, text),
            Ecosystem::Maven
                if manifest.path.ends_with(".gradle") || manifest.path.ends_with(".gradle.kts") =>
            {
                gradle::parse_build_script(&manifest.path, text)
            }
            Ecosystem::Maven if manifest.path.ends_with("libs.versions.toml") => {
                gradle::parse_catalog(&manifest.path, text)
            }
            Ecosystem::Maven => maven::parse_pom(&manifest.path, text),
        });
        let declared = match declared {
            Ok(declared) => declared,
            Err(error) => {
                reading.errors.push(error);
                continue;
            }
        };
        let member = lock
            .and_then(|(path, _)| relative_to(folder(path), folder(&manifest.path)))
            .unwrap_or_default();
        let siblings = workspace_packages.get(&lock_root_key(manifest));
        let mut from_ranges = 0;
        for (index, mut dependency) in declared.into_iter().enumerate() {
            let (key, spec) = written
                .get(index)
                .cloned()
                .unwrap_or_else(|| (dependency.name.clone(), String::new()));
            let mut locked = Vec::new();
            let mut lock_file = lock.map(|(path, _)| path.clone());
            if let Some((file, pins)) = &requirement_pins {
                // The constraints file is this requirement's lock.
                lock_file = Some(file.clone());
                if let Some(pin) = pins.get(&python::normalize_name(&dependency.name)) {
                    locked.push(pin.clone());
                }
            }
            match lock.map(|(_, read)| read) {
                Some(ReadLock::Js(js)) => match js.resolve(&member, &key, &spec) {
                    Some(JsResolution::Registry { version, .. }) => locked.push(version.clone()),
                    Some(JsResolution::Workspace(path)) => {
                        dependency.non_registry_source =
                            Some(format!("workspace package ({path})"));
                    }
                    Some(JsResolution::Elsewhere(source)) => {
                        dependency
                            .non_registry_source
                            .get_or_insert_with(|| source.clone());
                    }
                    None => {}
                },
                Some(ReadLock::ByName(by_name)) => {
                    if let Some(versions) =
                        by_name.get(&lock_key(manifest.ecosystem, &dependency.name))
                    {
                        locked = versions.clone();
                    }
                }
                Some(ReadLock::Unreadable) | None => {}
            }
            // A sibling of the same workspace (yarn classic does not list
            // them; without a lock the manifests still say who they are).
            if dependency.non_registry_source.is_none()
                && locked.is_empty()
                && let Some(path) =
                    siblings.and_then(|s| s.get(&lock_key(manifest.ecosystem, &key)))
                && *path != folder(&manifest.path)
            {
                dependency.non_registry_source = Some(format!("workspace package ({path})"));
            }
            if lock_file.is_none() && dependency.non_registry_source.is_none() {
                from_ranges += 1;
            }
            // A pin in a requirements file is its own truth; a constraint
            // that does not name it leaves it as written.
            if requirement_pins.is_some() && locked.is_empty() {
                lock_file = None;
            }
            let inherited_from = inherited_root.clone().filter(|_| {
                index < workspace_rows_from && inherited_names.contains(&dependency.name)
            });
            reading.dependencies.push(FoundDependency {
                ecosystem: manifest.ecosystem,
                manifest: manifest.path.clone(),
                declared: dependency,
                locked,
                lock_file,
                inherited_from,
            });
        }
        let locks_are_the_norm = match manifest.ecosystem {
            Ecosystem::Cargo | Ecosystem::Npm | Ecosystem::Ruby => true,
            Ecosystem::Python => {
                manifest.path.ends_with("pyproject.toml") || manifest.path.ends_with("Pipfile")
            }
            Ecosystem::Go | Ecosystem::Maven => false,
        };
        if from_ranges > 0 && locks_are_the_norm && manifest.lock.is_none() {
            let why = manifest
                .lock_note
                .clone()
                .unwrap_or_else(|| "not locked: no lock file governs it".to_string());
            reading.unlocked.push(ManifestError {
                file: manifest.path.clone(),
                line: 1,
                message: format!(
                    "{why}; {from_ranges} {} measured from {}, not from what is installed",
                    if from_ranges == 1 {
                        "dependency is"
                    } else {
                        "dependencies are"
                    },
                    if from_ranges == 1 {
                        "its range"
                    } else {
                        "their ranges"
                    },
                ),
            });
        }
    }
    reading
}

/// The folder whose workspace a manifest belongs to: its lock's folder, or
/// its own when no lock governs it.
fn lock_root_key(manifest: &ManifestFile) -> (Ecosystem, String) {
    // Go modules of one repository are one workspace (go.work, or
    // `replace` to a folder): a requirement of a sibling is never fetched.
    if manifest.ecosystem == Ecosystem::Go {
        return (Ecosystem::Go, String::new());
    }
    let at = manifest
        .lock
        .as_deref()
        .map_or(folder(&manifest.path), folder);
    (manifest.ecosystem, at.to_string())
}

/// For each workspace (ecosystem, lock folder): its packages' names
/// (normalised for Python) → folders, from the manifests it governs.
fn workspace_packages(
    manifests: &[ManifestFile],
    texts: &BTreeMap<String, String>,
) -> BTreeMap<(Ecosystem, String), BTreeMap<String, String>> {
    let mut found: BTreeMap<(Ecosystem, String), BTreeMap<String, String>> = BTreeMap::new();
    for manifest in manifests {
        let Some(text) = texts.get(&manifest.path) else {
            continue;
        };
        let name = match manifest.ecosystem {
            Ecosystem::Npm => npm::parse_manifest(&manifest.path, text)
                .ok()
                .and_then(|m| m.name),
            Ecosystem::Python if manifest.path.ends_with("pyproject.toml") => {
                python::project_name(text).map(|n| python::normalize_name(&n))
            }
            Ecosystem::Go => go::parse_go_mod(&manifest.path, text)
                .ok()
                .and_then(|m| m.module),
            _ => None,
        };
        if let Some(name) = name {
            found
                .entry(lock_root_key(manifest))
                .or_default()
                .insert(name, folder(&manifest.path).to_string());
        }
    }
    found
}

fn nearest_workspace<'a>(
    workspaces: &'a BTreeMap<String, cargo::WorkspaceDependencies>,
    manifest: &str,
) -> Option<&'a cargo::WorkspaceDependencies> {
    folders_above(manifest).find_map(|dir| workspaces.get(dir))
}

fn read_lock(ecosystem: Ecosystem, path: &str, text: &str) -> Result<ReadLock, ManifestError> {
    if ecosystem == Ecosystem::Npm {
        return JsLock::parse(path, text).map(ReadLock::Js);
    }
    parse_lock(ecosystem, path, text).map(ReadLock::ByName)
}

/// The versions a lock file pins, by package name (Python names
/// normalized), with the reader of `ecosystem`.
pub fn parse_lock(
    ecosystem: Ecosystem,
    path: &str,
    text: &str,
) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    match ecosystem {
        Ecosystem::Cargo => cargo::parse_lock(path, text),
        Ecosystem::Npm => JsLock::parse(path, text).map(|lock| lock.versions_by_name()),
        Ecosystem::Python if path.ends_with("Pipfile.lock") => {
            python::parse_pipfile_lock(path, text)
        }
        Ecosystem::Python => python::parse_lock(path, text).map(|lock| {
            lock.into_iter()
                .map(|(name, versions)| (python::normalize_name(&name), versions))
                .collect()
        }),
        Ecosystem::Ruby => ruby::parse_lock(path, text),
        Ecosystem::Maven if path.ends_with("gradle.lockfile") => gradle::parse_lockfile(path, text),
        // go.mod and pom.xml are their own truth: discovery gives them no lock.
        Ecosystem::Go | Ecosystem::Maven => Ok(BTreeMap::new()),
    }
}

/// A `-c` constraints file and its pins (normalised name → version).
type ConstraintPins = (String, BTreeMap<String, String>);

/// A requirements file's dependencies with those of the files it includes
/// (`-r`) that are not manifests of their own, and the pins of its `-c`
/// constraints files, by normalised name. An include or constraint the
/// repository does not hold is an error naming it.
fn read_requirements(
    manifest: &ManifestFile,
    texts: &BTreeMap<String, String>,
    manifest_paths: &[&str],
) -> Result<(Vec<DeclaredDependency>, Option<ConstraintPins>), ManifestError> {
    let kind = requirements_kind(&manifest.path);
    let mut dependencies = Vec::new();
    let mut pins: Option<ConstraintPins> = None;
    let mut pending = vec![manifest.path.clone()];
    let mut seen: Vec<String> = Vec::new();
    while let Some(path) = pending.pop() {
        if seen.contains(&path) || seen.len() > 16 {
            continue;
        }
        seen.push(path.clone());
        let text = texts.get(&path).ok_or_else(|| ManifestError {
            file: manifest.path.clone(),
            line: 1,
            message: format!("includes {path}, which is not in the repository"),
        })?;
        let file = python::parse_requirements_txt(&path, text, kind)?;
        dependencies.extend(file.dependencies);
        for include in file.includes.iter().filter_map(|i| included_path(&path, i)) {
            if !manifest_paths.contains(&include.as_str()) {
                pending.push(include);
            }
        }
        for constraint in file
            .constraints
            .iter()
            .filter_map(|c| included_path(&path, c))
        {
            let text = texts.get(&constraint).ok_or_else(|| ManifestError {
                file: manifest.path.clone(),
                line: 1,
                message: format!("its constraints file {constraint} is not in the repository"),
            })?;
            let constraints = python::parse_requirements_txt(&constraint, text, kind)?;
            let entry = pins.get_or_insert_with(|| (constraint.clone(), BTreeMap::new()));
            for pinned in constraints.dependencies {
                if let Some(version) = pinned
                    .requirement
                    .as_deref()
                    .and_then(|r| r.strip_prefix("=="))
                    .filter(|v| !v.contains([',', '*']))
                {
                    entry
                        .1
                        .insert(python::normalize_name(&pinned.name), version.to_string());
                }
            }
        }
    }
    Ok((dependencies, pins))
}

/// The repository path a `-r`/`-c` line names, relative to `from`'s folder;
/// `None` for a URL or a path that leaves the repository.
fn included_path(from: &str, target: &str) -> Option<String> {
    let target = target.trim();
    if target.is_empty() || target.contains("://") || target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = folder(from).split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Files the requirements files among `texts` include or are constrained
/// by (`-r`, `-c`) that `texts` does not hold yet: sources fetch these too.
pub fn included_files(texts: &BTreeMap<String, String>) -> Vec<String> {
    let mut wanted: Vec<String> = Vec::new();
    for (path, text) in texts {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !name.ends_with(".txt") && !name.ends_with(".in") {
            continue;
        }
        let Ok(file) = python::parse_requirements_txt(path, text, DependencyKind::Normal) else {
            continue;
        };
        for target in file.includes.iter().chain(&file.constraints) {
            if let Some(include) = included_path(path, target)
                && !texts.contains_key(&include)
                && !wanted.contains(&include)
            {
                wanted.push(include);
            }
        }
    }
    wanted
}

/// `requirements-dev.txt`, `requirements/test.txt`: tooling, not the service.
fn requirements_kind(path: &str) -> DependencyKind {
    let name = path.rsplit('/').next().unwrap_or(path);
    let tooling = ["dev", "test", "lint", "doc", "ci"]
        .iter()
        .any(|word| name.contains(word));
    if tooling {
        DependencyKind::Dev
    } else {
        DependencyKind::Normal
    }
}

fn lock_key(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Python => python::normalize_name(name),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(files: &[(&str, &str)]) -> BTreeMap<String, String> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    fn read(files: &[(&str, &str)]) -> RepositoryReading {
        let texts = texts(files);
        let manifests = files_to_read(texts.keys().map(String::as_str));
        read_repository(&manifests, &texts)
    }

    #[test]
    fn a_cargo_workspace_member_inherits_and_is_locked_by_the_root_lock() {
        let reading = read(&[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\n[workspace.dependencies]\nserde = { version = \"1.0.190\", features = [\"derive\"] }\n",
            ),
            (
                "crates/api/Cargo.toml",
                "[package]\nname = \"api\"\n[dependencies]\nserde.workspace = true\n[dev-dependencies]\ninsta = \"1\"\n",
            ),
            (
                "Cargo.lock",
                "version = 3\n[[package]]\nname = \"serde\"\nversion = \"1.0.193\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n[[package]]\nname = \"insta\"\nversion = \"1.34.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            ),
        ]);
        assert!(reading.errors.is_empty(), "{:?}", reading.errors);
        type Row<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            DependencyKind,
            &'a [String],
        );
        let found: Vec<Row<'_>> = reading
            .dependencies
            .iter()
            .map(|d| {
                (
                    d.manifest.as_str(),
                    d.declared.name.as_str(),
                    d.declared.requirement.as_deref(),
                    d.declared.kind,
                    &d.locked[..],
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                // The root's table is where serde's version is written.
                (
                    "Cargo.toml",
                    "serde",
                    Some("1.0.190"),
                    DependencyKind::Normal,
                    &["1.0.193".to_string()][..]
                ),
                (
                    "crates/api/Cargo.toml",
                    "serde",
                    Some("1.0.190"),
                    DependencyKind::Normal,
                    &["1.0.193".to_string()][..]
                ),
                (
                    "crates/api/Cargo.toml",
                    "insta",
                    Some("1"),
                    DependencyKind::Dev,
                    &["1.34.0".to_string()][..]
                ),
            ]
        );
        let inherited: Vec<(&str, &str, Option<&str>)> = reading
            .dependencies
            .iter()
            .map(|d| {
                (
                    d.manifest.as_str(),
                    d.declared.name.as_str(),
                    d.inherited_from.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            inherited,
            [
                ("Cargo.toml", "serde", None),
                ("crates/api/Cargo.toml", "serde", Some("Cargo.toml")),
                ("crates/api/Cargo.toml", "insta", None),
            ]
        );
    }

    #[test]
    fn one_broken_manifest_is_reported_with_its_line_and_the_rest_is_read() {
        let reading = read(&[
            (
                "web/package.json",
                "{\n  \"dependencies\": {\n    \"react\": \n}\n",
            ),
            ("api/requirements.txt", "Django==4.2.7\nrequests>=2.31\n"),
        ]);
        assert_eq!(reading.errors.len(), 1);
        assert_eq!(reading.errors[0].file, "web/package.json");
        assert_eq!(reading.errors[0].line, 4);
        let names: Vec<&str> = reading
            .dependencies
            .iter()
            .map(|d| d.declared.name.as_str())
            .collect();
        assert_eq!(names, ["django", "requests"]);
    }

    #[test]
    fn a_broken_lock_is_one_error_and_its_manifests_are_still_read() {
        let reading = read(&[
            ("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n"),
            (
                "a/Cargo.toml",
                "[package]\nname = \"a\"\n[dependencies]\nlog = \"0.4\"\n",
            ),
            (
                "b/Cargo.toml",
                "[package]\nname = \"b\"\n[dependencies]\nrand = \"0.8\"\n",
            ),
            ("Cargo.lock", "[[package]\nname = "),
        ]);
        assert_eq!(reading.errors.len(), 1, "{:?}", reading.errors);
        assert_eq!(reading.errors[0].file, "Cargo.lock");
        assert_eq!(reading.dependencies.len(), 2);
        assert!(reading.dependencies.iter().all(|d| d.locked.is_empty()));
    }

    #[test]
    fn go_indirect_requirements_are_left_to_their_importers() {
        let reading = read(&[(
            "go.mod",
            "module example.com/ledger\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.0\n\tgolang.org/x/text v0.14.0 // indirect\n)\n",
        )]);
        let names: Vec<&str> = reading
            .dependencies
            .iter()
            .map(|d| d.declared.name.as_str())
            .collect();
        assert_eq!(names, ["github.com/jackc/pgx/v5"]);
    }

    #[test]
    fn a_file_the_source_could_not_fetch_is_named() {
        let manifests = files_to_read(["Gemfile", "Gemfile.lock"]);
        let reading = read_repository(&manifests, &texts(&[("Gemfile", "gem \"rails\"\n")]));
        assert_eq!(
            reading.errors[0].to_string(),
            "Gemfile.lock:1: listed in the repository but could not be fetched"
        );
        assert_eq!(reading.dependencies.len(), 1);
    }

    /// (manifest, name, locked, lock file, non-registry source) of one dependency.
    type Row = (String, String, Vec<String>, Option<String>, Option<String>);

    fn rows(reading: &RepositoryReading) -> Vec<Row> {
        reading
            .dependencies
            .iter()
            .map(|d| {
                (
                    d.manifest.clone(),
                    d.declared.name.clone(),
                    d.locked.clone(),
                    d.lock_file.clone(),
                    d.declared.non_registry_source.clone(),
                )
            })
            .collect()
    }

    fn row(
        manifest: &str,
        name: &str,
        locked: &[&str],
        lock: Option<&str>,
        source: Option<&str>,
    ) -> Row {
        (
            manifest.into(),
            name.into(),
            locked.iter().map(|v| v.to_string()).collect(),
            lock.map(str::to_string),
            source.map(str::to_string),
        )
    }

    #[test]
    fn a_uv_workspace_member_is_locked_by_the_root_uv_lock() {
        let reading = read(&[
            (
                "pyproject.toml",
                "[project]\nname = \"root\"\nversion = \"0.1.0\"\ndependencies = []\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n",
            ),
            (
                "packages/api/pyproject.toml",
                "[project]\nname = \"api\"\nversion = \"0.1.0\"\ndependencies = [\"fastapi>=0.100\", \"core\"]\n[tool.uv.sources]\ncore = { workspace = true }\n",
            ),
            (
                "packages/core/pyproject.toml",
                "[project]\nname = \"core\"\nversion = \"0.1.0\"\ndependencies = [\"pydantic>=2\"]\n",
            ),
            (
                "uv.lock",
                "version = 1\nrequires-python = \">=3.11\"\n\n[manifest]\nmembers = [\"api\", \"core\", \"root\"]\n\n[[package]]\nname = \"api\"\nversion = \"0.1.0\"\nsource = { editable = \"packages/api\" }\n\n[[package]]\nname = \"core\"\nversion = \"0.1.0\"\nsource = { editable = \"packages/core\" }\n\n[[package]]\nname = \"root\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n\n[[package]]\nname = \"fastapi\"\nversion = \"0.110.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"pydantic\"\nversion = \"2.6.4\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
            ),
        ]);
        assert!(reading.errors.is_empty(), "{:?}", reading.errors);
        assert_eq!(
            rows(&reading),
            [
                row(
                    "packages/api/pyproject.toml",
                    "fastapi",
                    &["0.110.0"],
                    Some("uv.lock"),
                    None
                ),
                row(
                    "packages/api/pyproject.toml",
                    "core",
                    &[],
                    Some("uv.lock"),
                    Some("workspace package (packages/core)")
                ),
                row(
                    "packages/core/pyproject.toml",
                    "pydantic",
                    &["2.6.4"],
                    Some("uv.lock"),
                    None
                ),
            ]
        );
    }

    const NPM_WORKSPACE_LOCK: &str = r#"{
  "name": "shop", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": { "name": "shop", "workspaces": ["packages/*"] },
    "node_modules/x": { "name": "lodash", "version": "4.17.20" },
    "node_modules/semver": { "version": "7.5.4" },
    "node_modules/typescript": { "version": "4.4.4" },
    "node_modules/ui": { "resolved": "packages/ui", "link": true },
    "packages/ui": { "name": "ui", "version": "8.1.0" },
    "packages/web": { "name": "web" },
    "packages/web/node_modules/semver": { "version": "7.6.3" }
  }
}"#;

    #[test]
    fn npm_workspaces_aliases_links_and_a_stray_manifest() {
        let reading = read(&[
            (
                "package.json",
                r#"{ "name": "shop", "private": true, "workspaces": ["packages/*"], "dependencies": { "x": "npm:lodash@^4.17.20" } }"#,
            ),
            ("package-lock.json", NPM_WORKSPACE_LOCK),
            (
                "packages/ui/package.json",
                r#"{ "name": "ui", "version": "8.1.0", "private": true }"#,
            ),
            (
                "packages/web/package.json",
                r#"{ "name": "web", "dependencies": { "ui": "^8.0.0", "semver": "^7.6.0" } }"#,
            ),
            // Not one of the workspaces: the root lock is not its truth.
            (
                "tools/codegen/package.json",
                r#"{ "name": "codegen", "devDependencies": { "typescript": "^5.2.2" } }"#,
            ),
        ]);
        assert_eq!(
            rows(&reading),
            [
                row(
                    "package.json",
                    "lodash",
                    &["4.17.20"],
                    Some("package-lock.json"),
                    None
                ),
                row(
                    "packages/web/package.json",
                    "semver",
                    &["7.6.3"],
                    Some("package-lock.json"),
                    None
                ),
                row(
                    "packages/web/package.json",
                    "ui",
                    &[],
                    Some("package-lock.json"),
                    Some("workspace package (packages/ui)")
                ),
                row("tools/codegen/package.json", "typescript", &[], None, None),
            ]
        );
        let problems = reading.problems();
        assert_eq!(
            problems,
            [
                "tools/codegen/package.json:1: not locked: package-lock.json governs only the workspace of package.json, and tools/codegen is not one of its members; 1 dependency is measured from its range, not from what is installed"
            ]
        );
    }

    #[test]
    fn pnpm_yarn_and_bun_projects_are_read_from_their_locks() {
        let reading = read(&[
            (
                "a/package.json",
                r#"{ "dependencies": { "react": "^18.2.0" } }"#,
            ),
            (
                "a/pnpm-lock.yaml",
                "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      react:\n        specifier: ^18.2.0\n        version: 18.2.0\n",
            ),
            (
                "b/package.json",
                r#"{ "dependencies": { "react": "^18.2.0" } }"#,
            ),
            (
                "b/yarn.lock",
                "# yarn lockfile v1\n\nreact@^18.2.0:\n  version \"18.2.0\"\n",
            ),
            (
                "c/package.json",
                r#"{ "dependencies": { "react": "^18.2.0" } }"#,
            ),
            (
                "c/bun.lock",
                "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": { \"\": { \"dependencies\": { \"react\": \"^18.2.0\", }, }, },\n  \"packages\": { \"react\": [\"react@18.2.0\", \"\", {}, \"sha512-x\"], },\n}\n",
            ),
            (
                "d/package.json",
                r#"{ "dependencies": { "react": "^18.2.0" } }"#,
            ),
            ("d/bun.lockb", ""),
        ]);
        assert_eq!(
            rows(&reading),
            [
                row(
                    "a/package.json",
                    "react",
                    &["18.2.0"],
                    Some("a/pnpm-lock.yaml"),
                    None
                ),
                row(
                    "b/package.json",
                    "react",
                    &["18.2.0"],
                    Some("b/yarn.lock"),
                    None
                ),
                row(
                    "c/package.json",
                    "react",
                    &["18.2.0"],
                    Some("c/bun.lock"),
                    None
                ),
                row("d/package.json", "react", &[], None, None),
            ]
        );
        let problems: Vec<String> = reading.errors.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("d/bun.lockb:1: bun.lockb (binary) is not read: its projects are measured from ranges"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_yarn_classic_workspace_is_what_the_root_manifest_declares() {
        let reading = read(&[
            (
                "package.json",
                r#"{ "private": true, "workspaces": { "packages": ["apps/*", "!apps/legacy"] } }"#,
            ),
            (
                "yarn.lock",
                "# yarn lockfile v1\n\nexpress@^4.18.0:\n  version \"4.18.2\"\n",
            ),
            (
                "apps/api/package.json",
                r#"{ "name": "api", "dependencies": { "express": "^4.18.0", "ui": "1.0.0" } }"#,
            ),
            (
                "apps/ui/package.json",
                r#"{ "name": "ui", "version": "1.0.0" }"#,
            ),
            (
                "apps/legacy/package.json",
                r#"{ "dependencies": { "express": "^4.18.0" } }"#,
            ),
        ]);
        assert_eq!(
            rows(&reading),
            [
                row(
                    "apps/api/package.json",
                    "express",
                    &["4.18.2"],
                    Some("yarn.lock"),
                    None
                ),
                row(
                    "apps/api/package.json",
                    "ui",
                    &[],
                    Some("yarn.lock"),
                    Some("workspace package (apps/ui)")
                ),
                row("apps/legacy/package.json", "express", &[], None, None),
            ]
        );
    }

    #[test]
    fn workspace_patterns_match_as_the_tools_do() {
        let globs = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(workspace_globs_match(
            &globs(&["packages/*"]),
            "packages/ui"
        ));
        assert!(!workspace_globs_match(
            &globs(&["packages/*"]),
            "packages/ui/deep"
        ));
        assert!(workspace_globs_match(&globs(&["apps/**"]), "apps/a/b"));
        assert!(workspace_globs_match(&globs(&["./libs/core"]), "libs/core"));
        assert!(workspace_globs_match(&globs(&["svc-*"]), "svc-billing"));
        assert!(!workspace_globs_match(
            &globs(&["packages/*", "!packages/old"]),
            "packages/old"
        ));
        assert!(!workspace_globs_match(&globs(&[]), "anything"));
    }

    #[test]
    fn a_go_module_of_the_same_repository_is_a_workspace_module() {
        let reading = read(&[
            ("go.work", "go 1.22\n\nuse (\n\t./api\n\t./shared\n)\n"),
            (
                "api/go.mod",
                "module example.com/shop/api\n\ngo 1.22\n\nrequire (\n\texample.com/shop/shared v0.0.0-00010101000000-000000000000\n\tgithub.com/jackc/pgx/v5 v5.5.0\n)\n",
            ),
            (
                "shared/go.mod",
                "module example.com/shop/shared\n\ngo 1.22\n",
            ),
        ]);
        assert_eq!(
            rows(&reading),
            [
                row(
                    "api/go.mod",
                    "example.com/shop/shared",
                    &[],
                    None,
                    Some("workspace package (shared)")
                ),
                row("api/go.mod", "github.com/jackc/pgx/v5", &[], None, None),
            ]
        );
    }
}
