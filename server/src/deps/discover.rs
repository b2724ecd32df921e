//! Which files of a repository are manifests, and which lock file belongs
//! to each. Works on a list of paths (a directory walk or a GitHub tree
//! alike); vendored, generated and dependency folders are skipped.

use std::collections::BTreeSet;

use super::model::Ecosystem;

/// Folders whose manifests are not the repository's own.
const SKIPPED_FOLDERS: &[&str] = &[
    "node_modules",
    "target",
    "vendor",
    "third_party",
    ".git",
    "dist",
    "build",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ManifestFile {
    pub ecosystem: Ecosystem,
    /// Path from the repository's root, with `/` separators.
    pub path: String,
    /// The lock file that decides the versions in use, when there is one.
    /// Discovery takes the nearest one; `read::settle_locks` then keeps it
    /// only if the lock really governs this manifest (a workspace member).
    pub lock: Option<String>,
    /// Why a lock found above this manifest does not govern it.
    pub lock_note: Option<String>,
}

/// JavaScript lock files, in the order one is preferred when a folder has
/// several. `bun.lockb` is binary: found so it can be named, never read.
pub const JS_LOCKS: [&str; 6] = [
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// The folders holding `path`, nearest first, ending with the root (`""`).
pub(crate) fn folders_above(path: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(folder(path));
    std::iter::from_fn(move || {
        let current = next?;
        next = (!current.is_empty()).then(|| folder(current));
        Some(current)
    })
}

pub(crate) fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

fn ecosystem_of(name: &str) -> Option<Ecosystem> {
    match name {
        "Cargo.toml" => Some(Ecosystem::Cargo),
        "package.json" => Some(Ecosystem::Npm),
        "pyproject.toml" | "Pipfile" => Some(Ecosystem::Python),
        "go.mod" => Some(Ecosystem::Go),
        "Gemfile" => Some(Ecosystem::Ruby),
        "pom.xml" | "build.gradle" | "build.gradle.kts" => Some(Ecosystem::Maven),
        _ if name.starts_with("requirements") && name.ends_with(".txt") => Some(Ecosystem::Python),
        _ => None,
    }
}

/// The ecosystem of a manifest at `path`: by its file name, and Gradle's
/// version catalog by its place (`gradle/libs.versions.toml`).
fn ecosystem_of_path(path: &str) -> Option<Ecosystem> {
    ecosystem_of(file_name(path)).or_else(|| {
        (path == "gradle/libs.versions.toml" || path.ends_with("/gradle/libs.versions.toml"))
            .then_some(Ecosystem::Maven)
    })
}

/// True for a path Shipshape reads as a manifest (outside vendored and
/// generated folders).
pub fn is_manifest(path: &str) -> bool {
    let path = path.trim_start_matches("./");
    ecosystem_of_path(path).is_some()
        && !path.split('/').any(|part| SKIPPED_FOLDERS.contains(&part))
}

/// Finds manifests among `paths`. A lock file is looked for beside the
/// manifest, then in each folder above it (Cargo and npm workspaces keep
/// one lock at the root).
pub fn find_manifests<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<ManifestFile> {
    let paths: BTreeSet<&str> = paths
        .into_iter()
        .map(|p| p.trim_start_matches("./"))
        .filter(|p| !p.split('/').any(|part| SKIPPED_FOLDERS.contains(&part)))
        .collect();
    let lock_for = |manifest: &str, names: &[&str]| -> Option<String> {
        folders_above(manifest).find_map(|dir| {
            names
                .iter()
                .map(|n| join(dir, n))
                .find(|candidate| paths.contains(candidate.as_str()))
        })
    };
    let mut manifests: Vec<ManifestFile> = paths
        .iter()
        .filter_map(|path| {
            let name = file_name(path);
            let ecosystem = ecosystem_of_path(path)?;
            let lock =
                match (ecosystem, name) {
                    (Ecosystem::Cargo, _) => lock_for(path, &["Cargo.lock"]),
                    (Ecosystem::Npm, _) => lock_for(path, &JS_LOCKS),
                    // A uv workspace keeps one uv.lock at its root; Poetry has
                    // no workspaces, so its lock is only ever beside.
                    (Ecosystem::Python, "pyproject.toml") => ["uv.lock", "poetry.lock"]
                        .iter()
                        .map(|n| join(folder(path), n))
                        .find(|c| paths.contains(c.as_str()))
                        .or_else(|| lock_for(path, &["uv.lock"])),
                    (Ecosystem::Python, "Pipfile") => Some(join(folder(path), "Pipfile.lock"))
                        .filter(|c| paths.contains(c.as_str())),
                    // Gradle's dependency locking writes one lockfile per project;
                    // the catalog's versions are resolved in the root project's.
                    (Ecosystem::Maven, "libs.versions.toml") => {
                        Some(join(folder(folder(path)), "gradle.lockfile"))
                            .filter(|c| paths.contains(c.as_str()))
                    }
                    (Ecosystem::Maven, "build.gradle" | "build.gradle.kts") => {
                        Some(join(folder(path), "gradle.lockfile"))
                            .filter(|c| paths.contains(c.as_str()))
                    }
                    (Ecosystem::Ruby, _) => Some(join(folder(path), "Gemfile.lock"))
                        .filter(|c| paths.contains(c.as_str())),
                    // go.mod, requirements files and POMs are their own truth.
                    _ => None,
                };
            Some(ManifestFile {
                ecosystem,
                path: path.to_string(),
                lock,
                lock_note: None,
            })
        })
        .collect();
    manifests.sort();
    manifests
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monorepo_with_workspaces_and_vendored_code() {
        let found = find_manifests([
            "Cargo.toml",
            "Cargo.lock",
            "crates/api/Cargo.toml",
            "crates/api/src/main.rs",
            "target/debug/build/x/Cargo.toml",
            "web/package.json",
            "web/package-lock.json",
            "web/packages/ui/package.json",
            "web/node_modules/react/package.json",
            "ml/pyproject.toml",
            "ml/uv.lock",
            "ml/requirements-dev.txt",
            "billing/Gemfile",
            "billing/Gemfile.lock",
            "billing/vendor/bundle/ruby/Gemfile",
            "ledger/go.mod",
            "ledger/go.sum",
            "./inventory/pom.xml",
            "README.md",
        ]);
        let summary: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|m| (m.path.as_str(), m.lock.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("Cargo.toml", Some("Cargo.lock")),
                ("crates/api/Cargo.toml", Some("Cargo.lock")),
                ("web/package.json", Some("web/package-lock.json")),
                (
                    "web/packages/ui/package.json",
                    Some("web/package-lock.json")
                ),
                ("ml/pyproject.toml", Some("ml/uv.lock")),
                ("ml/requirements-dev.txt", None),
                ("ledger/go.mod", None),
                ("billing/Gemfile", Some("billing/Gemfile.lock")),
                ("inventory/pom.xml", None),
            ]
        );
    }

    #[test]
    fn no_manifest_is_an_empty_list() {
        assert!(find_manifests(["README.md", "src/main.c"]).is_empty());
    }
}
