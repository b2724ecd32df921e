//! JavaScript lock files, read into one shape: which version a project
//! folder's dependency (by the key its `package.json` uses, which for an
//! `npm:` alias is not the package's name) resolves to, and which folders
//! the lock installs for. `package-lock.json`/`npm-shrinkwrap.json`
//! (lockfileVersion 2 and 3), `pnpm-lock.yaml` (v5.4 to v9), `yarn.lock`
//! (classic v1 and Berry) and `bun.lock` (text). `bun.lockb` is binary and
//! not read: the caller says so.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::deps::model::ManifestError;

/// What a lock file says one dependency of one project resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsResolution {
    /// A registry package (`name` is the real one behind an alias).
    Registry { name: String, version: String },
    /// A package of the same workspace, at this folder (from the lock's folder).
    Workspace(String),
    /// A file, git or tarball source.
    Elsewhere(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsLockFormat {
    PackageLock,
    Pnpm,
    YarnClassic,
    YarnBerry,
    Bun,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsLock {
    pub format: JsLockFormat,
    /// Project folders (from the lock's folder, `""` for its own) the lock
    /// installs for; `None` when the lock does not record them (yarn
    /// classic: the root `package.json`'s workspaces decide).
    projects: Option<BTreeSet<String>>,
    /// pnpm: project folder → dependency key → resolution.
    importers: BTreeMap<String, BTreeMap<String, JsResolution>>,
    /// package-lock and bun: install path (`node_modules/a`, `ui/a`) → resolution.
    installed: BTreeMap<String, JsResolution>,
    /// yarn: descriptor (`lodash@^4.17.20`, `lodash@npm:^4.17.20`) → resolution.
    descriptors: BTreeMap<String, JsResolution>,
    /// bun: project folder → its package name (the prefix of its own installs).
    project_names: BTreeMap<String, String>,
}

/// Whether a lock file name is one of the JavaScript ones this reads.
pub fn is_js_lock(file_name: &str) -> bool {
    matches!(
        file_name,
        "package-lock.json" | "npm-shrinkwrap.json" | "pnpm-lock.yaml" | "yarn.lock" | "bun.lock"
    )
}

fn problem(file: &str, line: usize, message: impl Into<String>) -> ManifestError {
    ManifestError {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// `name@version` (the name may be scoped) → (name, version).
fn split_name_version(text: &str) -> Option<(&str, &str)> {
    let at = text.char_indices().skip(1).find(|(_, c)| *c == '@')?.0;
    Some((&text[..at], &text[at + 1..]))
}

impl JsLock {
    /// Reads `text` as the lock file named by `file`'s last part.
    pub fn parse(file: &str, text: &str) -> Result<JsLock, ManifestError> {
        match file.rsplit('/').next().unwrap_or(file) {
            "package-lock.json" | "npm-shrinkwrap.json" => parse_package_lock(file, text),
            "pnpm-lock.yaml" => parse_pnpm(file, text),
            "yarn.lock" if text.contains("__metadata:") => parse_yarn_berry(file, text),
            "yarn.lock" => parse_yarn_classic(file, text),
            "bun.lock" => parse_bun(file, text),
            other => Err(problem(
                file,
                1,
                format!("{other} is not a lock file Shipshape reads"),
            )),
        }
    }

    fn empty(format: JsLockFormat) -> JsLock {
        JsLock {
            format,
            projects: None,
            importers: BTreeMap::new(),
            installed: BTreeMap::new(),
            descriptors: BTreeMap::new(),
            project_names: BTreeMap::new(),
        }
    }

    /// The project folders (from the lock's folder, `""` for its own) the
    /// lock installs for; `None` when it does not record them.
    pub fn projects(&self) -> Option<&BTreeSet<String>> {
        self.projects.as_ref()
    }

    /// Whether the lock installs the project in `folder` (from the lock's
    /// folder); `None` when the lock does not say.
    pub fn governs(&self, folder: &str) -> Option<bool> {
        if folder.is_empty() {
            return Some(true);
        }
        self.projects().map(|p| p.contains(folder))
    }

    /// What the dependency `key` (as `package.json` names it, `spec` as it
    /// writes it) of the project in `folder` resolves to.
    pub fn resolve(&self, folder: &str, key: &str, spec: &str) -> Option<&JsResolution> {
        match self.format {
            JsLockFormat::Pnpm => self.importers.get(folder)?.get(key),
            JsLockFormat::PackageLock => {
                // Node's lookup: the project's own node_modules, then each
                // folder above it, up to the lock's.
                let mut dir = folder.to_string();
                loop {
                    let path = if dir.is_empty() {
                        format!("node_modules/{key}")
                    } else {
                        format!("{dir}/node_modules/{key}")
                    };
                    if let Some(found) = self.installed.get(&path) {
                        return Some(found);
                    }
                    if dir.is_empty() {
                        return None;
                    }
                    dir = dir
                        .rsplit_once('/')
                        .map_or(String::new(), |(up, _)| up.to_string());
                }
            }
            JsLockFormat::Bun => self
                .project_names
                .get(folder)
                .filter(|_| !folder.is_empty())
                .and_then(|name| self.installed.get(&format!("{name}/{key}")))
                .or_else(|| self.installed.get(key)),
            JsLockFormat::YarnClassic | JsLockFormat::YarnBerry => {
                let spec = spec.trim();
                self.descriptors
                    .get(&format!("{key}@{spec}"))
                    .or_else(|| self.descriptors.get(&format!("{key}@npm:{spec}")))
            }
        }
    }

    /// Every registry version the lock holds, by package name; of an npm
    /// lock's installs, the shallowest first (the top-level install is what
    /// the project imports).
    pub fn versions_by_name(&self) -> BTreeMap<String, Vec<String>> {
        let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut installed: Vec<(&String, &JsResolution)> = self.installed.iter().collect();
        installed.sort_by_key(|(path, _)| (path.matches("node_modules/").count(), path.as_str()));
        let all = self
            .importers
            .values()
            .flat_map(BTreeMap::values)
            .chain(installed.into_iter().map(|(_, resolution)| resolution))
            .chain(self.descriptors.values());
        for resolution in all {
            if let JsResolution::Registry { name, version } = resolution {
                let list = versions.entry(name.clone()).or_default();
                if !list.contains(version) {
                    list.push(version.clone());
                }
            }
        }
        versions
    }
}

fn parse_package_lock(file: &str, text: &str) -> Result<JsLock, ManifestError> {
    let document: Map<String, Value> = serde_json::from_str(text).map_err(|e| {
        problem(
            file,
            e.line().max(1),
            format!("not valid package-lock.json: {e}"),
        )
    })?;
    let version = document
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if version < 2 {
        return Err(problem(
            file,
            1,
            format!(
                "lockfileVersion {version} is not supported; regenerate it with npm 7 or later (lockfileVersion 2 or 3)"
            ),
        ));
    }
    let packages = document
        .get("packages")
        .and_then(Value::as_object)
        .ok_or_else(|| problem(file, 1, "no `packages` object"))?;
    let mut lock = JsLock::empty(JsLockFormat::PackageLock);
    let mut projects = BTreeSet::from([String::new()]);
    for (path, entry) in packages {
        let Some((_, key)) = path.rsplit_once("node_modules/") else {
            // A path outside node_modules is a workspace project's folder.
            if !path.is_empty() {
                projects.insert(path.clone());
            }
            continue;
        };
        let resolution = if entry.get("link").and_then(Value::as_bool) == Some(true) {
            let target = entry.get("resolved").and_then(Value::as_str).unwrap_or("");
            JsResolution::Workspace(target.to_string())
        } else {
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            // An alias's entry names the real package.
            let name = entry.get("name").and_then(Value::as_str).unwrap_or(key);
            JsResolution::Registry {
                name: name.to_string(),
                version: version.to_string(),
            }
        };
        lock.installed.insert(path.clone(), resolution);
    }
    lock.projects = Some(projects);
    Ok(lock)
}

fn yaml(file: &str, text: &str, what: &str) -> Result<Value, ManifestError> {
    serde_norway::from_str::<Value>(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        problem(file, line, format!("not valid {what}: {e}"))
    })
}

/// A pnpm version field: `18.2.0`, `18.2.0(react@18.2.0)` (peers), an
/// alias's `lodash@4.17.21` or `/lodash@4.17.21`, `link:../ui`, `file:…`.
fn pnpm_resolution(key: &str, version: &str, importer: &str) -> JsResolution {
    let version = version.split('(').next().unwrap_or(version).trim();
    if let Some(target) = version.strip_prefix("link:") {
        return JsResolution::Workspace(join_relative(importer, target));
    }
    if version.starts_with("file:") || version.contains("://") {
        return JsResolution::Elsewhere(version.to_string());
    }
    let bare = version.strip_prefix('/').unwrap_or(version);
    match split_name_version(bare) {
        Some((name, version)) => JsResolution::Registry {
            name: name.to_string(),
            version: version.to_string(),
        },
        None => JsResolution::Registry {
            name: key.to_string(),
            version: bare.to_string(),
        },
    }
}

/// `packages/web` + `../ui` → `packages/ui`.
fn join_relative(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

const SECTIONS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];

fn pnpm_importer(folder: &str, entry: &Value) -> BTreeMap<String, JsResolution> {
    let mut resolved = BTreeMap::new();
    for section in SECTIONS {
        let Some(deps) = entry.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (key, value) in deps {
            // v6+: `{specifier, version}`; v5: the version itself.
            let version = match value {
                Value::String(v) => Some(v.as_str()),
                Value::Object(o) => o.get("version").and_then(Value::as_str),
                _ => None,
            };
            if let Some(version) = version {
                resolved.insert(key.clone(), pnpm_resolution(key, version, folder));
            }
        }
    }
    resolved
}

fn parse_pnpm(file: &str, text: &str) -> Result<JsLock, ManifestError> {
    let document = yaml(file, text, "pnpm-lock.yaml")?;
    let version = match document.get("lockfileVersion") {
        Some(Value::String(v)) => v.parse::<f64>().unwrap_or(0.0),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    };
    if version < 5.4 {
        return Err(problem(
            file,
            1,
            format!(
                "pnpm lockfileVersion {version} is not supported (5.4 to 9 are); regenerate it with pnpm 8 or later"
            ),
        ));
    }
    let mut lock = JsLock::empty(JsLockFormat::Pnpm);
    match document.get("importers").and_then(Value::as_object) {
        Some(importers) => {
            for (folder, entry) in importers {
                let folder = if folder == "." { "" } else { folder.as_str() };
                lock.importers
                    .insert(folder.to_string(), pnpm_importer(folder, entry));
            }
        }
        // A single project: its dependencies are at the top.
        None => {
            lock.importers
                .insert(String::new(), pnpm_importer("", &document));
        }
    }
    lock.projects = Some(lock.importers.keys().cloned().collect());
    Ok(lock)
}

/// `"a@^1", "a@^1.2"` → [`a@^1`, `a@^1.2`].
fn descriptors_of(header: &str) -> Vec<String> {
    header
        .split(',')
        .map(|d| d.trim().trim_matches('"').to_string())
        .filter(|d| !d.is_empty())
        .collect()
}

/// The package name a yarn descriptor names (`a@^1` → `a`,
/// `x@npm:lodash@^4` → `lodash`).
fn yarn_real_name(descriptor: &str) -> Option<String> {
    let (key, range) = split_name_version(descriptor)?;
    match range.strip_prefix("npm:").and_then(split_name_version) {
        Some((real, _)) => Some(real.to_string()),
        None => Some(key.to_string()),
    }
}

fn parse_yarn_classic(file: &str, text: &str) -> Result<JsLock, ManifestError> {
    let mut lock = JsLock::empty(JsLockFormat::YarnClassic);
    let mut current: Vec<String> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let header = line.strip_suffix(':').ok_or_else(|| {
                problem(
                    file,
                    index + 1,
                    "expected an entry header ending in `:` (yarn.lock v1)",
                )
            })?;
            current = descriptors_of(header);
            continue;
        }
        let Some(version) = line.trim().strip_prefix("version ") else {
            continue;
        };
        let version = version.trim().trim_matches('"');
        for descriptor in &current {
            let Some(name) = yarn_real_name(descriptor) else {
                continue;
            };
            lock.descriptors.insert(
                descriptor.clone(),
                JsResolution::Registry {
                    name,
                    version: version.to_string(),
                },
            );
        }
    }
    Ok(lock)
}

fn parse_yarn_berry(file: &str, text: &str) -> Result<JsLock, ManifestError> {
    let document = yaml(file, text, "yarn.lock")?;
    let entries = document
        .as_object()
        .ok_or_else(|| problem(file, 1, "not a YAML mapping of packages"))?;
    let mut lock = JsLock::empty(JsLockFormat::YarnBerry);
    let mut projects = BTreeSet::from([String::new()]);
    for (header, entry) in entries {
        if header == "__metadata" {
            continue;
        }
        let resolution_text = entry
            .get("resolution")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let resolution = match split_name_version(resolution_text) {
            Some((_, protocol)) if protocol.starts_with("workspace:") => {
                let folder = protocol
                    .trim_start_matches("workspace:")
                    .trim_start_matches("./");
                let folder = if folder == "." { "" } else { folder };
                projects.insert(folder.to_string());
                JsResolution::Workspace(folder.to_string())
            }
            Some((name, protocol)) if protocol.starts_with("npm:") => JsResolution::Registry {
                name: name.to_string(),
                version: entry
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or(protocol.trim_start_matches("npm:"))
                    .to_string(),
            },
            _ => JsResolution::Elsewhere(resolution_text.to_string()),
        };
        for descriptor in descriptors_of(header) {
            lock.descriptors.insert(descriptor, resolution.clone());
        }
    }
    lock.projects = Some(projects);
    Ok(lock)
}

/// bun.lock is JSON with trailing commas: drops each comma that comes
/// right before a closing bracket, outside strings.
fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut pending_comma: Option<String> = None;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if let Some(held) = pending_comma.as_mut() {
            if c.is_whitespace() {
                held.push(c);
                continue;
            }
            let held = pending_comma.take().unwrap_or_default();
            if c == '}' || c == ']' {
                out.push_str(&held[1..]);
            } else {
                out.push_str(&held);
            }
        }
        match c {
            ',' => pending_comma = Some(",".to_string()),
            '"' => {
                in_string = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if let Some(held) = pending_comma {
        out.push_str(&held);
    }
    out
}

fn parse_bun(file: &str, text: &str) -> Result<JsLock, ManifestError> {
    let document: Map<String, Value> = serde_json::from_str(&without_trailing_commas(text))
        .map_err(|e| problem(file, e.line().max(1), format!("not valid bun.lock: {e}")))?;
    let mut lock = JsLock::empty(JsLockFormat::Bun);
    let mut projects = BTreeSet::from([String::new()]);
    for (folder, entry) in document
        .get("workspaces")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        projects.insert(folder.clone());
        if let Some(name) = entry.get("name").and_then(Value::as_str) {
            lock.project_names.insert(folder.clone(), name.to_string());
        }
    }
    for (path, entry) in document
        .get("packages")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(spec) = entry.get(0).and_then(Value::as_str) else {
            continue;
        };
        let Some((name, version)) = split_name_version(spec) else {
            continue;
        };
        let resolution = if let Some(folder) = version.strip_prefix("workspace:") {
            JsResolution::Workspace(folder.to_string())
        } else if version.contains(':') {
            JsResolution::Elsewhere(version.to_string())
        } else {
            JsResolution::Registry {
                name: name.to_string(),
                version: version.to_string(),
            }
        };
        lock.installed.insert(path.clone(), resolution);
    }
    lock.projects = Some(projects);
    Ok(lock)
}

#[cfg(test)]
mod tests;
