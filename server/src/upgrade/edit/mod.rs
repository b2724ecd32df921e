//! Manifests edited in place. Each ecosystem's finder reports where each
//! dependency's requirement is written (a byte range of the original text);
//! the bump rewrites only that text, so formatting, comments and ordering
//! stay as they were and a reviewer sees one changed version per line.
//! Pure: texts in, texts out.

mod json;
mod lines;
mod pom;
mod toml_files;

use std::ops::Range;

use super::requirement::{RequirementChange, bump_requirement};
use crate::deps::discover::ManifestFile;
use crate::deps::manifest::python::normalize_name;
use crate::deps::model::Ecosystem;

/// A dependency to move to `target` in one manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestBump {
    /// As the registry knows it (Python names normalised).
    pub name: String,
    pub target: String,
}

/// Where one declaration of a dependency writes its requirement.
#[derive(Clone, Debug)]
pub(crate) struct Occurrence {
    pub name: String,
    /// The requirement's text; an empty range where none is written.
    pub range: Range<usize>,
    /// Why this declaration cannot be rewritten whatever the target
    /// (a hashed requirement, a property shared with others, …).
    pub blocked: Option<String>,
}

/// What an edit did to each bump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    /// (name, requirement before, after), once per rewritten declaration.
    pub rewritten: Vec<(String, String, String)>,
    /// (name, why only the lock file changes).
    pub lock_only: Vec<(String, String)>,
    /// (name, why it was not changed).
    pub blocked: Vec<(String, String)>,
}

/// A manifest Shipshape cannot read for editing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EditError {
    pub path: String,
    pub message: String,
}

/// Applies `bumps` to the manifest at `path` whose text is `text`.
pub fn edit_manifest(
    manifest: &ManifestFile,
    text: &str,
    bumps: &[ManifestBump],
) -> Result<Edited, EditError> {
    let error = |message: String| EditError {
        path: manifest.path.clone(),
        message,
    };
    let file_name = manifest.path.rsplit('/').next().unwrap_or(&manifest.path);
    let occurrences = match (manifest.ecosystem, file_name) {
        (Ecosystem::Cargo, _) => toml_files::cargo(text),
        (Ecosystem::Python, "pyproject.toml") => toml_files::pyproject(text),
        (Ecosystem::Python, "Pipfile") => toml_files::pipfile(text),
        (Ecosystem::Python, _) => Ok(lines::requirements_txt(text)),
        (Ecosystem::Npm, _) => json::package_json(text),
        (Ecosystem::Go, _) => Ok(lines::go_mod(text)),
        (Ecosystem::Ruby, _) => Ok(lines::gemfile(text)),
        (Ecosystem::Maven, "build.gradle" | "build.gradle.kts") => Ok(gradle_occurrences(
            crate::deps::manifest::gradle::build_script_declarations(text),
        )),
        (Ecosystem::Maven, "libs.versions.toml") => {
            crate::deps::manifest::gradle::catalog_declarations(&manifest.path, text)
                .map(gradle_occurrences)
                .map_err(|e| e.message)
        }
        (Ecosystem::Maven, _) => pom::pom(text),
    }
    .map_err(error)?;
    apply(manifest.ecosystem, text, &occurrences, bumps)
}

/// Gradle declarations as places to write versions: one written with
/// variables or none at all is not rewritten.
fn gradle_occurrences(
    declarations: Vec<crate::deps::manifest::gradle::GradleDeclaration>,
) -> Vec<Occurrence> {
    declarations
        .into_iter()
        .map(|d| Occurrence {
            blocked: match d.version.as_deref() {
                Some(v) if v.contains('$') => Some(format!(
                    "its version `{v}` is a build variable; change it where the variable is set"
                )),
                None => Some(
                    "no version is written here (a BOM, a platform or the catalog sets it)".into(),
                ),
                _ => None,
            },
            name: d.name,
            range: d.version_span,
        })
        .collect()
}

/// Whether `version` may be written into someone's manifest: a plain
/// version of letters, digits and `.+-_~`, starting with a letter or
/// digit, at most 64 characters. A registry's answer or a wave's target
/// is not trusted to be one: `2.0</version><scope>system</scope>` parses
/// as a Maven version, and a quote or a newline would rewrite a TOML or
/// JSON file around it. Pure.
pub fn is_plain_version(version: &str) -> bool {
    (1..=64).contains(&version.len())
        && version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_' | '~'))
}

fn same_name(ecosystem: Ecosystem, declared: &str, wanted: &str) -> bool {
    match ecosystem {
        Ecosystem::Python => normalize_name(declared) == normalize_name(wanted),
        _ => declared == wanted,
    }
}

fn major_of(version: &str) -> &str {
    version
        .trim_start_matches('v')
        .split('.')
        .next()
        .unwrap_or_default()
}

fn apply(
    ecosystem: Ecosystem,
    text: &str,
    occurrences: &[Occurrence],
    bumps: &[ManifestBump],
) -> Result<Edited, EditError> {
    let mut edited = Edited::default();
    let mut splices: Vec<(Range<usize>, String)> = Vec::new();
    for bump in bumps {
        if !is_plain_version(&bump.target) {
            edited.blocked.push((
                bump.name.clone(),
                format!(
                    "`{}` is not a plain version (letters, digits and . + - _ ~ only), so it is not written into the manifest",
                    bump.target.escape_debug()
                ),
            ));
            continue;
        }
        let mine: Vec<&Occurrence> = occurrences
            .iter()
            .filter(|o| same_name(ecosystem, &o.name, &bump.name))
            .collect();
        if mine.is_empty() {
            edited.blocked.push((
                bump.name.clone(),
                "not declared in this manifest any more".into(),
            ));
            continue;
        }
        for occurrence in mine {
            let raw = &text[occurrence.range.clone()];
            if let Some(reason) = &occurrence.blocked {
                edited.blocked.push((bump.name.clone(), reason.clone()));
                continue;
            }
            // A version written once for several dependencies (a Maven
            // property) moves only when all of them move to the same version.
            let left_behind: Vec<&str> = occurrences
                .iter()
                .filter(|o| o.range == occurrence.range && !o.range.is_empty())
                .filter(|o| {
                    !bumps
                        .iter()
                        .any(|b| same_name(ecosystem, &o.name, &b.name) && b.target == bump.target)
                })
                .map(|o| o.name.as_str())
                .collect();
            if !left_behind.is_empty() {
                edited.blocked.push((
                    bump.name.clone(),
                    format!(
                        "its version `{raw}` is shared with {}, which would move too; bump them together",
                        left_behind.join(", ")
                    ),
                ));
                continue;
            }
            if ecosystem == Ecosystem::Go
                && !raw.is_empty()
                && major_of(raw) != major_of(&bump.target)
                && major_of(&bump.target) != "0"
                && major_of(&bump.target) != "1"
            {
                edited.blocked.push((
                    bump.name.clone(),
                    format!(
                        "a new major version of a Go module is a new module path (`{}/v{}`); its imports change by hand",
                        bump.name,
                        major_of(&bump.target)
                    ),
                ));
                continue;
            }
            match bump_requirement(ecosystem, (!raw.is_empty()).then_some(raw), &bump.target) {
                RequirementChange::Rewrite(new) => {
                    edited
                        .rewritten
                        .push((bump.name.clone(), raw.to_string(), new.clone()));
                    splices.push((occurrence.range.clone(), new));
                }
                RequirementChange::LockOnly(reason) => {
                    edited.lock_only.push((bump.name.clone(), reason));
                }
                RequirementChange::Blocked(reason) => {
                    edited.blocked.push((bump.name.clone(), reason));
                }
            }
        }
    }
    // Later ranges first, so earlier ones keep their offsets.
    splices.sort_by_key(|s| std::cmp::Reverse(s.0.start));
    splices.dedup_by(|a, b| a.0 == b.0);
    let mut out = text.to_string();
    for (range, new) in splices {
        out.replace_range(range, &new);
    }
    edited.text = out;
    Ok(edited)
}

/// The inside of a quoted literal at `range` of `text` (`"x"`, `'x'`, and
/// TOML's triple quotes).
pub(crate) fn inside_quotes(text: &str, range: Range<usize>) -> Range<usize> {
    let literal = &text[range.clone()];
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if literal.len() >= 2 * quote.len()
            && literal.starts_with(quote)
            && literal.ends_with(quote)
        {
            return range.start + quote.len()..range.end - quote.len();
        }
    }
    range
}

/// The range of the version specifiers of a PEP 508 requirement written at
/// `range` of `text` (`requests[socks] >= 2.28 ; python_version < "3.12"`
/// gives ` >= 2.28 `), with its normalised name.
pub(crate) fn pep508_specifiers(text: &str, range: Range<usize>) -> Option<(String, Range<usize>)> {
    let entry = &text[range.clone()];
    let name_end = entry
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(entry.len());
    if name_end == 0 {
        return None;
    }
    let name = normalize_name(&entry[..name_end]);
    let mut start = name_end;
    let rest = &entry[start..];
    if let Some(extras) = rest.trim_start().strip_prefix('[') {
        let skipped = rest.len() - extras.len();
        let close = extras.find(']')?;
        start += skipped + close + 1;
    }
    let tail = &entry[start..];
    if tail.trim_start().starts_with('@') {
        return None;
    }
    let end = start + tail.find(';').unwrap_or(tail.len());
    // Keep trailing spaces outside, so ` >= 2.28 ` rewrites as `>= 2.31`.
    let specifiers = &entry[start..end];
    let trimmed_end = start + specifiers.trim_end().len();
    let trimmed_start = start + (specifiers.len() - specifiers.trim_start().len());
    Some((
        name,
        range.start + trimmed_start..range.start + trimmed_end.max(trimmed_start),
    ))
}

#[cfg(test)]
mod tests;
