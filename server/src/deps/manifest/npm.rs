//! `package.json`; its lock files are read by `js_lock`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError};

const SECTIONS: [(&str, DependencyKind, bool); 3] = [
    ("dependencies", DependencyKind::Normal, false),
    ("devDependencies", DependencyKind::Dev, false),
    ("optionalDependencies", DependencyKind::Normal, true),
];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NpmManifest {
    pub name: Option<String>,
    pub dependencies: Vec<DeclaredDependency>,
    /// For each of `dependencies`, in order: the key `package.json` lists it
    /// under (an `npm:` alias's own name) and the spec as written. Lock
    /// files are keyed by these, not by the registry name.
    pub written: Vec<(String, String)>,
    /// Folder patterns of an npm workspace root (`"workspaces": ["packages/*"]`).
    pub workspaces: Vec<String>,
}

fn json_error(file: &str, error: &serde_json::Error, what: &str) -> ManifestError {
    ManifestError {
        file: file.to_string(),
        line: error.line().max(1),
        message: format!("not valid {what}: {error}"),
    }
}

pub fn parse_manifest(file: &str, text: &str) -> Result<NpmManifest, ManifestError> {
    let document: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| json_error(file, &e, "package.json"))?;
    let error = |message: String| ManifestError {
        file: file.to_string(),
        line: 1,
        message,
    };
    let mut dependencies: Vec<(DeclaredDependency, (String, String))> = Vec::new();
    for (section, kind, optional) in SECTIONS {
        let Some(entries) = document.get(section) else {
            continue;
        };
        let entries = entries
            .as_object()
            .ok_or_else(|| error(format!("`{section}` must be an object")))?;
        for (key, spec) in entries {
            let spec = spec
                .as_str()
                .ok_or_else(|| error(format!("{section}.{key}: the version must be a string")))?;
            let (name, requirement, non_registry_source) = read_spec(key, spec);
            // A package listed as optional as well is the optional one (npm's rule).
            dependencies.retain(|(d, _)| !(optional && d.name == name && d.kind == kind));
            dependencies.push((
                DeclaredDependency {
                    name,
                    requirement,
                    kind,
                    optional,
                    non_registry_source,
                },
                (key.clone(), spec.trim().to_string()),
            ));
        }
    }
    let workspaces = match document.get("workspaces") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::Object(object)) => object
            .get("packages")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (dependencies, written) = dependencies.into_iter().unzip();
    Ok(NpmManifest {
        name: document
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string),
        dependencies,
        written,
        workspaces,
    })
}

/// The registry name, the range, and the source when not the registry.
pub(crate) fn read_spec(key: &str, spec: &str) -> (String, Option<String>, Option<String>) {
    let spec = spec.trim();
    if let Some(alias) = spec.strip_prefix("npm:") {
        // `npm:real-name@^1.2` (the name may be scoped: `npm:@scope/pkg@1`).
        let split_at = alias
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '@')
            .map(|(i, _)| i);
        return match split_at {
            Some(i) => (
                alias[..i].to_string(),
                Some(alias[i + 1..].to_string()),
                None,
            ),
            None => (alias.to_string(), None, None),
        };
    }
    let non_registry = [
        "file:",
        "link:",
        "workspace:",
        "git+",
        "git:",
        "github:",
        "http://",
        "https://",
        "portal:",
    ]
    .iter()
    .any(|prefix| spec.starts_with(prefix))
        || (spec.contains('/') && !spec.starts_with('@') && !spec.contains(' '));
    if non_registry {
        return (key.to_string(), None, Some(spec.to_string()));
    }
    (key.to_string(), Some(spec.to_string()), None)
}

/// The versions `package-lock.json` installs, by package name; the first one
/// listed for a name is the top-level install (what the project imports).
/// (`JsLock` answers per project folder and alias.)
pub fn parse_lock(file: &str, text: &str) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    super::js_lock::JsLock::parse(file, text).map(|lock| lock.versions_by_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_aliases_and_non_registry_sources() {
        let manifest = parse_manifest(
            "package.json",
            r#"{
              "name": "web",
              "dependencies": {
                "express": "^4.18.2",
                "lodash": "npm:lodash-es@^4.17.21",
                "scoped": "npm:@acme/util@~2.1.0",
                "local": "file:../local",
                "fork": "github:acme/fork#main",
                "shorthand": "acme/other",
                "fsevents": "^2.3.2"
              },
              "devDependencies": { "eslint": ">=8.57.0 <9" },
              "optionalDependencies": { "fsevents": "^2.3.3" },
              "workspaces": ["packages/*"]
            }"#,
        )
        .expect("manifest");
        let find = |name: &str| {
            manifest
                .dependencies
                .iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(find("express").requirement.as_deref(), Some("^4.18.2"));
        assert_eq!(find("lodash-es").requirement.as_deref(), Some("^4.17.21"));
        assert_eq!(find("@acme/util").requirement.as_deref(), Some("~2.1.0"));
        assert_eq!(
            find("local").non_registry_source.as_deref(),
            Some("file:../local")
        );
        assert_eq!(
            find("fork").non_registry_source.as_deref(),
            Some("github:acme/fork#main")
        );
        assert_eq!(
            find("shorthand").non_registry_source.as_deref(),
            Some("acme/other")
        );
        assert_eq!(find("eslint").kind, DependencyKind::Dev);
        let fsevents: Vec<_> = manifest
            .dependencies
            .iter()
            .filter(|d| d.name == "fsevents")
            .collect();
        assert_eq!(fsevents.len(), 1, "optional wins over the plain entry");
        assert!(fsevents[0].optional);
        assert_eq!(manifest.workspaces, ["packages/*"]);
    }

    #[test]
    fn the_demo_service_manifest_and_lock_read() {
        let manifest = parse_manifest(
            "package.json",
            include_str!("../../../../examples/storefront-web/package.json"),
        )
        .expect("manifest");
        assert_eq!(manifest.dependencies.len(), 4);
        let lock = parse_lock(
            "package-lock.json",
            include_str!("../../../../examples/storefront-web/package-lock.json"),
        )
        .expect("lock");
        assert!(
            lock["express"][0].starts_with("4."),
            "{:?}",
            lock["express"]
        );
    }

    #[test]
    fn lock_puts_the_top_level_install_first() {
        let lock = parse_lock(
            "package-lock.json",
            r#"{
              "lockfileVersion": 3,
              "packages": {
                "": { "name": "web" },
                "node_modules/debug/node_modules/ms": { "version": "2.0.0" },
                "node_modules/ms": { "version": "2.1.3" },
                "node_modules/@acme/util": { "version": "2.1.4" },
                "node_modules/local": { "resolved": "../local", "link": true }
              }
            }"#,
        )
        .expect("lock");
        assert_eq!(lock["ms"], ["2.1.3", "2.0.0"]);
        assert_eq!(lock["@acme/util"], ["2.1.4"]);
        assert!(!lock.contains_key("local"));
    }

    #[test]
    fn old_and_broken_files_are_clear_errors() {
        let error = parse_lock(
            "package-lock.json",
            r#"{"lockfileVersion": 1, "dependencies": {}}"#,
        )
        .expect_err("v1");
        assert!(
            error
                .to_string()
                .contains("lockfileVersion 1 is not supported"),
            "{error}"
        );
        let error = parse_manifest(
            "package.json",
            "{\n  \"dependencies\": {\n    \"a\": 1\n  }\n}",
        )
        .expect_err("type");
        assert_eq!(
            error.to_string(),
            "package.json:1: dependencies.a: the version must be a string"
        );
        let error =
            parse_manifest("package.json", "{\n  \"name\": \"x\",\n  oops\n}").expect_err("syntax");
        assert_eq!(error.line, 3);
    }
}
