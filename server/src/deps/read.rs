//! Reads a whole repository's dependencies from the text of its manifests
//! and lock files. Pure: a source (local folder, git clone, GitHub) supplies
//! the file list and the texts; this decides which files to read and joins
//! each declared dependency with the versions its lock file pins.

use std::collections::BTreeMap;

use super::discover::{ManifestFile, find_manifests, folder, folders_above};
use super::manifest::{cargo, go, maven, npm, python, ruby};
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
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositoryReading {
    pub dependencies: Vec<FoundDependency>,
    /// Manifests or lock files that could not be read; the others still are.
    pub errors: Vec<ManifestError>,
}

/// The files a reading needs from a repository whose paths are `paths`:
/// every manifest and lock file (sources fetch only these).
pub fn files_to_read<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<ManifestFile> {
    find_manifests(paths)
}

/// The distinct paths of `manifests` and their lock files.
pub fn paths_of(manifests: &[ManifestFile]) -> Vec<String> {
    let mut paths: Vec<String> = manifests
        .iter()
        .flat_map(|m| std::iter::once(m.path.clone()).chain(m.lock.clone()))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Reads `manifests` from `texts` (path → content). A file missing from
/// `texts` is reported as an error, like one that does not parse.
pub fn read_repository(
    manifests: &[ManifestFile],
    texts: &BTreeMap<String, String>,
) -> RepositoryReading {
    read_with_cargo(manifests, texts, &BTreeMap::new())
}

/// Reads a source's snapshot, taking cargo's own answer for the Cargo
/// manifests it covers.
pub fn read_snapshot(snapshot: &Snapshot) -> RepositoryReading {
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
    let mut locks: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
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
        let lock = match &manifest.lock {
            Some(lock_path) => match locks.get(lock_path) {
                Some(lock) => Some(lock.clone()),
                None => match text_of(lock_path)
                    .and_then(|text| parse_lock(manifest.ecosystem, lock_path, text))
                {
                    Ok(lock) => {
                        locks.insert(lock_path.clone(), lock.clone());
                        Some(lock)
                    }
                    Err(error) => {
                        // A broken lock is reported once; the manifest is
                        // still read, measured as if it had no lock.
                        if !reading.errors.contains(&error) {
                            reading.errors.push(error);
                        }
                        locks.insert(lock_path.clone(), BTreeMap::new());
                        None
                    }
                },
            },
            None => None,
        };
        let declared = text_of(&manifest.path).and_then(|text| match manifest.ecosystem {
            Ecosystem::Cargo => {
                let inherited = nearest_workspace(&workspaces, &manifest.path);
                let parsed = cargo::parse_manifest(&manifest.path, text, inherited)?;
                if let Some(workspace) = parsed.workspace {
                    workspaces.insert(folder(&manifest.path).to_string(), workspace);
                }
                Ok(cargo_resolved
                    .get(&manifest.path)
                    .cloned()
                    .unwrap_or(parsed.dependencies))
            }
            Ecosystem::Npm => npm::parse_manifest(&manifest.path, text).map(|m| m.dependencies),
            Ecosystem::Python if manifest.path.ends_with(".txt") => python::parse_requirements_txt(
                &manifest.path,
                text,
                requirements_kind(&manifest.path),
            )
            .map(|r| r.dependencies),
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
            Ecosystem::Maven => maven::parse_pom(&manifest.path, text),
        });
        match declared {
            Ok(declared) => {
                for dependency in declared {
                    let key = lock_key(manifest.ecosystem, &dependency.name);
                    let locked = lock
                        .as_ref()
                        .and_then(|l| l.get(&key))
                        .cloned()
                        .unwrap_or_default();
                    reading.dependencies.push(FoundDependency {
                        ecosystem: manifest.ecosystem,
                        manifest: manifest.path.clone(),
                        declared: dependency,
                        locked,
                    });
                }
            }
            Err(error) => reading.errors.push(error),
        }
    }
    reading
}

fn nearest_workspace<'a>(
    workspaces: &'a BTreeMap<String, cargo::WorkspaceDependencies>,
    manifest: &str,
) -> Option<&'a cargo::WorkspaceDependencies> {
    folders_above(manifest).find_map(|dir| workspaces.get(dir))
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
        Ecosystem::Npm => npm::parse_lock(path, text),
        Ecosystem::Python => python::parse_lock(path, text).map(|lock| {
            lock.into_iter()
                .map(|(name, versions)| (python::normalize_name(&name), versions))
                .collect()
        }),
        Ecosystem::Ruby => ruby::parse_lock(path, text),
        // go.mod and pom.xml are their own truth: discovery gives them no lock.
        Ecosystem::Go | Ecosystem::Maven => Ok(BTreeMap::new()),
    }
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
}
