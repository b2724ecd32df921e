//! `go.mod`: the truth for Go (minimal version selection makes the versions
//! it requires the versions built; `go.sum` is not a list of dependencies).
//! `replace` directives are honoured: a module replaced by another version
//! or path is measured as what replaces it.

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoModule {
    pub module: Option<String>,
    pub dependencies: Vec<GoRequirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoRequirement {
    pub declared: DeclaredDependency,
    /// Marked `// indirect`: required for a dependency, not imported here.
    pub indirect: bool,
}

struct Replacement {
    old_path: String,
    old_version: Option<String>,
    new_path: String,
    new_version: Option<String>,
}

pub fn parse_go_mod(file: &str, text: &str) -> Result<GoModule, ManifestError> {
    let mut module = GoModule::default();
    let mut requires: Vec<(String, String, bool, usize)> = Vec::new();
    let mut replacements: Vec<Replacement> = Vec::new();
    let mut block: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let error = |message: String| ManifestError {
            file: file.to_string(),
            line: line_number,
            message,
        };
        let (code, comment) = match raw.split_once("//") {
            Some((code, comment)) => (code.trim(), comment.trim()),
            None => (raw.trim(), ""),
        };
        if code.is_empty() {
            continue;
        }
        if block.is_some() && code == ")" {
            block = None;
            continue;
        }
        let (directive, rest) = match &block {
            Some(directive) => (directive.clone(), code.to_string()),
            None => {
                let (directive, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(directive.to_string());
                    continue;
                }
                (directive.to_string(), rest.to_string())
            }
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        match directive.as_str() {
            "module" => module.module = words.first().map(|m| m.trim_matches('"').to_string()),
            "require" => {
                let [path, version] = words[..] else {
                    return Err(error(format!(
                        "`require {rest}` should be a module path and a version"
                    )));
                };
                requires.push((
                    path.to_string(),
                    version.to_string(),
                    comment.contains("indirect"),
                    line_number,
                ));
            }
            "replace" => {
                let arrow = words
                    .iter()
                    .position(|w| *w == "=>")
                    .ok_or_else(|| error(format!("`replace {rest}` has no =>")))?;
                let (old, new) = words.split_at(arrow);
                let new = &new[1..];
                if old.is_empty() || new.is_empty() || old.len() > 2 || new.len() > 2 {
                    return Err(error(format!(
                        "`replace {rest}` should be `old [version] => new [version]`"
                    )));
                }
                replacements.push(Replacement {
                    old_path: old[0].to_string(),
                    old_version: old.get(1).map(|v| v.to_string()),
                    new_path: new[0].to_string(),
                    new_version: new.get(1).map(|v| v.to_string()),
                });
            }
            "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool" => {}
            other => return Err(error(format!("unknown directive `{other}`"))),
        }
    }
    if block.is_some() {
        return Err(ManifestError {
            file: file.to_string(),
            line: text.lines().count(),
            message: "a `(` block is not closed".into(),
        });
    }
    for (path, version, indirect, _) in requires {
        let replacement = replacements
            .iter()
            .find(|r| r.old_path == path && r.old_version.as_ref().is_none_or(|v| *v == version));
        let declared = match replacement {
            Some(Replacement {
                new_path,
                new_version: Some(new_version),
                ..
            }) => DeclaredDependency {
                name: new_path.clone(),
                requirement: Some(new_version.clone()),
                kind: DependencyKind::Normal,
                optional: false,
                non_registry_source: None,
            },
            Some(Replacement {
                new_path,
                new_version: None,
                ..
            }) => DeclaredDependency {
                name: path.clone(),
                requirement: None,
                kind: DependencyKind::Normal,
                optional: false,
                non_registry_source: Some(format!("replaced by {new_path}")),
            },
            None => DeclaredDependency {
                name: path,
                requirement: Some(version),
                kind: DependencyKind::Normal,
                optional: false,
                non_registry_source: None,
            },
        };
        module
            .dependencies
            .push(GoRequirement { declared, indirect });
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_service_go_mod_with_a_replace() {
        let module = parse_go_mod("go.mod", include_str!("../../../../examples/ledger/go.mod"))
            .expect("go.mod");
        assert_eq!(
            module.module.as_deref(),
            Some("example.com/payments/ledger")
        );
        assert_eq!(module.dependencies.len(), 5);
        let sync = module
            .dependencies
            .iter()
            .find(|d| d.declared.name == "golang.org/x/sync")
            .expect("sync");
        assert_eq!(
            sync.declared.requirement.as_deref(),
            Some("v0.7.0"),
            "the replace wins"
        );
        let perks = module
            .dependencies
            .iter()
            .find(|d| d.declared.name == "github.com/beorn7/perks")
            .expect("perks");
        assert!(perks.indirect);
    }

    #[test]
    fn local_replacements_and_single_line_requires() {
        let module = parse_go_mod(
            "go.mod",
            "module m\n\nrequire example.com/a v1.2.0\nrequire example.com/b v0.1.0 // indirect\nreplace example.com/a => ../a\n",
        )
        .expect("parse");
        assert_eq!(
            module.dependencies[0]
                .declared
                .non_registry_source
                .as_deref(),
            Some("replaced by ../a")
        );
        assert_eq!(module.dependencies[0].declared.requirement, None);
        assert!(module.dependencies[1].indirect);
    }

    #[test]
    fn malformed_go_mod_names_the_line() {
        let error = parse_go_mod("go.mod", "module m\nrequire (\n  example.com/a\n)\n")
            .expect_err("no version");
        assert_eq!(error.line, 3);
        let error = parse_go_mod("go.mod", "module m\nrequires x v1\n").expect_err("typo");
        assert_eq!(error.to_string(), "go.mod:2: unknown directive `requires`");
        assert!(
            parse_go_mod("go.mod", "require (\n a v1.0.0\n")
                .expect_err("open")
                .to_string()
                .contains("not closed")
        );
    }
}
