//! Runs the ecosystem's tool on a copy of the repository's files: a fresh
//! temporary folder per lock, the tool's environment cleared down to what
//! it needs plus our settings (registry, private caches, no scripts), a
//! time limit per command, a limit on how many run at once across the
//! fleet, and the folder removed when done. The new lock is checked by the
//! tool and read back before it is returned.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::changes::lock_changes;
use super::plan::{
    LockTool, ToolCommand, cargo_config_args, cargo_stand_ins, folder_of, foreign_sources,
    reported_version, safe_relative_path,
};
use super::{LockOutcome, StaleLock, lock_command};
use crate::deps::model::Ecosystem;

/// Most of a tool's error output kept for the report.
const OUTPUT_KEPT: usize = 2_000;

#[derive(Clone, Debug)]
pub struct LockSettings {
    /// Off: PRs carry the manifest change and say which lock to refresh.
    pub enabled: bool,
    /// Each command's time limit.
    pub timeout: Duration,
    /// Tools running at once across the fleet.
    pub concurrency: usize,
    /// Each tool's data memory limit in MiB, set with `prlimit --data`
    /// (writable memory a process maps: heaps, not reserved address
    /// space); 0: none.
    pub memory_mb: u64,
    /// Where the tools' caches (Cargo's index, npm's packuments) are kept
    /// between runs; the work folders are made in the system's temp dir.
    pub cache_dir: PathBuf,
    /// The registries the tools use instead of the public ones (the same
    /// `[registries.*] url` drift reads).
    pub cargo_registry: Option<String>,
    pub npm_registry: Option<String>,
    /// PyPI's base (`https://pypi.org` shape): the simple index is its
    /// `/simple/`.
    pub python_registry: Option<String>,
    /// RubyGems' base, given to Bundler as the mirror of rubygems.org.
    pub ruby_registry: Option<String>,
}

impl Default for LockSettings {
    fn default() -> Self {
        LockSettings {
            enabled: true,
            timeout: Duration::from_secs(300),
            concurrency: 2,
            memory_mb: 2048,
            cache_dir: PathBuf::from(".shipshape-cache/lock-tools"),
            cargo_registry: None,
            npm_registry: None,
            python_registry: None,
            ruby_registry: None,
        }
    }
}

impl LockSettings {
    /// `[upgrades] lock_*`, the registries drift reads
    /// (`[registries.cargo]`, `[registries.npm]`) and a cache beside
    /// drift's repository cache.
    pub fn from_config(
        drift: &crate::deps::settings::DriftConfig,
        upgrades: &crate::upgrade::settings::UpgradeSettings,
    ) -> LockSettings {
        let url_of = |ecosystem: Ecosystem| {
            drift
                .registries
                .get(&ecosystem)
                .and_then(|registry| registry.url.clone())
        };
        LockSettings {
            cache_dir: drift
                .cache_dir
                .parent()
                .map_or_else(|| PathBuf::from(".shipshape-cache"), Path::to_path_buf)
                .join("lock-tools"),
            cargo_registry: url_of(Ecosystem::Cargo),
            npm_registry: url_of(Ecosystem::Npm),
            python_registry: url_of(Ecosystem::Python),
            ruby_registry: url_of(Ecosystem::Ruby),
            enabled: upgrades.lock_files,
            timeout: upgrades.lock_timeout,
            concurrency: upgrades.lock_concurrency,
            memory_mb: upgrades.lock_memory_mb,
        }
    }
}

#[derive(Clone)]
pub struct LockRefresher {
    settings: Arc<LockSettings>,
    turns: Arc<tokio::sync::Semaphore>,
}

/// Why a step failed, for the PR's "lock file not updated" section.
type StepError = String;

impl LockRefresher {
    pub fn new(settings: LockSettings) -> LockRefresher {
        let turns = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
        LockRefresher {
            settings: Arc::new(settings),
            turns,
        }
    }

    /// Regenerates `stale.lock` for the repository's files as the PR will
    /// have them (`texts`: the snapshot with the edited manifests).
    pub async fn refresh(
        &self,
        texts: &BTreeMap<String, String>,
        stale: &StaleLock,
    ) -> LockOutcome {
        let names: Vec<&str> = stale.bumps.iter().map(|b| b.name.as_str()).collect();
        let command = match (stale.maintenance, LockTool::of(&stale.lock)) {
            (true, Some(tool)) => tool.refresh_all_by_hand(),
            _ => lock_command(&stale.lock, stale.ecosystem, &names),
        };
        let not_updated = |why: String| LockOutcome::NotUpdated {
            why,
            command: command.clone(),
        };
        if !self.settings.enabled {
            return not_updated(
                "lock files are not regenerated on this server ([upgrades] lock_files = false)"
                    .into(),
            );
        }
        let Some(tool) = LockTool::of(&stale.lock) else {
            return not_updated(format!(
                "Shipshape does not know which tool writes {}",
                stale.lock
            ));
        };
        let first = if stale.maintenance {
            tool.refresh_all()
        } else {
            tool.first(&names)
        };
        let first = match first {
            Ok(first) => first,
            Err(why) => return not_updated(why.into()),
        };
        let Some(before) = texts.get(&stale.lock) else {
            return not_updated(format!("{} is not in the repository", stale.lock));
        };
        if let Err(why) = self.may_run_on(tool, texts, &stale.lock, before) {
            return not_updated(why);
        }
        let Ok(_turn) = self.turns.acquire().await else {
            return not_updated("the server is stopping".into());
        };
        match self.regenerate(tool, texts, stale, &first).await {
            Ok(after) => match lock_changes(stale.ecosystem, &stale.lock, before, &after) {
                Ok(changes) => {
                    let missing: Vec<String> = stale
                        .bumps
                        .iter()
                        .filter(|bump| {
                            !locked_at(stale.ecosystem, &stale.lock, &after, &bump.name, &bump.to)
                        })
                        .map(|bump| format!("{} {}", bump.name, bump.to))
                        .collect();
                    if missing.is_empty() {
                        LockOutcome::Updated {
                            text: after,
                            changes,
                        }
                    } else {
                        not_updated(format!(
                            "the regenerated lock does not pin {}: the registry may not have served that version",
                            missing.join(", ")
                        ))
                    }
                }
                Err(error) => not_updated(format!(
                    "the regenerated lock could not be read back: {error}"
                )),
            },
            Err(why) => not_updated(why),
        }
    }

    /// Refuses, before anything runs, a lock whose manifests would send
    /// the tool somewhere other than the configured registry, and a uv
    /// lock made against another index than the one the tool would use
    /// (uv writes the index into every package's entry, so the whole lock
    /// would change).
    fn may_run_on(
        &self,
        tool: LockTool,
        texts: &BTreeMap<String, String>,
        lock: &str,
        lock_text: &str,
    ) -> Result<(), StepError> {
        let folder = folder_of(lock);
        let foreign: Vec<String> = texts
            .iter()
            .filter(|(path, _)| folder.is_empty() || path.starts_with(&format!("{folder}/")))
            .flat_map(|(path, text)| foreign_sources(tool, path, text))
            .collect();
        if !foreign.is_empty() {
            return Err(format!(
                "the manifests ask {} to fetch from outside the configured registry, which Shipshape does not let a tool on its server reach ({})",
                tool.program(),
                foreign.join("; ")
            ));
        }
        if tool == LockTool::Uv {
            let index = self.python_index();
            let others: BTreeSet<&str> = lock_text
                .lines()
                .filter_map(|line| line.split_once("registry = \""))
                .filter_map(|(_, rest)| rest.split_once('"').map(|(url, _)| url))
                .filter(|url| url.trim_end_matches('/') != index.trim_end_matches('/'))
                .collect();
            if !others.is_empty() {
                return Err(format!(
                    "{lock} was made against {}, not the index Shipshape uses ({}); uv writes the index into the lock, so regenerating it here would rewrite every package's source",
                    others.into_iter().collect::<Vec<_>>().join(", "),
                    crate::common::url::shown_url(&index)
                ));
            }
        }
        Ok(())
    }

    /// The simple index uv resolves from.
    fn python_index(&self) -> String {
        match &self.settings.python_registry {
            Some(base) => format!("{}/simple/", base.trim_end_matches('/')),
            None => "https://pypi.org/simple".to_string(),
        }
    }

    async fn regenerate(
        &self,
        tool: LockTool,
        texts: &BTreeMap<String, String>,
        stale: &StaleLock,
        first: &ToolCommand,
    ) -> Result<String, StepError> {
        let work = tempfile::Builder::new()
            .prefix("shipshape-lock-")
            .tempdir()
            .map_err(|e| format!("could not make a work folder: {e}"))?;
        let root = work.path().join("repository");
        let home = work.path().join("home");
        std::fs::create_dir_all(&home).map_err(|e| format!("could not make a work folder: {e}"))?;
        let mut files = texts.clone();
        if stale.ecosystem == Ecosystem::Cargo {
            files.extend(cargo_stand_ins(texts));
        }
        write_files(&root, &files)?;
        let folder = root.join(folder_of(&stale.lock));
        let env = self.tool_env(tool, &home)?;
        if let Some((ask, (major, minor), why)) = tool.minimum_version() {
            let said = self.run(&ask, &folder, &env).await?;
            match reported_version(&said) {
                Some(found) if found >= (major, minor) => {}
                found => {
                    return Err(format!(
                        "`{}` on the Shipshape server is {}; {major}.{minor} or newer is needed ({why})",
                        tool.program(),
                        found.map_or_else(
                            || format!("of an unknown version ({:?})", said.trim()),
                            |(a, b)| format!("version {a}.{b}")
                        )
                    ));
                }
            }
        }
        self.run(first, &folder, &env).await?;
        let lock_path = folder.join(stale.lock.rsplit('/').next().unwrap_or(&stale.lock));
        let read_lock = || {
            std::fs::read_to_string(&lock_path)
                .map_err(|e| format!("{} was not written: {e}", stale.lock))
        };
        for bump in &stale.bumps {
            let now = read_lock()?;
            if locked_at(stale.ecosystem, &stale.lock, &now, &bump.name, &bump.to) {
                continue;
            }
            let locked = locked_versions(stale.ecosystem, &stale.lock, &now, &bump.name);
            // The version to move: the one the PR starts from when it is
            // still locked, else the only one.
            let from = match (&bump.from, locked.as_slice()) {
                (Some(from), _) if locked.contains(from) => from.clone(),
                (_, [only]) => only.clone(),
                _ => continue,
            };
            if let Some(precise) = tool.precise(&bump.name, &from, &bump.to) {
                self.run(&precise, &folder, &env).await?;
            }
        }
        if let Some(check) = tool.check() {
            self.run(&check, &folder, &env).await.map_err(|why| {
                format!("the tool's own check refused the regenerated lock: {why}")
            })?;
        }
        read_lock()
        // `work` is dropped here: the folder and everything in it go.
    }

    /// The environment a tool runs with: nothing of the server's (its
    /// tokens and passwords stay out of the tool and its logs) except what
    /// finds the tool itself, plus the tool's settings.
    fn tool_env(&self, tool: LockTool, home: &Path) -> Result<Vec<(String, String)>, StepError> {
        let mut env: Vec<(String, String)> = Vec::new();
        for name in ["PATH", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "RUSTC", "LANG"] {
            if let Ok(value) = std::env::var(name) {
                env.push((name.into(), value));
            }
        }
        // A rustup proxy finds its toolchains under the real home.
        if std::env::var("RUSTUP_HOME").is_err()
            && let Ok(real_home) = std::env::var("HOME")
        {
            env.push(("RUSTUP_HOME".into(), format!("{real_home}/.rustup")));
        }
        env.push(("HOME".into(), home.display().to_string()));
        let cache = absolute(&self.settings.cache_dir);
        let mut set = |name: &str, value: String| env.push((name.to_string(), value));
        match tool {
            LockTool::Cargo => {
                let cargo_home = cache.join("cargo-home");
                std::fs::create_dir_all(&cargo_home)
                    .map_err(|e| format!("could not make Cargo's cache folder: {e}"))?;
                set("CARGO_HOME", cargo_home.display().to_string());
                set("CARGO_TERM_COLOR", "never".into());
            }
            LockTool::Npm => {
                // Empty user and global settings: nothing of the server's
                // own npm setup (tokens in ~/.npmrc) reaches the tool.
                for (setting, file) in [
                    ("npm_config_userconfig", "user.npmrc"),
                    ("npm_config_globalconfig", "global.npmrc"),
                ] {
                    let path = home.join(file);
                    std::fs::write(&path, "")
                        .map_err(|e| format!("could not write npm's settings: {e}"))?;
                    set(setting, path.display().to_string());
                }
                set(
                    "npm_config_cache",
                    cache.join("npm-cache").display().to_string(),
                );
                set("npm_config_ignore_scripts", "true".into());
                set("npm_config_update_notifier", "false".into());
                set("npm_config_audit", "false".into());
                set("npm_config_fund", "false".into());
                if let Some(registry) = &self.settings.npm_registry {
                    set("npm_config_registry", registry.clone());
                }
            }
            LockTool::Uv => {
                set("UV_CACHE_DIR", cache.join("uv-cache").display().to_string());
                // No uv.toml of the server's user; the interpreter is the
                // server's own, never one downloaded.
                set("UV_NO_CONFIG", "1".into());
                set("UV_PYTHON_DOWNLOADS", "never".into());
                set("UV_NO_PROGRESS", "1".into());
                if self.settings.python_registry.is_some() {
                    set("UV_DEFAULT_INDEX", self.python_index());
                }
            }
            LockTool::Poetry => {
                for (name, folder) in [
                    ("POETRY_CONFIG_DIR", home.join("poetry-config")),
                    ("POETRY_DATA_DIR", home.join("poetry-data")),
                    ("POETRY_CACHE_DIR", cache.join("poetry-cache")),
                ] {
                    set(name, folder.display().to_string());
                }
                set("POETRY_NO_INTERACTION", "1".into());
                set("POETRY_VIRTUALENVS_CREATE", "false".into());
            }
            LockTool::Bundler => {
                set(
                    "BUNDLE_USER_HOME",
                    home.join("bundle").display().to_string(),
                );
                set(
                    "BUNDLE_APP_CONFIG",
                    home.join("bundle-config").display().to_string(),
                );
                set("BUNDLE_DISABLE_VERSION_CHECK", "true".into());
                set("BUNDLE_IGNORE_MESSAGES", "true".into());
                if let Some(mirror) = &self.settings.ruby_registry {
                    // Bundler's name for `mirror.https://rubygems.org/`.
                    set("BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/", mirror.clone());
                }
            }
            LockTool::GoModules | LockTool::HashedRequirements => {}
        }
        Ok(env)
    }

    async fn run(
        &self,
        command: &ToolCommand,
        folder: &Path,
        env: &[(String, String)],
    ) -> Result<String, StepError> {
        let path = env
            .iter()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.as_str())
            .unwrap_or_default();
        let Some(program) = find_on_path(&command.program, path) else {
            return Err(format!(
                "`{}` is not installed on the Shipshape server (not found on its PATH)",
                command.program
            ));
        };
        let limiter = (self.settings.memory_mb > 0)
            .then(|| find_on_path("prlimit", path))
            .flatten();
        let mut process = match &limiter {
            Some(prlimit) => {
                let bytes = self.settings.memory_mb * 1024 * 1024;
                let mut process = tokio::process::Command::new(prlimit);
                process
                    .arg(format!("--data={bytes}"))
                    .arg("--")
                    .arg(&program);
                process
            }
            None => tokio::process::Command::new(&program),
        };
        if command.program == "cargo" {
            process.args(cargo_config_args(self.settings.cargo_registry.as_deref()));
        }
        process
            .args(&command.args)
            .current_dir(folder)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let output = match tokio::time::timeout(self.settings.timeout, process.output()).await {
            Err(_) => {
                return Err(format!(
                    "`{}` took longer than {} s and was stopped",
                    command.shown(),
                    self.settings.timeout.as_secs()
                ));
            }
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "`{}` is not installed on the Shipshape server (not found on its PATH)",
                    command.program
                ));
            }
            Ok(Err(error)) => {
                return Err(format!("`{}` could not start: {error}", command.shown()));
            }
            Ok(Ok(output)) => output,
        };
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let said = String::from_utf8_lossy(&output.stderr);
        let said = if said.trim().is_empty() {
            String::from_utf8_lossy(&output.stdout).into_owned()
        } else {
            said.into_owned()
        };
        let lowered = said.to_ascii_lowercase();
        let out_of_memory = output.status.code().is_none() || lowered.contains("memory");
        let memory = if limiter.is_some() && out_of_memory {
            format!(
                "; it may have run out of its {} MiB memory limit, [upgrades] lock_memory_mb",
                self.settings.memory_mb
            )
        } else {
            String::new()
        };
        Err(format!(
            "`{}` failed ({}{memory}): {}",
            command.shown(),
            output.status,
            tail_of(&redact(&said, folder))
        ))
    }
}

/// Where `program` is on `path` (a `PATH` value), as the shell would find
/// it; a name with a `/` is taken as it is.
fn find_on_path(program: &str, path: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let candidate = PathBuf::from(program);
        return candidate.is_file().then_some(candidate);
    }
    std::env::split_paths(path)
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |dir| dir.join(path))
    }
}

/// The tool's words without the work folder's path (noise) and with URL
/// credentials hidden.
fn redact(said: &str, folder: &Path) -> String {
    let without_folder = said.replace(&folder.display().to_string(), ".");
    without_folder
        .split_inclusive(char::is_whitespace)
        .map(|word| {
            if word.contains("://") {
                let trimmed = word.trim_end();
                format!(
                    "{}{}",
                    crate::common::url::shown_url(trimmed),
                    &word[trimmed.len()..]
                )
            } else {
                word.to_string()
            }
        })
        .collect()
}

/// The end of a long output, where tools say what went wrong.
fn tail_of(said: &str) -> String {
    let said = said.trim();
    if said.len() <= OUTPUT_KEPT {
        return said.to_string();
    }
    let mut start = said.len() - OUTPUT_KEPT;
    while !said.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &said[start..])
}

fn write_files(root: &Path, files: &BTreeMap<String, String>) -> Result<(), StepError> {
    for (path, text) in files {
        if !safe_relative_path(path) {
            return Err(format!(
                "the repository has a file path that cannot be used: {path:?}"
            ));
        }
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("could not write {path}: {e}"))?;
        }
        std::fs::write(&target, text).map_err(|e| format!("could not write {path}: {e}"))?;
    }
    Ok(())
}

fn locked_versions(ecosystem: Ecosystem, path: &str, text: &str, name: &str) -> Vec<String> {
    crate::deps::read::parse_lock(ecosystem, path, text)
        .ok()
        .and_then(|mut locked| locked.remove(name))
        .unwrap_or_default()
}

fn locked_at(ecosystem: Ecosystem, path: &str, text: &str, name: &str, version: &str) -> bool {
    locked_versions(ecosystem, path, text, name)
        .iter()
        .any(|v| v == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_output_loses_the_work_folder_and_url_credentials_and_keeps_its_end() {
        let folder = Path::new("/tmp/shipshape-lock-abc/repository");
        let said = "error: failed to get `x` from https://user:hunter2@registry.example/index/ in /tmp/shipshape-lock-abc/repository/Cargo.toml\n";
        let shown = redact(said, folder);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("shipshape-lock-abc"), "{shown}");
        assert!(shown.contains("./Cargo.toml"), "{shown}");
        let long = "x".repeat(5_000) + "the real error";
        assert!(tail_of(&long).ends_with("the real error"));
        assert!(tail_of(&long).len() < 2_100);
    }

    /// A stand-in tool that needs 300 MiB: under a 64 MiB limit it fails
    /// and the report says the limit may be why; without one it runs.
    #[tokio::test]
    async fn a_tool_over_the_memory_limit_is_stopped_and_the_report_says_so() {
        if find_on_path("prlimit", &std::env::var("PATH").unwrap_or_default()).is_none()
            || find_on_path("python3", &std::env::var("PATH").unwrap_or_default()).is_none()
        {
            panic!("prlimit (util-linux) and python3 are needed by this test");
        }
        let tools = tempfile::tempdir().expect("tools");
        let script = tools.path().join("uv");
        std::fs::write(
            &script,
            "#!/bin/sh\nexec python3 -c 'x = bytearray(300 * 1024 * 1024); print(len(x))'\n",
        )
        .expect("script");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let path = format!(
            "{}:{}",
            tools.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let env = vec![("PATH".to_string(), path)];
        let command = ToolCommand {
            program: "uv".into(),
            args: vec!["lock".into()],
        };
        let limited = LockRefresher::new(LockSettings {
            memory_mb: 64,
            ..LockSettings::default()
        });
        let error = limited
            .run(&command, tools.path(), &env)
            .await
            .expect_err("over the limit");
        assert!(error.contains("64 MiB memory limit"), "{error}");
        let unlimited = LockRefresher::new(LockSettings {
            memory_mb: 0,
            ..LockSettings::default()
        });
        unlimited
            .run(&command, tools.path(), &env)
            .await
            .expect("no limit, no failure");
        let missing = ToolCommand {
            program: "no-such-lock-tool".into(),
            args: Vec::new(),
        };
        let error = unlimited
            .run(&missing, tools.path(), &env)
            .await
            .expect_err("missing");
        assert!(error.contains("is not installed"), "{error}");
    }
}
