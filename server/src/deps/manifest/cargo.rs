//! `Cargo.toml` and `Cargo.lock`, read as TOML (the route for repositories
//! read through an API, where `cargo metadata` cannot run), and the answer
//! of `cargo metadata --no-deps` for repositories on disk.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError, from_toml};

/// The `[workspace.dependencies]` of a workspace root, for members that
/// write `workspace = true`.
#[derive(Clone, Debug, Default)]
pub struct WorkspaceDependencies(Table);

const SECTIONS: [(&str, DependencyKind); 3] = [
    ("dependencies", DependencyKind::Normal),
    ("dev-dependencies", DependencyKind::Dev),
    ("build-dependencies", DependencyKind::Build),
];

/// A parsed `Cargo.toml`: its dependencies (target-specific ones included)
/// and, for a workspace root, the table its members inherit from.
#[derive(Clone, Debug, Default)]
pub struct CargoManifest {
    pub package: Option<String>,
    pub dependencies: Vec<DeclaredDependency>,
    pub workspace: Option<WorkspaceDependencies>,
    /// Names of `dependencies` that say `workspace = true`: their version
    /// is the workspace root's.
    pub inherited: Vec<String>,
}

impl WorkspaceDependencies {
    /// The table's entries as dependencies, where their version is written
    /// once for every member that inherits them.
    pub fn dependencies(&self) -> Result<Vec<DeclaredDependency>, String> {
        self.0
            .iter()
            .map(|(key, entry)| {
                read_entry(key, entry, DependencyKind::Normal, None)
                    .map_err(|message| format!("[workspace.dependencies] {key}: {message}"))
            })
            .collect()
    }
}

pub fn parse_manifest(
    file: &str,
    text: &str,
    inherited: Option<&WorkspaceDependencies>,
) -> Result<CargoManifest, ManifestError> {
    let document: Table = from_toml(file, text, "not valid TOML")?;
    let error = |line: usize, message: String| ManifestError {
        file: file.to_string(),
        line,
        message,
    };
    // Messages point at the section's `[header]` (line 1 when it has none).
    let line_hint = |section: &str| {
        let header = format!("[{section}]");
        text.lines()
            .position(|line| line.trim() == header)
            .map_or(1, |index| index + 1)
    };

    let package = document
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let workspace_table = document
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(Value::as_table)
        .cloned();
    let own_workspace = workspace_table.clone().map(WorkspaceDependencies);
    let inherited = inherited.or(own_workspace.as_ref());

    let mut dependencies = Vec::new();
    let mut inherited_names = Vec::new();
    let mut read_section =
        |table: &Table, kind: DependencyKind, section: &str| -> Result<(), ManifestError> {
            for (key, entry) in table {
                let dependency = read_entry(key, entry, kind, inherited).map_err(|message| {
                    error(line_hint(section), format!("[{section}] {key}: {message}"))
                })?;
                if entry.get("workspace").and_then(Value::as_bool) == Some(true) {
                    inherited_names.push(dependency.name.clone());
                }
                dependencies.push(dependency);
            }
            Ok(())
        };
    for (section, kind) in SECTIONS {
        if let Some(table) = document.get(section) {
            let table = table
                .as_table()
                .ok_or_else(|| error(line_hint(section), format!("[{section}] must be a table")))?;
            read_section(table, kind, section)?;
        }
    }
    if let Some(targets) = document.get("target").and_then(Value::as_table) {
        for (target, tables) in targets {
            for (section, kind) in SECTIONS {
                if let Some(table) = tables.get(section).and_then(Value::as_table) {
                    read_section(table, kind, &format!("target.{target}.{section}"))?;
                }
            }
        }
    }
    Ok(CargoManifest {
        package,
        dependencies,
        workspace: workspace_table.map(WorkspaceDependencies),
        inherited: inherited_names,
    })
}

fn read_entry(
    key: &str,
    entry: &Value,
    kind: DependencyKind,
    inherited: Option<&WorkspaceDependencies>,
) -> Result<DeclaredDependency, String> {
    let mut declared = DeclaredDependency {
        name: key.to_string(),
        requirement: None,
        kind,
        optional: false,
        non_registry_source: None,
    };
    match entry {
        Value::String(requirement) => declared.requirement = Some(requirement.clone()),
        Value::Table(table) => {
            declared.optional = table
                .get("optional")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if table.get("workspace").and_then(Value::as_bool) == Some(true) {
                let root = inherited
                    .ok_or("says `workspace = true` but no [workspace.dependencies] declares it")?;
                let base = root.0.get(key).ok_or(
                    "says `workspace = true` but [workspace.dependencies] has no entry for it",
                )?;
                let mut from_root = read_entry(key, base, kind, None)?;
                from_root.optional = declared.optional;
                return Ok(from_root);
            }
            if let Some(package) = table.get("package").and_then(Value::as_str) {
                declared.name = package.to_string();
            }
            declared.requirement = match table.get("version") {
                Some(Value::String(version)) => Some(version.clone()),
                Some(_) => return Err("`version` must be a string".into()),
                None => None,
            };
            for source in ["path", "git"] {
                if let Some(location) = table.get(source).and_then(Value::as_str) {
                    declared.non_registry_source = Some(format!("{source} {location}"));
                }
            }
            // `registry = "..."` names an alternative registry: still a registry dependency.
        }
        _ => return Err("expected a version string or a table".into()),
    }
    Ok(declared)
}

/// What `cargo metadata --format-version 1 --no-deps` says of one package.
#[derive(serde::Deserialize)]
struct MetadataPackage {
    manifest_path: String,
    dependencies: Vec<MetadataDependency>,
}

#[derive(serde::Deserialize)]
struct MetadataDependency {
    /// The package's own name (a `rename` is only the local alias).
    name: String,
    source: Option<String>,
    req: String,
    kind: Option<String>,
    #[serde(default)]
    optional: bool,
    path: Option<String>,
}

#[derive(serde::Deserialize)]
struct Metadata {
    packages: Vec<MetadataPackage>,
}

/// The dependencies of every package in a `cargo metadata` answer, as
/// cargo resolved them (workspace inheritance, renames, target tables),
/// keyed by manifest path relative to `root` (an absolute, canonical path
/// like those cargo prints). Packages outside `root` are left out.
pub fn parse_metadata(
    json: &str,
    root: &str,
) -> Result<BTreeMap<String, Vec<DeclaredDependency>>, String> {
    let metadata: Metadata = serde_json::from_str(json)
        .map_err(|e| format!("`cargo metadata` answered something unexpected: {e}"))?;
    let root = root.trim_end_matches('/');
    let mut by_manifest = BTreeMap::new();
    for package in metadata.packages {
        let manifest_path = package.manifest_path.replace('\\', "/");
        let Some(relative) = manifest_path
            .strip_prefix(root)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        let dependencies = package
            .dependencies
            .into_iter()
            .map(|dependency| DeclaredDependency {
                name: dependency.name,
                requirement: (dependency.req != "*").then_some(dependency.req),
                kind: match dependency.kind.as_deref() {
                    Some("dev") => DependencyKind::Dev,
                    Some("build") => DependencyKind::Build,
                    _ => DependencyKind::Normal,
                },
                optional: dependency.optional,
                non_registry_source: match (dependency.path, dependency.source) {
                    (Some(path), _) => Some(format!("path {path}")),
                    (None, Some(source)) if source.starts_with("git+") => {
                        Some(format!("git {}", source.trim_start_matches("git+")))
                    }
                    _ => None,
                },
            })
            .collect();
        by_manifest.insert(relative.to_string(), dependencies);
    }
    Ok(by_manifest)
}

/// The versions a `Cargo.lock` pins, by package name (a name can be locked
/// at several versions). Path and git packages are left out.
pub fn parse_lock(file: &str, text: &str) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
        source: Option<String>,
    }
    let lock: Lock = from_toml(file, text, "not a valid Cargo.lock")?;
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock.package {
        let from_registry = package
            .source
            .as_deref()
            .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"));
        if from_registry {
            versions
                .entry(package.name)
                .or_default()
                .push(package.version);
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKSPACE_ROOT: &str = r#"
[workspace]
members = ["api", "worker"]

[workspace.dependencies]
serde = { version = "1.0.197", features = ["derive"] }
tokio = "1.36"
"#;

    const MEMBER: &str = r#"
[package]
name = "api"
version = "0.1.0"

[dependencies]
serde = { workspace = true }
tokio = { workspace = true, optional = true }
axum = "0.7.5"
json = { package = "serde_json", version = "1.0.114" }
internal = { path = "../internal" }
forked = { git = "https://github.com/acme/forked", branch = "main" }

[dev-dependencies]
proptest = "1.4"

[build-dependencies]
cc = { version = "1.0.90" }

[target.'cfg(unix)'.dependencies]
nix = "0.28"
"#;

    #[test]
    fn reads_every_kind_and_section() {
        let root = parse_manifest("Cargo.toml", WORKSPACE_ROOT, None).expect("root");
        let member =
            parse_manifest("api/Cargo.toml", MEMBER, root.workspace.as_ref()).expect("member");
        assert_eq!(member.package.as_deref(), Some("api"));
        let find = |name: &str| {
            member
                .dependencies
                .iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(
            find("serde").requirement.as_deref(),
            Some("1.0.197"),
            "inherited from the workspace"
        );
        assert!(find("tokio").optional, "optional stays with the member");
        assert_eq!(find("tokio").requirement.as_deref(), Some("1.36"));
        assert_eq!(
            find("serde_json").requirement.as_deref(),
            Some("1.0.114"),
            "renamed: the registry name counts"
        );
        assert_eq!(
            find("internal").non_registry_source.as_deref(),
            Some("path ../internal")
        );
        assert_eq!(
            find("forked").non_registry_source.as_deref(),
            Some("git https://github.com/acme/forked")
        );
        assert_eq!(find("proptest").kind, DependencyKind::Dev);
        assert_eq!(find("cc").kind, DependencyKind::Build);
        assert_eq!(
            find("nix").kind,
            DependencyKind::Normal,
            "target-specific dependencies count"
        );
        assert_eq!(member.dependencies.len(), 9);
    }

    #[test]
    fn the_demo_service_manifest_reads() {
        let text = include_str!("../../../../examples/checkout-api/Cargo.toml");
        let manifest =
            parse_manifest("examples/checkout-api/Cargo.toml", text, None).expect("demo");
        assert_eq!(manifest.dependencies.len(), 8);
        let lock = parse_lock(
            "Cargo.lock",
            include_str!("../../../../examples/checkout-api/Cargo.lock"),
        )
        .expect("lock");
        assert!(lock["serde"][0].starts_with("1.0."), "{:?}", lock["serde"]);
        assert!(
            !lock.contains_key("checkout-api"),
            "the package itself is not from a registry"
        );
    }

    #[test]
    fn inheritance_without_a_workspace_is_a_clear_error() {
        let error = parse_manifest(
            "api/Cargo.toml",
            "[dependencies]\nserde = { workspace = true }\n",
            None,
        )
        .expect_err("no root");
        assert_eq!(
            error.to_string(),
            "api/Cargo.toml:1: [dependencies] serde: says `workspace = true` but no [workspace.dependencies] declares it"
        );
    }

    #[test]
    fn malformed_manifests_name_file_and_line() {
        let error = parse_manifest(
            "Cargo.toml",
            "[package]\nname = \"a\"\n[dependencies]\nserde = \n",
            None,
        )
        .expect_err("bad");
        assert_eq!(error.file, "Cargo.toml");
        assert_eq!(error.line, 4);
        assert!(error.message.starts_with("not valid TOML"), "{error}");
        let error =
            parse_manifest("Cargo.toml", "[dependencies]\nserde = 1\n", None).expect_err("bad");
        assert!(
            error
                .to_string()
                .contains("serde: expected a version string or a table"),
            "{error}"
        );
    }

    #[test]
    fn lock_keeps_several_versions_of_a_name() {
        let lock = parse_lock(
            "Cargo.lock",
            r#"
version = 4

[[package]]
name = "syn"
version = "1.0.109"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "2.0.52"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "app"
version = "0.1.0"
"#,
        )
        .expect("lock");
        assert_eq!(lock["syn"], ["1.0.109", "2.0.52"]);
        assert!(!lock.contains_key("app"));
        assert!(
            parse_lock("Cargo.lock", "[[package]]\nname = 3\n")
                .expect_err("bad")
                .to_string()
                .starts_with("Cargo.lock:2:")
        );
    }

    /// Trimmed from `cargo metadata --format-version 1 --no-deps` run on a
    /// two-member workspace (fields as cargo 1.8x prints them).
    const METADATA: &str = r#"{
      "packages": [
        {
          "name": "api", "version": "0.1.0", "id": "path+file:///srv/shop/crates/api#0.1.0",
          "manifest_path": "/srv/shop/crates/api/Cargo.toml",
          "dependencies": [
            { "name": "serde", "source": "registry+https://github.com/rust-lang/crates.io-index",
              "req": "^1.0.200", "kind": null, "rename": null, "optional": false,
              "uses_default_features": true, "features": ["derive"], "target": null, "registry": null },
            { "name": "tokio", "source": "registry+https://github.com/rust-lang/crates.io-index",
              "req": "^1", "kind": null, "rename": "rt", "optional": true,
              "uses_default_features": true, "features": [], "target": "cfg(unix)", "registry": null },
            { "name": "core", "source": null, "req": "*", "kind": null, "rename": null,
              "optional": false, "uses_default_features": true, "features": [], "target": null,
              "registry": null, "path": "/srv/shop/crates/core" },
            { "name": "insta", "source": "registry+https://github.com/rust-lang/crates.io-index",
              "req": "=1.40.0", "kind": "dev", "rename": null, "optional": false,
              "uses_default_features": true, "features": [], "target": null, "registry": null },
            { "name": "cc", "source": "git+https://github.com/rust-lang/cc-rs?branch=main",
              "req": "*", "kind": "build", "rename": null, "optional": false,
              "uses_default_features": true, "features": [], "target": null, "registry": null }
          ]
        },
        { "name": "elsewhere", "manifest_path": "/opt/other/Cargo.toml", "dependencies": [] }
      ],
      "workspace_members": ["path+file:///srv/shop/crates/api#0.1.0"],
      "target_directory": "/srv/shop/target", "version": 1, "workspace_root": "/srv/shop"
    }"#;

    #[test]
    fn cargo_metadata_gives_resolved_requirements_kinds_and_sources() {
        let resolved = parse_metadata(METADATA, "/srv/shop/").expect("parses");
        assert_eq!(
            resolved.keys().collect::<Vec<_>>(),
            ["crates/api/Cargo.toml"]
        );
        let api = &resolved["crates/api/Cargo.toml"];
        let find = |name: &str| api.iter().find(|d| d.name == name).expect(name);
        assert_eq!(find("serde").requirement.as_deref(), Some("^1.0.200"));
        assert_eq!(find("serde").kind, DependencyKind::Normal);
        let tokio = find("tokio");
        assert!(
            tokio.optional,
            "a renamed, target-specific optional dependency keeps its real name"
        );
        assert_eq!(
            find("core").non_registry_source.as_deref(),
            Some("path /srv/shop/crates/core")
        );
        assert_eq!(find("core").requirement, None);
        assert_eq!(find("insta").kind, DependencyKind::Dev);
        assert_eq!(
            find("cc").non_registry_source.as_deref(),
            Some("git https://github.com/rust-lang/cc-rs?branch=main")
        );
        assert_eq!(find("cc").kind, DependencyKind::Build);
    }

    #[test]
    fn an_unexpected_cargo_metadata_answer_is_an_error_not_a_panic() {
        let error = parse_metadata("{\"packages\": 3}", "/srv").unwrap_err();
        assert!(
            error.starts_with("`cargo metadata` answered something unexpected"),
            "{error}"
        );
    }
}
