//! Gradle builds: `build.gradle` and `build.gradle.kts` (dependencies in
//! string notation, `"group:artifact:version"`, and Groovy's map notation),
//! the version catalog `gradle/libs.versions.toml`, and `gradle.lockfile`
//! (what dependency locking resolved). Build scripts are programs: only the
//! literal declarations are read; a version made of variables is said to be
//! one, not guessed. Packages are Maven coordinates (`group:artifact`).

use std::collections::BTreeMap;
use std::ops::Range;

use toml_edit::{Document, Item, TableLike};

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError, line_of};

/// One dependency declaration and where its version is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradleDeclaration {
    /// `group:artifact`.
    pub name: String,
    /// The version as written (may hold `$variables` or `1.+`).
    pub version: Option<String>,
    /// Where the version is written in the file (empty when none is).
    pub version_span: Range<usize>,
    pub kind: DependencyKind,
}

/// The kind of a dependency from its Gradle configuration's name.
fn kind_of(configuration: &str) -> Option<DependencyKind> {
    let lower = configuration.to_ascii_lowercase();
    let known = [
        "implementation",
        "api",
        "compileonly",
        "runtimeonly",
        "compile",
        "runtime",
        "classpath",
        "annotationprocessor",
        "kapt",
        "ksp",
        "developmentonly",
    ];
    if !known.iter().any(|k| lower.ends_with(k)) {
        return None;
    }
    Some(if lower.starts_with("test") || lower.contains("test") {
        DependencyKind::Dev
    } else if matches!(
        lower.as_str(),
        "classpath" | "annotationprocessor" | "kapt" | "ksp"
    ) {
        DependencyKind::Build
    } else {
        DependencyKind::Normal
    })
}

/// The identifier that ends just before `at` (skipping spaces and `(`).
fn configuration_before(text: &str, at: usize) -> Option<&str> {
    let before = text[..at].trim_end_matches([' ', '\t', '(']);
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[start..];
    (!word.is_empty()).then_some(word)
}

/// The string literals of `text` (single or double quoted) with their spans
/// (inside the quotes). Comments are skipped.
fn string_literals(text: &str) -> Vec<(usize, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            quote @ (b'"' | b'\'') => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != quote && bytes[end] != b'\n' {
                    if bytes[end] == b'\\' {
                        end += 1;
                    }
                    end += 1;
                }
                let end = end.min(bytes.len());
                found.push((i, start..end));
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// The dependencies a build script declares with literal coordinates:
/// `implementation("g:a:1.2")`, `testImplementation 'g:a:1.2'`, and
/// `implementation group: 'g', name: 'a', version: '1.2'`.
pub fn build_script_declarations(text: &str) -> Vec<GradleDeclaration> {
    let literals = string_literals(text);
    let mut found = Vec::new();
    for (index, (quote_at, span)) in literals.iter().enumerate() {
        // Map notation names the configuration before `group:`.
        let before = text[..*quote_at].trim_end();
        let map_notation = before.strip_suffix("group:").map(str::len);
        let configuration_end = map_notation.unwrap_or(*quote_at);
        let Some(kind) = configuration_before(text, configuration_end).and_then(kind_of) else {
            continue;
        };
        let literal = &text[span.clone()];
        let parts: Vec<&str> = literal.split(':').collect();
        if map_notation.is_none()
            && parts.len() >= 3
            && !parts[0].is_empty()
            && !parts[1].is_empty()
        {
            // `g:a:v` or `g:a:v:classifier`; the version is the third part.
            let version_start = span.start + parts[0].len() + parts[1].len() + 2;
            let version_end = version_start + parts[2].len();
            found.push(GradleDeclaration {
                name: format!("{}:{}", parts[0], parts[1]),
                version: Some(parts[2].to_string()).filter(|v| !v.is_empty()),
                version_span: version_start..version_end,
                kind,
            });
        } else if map_notation.is_none() && parts.len() == 2 {
            found.push(GradleDeclaration {
                name: literal.to_string(),
                version: None,
                version_span: span.end..span.end,
                kind,
            });
        } else if map_notation.is_some() {
            // Map notation: the next literals are name and version.
            let value_after = |key: &str| {
                literals[index + 1..]
                    .iter()
                    .take(3)
                    .find(|(at, _)| text[..*at].trim_end().ends_with(key))
                    .map(|(_, span)| span.clone())
            };
            if let Some(name) = value_after("name:") {
                let version = value_after("version:");
                found.push(GradleDeclaration {
                    name: format!("{literal}:{}", &text[name]),
                    version: version.clone().map(|v| text[v].to_string()),
                    version_span: version.unwrap_or(span.end..span.end),
                    kind,
                });
            }
        }
    }
    found
}

fn declared(declaration: &GradleDeclaration) -> DeclaredDependency {
    DeclaredDependency {
        name: declaration.name.clone(),
        requirement: declaration.version.clone(),
        kind: declaration.kind,
        optional: false,
        non_registry_source: None,
    }
}

/// A build script's dependencies (those from the version catalog, written
/// `libs.x`, are the catalog's).
pub fn parse_build_script(
    _file: &str,
    text: &str,
) -> Result<Vec<DeclaredDependency>, ManifestError> {
    Ok(build_script_declarations(text)
        .iter()
        .map(declared)
        .collect())
}

fn span_of(item: Option<&Item>) -> Option<(String, Range<usize>)> {
    let value = item?.as_value()?;
    let text = value.as_str()?.to_string();
    let span = value.span()?;
    // Inside the quotes.
    Some((text, span.start + 1..span.end - 1))
}

/// A version written as a table: `{ strictly = "…" }`, `{ prefer = "…" }`,
/// `{ require = "…" }`.
fn rich_version(table: &dyn TableLike) -> Option<(String, Range<usize>)> {
    ["strictly", "require", "prefer"]
        .iter()
        .find_map(|k| span_of(table.get(k)))
}

/// The libraries of a version catalog (`gradle/libs.versions.toml`), with
/// where each version is written (a `[versions]` entry shared by several
/// libraries is one span for all of them).
pub fn catalog_declarations(
    file: &str,
    text: &str,
) -> Result<Vec<GradleDeclaration>, ManifestError> {
    let document: Document<&str> = Document::parse(text).map_err(|e| ManifestError {
        file: file.to_string(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: format!("not valid TOML: {}", e.message().trim()),
    })?;
    let root = document.as_table();
    let versions: BTreeMap<String, (String, Range<usize>)> = root
        .get("versions")
        .and_then(Item::as_table_like)
        .map(|t| {
            t.iter()
                .filter_map(|(key, item)| {
                    span_of(Some(item))
                        .or_else(|| item.as_table_like().and_then(rich_version))
                        .map(|found| (key.to_string(), found))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    let Some(libraries) = root.get("libraries").and_then(Item::as_table_like) else {
        return Ok(found);
    };
    for (alias, item) in libraries.iter() {
        let problem = |message: &str| ManifestError {
            file: file.to_string(),
            line: item.span().map_or(1, |s| line_of(text, s.start)),
            message: format!("libraries.{alias}: {message}"),
        };
        if let Some((notation, span)) = span_of(Some(item)) {
            let parts: Vec<&str> = notation.split(':').collect();
            if parts.len() < 2 {
                return Err(problem("expected \"group:artifact:version\""));
            }
            let version = parts.get(2).map(|v| v.to_string());
            let start = span.start + parts[0].len() + parts[1].len() + 2;
            found.push(GradleDeclaration {
                name: format!("{}:{}", parts[0], parts[1]),
                version_span: match &version {
                    Some(v) => start..start + v.len(),
                    None => span.end..span.end,
                },
                version,
                kind: DependencyKind::Normal,
            });
            continue;
        }
        let Some(table) = item.as_table_like() else {
            return Err(problem("expected a string or a table"));
        };
        let name = match (
            table.get("module").and_then(Item::as_str),
            table.get("group").and_then(Item::as_str),
            table.get("name").and_then(Item::as_str),
        ) {
            (Some(module), _, _) => module.to_string(),
            (None, Some(group), Some(name)) => format!("{group}:{name}"),
            _ => return Err(problem("has neither `module` nor `group` and `name`")),
        };
        let version = match table.get("version") {
            Some(item) => span_of(Some(item)).or_else(|| {
                let table = item.as_table_like()?;
                match table.get("ref").and_then(Item::as_str) {
                    Some(reference) => versions.get(reference).cloned(),
                    None => rich_version(table),
                }
            }),
            None => None,
        }
        .or_else(|| {
            // Dotted keys: `version.ref = "jackson"`.
            table
                .get("version")
                .and_then(Item::as_table_like)
                .and_then(|t| t.get("ref"))
                .and_then(Item::as_str)
                .and_then(|r| versions.get(r).cloned())
        });
        let (version, version_span) = match version {
            Some((text, span)) => (Some(text), span),
            None => (None, 0..0),
        };
        found.push(GradleDeclaration {
            name,
            version,
            version_span,
            kind: DependencyKind::Normal,
        });
    }
    Ok(found)
}

pub fn parse_catalog(file: &str, text: &str) -> Result<Vec<DeclaredDependency>, ManifestError> {
    Ok(catalog_declarations(file, text)?
        .iter()
        .map(declared)
        .collect())
}

/// `gradle.lockfile`: `group:artifact:version=configurations` a line.
pub fn parse_lockfile(
    file: &str,
    text: &str,
) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coordinates = line.split('=').next().unwrap_or(line);
        let parts: Vec<&str> = coordinates.split(':').collect();
        if parts.len() != 3 {
            return Err(ManifestError {
                file: file.to_string(),
                line: index + 1,
                message: format!("`{line}` is not `group:artifact:version=configurations`"),
            });
        }
        let list = versions
            .entry(format!("{}:{}", parts[0], parts[1]))
            .or_default();
        if !list.iter().any(|v| v == parts[2]) {
            list.push(parts[2].to_string());
        }
    }
    Ok(versions)
}

/// Whether a Gradle version is dynamic (`1.+`, `latest.release`, a range),
/// so that only a lock says what was resolved.
pub fn is_dynamic(version: &str) -> bool {
    version.contains('+') || version.starts_with("latest.") || version.starts_with(['[', '('])
}

/// Whether a version is built from variables (`$kotlin`, `${v}`).
pub fn is_variable(version: &str) -> bool {
    version.contains('$')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KTS: &str = r#"plugins { id("org.springframework.boot") version "3.3.5" }

dependencies {
    implementation("com.fasterxml.jackson.core:jackson-databind:2.15.2")
    implementation(libs.guava)
    // implementation("commented:out:1.0")
    runtimeOnly("org.postgresql:postgresql:42.7.2")
    testImplementation("org.junit.jupiter:junit-jupiter:5.10.0")
    annotationProcessor("org.projectlombok:lombok:1.18.30")
    implementation("io.ktor:ktor-client-core:$ktorVersion")
    implementation("org.slf4j:slf4j-api")
}
"#;

    #[test]
    fn a_kotlin_build_script_s_literal_declarations() {
        let found: Vec<(String, Option<String>, DependencyKind)> = build_script_declarations(KTS)
            .into_iter()
            .map(|d| (d.name, d.version, d.kind))
            .collect();
        let row = |n: &str, v: Option<&str>, k| (n.to_string(), v.map(str::to_string), k);
        assert_eq!(
            found,
            [
                row(
                    "com.fasterxml.jackson.core:jackson-databind",
                    Some("2.15.2"),
                    DependencyKind::Normal
                ),
                row(
                    "org.postgresql:postgresql",
                    Some("42.7.2"),
                    DependencyKind::Normal
                ),
                row(
                    "org.junit.jupiter:junit-jupiter",
                    Some("5.10.0"),
                    DependencyKind::Dev
                ),
                row(
                    "org.projectlombok:lombok",
                    Some("1.18.30"),
                    DependencyKind::Build
                ),
                row(
                    "io.ktor:ktor-client-core",
                    Some("$ktorVersion"),
                    DependencyKind::Normal
                ),
                row("org.slf4j:slf4j-api", None, DependencyKind::Normal),
            ]
        );
        let jackson = &build_script_declarations(KTS)[0];
        assert_eq!(&KTS[jackson.version_span.clone()], "2.15.2");
    }

    #[test]
    fn groovy_string_and_map_notation() {
        let groovy = "dependencies {\n    implementation 'com.google.guava:guava:32.1.2-jre'\n    testImplementation group: 'junit', name: 'junit', version: '4.13.2'\n}\n";
        let found = build_script_declarations(groovy);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].name, "junit:junit");
        assert_eq!(&groovy[found[1].version_span.clone()], "4.13.2");
        assert_eq!(found[1].kind, DependencyKind::Dev);
    }

    #[test]
    fn a_version_catalog_with_refs_rich_versions_and_notation() {
        let catalog = "[versions]\njackson = \"2.15.2\"\nokhttp = { strictly = \"4.12.0\" }\n\n[libraries]\njackson-core = { module = \"com.fasterxml.jackson.core:jackson-core\", version.ref = \"jackson\" }\njackson-databind = { group = \"com.fasterxml.jackson.core\", name = \"jackson-databind\", version.ref = \"jackson\" }\nguava = \"com.google.guava:guava:32.1.2-jre\"\nokhttp = { module = \"com.squareup.okhttp3:okhttp\", version.ref = \"okhttp\" }\nbom = { module = \"org.example:bom\" }\n";
        let found = catalog_declarations("gradle/libs.versions.toml", catalog).expect("catalog");
        let rows: Vec<(&str, Option<&str>, &str)> = found
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.version.as_deref(),
                    &catalog[d.version_span.clone()],
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "com.fasterxml.jackson.core:jackson-core",
                    Some("2.15.2"),
                    "2.15.2"
                ),
                (
                    "com.fasterxml.jackson.core:jackson-databind",
                    Some("2.15.2"),
                    "2.15.2"
                ),
                ("com.google.guava:guava", Some("32.1.2-jre"), "32.1.2-jre"),
                ("com.squareup.okhttp3:okhttp", Some("4.12.0"), "4.12.0"),
                ("org.example:bom", None, ""),
            ]
        );
        // Both jackson libraries write their version in one place.
        assert_eq!(found[0].version_span, found[1].version_span);
    }

    #[test]
    fn a_lockfile_and_its_mistakes() {
        let lock = parse_lockfile(
            "gradle.lockfile",
            "# This is a Gradle generated file for dependency locking.\n# Manual edits can break the build and are not advised.\n# This file is expected to be part of source control.\ncom.google.guava:guava:32.1.3-jre=compileClasspath,runtimeClasspath\norg.slf4j:slf4j-api:2.0.9=runtimeClasspath\nempty=annotationProcessor\n",
        )
        .expect("lock");
        assert_eq!(lock["com.google.guava:guava"], ["32.1.3-jre"]);
        let error = parse_lockfile("app/gradle.lockfile", "a:b=x\n").expect_err("bad");
        assert_eq!(
            error.to_string(),
            "app/gradle.lockfile:1: `a:b=x` is not `group:artifact:version=configurations`"
        );
        assert!(is_dynamic("1.+") && is_dynamic("latest.release") && !is_dynamic("1.2.3"));
    }
}
