//! Python: `requirements*.txt`, `pyproject.toml` (PEP 621, PEP 735 groups,
//! Poetry), `poetry.lock` and `uv.lock`. Names are normalised as PEP 503
//! says (`Django_REST.framework` is `django-rest-framework`), and Poetry's
//! `^`/`~` constraints are turned into PEP 440 specifiers.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError, from_toml};

/// PEP 503 normalisation.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_separator {
                out.push('-');
            }
            last_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_separator = false;
        }
    }
    out
}

/// One PEP 508 requirement: `name[extra] >=1,<2 ; python_version < "3.12"`
/// or `name @ https://...`.
pub fn parse_requirement(
    text: &str,
    kind: DependencyKind,
    optional: bool,
) -> Result<DeclaredDependency, String> {
    let without_marker = text.split(';').next().unwrap_or_default().trim();
    let name_end = without_marker
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(without_marker.len());
    let name = &without_marker[..name_end];
    if name.is_empty() {
        return Err(format!("`{text}` does not start with a package name"));
    }
    let mut rest = without_marker[name_end..].trim();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: unclosed `[` of extras"))?
            .1
            .trim();
    }
    let mut declared = DeclaredDependency {
        name: normalize_name(name),
        requirement: None,
        kind,
        optional,
        non_registry_source: None,
    };
    if let Some(url) = rest.strip_prefix('@') {
        declared.non_registry_source = Some(url.trim().to_string());
    } else {
        let specifiers = rest.trim_start_matches('(').trim_end_matches(')').trim();
        if !specifiers.is_empty() {
            declared.requirement = Some(specifiers.replace(' ', ""));
        }
    }
    Ok(declared)
}

/// What a requirements file declares, and the other files it pulls in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequirementsFile {
    pub dependencies: Vec<DeclaredDependency>,
    /// Files named by `-r`, relative to this one: their requirements are
    /// this file's too.
    pub includes: Vec<String>,
    /// Files named by `-c`, relative to this one: their pins decide the
    /// versions of this file's requirements, as a lock does.
    pub constraints: Vec<String>,
}

pub fn parse_requirements_txt(
    file: &str,
    text: &str,
    kind: DependencyKind,
) -> Result<RequirementsFile, ManifestError> {
    let mut result = RequirementsFile::default();
    let mut logical = String::new();
    let mut first_line = 0;
    for (index, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            first_line = index + 1;
        }
        // A `#` starts a comment at the line's start or after whitespace.
        let line = match raw.find(" #") {
            Some(i) => &raw[..i],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if let Some(continued) = line.strip_suffix('\\') {
            logical.push_str(continued);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let entry = std::mem::take(&mut logical);
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let error = |message: String| ManifestError {
            file: file.to_string(),
            line: first_line,
            message,
        };
        if let Some(option) = entry.strip_prefix('-') {
            let (flag, value) = option
                .split_once([' ', '='])
                .map_or((option, ""), |(f, v)| (f, v.trim()));
            match flag {
                "r" | "-requirement" => result.includes.push(value.to_string()),
                "c" | "-constraint" => result.constraints.push(value.to_string()),
                "e" | "-editable" => result.dependencies.push(DeclaredDependency {
                    name: value.rsplit(['/', '=']).next().unwrap_or(value).to_string(),
                    requirement: None,
                    kind,
                    optional: false,
                    non_registry_source: Some(value.to_string()),
                }),
                // Index URLs, hashes, pip options: not dependencies.
                _ => {}
            }
            continue;
        }
        let entry = entry.split(" --hash").next().unwrap_or(entry).trim();
        if entry.contains("://") && !entry.contains(" @ ")
            || entry.starts_with('.')
            || entry.starts_with('/')
        {
            result.dependencies.push(DeclaredDependency {
                name: entry.to_string(),
                requirement: None,
                kind,
                optional: false,
                non_registry_source: Some(entry.to_string()),
            });
            continue;
        }
        result
            .dependencies
            .push(parse_requirement(entry, kind, false).map_err(error)?);
    }
    Ok(result)
}

/// Groups whose name says they are for development.
fn group_kind(group: &str) -> DependencyKind {
    let group = group.to_ascii_lowercase();
    if ["dev", "test", "tests", "testing", "lint", "docs", "typing"]
        .iter()
        .any(|g| group == *g || group.starts_with(&format!("{g}-")))
    {
        DependencyKind::Dev
    } else {
        DependencyKind::Normal
    }
}

pub fn parse_pyproject(file: &str, text: &str) -> Result<Vec<DeclaredDependency>, ManifestError> {
    let document: Table = from_toml(file, text, "not valid TOML")?;
    let error = |message: String| ManifestError {
        file: file.to_string(),
        line: 1,
        message,
    };
    let strings = |value: &Value, at: &str| -> Result<Vec<String>, ManifestError> {
        value
            .as_array()
            .ok_or_else(|| error(format!("`{at}` must be a list of requirement strings")))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| error(format!("`{at}` must be a list of requirement strings")))
            })
            .collect()
    };
    let mut out = Vec::new();
    let project = document.get("project");
    if let Some(list) = project.and_then(|p| p.get("dependencies")) {
        for requirement in strings(list, "project.dependencies")? {
            out.push(
                parse_requirement(&requirement, DependencyKind::Normal, false).map_err(&error)?,
            );
        }
    }
    if let Some(groups) = project
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(Value::as_table)
    {
        for (group, list) in groups {
            for requirement in strings(list, &format!("project.optional-dependencies.{group}"))? {
                out.push(parse_requirement(&requirement, group_kind(group), true).map_err(&error)?);
            }
        }
    }
    if let Some(groups) = document.get("dependency-groups").and_then(Value::as_table) {
        for (group, list) in groups {
            // Entries may also be `{include-group = "..."}` tables; those add nothing new.
            for requirement in list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                out.push(parse_requirement(requirement, group_kind(group), false).map_err(&error)?);
            }
        }
    }
    if let Some(poetry) = document.get("tool").and_then(|t| t.get("poetry")) {
        let mut sections: Vec<(String, &Value, DependencyKind)> = Vec::new();
        if let Some(deps) = poetry.get("dependencies") {
            sections.push((
                "tool.poetry.dependencies".into(),
                deps,
                DependencyKind::Normal,
            ));
        }
        if let Some(deps) = poetry.get("dev-dependencies") {
            sections.push((
                "tool.poetry.dev-dependencies".into(),
                deps,
                DependencyKind::Dev,
            ));
        }
        for (group, body) in poetry
            .get("group")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            if let Some(deps) = body.get("dependencies") {
                let kind = if group == "main" {
                    DependencyKind::Normal
                } else {
                    DependencyKind::Dev
                };
                sections.push((
                    format!("tool.poetry.group.{group}.dependencies"),
                    deps,
                    kind,
                ));
            }
        }
        for (at, deps, kind) in sections {
            let table = deps
                .as_table()
                .ok_or_else(|| error(format!("`{at}` must be a table")))?;
            for (name, spec) in table.iter().filter(|(name, _)| name.as_str() != "python") {
                out.push(
                    poetry_entry(name, spec, kind)
                        .map_err(|m| error(format!("{at}.{name}: {m}")))?,
                );
            }
        }
    }
    Ok(out)
}

/// `git = "…"`, `path = "…"` and the like in a dependency table, as
/// "git https://…": the last of `keys` the table has wins.
fn source_outside_index(table: &Table, keys: &[&str]) -> Option<String> {
    keys.iter().rev().find_map(|key| {
        table
            .get(*key)
            .and_then(Value::as_str)
            .map(|location| format!("{key} {location}"))
    })
}

fn poetry_entry(
    name: &str,
    spec: &Value,
    kind: DependencyKind,
) -> Result<DeclaredDependency, String> {
    let mut declared = DeclaredDependency {
        name: normalize_name(name),
        requirement: None,
        kind,
        optional: false,
        non_registry_source: None,
    };
    let constraint = match spec {
        Value::String(constraint) => Some(constraint.as_str()),
        Value::Table(table) => {
            declared.optional = table
                .get("optional")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            declared.non_registry_source = source_outside_index(table, &["path", "git", "url"]);
            table.get("version").and_then(Value::as_str)
        }
        // A list of constraints per Python version: the first stands for all.
        Value::Array(list) => list
            .first()
            .and_then(|v| v.get("version"))
            .and_then(Value::as_str),
        _ => return Err("expected a version string or a table".into()),
    };
    declared.requirement = constraint
        .map(poetry_to_pep440)
        .transpose()?
        .filter(|r| !r.is_empty());
    Ok(declared)
}

/// Poetry's constraint syntax as PEP 440 specifiers: `^1.2.3` is
/// `>=1.2.3,<2.0.0`, `^0.2` is `>=0.2,<0.3`, `~1.2` is `>=1.2,<1.3`, a bare
/// version is `==`.
pub fn poetry_to_pep440(constraint: &str) -> Result<String, String> {
    if constraint.contains("||") {
        return Err(format!(
            "`{constraint}`: alternatives (||) are not supported yet"
        ));
    }
    let mut parts = Vec::new();
    for term in constraint
        .split(',')
        .flat_map(|t| t.split_whitespace())
        .filter(|t| !t.is_empty())
    {
        let numbers = |text: &str| -> Result<Vec<u64>, String> {
            text.split('.')
                .map(|n| {
                    n.parse()
                        .map_err(|_| format!("`{constraint}` is not a Poetry constraint"))
                })
                .collect()
        };
        let join = |n: &[u64]| n.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
        if let Some(version) = term.strip_prefix('^') {
            let n = numbers(version)?;
            let first_nonzero = n
                .iter()
                .position(|&x| x != 0)
                .unwrap_or(n.len().saturating_sub(1));
            let mut upper = n[..=first_nonzero.min(n.len() - 1)].to_vec();
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            parts.push(format!(">={version},<{}", join(&upper)));
        } else if let Some(version) = term.strip_prefix("~=") {
            parts.push(format!("~={version}"));
        } else if let Some(version) = term.strip_prefix('~') {
            let n = numbers(version)?;
            let mut upper = if n.len() == 1 {
                n.clone()
            } else {
                n[..2].to_vec()
            };
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            parts.push(format!(">={version},<{}", join(&upper)));
        } else if term == "*" {
            continue;
        } else if term.ends_with(".*") || term.starts_with(['<', '>', '=', '!']) {
            parts.push(if term.ends_with(".*") && !term.starts_with(['=', '!']) {
                format!("=={term}")
            } else {
                term.to_string()
            });
        } else {
            parts.push(format!("=={term}"));
        }
    }
    Ok(parts.join(","))
}

/// Versions pinned by `poetry.lock` or `uv.lock` (both are TOML with
/// `[[package]]` tables), by normalised name. uv's editable, virtual and
/// path packages are left out.
pub fn parse_lock(file: &str, text: &str) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    let document: Table = from_toml(file, text, "not a valid lock file")?;
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in document
        .get("package")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(version)) = (
            package.get("name").and_then(Value::as_str),
            package.get("version").and_then(Value::as_str),
        ) else {
            continue;
        };
        let local = package
            .get("source")
            .and_then(Value::as_table)
            .is_some_and(|s| {
                ["editable", "virtual", "path", "directory"]
                    .iter()
                    .any(|k| s.contains_key(*k))
            });
        if !local {
            versions
                .entry(normalize_name(name))
                .or_default()
                .push(version.to_string());
        }
    }
    Ok(versions)
}

/// A Pipfile's `[packages]` and `[dev-packages]`: `name = "==1.2"`, `"*"`,
/// or a table with `version`, or with `git`/`path`/`file` for a package
/// that is not from the index.
pub fn parse_pipfile(file: &str, text: &str) -> Result<Vec<DeclaredDependency>, ManifestError> {
    let document: Table = from_toml(file, text, "not valid TOML")?;
    let mut out = Vec::new();
    for (section, kind) in [
        ("packages", DependencyKind::Normal),
        ("dev-packages", DependencyKind::Dev),
    ] {
        let Some(entries) = document.get(section).and_then(Value::as_table) else {
            continue;
        };
        for (name, spec) in entries {
            let mut declared = DeclaredDependency {
                name: normalize_name(name),
                requirement: None,
                kind,
                optional: false,
                non_registry_source: None,
            };
            let requirement = match spec {
                Value::String(text) => Some(text.as_str()),
                Value::Table(table) => {
                    declared.non_registry_source =
                        source_outside_index(table, &["git", "path", "file", "url"]);
                    table.get("version").and_then(Value::as_str)
                }
                _ => {
                    return Err(ManifestError {
                        file: file.to_string(),
                        line: 1,
                        message: format!("{section}.{name}: expected a version string or a table"),
                    });
                }
            };
            declared.requirement = requirement
                .map(str::trim)
                .filter(|r| !r.is_empty() && *r != "*")
                .map(str::to_string);
            out.push(declared);
        }
    }
    Ok(out)
}

/// Versions `Pipfile.lock` pins (`"version": "==2.31.0"` under `default`
/// and `develop`), by normalised name.
pub fn parse_pipfile_lock(
    file: &str,
    text: &str,
) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    let document: serde_json::Value = serde_json::from_str(text).map_err(|e| ManifestError {
        file: file.to_string(),
        line: e.line().max(1),
        message: format!("not valid Pipfile.lock: {e}"),
    })?;
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for section in ["default", "develop"] {
        let Some(entries) = document.get(section).and_then(serde_json::Value::as_object) else {
            continue;
        };
        for (name, entry) in entries {
            let Some(version) = entry
                .get("version")
                .and_then(serde_json::Value::as_str)
                .and_then(|v| v.strip_prefix("=="))
            else {
                continue;
            };
            let list = versions.entry(normalize_name(name)).or_default();
            if !list.iter().any(|v| v == version) {
                list.push(version.to_string());
            }
        }
    }
    Ok(versions)
}

/// The project's own packages in a `uv.lock` (editable, virtual, path and
/// directory sources: the workspace's members), by normalised name → folder
/// from the lock's (`""` for the root).
pub fn local_packages(file: &str, text: &str) -> Result<BTreeMap<String, String>, ManifestError> {
    let document: Table = from_toml(file, text, "not a valid lock file")?;
    let mut local = BTreeMap::new();
    for package in document
        .get("package")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = package.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(source) = package.get("source").and_then(Value::as_table) else {
            continue;
        };
        if let Some(path) = ["editable", "virtual", "path", "directory"]
            .iter()
            .find_map(|k| source.get(*k).and_then(Value::as_str))
        {
            let path = path.trim_start_matches("./").trim_end_matches('/');
            let path = if path == "." { "" } else { path };
            local.insert(normalize_name(name), path.to_string());
        }
    }
    Ok(local)
}

/// A uv workspace root's member patterns (`[tool.uv.workspace] members`),
/// its `exclude` patterns prefixed with `!`; empty when not a workspace root.
pub fn uv_workspace_members(text: &str) -> Vec<String> {
    let Ok(document) = text.parse::<Table>() else {
        return Vec::new();
    };
    let workspace = document
        .get("tool")
        .and_then(|t| t.get("uv"))
        .and_then(|t| t.get("workspace"));
    let list = |key: &str| -> Vec<String> {
        workspace
            .and_then(|w| w.get(key))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let mut patterns = list("members");
    patterns.extend(list("exclude").into_iter().map(|p| format!("!{p}")));
    patterns
}

/// The name a `pyproject.toml` gives its project (`[project]`, or Poetry's
/// `[tool.poetry]`).
pub fn project_name(text: &str) -> Option<String> {
    let document = text.parse::<Table>().ok()?;
    document
        .get("project")
        .and_then(|p| p.get("name"))
        .or_else(|| {
            document
                .get("tool")
                .and_then(|t| t.get("poetry"))
                .and_then(|p| p.get("name"))
        })
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            normalize_name("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("zope..interface"), "zope-interface");
    }

    #[test]
    fn pep_508_requirements() {
        let r = parse_requirement(
            "uvicorn[standard] >= 0.28 , <1 ; python_version >= \"3.8\"",
            DependencyKind::Normal,
            false,
        )
        .expect("req");
        assert_eq!(
            (r.name.as_str(), r.requirement.as_deref()),
            ("uvicorn", Some(">=0.28,<1"))
        );
        let r = parse_requirement(
            "pkg @ https://example.com/pkg-1.0.whl",
            DependencyKind::Normal,
            false,
        )
        .expect("url");
        assert_eq!(
            r.non_registry_source.as_deref(),
            Some("https://example.com/pkg-1.0.whl")
        );
        assert_eq!(
            parse_requirement("requests", DependencyKind::Normal, false)
                .expect("bare")
                .requirement,
            None
        );
        assert!(parse_requirement(">=1.0", DependencyKind::Normal, false).is_err());
    }

    #[test]
    fn requirements_txt_with_options_continuations_and_comments() {
        let file = parse_requirements_txt(
            "requirements.txt",
            "# pinned\n-r base.txt\n--index-url https://pypi.example.com/simple\nfastapi==0.110.0  # web\nnumpy==1.26.4 \\\n    --hash=sha256:abc\n-e git+https://github.com/acme/lib.git#egg=lib\n./vendor/tool\n\nPydantic~=2.6\n",
            DependencyKind::Normal,
        )
        .expect("parse");
        assert_eq!(file.includes, ["base.txt"]);
        let names: Vec<&str> = file.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            ["fastapi", "numpy", "lib", "./vendor/tool", "pydantic"]
        );
        assert_eq!(
            file.dependencies[1].requirement.as_deref(),
            Some("==1.26.4")
        );
        assert!(file.dependencies[2].non_registry_source.is_some());
        let error = parse_requirements_txt(
            "requirements.txt",
            "ok==1\n\n[broken\n",
            DependencyKind::Normal,
        )
        .expect_err("bad");
        assert_eq!(error.line, 3);
        assert!(
            error.to_string().starts_with("requirements.txt:3:"),
            "{error}"
        );
    }

    #[test]
    fn the_demo_service_files_read() {
        let pyproject = parse_pyproject(
            "pyproject.toml",
            include_str!("../../../../examples/recommendations/pyproject.toml"),
        )
        .expect("pyproject");
        assert_eq!(pyproject.len(), 6);
        let ruff = pyproject.iter().find(|d| d.name == "ruff").expect("ruff");
        assert_eq!((ruff.kind, ruff.optional), (DependencyKind::Dev, true));
        let requirements = parse_requirements_txt(
            "requirements.txt",
            include_str!("../../../../examples/recommendations/requirements.txt"),
            DependencyKind::Normal,
        )
        .expect("requirements");
        assert_eq!(requirements.dependencies.len(), 5);
    }

    #[test]
    fn poetry_sections_and_constraints() {
        let deps = parse_pyproject(
            "pyproject.toml",
            r#"
[tool.poetry.dependencies]
python = "^3.11"
Django = "^4.2.1"
requests = { version = "~2.31", optional = true }
local = { path = "../local" }

[tool.poetry.group.test.dependencies]
pytest = "^8.0"
"#,
        )
        .expect("poetry");
        assert_eq!(deps.len(), 4, "python itself is not a dependency");
        let find = |name: &str| {
            deps.iter()
                .find(|d| d.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(find("django").requirement.as_deref(), Some(">=4.2.1,<5"));
        assert_eq!(
            find("requests").requirement.as_deref(),
            Some(">=2.31,<2.32")
        );
        assert!(find("requests").optional);
        assert!(find("local").non_registry_source.is_some());
        assert_eq!(find("pytest").kind, DependencyKind::Dev);
        assert_eq!(poetry_to_pep440("^0.2.3"), Ok(">=0.2.3,<0.3".into()));
        assert_eq!(poetry_to_pep440("^0.0.3"), Ok(">=0.0.3,<0.0.4".into()));
        assert_eq!(poetry_to_pep440("~1"), Ok(">=1,<2".into()));
        assert_eq!(poetry_to_pep440("1.2.*"), Ok("==1.2.*".into()));
        assert_eq!(poetry_to_pep440(">=1.0,<2.0"), Ok(">=1.0,<2.0".into()));
        assert_eq!(poetry_to_pep440("1.4.2"), Ok("==1.4.2".into()));
        assert!(poetry_to_pep440("^1.0 || ^2.0").is_err());
        assert!(poetry_to_pep440("^one").is_err());
    }

    #[test]
    fn poetry_and_uv_locks() {
        let lock = parse_lock(
            "uv.lock",
            r#"
version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "Pydantic_Core"
version = "2.16.3"
source = { registry = "https://pypi.org/simple" }
"#,
        )
        .expect("uv");
        assert_eq!(lock.keys().collect::<Vec<_>>(), ["pydantic-core"]);
        let lock = parse_lock(
            "poetry.lock",
            "[[package]]\nname = \"django\"\nversion = \"4.2.11\"\n",
        )
        .expect("poetry");
        assert_eq!(lock["django"], ["4.2.11"]);
        assert!(
            parse_lock("poetry.lock", "[[package]\n")
                .expect_err("bad")
                .to_string()
                .starts_with("poetry.lock:1:")
        );
    }
}
