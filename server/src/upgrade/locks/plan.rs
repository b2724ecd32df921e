//! What to run for one lock file: the folder it sits in, the files the
//! tool needs that a repository's manifests do not carry, the tool's own
//! settings (registries, caches, scripts off) and its commands. Pure.

use std::collections::BTreeMap;

use crate::deps::model::Ecosystem;

/// One program run, in the lock file's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolCommand {
    pub program: String,
    pub args: Vec<String>,
}

impl ToolCommand {
    fn new(program: &str, args: &[&str]) -> ToolCommand {
        ToolCommand {
            program: program.to_string(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
        }
    }

    /// As a person would type it (for reports).
    pub fn shown(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The folder of a repository path (`""` at the root).
pub fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// Whether `path` may be written under a work folder: relative, `/`
/// separated, no `..`, no empty or hidden-escape parts. Paths come from
/// the repository, so they are an attacker's to choose.
pub fn safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Files Cargo needs beyond the manifests to load a workspace: every
/// package needs a target, so an empty `src/lib.rs` stands in where the
/// snapshot (manifests only) has none. Their contents never reach the lock.
pub fn cargo_stand_ins(texts: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut stand_ins = BTreeMap::new();
    for (path, text) in texts {
        if !(path == "Cargo.toml" || path.ends_with("/Cargo.toml")) {
            continue;
        }
        let Ok(document) = text.parse::<toml::Table>() else {
            continue;
        };
        if !document.contains_key("package") {
            continue;
        }
        let folder = folder_of(path);
        let inside = |relative: &str| {
            if folder.is_empty() {
                relative.to_string()
            } else {
                format!("{folder}/{relative}")
            }
        };
        let mut targets: Vec<String> = Vec::new();
        if let Some(lib_path) = document
            .get("lib")
            .and_then(|lib| lib.get("path"))
            .and_then(toml::Value::as_str)
        {
            targets.push(lib_path.to_string());
        }
        for kind in ["bin", "example", "test", "bench"] {
            for target in document
                .get(kind)
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(target_path) = target.get("path").and_then(toml::Value::as_str) {
                    targets.push(target_path.to_string());
                }
            }
        }
        targets.push("src/lib.rs".to_string());
        for target in targets {
            let target = target.trim_start_matches("./").to_string();
            let full = inside(&target);
            if safe_relative_path(&full) && !texts.contains_key(&full) {
                stand_ins.insert(full, String::new());
            }
        }
    }
    stand_ins
}

/// Cargo's settings for one run, as `--config` arguments (not a file in
/// the shared `CARGO_HOME`, so that runs against different registries
/// never see each other's): the registry in place of crates.io when one
/// is configured (source replacement keeps the lock's `source` lines as
/// they are), and the sparse protocol.
pub fn cargo_config_args(registry: Option<&str>) -> Vec<String> {
    let mut settings = vec![
        "registries.crates-io.protocol=\"sparse\"".to_string(),
        "net.retry=2".to_string(),
        "term.color=\"never\"".to_string(),
    ];
    if let Some(url) = registry {
        let url = url.trim_end_matches('/');
        settings.push("source.crates-io.replace-with=\"shipshape-registry\"".to_string());
        settings.push(format!(
            "source.shipshape-registry.registry=\"sparse+{url}/\""
        ));
    }
    settings
        .into_iter()
        .flat_map(|setting| ["--config".to_string(), setting])
        .collect()
}

/// The first command for a lock: the one that brings it in line with the
/// edited manifests while moving as little as it can.
pub fn first_command(ecosystem: Ecosystem) -> Option<ToolCommand> {
    match ecosystem {
        // Resolves what the manifests now ask for; every other locked
        // version stays.
        Ecosystem::Cargo => Some(ToolCommand::new(
            "cargo",
            &["update", "--workspace", "--manifest-path", "Cargo.toml"],
        )),
        Ecosystem::Npm => Some(ToolCommand::new(
            "npm",
            &[
                "install",
                "--package-lock-only",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ],
        )),
        Ecosystem::Python | Ecosystem::Go | Ecosystem::Ruby | Ecosystem::Maven => None,
    }
}

/// Pins one package at its target when the first command resolved it to
/// something else (a lock-only bump, or a newer release in range):
/// `locked` is the version the lock has now.
pub fn precise_command(
    ecosystem: Ecosystem,
    name: &str,
    locked: &str,
    target: &str,
) -> Option<ToolCommand> {
    match ecosystem {
        Ecosystem::Cargo => Some(ToolCommand {
            program: "cargo".into(),
            args: vec![
                "update".into(),
                "--manifest-path".into(),
                "Cargo.toml".into(),
                "--package".into(),
                format!("{name}@{locked}"),
                "--precise".into(),
                target.to_string(),
            ],
        }),
        _ => None,
    }
}

/// The tool's own check that the lock agrees with the manifests, run
/// after regeneration and before anything is committed.
pub fn check_command(ecosystem: Ecosystem) -> Option<ToolCommand> {
    match ecosystem {
        // Fails when the lock would have to change; offline, from the
        // index the update just fetched.
        Ecosystem::Cargo => Some(ToolCommand::new(
            "cargo",
            &[
                "update",
                "--workspace",
                "--manifest-path",
                "Cargo.toml",
                "--locked",
                "--offline",
            ],
        )),
        // `npm ci` refuses a lock out of step with package.json before it
        // installs anything; `--dry-run` stops it there.
        Ecosystem::Npm => Some(ToolCommand::new(
            "npm",
            &[
                "ci",
                "--dry-run",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ],
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths_that_leave_the_work_folder_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a\\b",
            "./x",
            "a/./b",
        ] {
            assert!(!safe_relative_path(bad), "{bad}");
        }
        for good in ["Cargo.toml", "crates/api/Cargo.toml", ".cargo/config.toml"] {
            assert!(safe_relative_path(good), "{good}");
        }
    }

    #[test]
    fn every_package_gets_a_stand_in_target_and_a_workspace_root_none() {
        let texts: BTreeMap<String, String> = [
            ("Cargo.toml", "[workspace]\nmembers = [\"api\", \"cli\"]\n"),
            ("api/Cargo.toml", "[package]\nname = \"api\"\nversion = \"0.1.0\"\n"),
            (
                "cli/Cargo.toml",
                "[package]\nname = \"cli\"\nversion = \"0.1.0\"\n[[bin]]\nname = \"cli\"\npath = \"main.rs\"\n[lib]\npath = \"../../etc/x.rs\"\n",
            ),
            ("cli/src/lib.rs", "pub fn real() {}"),
        ]
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
        let stand_ins = cargo_stand_ins(&texts);
        assert_eq!(
            stand_ins.keys().collect::<Vec<_>>(),
            vec!["api/src/lib.rs", "cli/main.rs"],
            "no stand-in for the workspace root, for a file the repository has, or outside the folder"
        );
    }

    #[test]
    fn a_configured_registry_replaces_crates_io_and_keeps_the_lock_sources() {
        let config = cargo_config_args(Some("http://127.0.0.1:4000/cargo/")).join(" ");
        assert!(
            config.contains("--config source.crates-io.replace-with=\"shipshape-registry\""),
            "{config}"
        );
        assert!(config.contains("--config source.shipshape-registry.registry=\"sparse+http://127.0.0.1:4000/cargo/\""), "{config}");
        assert!(!cargo_config_args(None).join(" ").contains("replace-with"));
    }
}
