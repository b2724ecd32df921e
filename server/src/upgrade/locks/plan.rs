//! What to run for one lock file: the folder it sits in, the files the
//! tool needs that a repository's manifests do not carry, the tool's own
//! settings (registries, caches, scripts off) and its commands. Pure.

use std::collections::BTreeMap;

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

/// The program that owns a lock file, told by the file's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockTool {
    Cargo,
    Npm,
    Uv,
    Poetry,
    Bundler,
    /// `go.sum`: Shipshape does not regenerate it (see `first`).
    GoModules,
    /// A pinned requirements file with `--hash` lines (pip-compile's
    /// output): the hashes of a bumped pin are not recomputed yet.
    HashedRequirements,
}

impl LockTool {
    pub fn of(lock_path: &str) -> Option<LockTool> {
        match lock_path.rsplit('/').next().unwrap_or(lock_path) {
            "Cargo.lock" => Some(LockTool::Cargo),
            "package-lock.json" => Some(LockTool::Npm),
            "uv.lock" => Some(LockTool::Uv),
            "poetry.lock" => Some(LockTool::Poetry),
            "Gemfile.lock" => Some(LockTool::Bundler),
            "go.sum" => Some(LockTool::GoModules),
            name if name.starts_with("requirements") && name.ends_with(".txt") => {
                Some(LockTool::HashedRequirements)
            }
            _ => None,
        }
    }

    pub fn program(self) -> &'static str {
        match self {
            LockTool::Cargo => "cargo",
            LockTool::Npm => "npm",
            LockTool::Uv => "uv",
            LockTool::Poetry => "poetry",
            LockTool::Bundler => "bundle",
            LockTool::GoModules => "go",
            LockTool::HashedRequirements => "pip-compile",
        }
    }

    /// The first command for a lock: the one that brings it in line with
    /// the edited manifests while moving as little as it can. `Err` says
    /// why this tool's locks are not regenerated.
    pub fn first(self, names: &[&str]) -> Result<ToolCommand, &'static str> {
        match self {
            // Resolves what the manifests now ask for; every other locked
            // version stays.
            LockTool::Cargo => Ok(ToolCommand::new(
                "cargo",
                &["update", "--workspace", "--manifest-path", "Cargo.toml"],
            )),
            LockTool::Npm => Ok(ToolCommand::new(
                "npm",
                &[
                    "install",
                    "--package-lock-only",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                ],
            )),
            // Keeps every locked version the edited requirements still
            // allow; `--no-build` refuses to run a package's build backend
            // (source-only releases), which would be running its code.
            LockTool::Uv => Ok(ToolCommand::new("uv", &["lock", "--no-build"])),
            // Poetry 2 keeps locked versions unless told to update them
            // (`poetry --version` is checked first: 1.x would move all).
            LockTool::Poetry => Ok(ToolCommand::new("poetry", &["lock", "--no-interaction"])),
            LockTool::Bundler => {
                let mut args = vec!["lock".to_string(), "--update".to_string()];
                args.extend(names.iter().map(|n| (*n).to_string()));
                args.push("--conservative".into());
                Ok(ToolCommand {
                    program: "bundle".into(),
                    args,
                })
            }
            LockTool::GoModules => Err(
                "Shipshape does not regenerate go.sum yet: Go's tools need the module's source files to know which sums it needs, and Shipshape fetches only manifests",
            ),
            LockTool::HashedRequirements => Err(
                "its `--hash` lines still name the old version's files, so `pip install --require-hashes` refuses the new pin; Shipshape does not recompute them yet (it does not read the `.in` file pip-compile made this from)",
            ),
        }
    }

    /// Lock-file maintenance: moves every locked package to the newest
    /// version the manifests allow, without touching the manifests.
    pub fn refresh_all(self) -> Result<ToolCommand, &'static str> {
        match self {
            LockTool::Cargo => Ok(ToolCommand::new(
                "cargo",
                &["update", "--manifest-path", "Cargo.toml"],
            )),
            LockTool::Npm => Ok(ToolCommand::new(
                "npm",
                &[
                    "update",
                    "--package-lock-only",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                ],
            )),
            LockTool::Uv => Ok(ToolCommand::new("uv", &["lock", "--upgrade", "--no-build"])),
            LockTool::Poetry => Ok(ToolCommand::new(
                "poetry",
                &["update", "--lock", "--no-interaction"],
            )),
            LockTool::Bundler => Ok(ToolCommand::new("bundle", &["lock", "--update"])),
            LockTool::GoModules | LockTool::HashedRequirements => self.first(&[]),
        }
    }

    /// Pins one package at its target when the first command resolved it
    /// to something else (a lock-only bump, or a newer release in range):
    /// `locked` is the version the lock has now.
    pub fn precise(self, name: &str, locked: &str, target: &str) -> Option<ToolCommand> {
        match self {
            LockTool::Cargo => Some(ToolCommand {
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
            LockTool::Uv => Some(ToolCommand {
                program: "uv".into(),
                args: vec![
                    "lock".into(),
                    "--no-build".into(),
                    "--upgrade-package".into(),
                    format!("{name}=={target}"),
                ],
            }),
            _ => None,
        }
    }

    /// The tool's own check that the lock agrees with the manifests, run
    /// after regeneration and before anything is committed.
    pub fn check(self) -> Option<ToolCommand> {
        match self {
            // Fails when the lock would have to change; offline, from the
            // index the update just fetched.
            LockTool::Cargo => Some(ToolCommand::new(
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
            // `npm ci` refuses a lock out of step with package.json before
            // it installs anything; `--dry-run` stops it there.
            LockTool::Npm => Some(ToolCommand::new(
                "npm",
                &[
                    "ci",
                    "--dry-run",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                ],
            )),
            LockTool::Uv => Some(ToolCommand::new("uv", &["lock", "--check", "--no-build"])),
            LockTool::Poetry => Some(ToolCommand::new(
                "poetry",
                &["check", "--lock", "--no-interaction"],
            )),
            // Bundler has no check that runs without installing the gems;
            // the lock is read back instead.
            LockTool::Bundler | LockTool::GoModules | LockTool::HashedRequirements => None,
        }
    }

    /// The oldest version that behaves as the commands above expect, and
    /// how to ask the tool for its version.
    pub fn minimum_version(self) -> Option<(ToolCommand, (u64, u64), &'static str)> {
        match self {
            LockTool::Poetry => Some((
                ToolCommand::new("poetry", &["--version"]),
                (2, 0),
                "Poetry 1.x's `poetry lock` moves every package, not only the bumped ones",
            )),
            LockTool::Uv => Some((
                ToolCommand::new("uv", &["--version"]),
                (0, 5),
                "older uv has no `uv lock --check`",
            )),
            _ => None,
        }
    }

    /// The command a person runs when Shipshape could not.
    pub fn by_hand(self, names: &[&str]) -> String {
        match self {
            LockTool::Cargo => format!(
                "cargo update {}",
                names
                    .iter()
                    .map(|n| format!("-p {n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            LockTool::Npm => "npm install --package-lock-only --ignore-scripts".into(),
            LockTool::Uv => "uv lock".into(),
            LockTool::Poetry => "poetry lock".into(),
            LockTool::Bundler => format!("bundle lock --update {}", names.join(" ")),
            LockTool::GoModules => "go mod tidy".into(),
            LockTool::HashedRequirements => format!(
                "pip-compile --generate-hashes {} (or uv pip compile --generate-hashes) from its .in file",
                names
                    .iter()
                    .map(|n| format!("--upgrade-package {n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }

    /// The maintenance command a person runs when Shipshape could not.
    pub fn refresh_all_by_hand(self) -> String {
        self.refresh_all().map_or_else(
            |_| "go get -u=patch ./... && go mod tidy".into(),
            |c| c.shown(),
        )
    }
}

/// The first `major.minor` in a tool's `--version` answer
/// (`Poetry (version 2.1.3)`, `uv 0.13.9 (…)`).
pub fn reported_version(said: &str) -> Option<(u64, u64)> {
    said.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find_map(|word| {
            let mut parts = word.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            Some((major, minor))
        })
}

/// Where a manifest asks its tool to fetch from somewhere other than the
/// registry Shipshape configures (a git repository, a URL, another index).
/// Manifests are the repository's to write, so such a source could point a
/// tool run on the server at any host; those locks are left for a person.
pub fn foreign_sources(tool: LockTool, path: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    match tool {
        LockTool::Cargo if path.ends_with("Cargo.toml") => {
            let Ok(document) = text.parse::<toml::Table>() else {
                return found;
            };
            let mut tables: Vec<(String, &toml::Table)> = Vec::new();
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(table) = document.get(key).and_then(toml::Value::as_table) {
                    tables.push((key.to_string(), table));
                }
                if let Some(table) = document
                    .get("workspace")
                    .and_then(|w| w.get(key))
                    .and_then(toml::Value::as_table)
                {
                    tables.push((format!("workspace.{key}"), table));
                }
            }
            for (_, targets) in document
                .get("target")
                .and_then(toml::Value::as_table)
                .into_iter()
                .flatten()
            {
                for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                    if let Some(table) = targets.get(key).and_then(toml::Value::as_table) {
                        tables.push((format!("target.{key}"), table));
                    }
                }
            }
            for (section, table) in tables {
                for (name, spec) in table {
                    for field in ["git", "registry", "registry-index"] {
                        if spec.get(field).is_some() {
                            found.push(format!("{path}: [{section}] {name} has `{field}`"));
                        }
                    }
                }
            }
            for section in ["patch", "registries", "source"] {
                if document.contains_key(section) {
                    found.push(format!("{path}: has a [{section}] section"));
                }
            }
        }
        LockTool::Npm if path.ends_with("package.json") => {
            let Ok(document) = serde_json::from_str::<serde_json::Value>(text) else {
                return found;
            };
            for key in [
                "dependencies",
                "devDependencies",
                "optionalDependencies",
                "peerDependencies",
                "overrides",
            ] {
                for (name, spec) in document
                    .get(key)
                    .and_then(serde_json::Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let Some(spec) = spec.as_str() else { continue };
                    let spec = spec.trim().to_ascii_lowercase();
                    let foreign = ["git", "http:", "https:", "file:", "link:", "github:", "gitlab:", "bitbucket:", "gist:"]
                        .iter()
                        .any(|prefix| spec.starts_with(prefix))
                        // `user/repo` is GitHub shorthand.
                        || (spec.contains('/') && !spec.starts_with("npm:") && !spec.starts_with('@'));
                    if foreign {
                        found.push(format!("{path}: {key}.{name} is \"{spec}\""));
                    }
                }
            }
        }
        LockTool::Uv | LockTool::Poetry if path.ends_with("pyproject.toml") => {
            let Ok(document) = text.parse::<toml::Table>() else {
                return found;
            };
            let tool_table = document.get("tool");
            for (owner, key) in [
                ("uv", "index"),
                ("uv", "index-url"),
                ("uv", "extra-index-url"),
                ("uv", "find-links"),
                ("uv", "sources"),
                ("poetry", "source"),
            ] {
                if tool_table
                    .and_then(|t| t.get(owner))
                    .and_then(|t| t.get(key))
                    .is_some()
                {
                    found.push(format!("{path}: sets [tool.{owner}] {key}"));
                }
            }
            for requirement in document
                .get("project")
                .and_then(|p| p.get("dependencies"))
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_str)
            {
                if requirement.contains(" @ ") || requirement.contains("://") {
                    found.push(format!("{path}: \"{requirement}\" is a direct URL"));
                }
            }
        }
        LockTool::Bundler if path.ends_with("Gemfile") => {
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                let names_url = line.starts_with("source ") && !line.contains("rubygems.org");
                if names_url
                    || line.contains("git:")
                    || line.contains("github:")
                    || line.contains(":git =>")
                    || line.contains("path:")
                {
                    found.push(format!("{path}:{}: {line}", number + 1));
                }
            }
        }
        _ => {}
    }
    found
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

    #[test]
    fn each_lock_file_is_owned_by_its_tool_and_go_sum_says_why_it_is_left() {
        assert_eq!(LockTool::of("Cargo.lock"), Some(LockTool::Cargo));
        assert_eq!(LockTool::of("web/package-lock.json"), Some(LockTool::Npm));
        assert_eq!(LockTool::of("svc/uv.lock"), Some(LockTool::Uv));
        assert_eq!(LockTool::of("poetry.lock"), Some(LockTool::Poetry));
        assert_eq!(LockTool::of("Gemfile.lock"), Some(LockTool::Bundler));
        assert_eq!(
            LockTool::of("svc/requirements-prod.txt"),
            Some(LockTool::HashedRequirements)
        );
        assert!(LockTool::HashedRequirements.first(&["numpy"]).is_err());
        assert_eq!(LockTool::of("pyproject.toml"), None);
        assert!(LockTool::GoModules.first(&[]).is_err());
        assert_eq!(
            LockTool::Bundler
                .first(&["rails", "rack"])
                .expect("bundler")
                .shown(),
            "bundle lock --update rails rack --conservative"
        );
        assert_eq!(
            LockTool::Uv
                .precise("fastapi", "0.110.0", "0.121.0")
                .expect("uv")
                .shown(),
            "uv lock --no-build --upgrade-package fastapi==0.121.0"
        );
    }

    #[test]
    fn tool_versions_are_read_from_what_each_tool_prints() {
        assert_eq!(reported_version("Poetry (version 2.1.3)\n"), Some((2, 1)));
        assert_eq!(
            reported_version("uv 0.13.9 (x86_64-unknown-linux-gnu)"),
            Some((0, 13))
        );
        assert_eq!(reported_version("Poetry version 1.8.2"), Some((1, 8)));
        assert_eq!(reported_version("no digits"), None);
    }

    #[test]
    fn manifests_that_fetch_from_elsewhere_are_named() {
        let cargo = "[package]\nname = \"a\"\n[dependencies]\nserde = \"1\"\nevil = { git = \"http://169.254.169.254/x\" }\n[patch.crates-io]\nserde = { path = \"../serde\" }\n";
        let found = foreign_sources(LockTool::Cargo, "Cargo.toml", cargo);
        assert!(
            found.iter().any(|f| f.contains("evil has `git`")),
            "{found:?}"
        );
        assert!(found.iter().any(|f| f.contains("[patch]")), "{found:?}");
        assert!(
            foreign_sources(
                LockTool::Cargo,
                "Cargo.toml",
                "[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n"
            )
            .is_empty()
        );

        let npm = r#"{"dependencies": {"a": "^1.0.0", "b": "npm:lodash@^4", "c": "git+ssh://git@host/x.git", "d": "user/repo", "e": "https://host/x.tgz"}}"#;
        let found = foreign_sources(LockTool::Npm, "package.json", npm);
        assert_eq!(found.len(), 3, "{found:?}");

        let uv = "[project]\ndependencies = [\"fastapi>=0.110\", \"x @ https://host/x.whl\"]\n[[tool.uv.index]]\nurl = \"http://10.0.0.1/simple\"\n";
        let found = foreign_sources(LockTool::Uv, "pyproject.toml", uv);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            foreign_sources(
                LockTool::Uv,
                "pyproject.toml",
                "[project]\ndependencies = [\"fastapi>=0.110\"]\n"
            )
            .is_empty()
        );

        let gemfile = "source \"https://rubygems.org\"\ngem \"rails\", \"~> 7.1\"\ngem \"x\", git: \"https://host/x.git\"\n";
        assert_eq!(
            foreign_sources(LockTool::Bundler, "Gemfile", gemfile).len(),
            1
        );
    }
}
