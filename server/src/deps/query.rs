//! The fleet-wide package search: `serde`, `serde <1.0.200`,
//! `npm:react@<18`, `python:django>=4,<5`… A name (optionally prefixed by its
//! ecosystem) and optional version conditions, each compared with the
//! package's own ecosystem's version ordering.

use std::cmp::Ordering;

use super::model::Ecosystem;
use super::version::{
    CargoScheme, GoScheme, MavenScheme, NpmScheme, Pep440Scheme, RubyScheme, VersionScheme,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageQuery {
    pub ecosystem: Option<Ecosystem>,
    pub name: String,
    conditions: Vec<(Op, String)>,
}

impl PackageQuery {
    pub fn parse(text: &str) -> Result<PackageQuery, String> {
        let text = text.trim();
        let (ecosystem, rest) = match text.split_once(':') {
            Some((prefix, rest)) if Ecosystem::from_config_name(prefix).is_some() => {
                (Ecosystem::from_config_name(prefix), rest)
            }
            _ => (None, text),
        };
        // Maven names contain `:` too: only a known ecosystem is a prefix.
        let split = rest
            .char_indices()
            .find(|(i, c)| matches!(c, '<' | '>' | '=' | '!' | ' ') || (*c == '@' && *i > 0))
            .map_or(rest.len(), |(i, _)| i);
        let (name, conditions_text) = rest.split_at(split);
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err("name a package, like `serde`, `serde <1.0.200` or `npm:react@<18`".into());
        }
        let conditions_text = conditions_text.trim().trim_start_matches('@');
        let mut conditions = Vec::new();
        for part in conditions_text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (op, version) = [
                ("<=", Op::LessOrEqual),
                (">=", Op::GreaterOrEqual),
                ("==", Op::Equal),
                ("!=", Op::NotEqual),
                ("<", Op::Less),
                (">", Op::Greater),
                ("=", Op::Equal),
            ]
            .iter()
            .find_map(|(symbol, op)| part.strip_prefix(symbol).map(|v| (*op, v.trim())))
            .unwrap_or((Op::Equal, part));
            if version.is_empty() {
                return Err(format!("`{part}` has no version after its operator"));
            }
            conditions.push((op, version.to_string()));
        }
        Ok(PackageQuery {
            ecosystem,
            name,
            conditions,
        })
    }

    /// Whether a package is the one asked for: the exact name when versions
    /// are given, else any name containing the text.
    pub fn matches_package(&self, ecosystem: Ecosystem, name: &str) -> bool {
        if self.ecosystem.is_some_and(|e| e != ecosystem) {
            return false;
        }
        if self.conditions.is_empty() {
            name.to_ascii_lowercase()
                .contains(&self.name.to_ascii_lowercase())
        } else {
            name.eq_ignore_ascii_case(&self.name)
        }
    }

    pub fn matches_version(&self, ecosystem: Ecosystem, version: &str) -> bool {
        self.conditions.iter().all(|(op, wanted)| {
            let Some(order) = compare(ecosystem, version, wanted) else {
                return false;
            };
            match op {
                Op::Less => order == Ordering::Less,
                Op::LessOrEqual => order != Ordering::Greater,
                Op::Greater => order == Ordering::Greater,
                Op::GreaterOrEqual => order != Ordering::Less,
                Op::Equal => order == Ordering::Equal,
                Op::NotEqual => order != Ordering::Equal,
            }
        })
    }
}

fn with<S: VersionScheme>(scheme: &S, a: &str, b: &str) -> Option<Ordering> {
    // People write `<18` for `<18.0.0`; semver schemes need all three numbers.
    let parse = |text: &str| {
        scheme
            .parse_version(text)
            .or_else(|_| scheme.parse_version(&format!("{text}.0")))
            .or_else(|_| scheme.parse_version(&format!("{text}.0.0")))
            .ok()
    };
    Some(parse(a)?.cmp(&parse(b)?))
}

/// Orders two versions by the ecosystem's rules (`None` if one cannot be read).
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    match ecosystem {
        Ecosystem::Cargo => with(&CargoScheme, a, b),
        Ecosystem::Npm => with(&NpmScheme, a, b),
        Ecosystem::Python => with(&Pep440Scheme, a, b),
        Ecosystem::Go => with(&GoScheme, a, b),
        Ecosystem::Ruby => with(&RubyScheme, a, b),
        Ecosystem::Maven => with(&MavenScheme, a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_condition_with_or_without_ecosystem() {
        let q = PackageQuery::parse("serde <1.0.200").expect("parses");
        assert_eq!((q.ecosystem, q.name.as_str()), (None, "serde"));
        assert!(q.matches_package(Ecosystem::Cargo, "serde"));
        assert!(!q.matches_package(Ecosystem::Cargo, "serde_json"));
        assert!(q.matches_version(Ecosystem::Cargo, "1.0.197"));
        assert!(!q.matches_version(Ecosystem::Cargo, "1.0.200"));

        let q = PackageQuery::parse("npm:react@<18").expect("parses");
        assert_eq!(q.ecosystem, Some(Ecosystem::Npm));
        assert!(!q.matches_package(Ecosystem::Cargo, "react"));
        assert!(q.matches_version(Ecosystem::Npm, "17.0.2"));
        assert!(!q.matches_version(Ecosystem::Npm, "18.2.0"));
    }

    #[test]
    fn each_ecosystem_orders_by_its_own_rules() {
        let q = PackageQuery::parse("python:django>=4,<5").expect("parses");
        assert!(q.matches_version(Ecosystem::Python, "4.2.7"));
        assert!(!q.matches_version(Ecosystem::Python, "5.0"));
        let q = PackageQuery::parse("rails <7.1.3.10").expect("parses");
        assert!(q.matches_version(Ecosystem::Ruby, "7.1.3.2"));
        let q = PackageQuery::parse("maven:org.postgresql:postgresql <42.7.5").expect("parses");
        assert_eq!(q.name, "org.postgresql:postgresql");
        assert!(q.matches_version(Ecosystem::Maven, "42.7.2"));
    }

    #[test]
    fn a_bare_name_is_a_search_and_mistakes_are_explained() {
        let q = PackageQuery::parse("ser").expect("parses");
        assert!(q.matches_package(Ecosystem::Cargo, "serde_json"));
        assert!(q.matches_version(Ecosystem::Cargo, "anything"));
        assert!(PackageQuery::parse("  ").is_err());
        assert_eq!(
            PackageQuery::parse("serde <").unwrap_err(),
            "`<` has no version after its operator"
        );
    }
}
