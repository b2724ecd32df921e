//! `Cargo.toml` and `Cargo.lock`, read as TOML (the route for repositories
//! read through an API, where `cargo metadata` cannot run).

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
    let mut read_section =
        |table: &Table, kind: DependencyKind, section: &str| -> Result<(), ManifestError> {
            for (key, entry) in table {
                let dependency = read_entry(key, entry, kind, inherited).map_err(|message| {
                    error(line_hint(section), format!("[{section}] {key}: {message}"))
                })?;
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
}
