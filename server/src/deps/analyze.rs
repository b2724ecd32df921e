//! Joins the pure parts: a declared dependency, the versions its lock file
//! pins, and its registry's answer become a drift report, using the
//! ecosystem's own version scheme. The crawl calls this once per dependency.

use super::drift::{Drift, measure};
use super::manifest::gradle;
use super::model::{DeclaredDependency, Ecosystem};
use super::registry::answers::PackageInfo;
use shipshape_types::drift::VersionSource;

use super::version::{
    CargoScheme, GoScheme, MavenScheme, NpmScheme, Pep440Scheme, RubyScheme, VersionScheme,
};

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Measured; the source says whether the version in use is known (a
    /// lock or a pin) or assumed from the range.
    Measured(Drift, VersionSource),
    /// Not from a registry (a path, git or URL dependency): nothing to measure.
    NotFromRegistry(String),
    /// Something prevents measuring it; said so a person can act.
    Unknown(String),
}

/// What the lock file that governs a dependency's manifest says of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockEvidence<'a> {
    /// The lock file, from the repository's root.
    pub file: &'a str,
    /// The versions it pins under the dependency's name (several when a
    /// lock holds more than one; empty when it has no entry).
    pub versions: &'a [String],
}

/// Measures one dependency. `lock` is `None` when no lock file governs its
/// manifest; `info` is `None` when the registry could not be asked (the
/// reason is in `registry_error`).
pub fn analyze(
    ecosystem: Ecosystem,
    dependency: &DeclaredDependency,
    lock: Option<LockEvidence<'_>>,
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
    let requirement = dependency.requirement.as_deref();
    let result = match ecosystem {
        Ecosystem::Cargo => with_scheme(&CargoScheme, dependency, lock, info, now_ms),
        Ecosystem::Npm => with_scheme(&NpmScheme, dependency, lock, info, now_ms),
        Ecosystem::Ruby => with_scheme(&RubyScheme, dependency, lock, info, now_ms),
        Ecosystem::Python => with_scheme(&Pep440Scheme, dependency, lock, info, now_ms),
        // Minimal version selection: go.mod's version is the one built.
        Ecosystem::Go => pinned(&GoScheme, requirement, requirement, info, now_ms),
        // Gradle's dependency locking is the truth where it is on.
        Ecosystem::Maven if lock.is_some() => {
            let soft = requirement.filter(|r| !gradle::is_dynamic(r) && !gradle::is_variable(r));
            let dependency = DeclaredDependency {
                requirement: soft.map(str::to_string),
                ..dependency.clone()
            };
            with_scheme(&MavenScheme, &dependency, lock, info, now_ms)
        }
        // A plain version in a POM or a build script is the one used; a
        // range or a dynamic version is resolved at build time, so without a
        // lock only what it allows is known.
        Ecosystem::Maven => match requirement {
            Some(range) if range.starts_with(['[', '(']) => {
                from_range(&MavenScheme, requirement, info, now_ms)
            }
            Some(version) if gradle::is_dynamic(version) || gradle::is_variable(version) => Err(format!(
                "`{version}` is resolved by the build; without gradle.lockfile the version in use is not known"
            )),
            None => Err("no version is written (a BOM or a platform sets it); the version in use is not known".into()),
            _ => pinned(&MavenScheme, requirement, requirement, info, now_ms),
        },
    };
    match result {
        Ok((drift, source)) => Outcome::Measured(drift, source),
        Err(reason) => Outcome::Unknown(reason),
    }
}

type Measured = Result<(Drift, VersionSource), String>;

fn with_scheme<S: VersionScheme>(
    scheme: &S,
    dependency: &DeclaredDependency,
    lock: Option<LockEvidence<'_>>,
    info: &PackageInfo,
    now_ms: i64,
) -> Measured {
    let requirement = dependency.requirement.as_deref();
    let parsed_requirement = scheme.parse_requirement(requirement)?;
    let Some(lock) = lock else {
        // No lock: an exact pin is still the version in use; anything else
        // is only what a fresh install could pick.
        return match exact_pin(scheme, requirement) {
            Some(pin) => pinned(scheme, requirement, Some(&pin), info, now_ms),
            None => from_range(scheme, requirement, info, now_ms),
        };
    };
    if lock.versions.is_empty() {
        let what = if dependency.optional {
            "optional and not installed"
        } else {
            "the lock is out of date with the manifest"
        };
        return Err(format!("{} has no entry for it: {what}", lock.file));
    }
    // Of several locked versions, the newest one the requirement allows is
    // this dependency's; the others belong to other dependents. A lock that
    // pins none the requirement allows is out of date or belongs to another
    // manifest: its version is not taken.
    let in_use = lock
        .versions
        .iter()
        .filter_map(|text| scheme.parse_version(text).ok().map(|v| (v, text)))
        .filter(|(v, _)| scheme.matches(&parsed_requirement, v))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, text)| text.as_str());
    let Some(in_use) = in_use else {
        return Err(format!(
            "lock does not satisfy `{}`: {} locked in {}",
            requirement.unwrap_or("*"),
            lock.versions.join(", "),
            lock.file
        ));
    };
    let drift = measure(scheme, requirement, Some(in_use), &info.releases, now_ms)
        .map_err(|e| e.to_string())?;
    Ok((drift, VersionSource::Lock))
}

/// A requirement only one version satisfies (`==1.2.3`, npm's `1.2.3`,
/// Cargo's `=1.2.3`, a gem's `= 1.2.3`): that version.
fn exact_pin<S: VersionScheme>(scheme: &S, requirement: Option<&str>) -> Option<String> {
    let text = requirement?.trim();
    if text.contains([',', '*', ' ', '|']) && !text.starts_with("= ") {
        return None;
    }
    let version = text
        .strip_prefix("===")
        .or_else(|| text.strip_prefix("=="))
        .or_else(|| text.strip_prefix('='))
        .unwrap_or(text)
        .trim();
    let parsed = scheme.parse_version(version).ok()?;
    let requirement = scheme.parse_requirement(Some(text)).ok()?;
    // `1.2.3` is exact for npm and Ruby but `^1.2.3` for Cargo: exact only
    // if the next version up is not admitted too.
    let next_admitted = next_patch_of(version)
        .and_then(|v| scheme.parse_version(&v).ok())
        .is_some_and(|v| scheme.matches(&requirement, &v));
    (scheme.matches(&requirement, &parsed) && !next_admitted).then(|| version.to_string())
}

/// `1.2.3` → `1.2.4`; `4.6` → `4.7` (the last number plus one).
fn next_patch_of(version: &str) -> Option<String> {
    let (head, last) = version.rsplit_once('.').unwrap_or(("", version));
    let digits: String = last.chars().take_while(char::is_ascii_digit).collect();
    let next = digits.parse::<u64>().ok()? + 1;
    Some(if head.is_empty() {
        next.to_string()
    } else {
        format!("{head}.{next}")
    })
}

fn pinned<S: VersionScheme>(
    scheme: &S,
    requirement: Option<&str>,
    version: Option<&str>,
    info: &PackageInfo,
    now_ms: i64,
) -> Measured {
    let drift =
        measure(scheme, requirement, version, &info.releases, now_ms).map_err(|e| e.to_string())?;
    let source = if version.is_some() {
        VersionSource::Pin
    } else {
        VersionSource::RangeOnly
    };
    Ok((drift, source))
}

fn from_range<S: VersionScheme>(
    scheme: &S,
    requirement: Option<&str>,
    info: &PackageInfo,
    now_ms: i64,
) -> Measured {
    let drift =
        measure(scheme, requirement, None, &info.releases, now_ms).map_err(|e| e.to_string())?;
    Ok((drift, VersionSource::RangeOnly))
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
            Outcome::Measured(drift, _) => drift,
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
            Some(LockEvidence {
                file: "Cargo.lock",
                versions: &locked_axum,
            }),
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
        // Python: a pin in requirements.txt is the version in use.
        let drift = measured(analyze(
            Ecosystem::Python,
            &declared("numpy", "==1.26.4"),
            None,
            Some(&releases(&["1.26.4", "2.1.0"])),
            None,
            NOW,
        ));
        assert_eq!((drift.current.as_str(), drift.gap), ("1.26.4", Gap::Major));
        // Go: the go.mod version is the one built.
        let drift = measured(analyze(
            Ecosystem::Go,
            &declared("golang.org/x/sync", "v0.7.0"),
            None,
            Some(&releases(&["v0.7.0", "v0.8.0"])),
            None,
            NOW,
        ));
        assert_eq!((drift.current.as_str(), drift.gap), ("v0.7.0", Gap::Major));
        // npm: the lock decides; ^4.18.2 wants 4.21.0, latest is 5.
        let drift = measured(analyze(
            Ecosystem::Npm,
            &declared("express", "^4.18.2"),
            Some(LockEvidence {
                file: "lock",
                versions: &["4.18.2".into()],
            }),
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
            &declared("pg", "~> 1.5"),
            Some(LockEvidence {
                file: "lock",
                versions: &["1.5.6".into()],
            }),
            Some(&releases(&["1.5.6", "1.5.9"])),
            None,
            NOW,
        ));
        assert_eq!(drift.gap, Gap::Patch);
        let drift = measured(analyze(
            Ecosystem::Maven,
            &declared("org.postgresql:postgresql", "42.7.2"),
            None,
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
            Some(LockEvidence {
                file: "lock",
                versions: &["1.0.109".into(), "2.0.52".into()],
            }),
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
            analyze(Ecosystem::Cargo, &dep, None, None, None, NOW),
            Outcome::NotFromRegistry("path ../local".into())
        );
        dep.non_registry_source = None;
        assert_eq!(
            analyze(
                Ecosystem::Cargo,
                &dep,
                None,
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
            None,
            Some(&PackageInfo::default()),
            None,
            NOW,
        );
        assert!(matches!(outcome, Outcome::Unknown(reason) if reason.contains("not an npm range")));
    }

    /// A normal dependency on `name` with `requirement`.
    fn declared(name: &str, requirement: &str) -> DeclaredDependency {
        DeclaredDependency {
            name: name.into(),
            requirement: Some(requirement.into()),
            kind: crate::deps::model::DependencyKind::Normal,
            optional: false,
            non_registry_source: None,
        }
    }

    /// A registry answer with `versions` published a day apart, oldest first.
    fn releases(versions: &[&str]) -> PackageInfo {
        PackageInfo {
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
        }
    }

    #[test]
    fn a_locked_version_the_requirement_does_not_allow_is_not_taken() {
        let outcome = analyze(
            Ecosystem::Npm,
            &declared("typescript", "^5.2.2"),
            Some(LockEvidence {
                file: "package-lock.json",
                versions: &["4.4.4".into()],
            }),
            Some(&releases(&["4.4.4", "5.2.2", "5.6.3"])),
            None,
            NOW,
        );
        assert_eq!(
            outcome,
            Outcome::Unknown(
                "lock does not satisfy `^5.2.2`: 4.4.4 locked in package-lock.json".into()
            )
        );
    }

    #[test]
    fn a_lock_without_the_dependency_says_it_is_out_of_date() {
        let outcome = analyze(
            Ecosystem::Npm,
            &declared("zod", "^3.22.0"),
            Some(LockEvidence {
                file: "web/package-lock.json",
                versions: &[],
            }),
            Some(&releases(&["3.22.0", "3.23.8"])),
            None,
            NOW,
        );
        assert!(
            matches!(&outcome, Outcome::Unknown(why) if why == "web/package-lock.json has no entry for it: the lock is out of date with the manifest"),
            "{outcome:?}"
        );
    }

    #[test]
    fn without_a_lock_only_an_exact_pin_is_a_known_version() {
        let info = releases(&["1.2.3", "1.2.4", "1.3.0"]);
        let source_of = |ecosystem, requirement: &str| match analyze(
            ecosystem,
            &declared("x", requirement),
            None,
            Some(&info),
            None,
            NOW,
        ) {
            Outcome::Measured(drift, source) => (drift.current, source),
            other => panic!("{other:?}"),
        };
        // npm's and Ruby's bare version and Cargo's `=` are exact; Cargo's
        // bare version is a caret range; a range is only an assumption.
        assert_eq!(
            source_of(Ecosystem::Npm, "1.2.3"),
            ("1.2.3".into(), VersionSource::Pin)
        );
        assert_eq!(
            source_of(Ecosystem::Ruby, "1.2.3"),
            ("1.2.3".into(), VersionSource::Pin)
        );
        assert_eq!(
            source_of(Ecosystem::Cargo, "=1.2.3"),
            ("1.2.3".into(), VersionSource::Pin)
        );
        assert_eq!(
            source_of(Ecosystem::Cargo, "1.2.3"),
            ("1.3.0".into(), VersionSource::RangeOnly)
        );
        assert_eq!(
            source_of(Ecosystem::Npm, "^1.2.3"),
            ("1.3.0".into(), VersionSource::RangeOnly)
        );
        assert_eq!(
            source_of(Ecosystem::Python, "==1.2.3"),
            ("1.2.3".into(), VersionSource::Pin)
        );
        assert_eq!(
            source_of(Ecosystem::Python, ">=1.2"),
            ("1.3.0".into(), VersionSource::RangeOnly)
        );
    }

    #[test]
    fn a_short_pep_440_pin_is_the_registry_s_longer_spelling() {
        // `==4.6` is 4.6.0: wanted, the age and the gap all come back.
        let info = releases(&["4.5.0", "4.6.0", "4.7.1"]);
        match analyze(
            Ecosystem::Python,
            &declared("sqlparse", "==4.6"),
            None,
            Some(&info),
            None,
            NOW,
        ) {
            Outcome::Measured(drift, source) => {
                assert_eq!(source, VersionSource::Pin);
                assert_eq!(drift.wanted.as_deref(), Some("4.6.0"));
                assert_eq!(drift.latest.as_deref(), Some("4.7.1"));
                assert_eq!(drift.gap, Gap::Minor);
                assert!(drift.age_days.is_some(), "{drift:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
