//! Joins the pure parts: a declared dependency, the versions its lock file
//! pins, and its registry's answer become a drift report, using the
//! ecosystem's own version scheme. The crawl calls this once per dependency.

use super::drift::{Drift, measure};
use super::model::{DeclaredDependency, Ecosystem};
use super::registry::answers::PackageInfo;
use super::version::{
    CargoScheme, GoScheme, MavenScheme, NpmScheme, Pep440Scheme, RubyScheme, VersionScheme,
};

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Measured(Drift),
    /// Not from a registry (a path, git or URL dependency): nothing to measure.
    NotFromRegistry(String),
    /// Something prevents measuring it; said so a person can act.
    Unknown(String),
}

/// Measures one dependency. `locked` are the versions the lock file pins for
/// its name (several when a lock holds more than one); `info` is `None` when
/// the registry could not be asked (the reason is in `registry_error`).
pub fn analyze(
    ecosystem: Ecosystem,
    dependency: &DeclaredDependency,
    locked: &[String],
    info: Option<&PackageInfo>,
    registry_error: Option<&str>,
    now_ms: i64,
) -> Outcome {
    if let Some(source) = &dependency.non_registry_source {
        return Outcome::NotFromRegistry(source.clone());
    }
    let Some(info) = info else {
        return Outcome::Unknown(
            registry_error
                .unwrap_or("the registry has not been asked yet")
                .to_string(),
        );
    };
    let result = match ecosystem {
        Ecosystem::Cargo => with_scheme(
            &CargoScheme,
            dependency.requirement.as_deref(),
            locked,
            info,
            now_ms,
        ),
        Ecosystem::Npm => with_scheme(
            &NpmScheme,
            dependency.requirement.as_deref(),
            locked,
            info,
            now_ms,
        ),
        Ecosystem::Ruby => with_scheme(
            &RubyScheme,
            dependency.requirement.as_deref(),
            locked,
            info,
            now_ms,
        ),
        Ecosystem::Python => {
            // An exact pin (`==1.26.4`, typical of requirements files) is the version in use.
            let pinned: Vec<String> = dependency
                .requirement
                .as_deref()
                .and_then(|r| r.strip_prefix("=="))
                .filter(|v| !v.contains([',', '*']))
                .map(|v| vec![v.to_string()])
                .unwrap_or_default();
            let locked = if locked.is_empty() {
                &pinned[..]
            } else {
                locked
            };
            with_scheme(
                &Pep440Scheme,
                dependency.requirement.as_deref(),
                locked,
                info,
                now_ms,
            )
        }
        // Minimal version selection: go.mod's version is the one built.
        Ecosystem::Go => {
            let in_use: Vec<String> = dependency.requirement.iter().cloned().collect();
            with_scheme(
                &GoScheme,
                dependency.requirement.as_deref(),
                &in_use,
                info,
                now_ms,
            )
        }
        // A plain version in a POM is the one used; a range is resolved by Maven.
        Ecosystem::Maven => {
            let in_use: Vec<String> = dependency
                .requirement
                .iter()
                .filter(|r| !r.starts_with(['[', '(']))
                .cloned()
                .collect();
            with_scheme(
                &MavenScheme,
                dependency.requirement.as_deref(),
                &in_use,
                info,
                now_ms,
            )
        }
    };
    match result {
        Ok(drift) => Outcome::Measured(drift),
        Err(reason) => Outcome::Unknown(reason),
    }
}

fn with_scheme<S: VersionScheme>(
    scheme: &S,
    requirement: Option<&str>,
    locked: &[String],
    info: &PackageInfo,
    now_ms: i64,
) -> Result<Drift, String> {
    // Of several locked versions, the newest one the requirement allows is
    // this dependency's; the others belong to other dependents.
    let parsed_requirement = scheme.parse_requirement(requirement)?;
    let in_use = locked
        .iter()
        .filter_map(|text| scheme.parse_version(text).ok().map(|v| (v, text)))
        .filter(|(v, _)| scheme.matches(&parsed_requirement, v) || locked.len() == 1)
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, text)| text.as_str());
    measure(scheme, requirement, in_use, &info.releases, now_ms).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::manifest;
    use crate::deps::registry::answers;
    use crate::deps::version::Gap;

    const NOW: i64 = 1_795_424_000_000;

    fn measured(outcome: Outcome) -> Drift {
        match outcome {
            Outcome::Measured(drift) => drift,
            other => panic!("expected a measurement, got {other:?}"),
        }
    }

    #[test]
    fn the_demo_cargo_service_against_index_answers() {
        let manifest = manifest::cargo::parse_manifest(
            "Cargo.toml",
            include_str!("../../../examples/checkout-api/Cargo.toml"),
            None,
        )
        .expect("manifest");
        let lock = manifest::cargo::parse_lock(
            "Cargo.lock",
            include_str!("../../../examples/checkout-api/Cargo.lock"),
        )
        .expect("lock");
        let axum = manifest
            .dependencies
            .iter()
            .find(|d| d.name == "axum")
            .expect("axum");
        let locked_axum = lock["axum"].clone();
        let locked_version = locked_axum[0].clone();
        let index = format!(
            "{{\"name\":\"axum\",\"vers\":\"{locked_version}\",\"yanked\":false,\"pubtime\":\"2024-04-01T00:00:00Z\"}}\n{{\"name\":\"axum\",\"vers\":\"0.8.4\",\"yanked\":false,\"pubtime\":\"2025-04-30T00:00:00Z\"}}\n"
        );
        let info = answers::crates_index(&index).expect("index");
        let drift = measured(analyze(
            Ecosystem::Cargo,
            axum,
            &locked_axum,
            Some(&info),
            None,
            NOW,
        ));
        assert_eq!(drift.current, locked_version);
        assert_eq!(
            drift.gap,
            Gap::Major,
            "0.7 to 0.8 breaks under Cargo's rules"
        );
        assert_eq!(drift.latest.as_deref(), Some("0.8.4"));
        assert!(drift.libyears.expect("dated") > 1.0);
    }

    #[test]
    fn each_ecosystem_uses_its_own_rules() {
        let dep = |name: &str, requirement: &str| DeclaredDependency {
            name: name.into(),
            requirement: Some(requirement.into()),
            kind: crate::deps::model::DependencyKind::Normal,
            optional: false,
            non_registry_source: None,
        };
        let releases = |versions: &[&str]| PackageInfo {
            releases: versions
                .iter()
                .enumerate()
                .map(|(i, v)| crate::deps::drift::Release {
                    version: v.to_string(),
                    published_ms: Some(i as i64 * 86_400_000),
                    yanked: false,
                })
                .collect(),
            ..PackageInfo::default()
        };
        // Python: a pin in requirements.txt is the version in use.
        let drift = measured(analyze(
            Ecosystem::Python,
            &dep("numpy", "==1.26.4"),
            &[],
            Some(&releases(&["1.26.4", "2.1.0"])),
            None,
            NOW,
        ));
        assert_eq!((drift.current.as_str(), drift.gap), ("1.26.4", Gap::Major));
        // Go: the go.mod version is the one built.
        let drift = measured(analyze(
            Ecosystem::Go,
            &dep("golang.org/x/sync", "v0.7.0"),
            &[],
            Some(&releases(&["v0.7.0", "v0.8.0"])),
            None,
            NOW,
        ));
        assert_eq!((drift.current.as_str(), drift.gap), ("v0.7.0", Gap::Major));
        // npm: the lock decides; ^4.18.2 wants 4.21.0, latest is 5.
        let drift = measured(analyze(
            Ecosystem::Npm,
            &dep("express", "^4.18.2"),
            &["4.18.2".into()],
            Some(&releases(&["4.18.2", "4.21.0", "5.0.1"])),
            None,
            NOW,
        ));
        assert_eq!(
            (drift.wanted.as_deref(), drift.latest.as_deref(), drift.gap),
            (Some("4.21.0"), Some("5.0.1"), Gap::Major)
        );
        // Ruby and Maven.
        let drift = measured(analyze(
            Ecosystem::Ruby,
            &dep("pg", "~> 1.5"),
            &["1.5.6".into()],
            Some(&releases(&["1.5.6", "1.5.9"])),
            None,
            NOW,
        ));
        assert_eq!(drift.gap, Gap::Patch);
        let drift = measured(analyze(
            Ecosystem::Maven,
            &dep("org.postgresql:postgresql", "42.7.2"),
            &[],
            Some(&releases(&["42.7.2", "42.7.3"])),
            None,
            NOW,
        ));
        assert_eq!(drift.gap, Gap::Patch);
    }

    #[test]
    fn several_locked_versions_pick_the_one_the_requirement_allows() {
        let dep = DeclaredDependency {
            name: "syn".into(),
            requirement: Some("2".into()),
            kind: crate::deps::model::DependencyKind::Normal,
            optional: false,
            non_registry_source: None,
        };
        let info = answers::crates_index(
            "{\"vers\":\"1.0.109\"}\n{\"vers\":\"2.0.52\"}\n{\"vers\":\"2.0.60\"}\n",
        )
        .expect("index");
        let drift = measured(analyze(
            Ecosystem::Cargo,
            &dep,
            &["1.0.109".into(), "2.0.52".into()],
            Some(&info),
            None,
            NOW,
        ));
        assert_eq!(drift.current, "2.0.52");
    }

    #[test]
    fn what_cannot_be_measured_says_why() {
        let mut dep = DeclaredDependency {
            name: "local".into(),
            requirement: None,
            kind: crate::deps::model::DependencyKind::Normal,
            optional: false,
            non_registry_source: Some("path ../local".into()),
        };
        assert_eq!(
            analyze(Ecosystem::Cargo, &dep, &[], None, None, NOW),
            Outcome::NotFromRegistry("path ../local".into())
        );
        dep.non_registry_source = None;
        assert_eq!(
            analyze(
                Ecosystem::Cargo,
                &dep,
                &[],
                None,
                Some("crates.io answered 503 three times"),
                NOW
            ),
            Outcome::Unknown("crates.io answered 503 three times".into())
        );
        dep.requirement = Some("^one".into());
        let outcome = analyze(
            Ecosystem::Npm,
            &dep,
            &[],
            Some(&PackageInfo::default()),
            None,
            NOW,
        );
        assert!(matches!(outcome, Outcome::Unknown(reason) if reason.contains("not an npm range")));
    }
}
