//! `Gemfile` (read line by line, not evaluated: it is Ruby, and running a
//! repository's code is not Shipshape's to do) and `Gemfile.lock`.

use std::collections::BTreeMap;

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError};

fn group_kind(groups: &str) -> DependencyKind {
    let production = groups
        .split(',')
        .map(|g| g.trim().trim_start_matches(':').trim_matches(['"', '\'']))
        .any(|g| !matches!(g, "development" | "test"));
    if production {
        DependencyKind::Normal
    } else {
        DependencyKind::Dev
    }
}

pub fn parse_gemfile(file: &str, text: &str) -> Result<Vec<DeclaredDependency>, ManifestError> {
    let mut dependencies = Vec::new();
    let mut groups: Vec<DependencyKind> = Vec::new();
    let mut depth_without_group = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or_default().trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |message: String| ManifestError {
            file: file.to_string(),
            line: index + 1,
            message,
        };
        if let Some(rest) = line.strip_prefix("group ") {
            let names = rest.trim_end_matches("do").trim();
            groups.push(group_kind(names));
            continue;
        }
        if line.ends_with(" do") || line == "do" {
            // platforms, source and other blocks: no change of kind.
            depth_without_group += 1;
            continue;
        }
        if line == "end" {
            if depth_without_group > 0 {
                depth_without_group -= 1;
            } else if groups.pop().is_none() {
                return Err(error("`end` without a block to close".into()));
            }
            continue;
        }
        let Some(rest) = line
            .strip_prefix("gem ")
            .or_else(|| line.strip_prefix("gem("))
        else {
            continue;
        };
        // `gem "name", "req", "req", key: value, ...`: the quoted arguments
        // right after the name are its requirements, the rest are options.
        let args: Vec<&str> = rest
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .collect();
        let unquote = |arg: &str| {
            let quoted = arg.len() >= 2
                && ["\"", "'"]
                    .iter()
                    .any(|q| arg.starts_with(q) && arg.ends_with(q));
            quoted.then(|| arg[1..arg.len() - 1].to_string())
        };
        let name = args
            .first()
            .and_then(|a| unquote(a))
            .ok_or_else(|| error(format!("`{line}`: the gem's name must be a quoted string")))?;
        let requirements: Vec<String> = args[1..].iter().map_while(|a| unquote(a)).collect();
        let option = |keys: &[&str]| {
            args.iter()
                .find_map(|arg| keys.iter().find_map(|key| arg.strip_prefix(key)))
                .map(|value| {
                    value
                        .trim()
                        .trim_matches(['"', '\'', ':', '[', ']'])
                        .to_string()
                })
        };
        let mut kind = *groups.last().unwrap_or(&DependencyKind::Normal);
        if let Some(inline) = rest
            .split("group:")
            .nth(1)
            .or_else(|| rest.split(":group =>").nth(1))
        {
            // May be a list (`group: [:development, :test]`), so not `option`.
            kind = group_kind(inline.trim().trim_matches(['[', ']']));
        }
        let non_registry_source = [
            ("path", &["path:", ":path =>"][..]),
            ("git", &["git:", ":git =>"]),
            ("github", &["github:"]),
        ]
        .iter()
        .find_map(|(label, keys)| option(keys).map(|location| format!("{label} {location}")));
        dependencies.push(DeclaredDependency {
            name,
            requirement: (!requirements.is_empty()).then(|| requirements.join(", ")),
            kind,
            optional: false,
            non_registry_source,
        });
    }
    if !groups.is_empty() {
        return Err(ManifestError {
            file: file.to_string(),
            line: text.lines().count(),
            message: "a `group ... do` block is not closed".into(),
        });
    }
    Ok(dependencies)
}

/// Versions locked in the `GEM` sections of `Gemfile.lock` (gems from git
/// or a path are not from a registry and are left out), by gem name.
pub fn parse_lock(file: &str, text: &str) -> Result<BTreeMap<String, Vec<String>>, ManifestError> {
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut section = "";
    let mut in_specs = false;
    for (index, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            section = line.trim();
            in_specs = false;
            continue;
        }
        if line.trim() == "specs:" {
            in_specs = true;
            continue;
        }
        // Exactly four spaces: a locked gem; six: one of its own requirements.
        if section == "GEM" && in_specs && line.starts_with("    ") && !line.starts_with("     ") {
            let entry = line.trim();
            let (name, version) = entry
                .split_once(" (")
                .and_then(|(name, rest)| rest.strip_suffix(')').map(|v| (name, v)))
                .ok_or_else(|| ManifestError {
                    file: file.to_string(),
                    line: index + 1,
                    message: format!("`{entry}` is not `name (version)`"),
                })?;
            // Platform gems: `nokogiri (1.16.2-x86_64-linux)`.
            let version = version.split_once('-').map_or(version, |(v, _)| v);
            let list = versions.entry(name.to_string()).or_default();
            if !list.iter().any(|v| v == version) {
                list.push(version.to_string());
            }
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_service_gemfile_and_lock() {
        let gems = parse_gemfile(
            "Gemfile",
            include_str!("../../../../examples/billing-gateway/Gemfile"),
        )
        .expect("Gemfile");
        let names: Vec<&str> = gems.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["rails", "pg", "puma", "sidekiq", "rspec-rails"]);
        assert_eq!(gems[0].requirement.as_deref(), Some("~> 7.1.3"));
        assert_eq!(gems[4].kind, DependencyKind::Dev);
        let lock = parse_lock(
            "Gemfile.lock",
            include_str!("../../../../examples/billing-gateway/Gemfile.lock"),
        )
        .expect("lock");
        assert_eq!(lock["rails"], ["7.1.3.2"]);
        assert_eq!(lock["nio4r"], ["2.7.0"]);
        assert!(!lock.contains_key("connection_pool (>= 2.3.0)"));
    }

    #[test]
    fn inline_groups_sources_and_several_requirements() {
        let gems = parse_gemfile(
            "Gemfile",
            "source 'https://rubygems.org'\ngem 'rack', '>= 2.2', '< 4', require: false\ngem 'debug', group: :development\ngem 'internal', path: 'engines/internal'\nplatforms :jruby do\n  gem 'jdbc'\nend\n",
        )
        .expect("parse");
        assert_eq!(gems[0].requirement.as_deref(), Some(">= 2.2, < 4"));
        assert_eq!(gems[1].kind, DependencyKind::Dev);
        assert_eq!(
            gems[2].non_registry_source.as_deref(),
            Some("path engines/internal")
        );
        assert_eq!(gems[3].kind, DependencyKind::Normal);
    }

    #[test]
    fn unbalanced_blocks_are_errors() {
        assert!(
            parse_gemfile("Gemfile", "group :test do\n  gem 'x'\n")
                .expect_err("open")
                .to_string()
                .contains("not closed")
        );
        assert_eq!(
            parse_gemfile("Gemfile", "gem 'x'\nend\n")
                .expect_err("end")
                .line,
            2
        );
        let error = parse_lock("Gemfile.lock", "GEM\n  specs:\n    broken\n").expect_err("bad");
        assert_eq!(
            error.to_string(),
            "Gemfile.lock:3: `broken` is not `name (version)`"
        );
    }
}
