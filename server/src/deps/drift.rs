//! Drift of one dependency: where the version in use stands among the
//! releases a registry knows. Pure; the registry clients supply `Release`s.

use serde::Serialize;

use super::version::{Gap, VersionScheme};

const MS_PER_YEAR: f64 = 365.25 * 24.0 * 3600.0 * 1000.0;

/// One published version, as a registry reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    /// Unix milliseconds; `None` when the registry does not say.
    pub published_ms: Option<i64>,
    pub yanked: bool,
}

/// How the version in use was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ResolvedFrom {
    /// The lock file: the truth.
    LockFile,
    /// No lock file: the newest release the requirement allows, as a fresh
    /// resolution would pick.
    Requirement,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Drift {
    pub current: String,
    pub resolved_from: ResolvedFrom,
    /// Newest release the declared requirement allows.
    pub wanted: Option<String>,
    /// Newest stable release (a pre-release only when one is in use).
    pub latest: Option<String>,
    pub gap: Gap,
    /// Releases newer than the one in use, up to `latest`.
    pub releases_behind: usize,
    /// Years between the release in use and `latest`.
    pub libyears: Option<f64>,
    /// Age of the release in use, in days.
    pub age_days: Option<i64>,
    /// The version in use was withdrawn from the registry.
    pub current_yanked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    #[error("{0}")]
    Requirement(String),
    #[error("the version in use, {0}, cannot be read")]
    Current(String),
    #[error("no release of the registry satisfies the requirement {0}")]
    NothingMatches(String),
}

/// Measures drift. `locked` is the version from the lock file, if any;
/// releases the scheme cannot read are ignored (registries hold odd ones).
pub fn measure<S: VersionScheme>(
    scheme: &S,
    requirement: Option<&str>,
    locked: Option<&str>,
    releases: &[Release],
    now_ms: i64,
) -> Result<Drift, DriftError> {
    let requirement_parsed = scheme
        .parse_requirement(requirement)
        .map_err(DriftError::Requirement)?;
    let mut known: Vec<(S::Version, &Release)> = releases
        .iter()
        .filter_map(|release| {
            scheme
                .parse_version(&release.version)
                .ok()
                .map(|v| (v, release))
        })
        .collect();
    known.sort_by(|a, b| a.0.cmp(&b.0));
    let installable = || known.iter().filter(|(_, r)| !r.yanked);

    let wanted = installable()
        .filter(|(v, _)| scheme.matches(&requirement_parsed, v))
        .map(|(v, _)| v.clone())
        .last();
    let (current, resolved_from) = match locked {
        Some(text) => (
            scheme
                .parse_version(text)
                .map_err(|_| DriftError::Current(text.to_string()))?,
            ResolvedFrom::LockFile,
        ),
        None => (
            wanted.clone().ok_or_else(|| {
                DriftError::NothingMatches(requirement.unwrap_or("*").to_string())
            })?,
            ResolvedFrom::Requirement,
        ),
    };
    let allow_pre = scheme.is_prerelease(&current);
    let latest = installable()
        .filter(|(v, _)| allow_pre || !scheme.is_prerelease(v))
        .map(|(v, _)| v.clone())
        .last();

    let release_of = |version: &S::Version| {
        known
            .iter()
            .find(|(v, _)| scheme.same(v, version))
            .map(|(_, r)| *r)
    };
    let current_release = release_of(&current);
    let (gap, releases_behind, libyears) = match &latest {
        Some(latest) if *latest > current && !scheme.same(latest, &current) => {
            let behind = installable()
                .filter(|(v, _)| *v > current && v <= latest)
                .filter(|(v, _)| allow_pre || !scheme.is_prerelease(v))
                .count();
            let libyears = match (
                current_release.and_then(|r| r.published_ms),
                release_of(latest).and_then(|r| r.published_ms),
            ) {
                (Some(from), Some(to)) => Some(((to - from).max(0) as f64) / MS_PER_YEAR),
                _ => None,
            };
            (scheme.gap(&current, latest), behind, libyears)
        }
        _ => (Gap::UpToDate, 0, Some(0.0)),
    };
    Ok(Drift {
        current: current.to_string(),
        resolved_from,
        wanted: wanted.map(|v| v.to_string()),
        latest: latest.map(|v| v.to_string()),
        gap,
        releases_behind,
        libyears,
        age_days: current_release
            .and_then(|r| r.published_ms)
            .map(|ms| (now_ms - ms).max(0) / 86_400_000),
        current_yanked: current_release.is_some_and(|r| r.yanked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::version::CargoScheme;

    const DAY: i64 = 86_400_000;

    fn release(version: &str, day: i64) -> Release {
        Release {
            version: version.into(),
            published_ms: Some(day * DAY),
            yanked: false,
        }
    }

    fn serde_like() -> Vec<Release> {
        vec![
            release("1.0.190", 0),
            release("1.0.195", 100),
            release("1.0.200", 200),
            Release {
                yanked: true,
                ..release("1.0.201", 210)
            },
            release("2.0.0-alpha.1", 300),
            release("1.1.0", 365),
            release("not-a-version", 366),
        ]
    }

    #[test]
    fn a_locked_version_behind_a_minor() {
        let drift = measure(
            &CargoScheme,
            Some("1.0.190"),
            Some("1.0.195"),
            &serde_like(),
            400 * DAY,
        )
        .expect("drift");
        assert_eq!(drift.current, "1.0.195");
        assert_eq!(drift.resolved_from, ResolvedFrom::LockFile);
        assert_eq!(
            drift.wanted.as_deref(),
            Some("1.1.0"),
            "^1.0.190 allows 1.1.0; yanked 1.0.201 never"
        );
        assert_eq!(
            drift.latest.as_deref(),
            Some("1.1.0"),
            "the alpha of 2.0 is not proposed to a stable user"
        );
        assert_eq!(drift.gap, Gap::Minor);
        assert_eq!(
            drift.releases_behind, 2,
            "1.0.200 and 1.1.0; the yanked one does not count"
        );
        let libyears = drift.libyears.expect("dates known");
        assert!((libyears - 265.0 / 365.25).abs() < 1e-9, "{libyears}");
        assert_eq!(drift.age_days, Some(300));
        assert!(!drift.current_yanked);
    }

    #[test]
    fn up_to_date_is_zero_libyears() {
        let drift = measure(
            &CargoScheme,
            Some("1"),
            Some("1.1.0"),
            &serde_like(),
            400 * DAY,
        )
        .expect("drift");
        assert_eq!(
            (drift.gap, drift.releases_behind, drift.libyears),
            (Gap::UpToDate, 0, Some(0.0))
        );
    }

    #[test]
    fn a_yanked_version_in_use_is_flagged() {
        let drift = measure(
            &CargoScheme,
            None,
            Some("1.0.201"),
            &serde_like(),
            400 * DAY,
        )
        .expect("drift");
        assert!(drift.current_yanked);
        assert_eq!(drift.gap, Gap::Minor);
    }

    #[test]
    fn pre_releases_are_proposed_only_to_pre_release_users() {
        let drift = measure(
            &CargoScheme,
            Some("2.0.0-alpha.1"),
            Some("2.0.0-alpha.1"),
            &serde_like(),
            0,
        )
        .expect("drift");
        assert_eq!(drift.latest.as_deref(), Some("2.0.0-alpha.1"));
        assert_eq!(drift.gap, Gap::UpToDate);
    }

    #[test]
    fn without_a_lock_file_the_requirement_decides() {
        let drift = measure(
            &CargoScheme,
            Some("~1.0.190"),
            None,
            &serde_like(),
            400 * DAY,
        )
        .expect("drift");
        assert_eq!(drift.current, "1.0.200");
        assert_eq!(drift.resolved_from, ResolvedFrom::Requirement);
        assert_eq!(drift.gap, Gap::Minor);
        let error =
            measure(&CargoScheme, Some("3"), None, &serde_like(), 0).expect_err("nothing matches");
        assert_eq!(
            error.to_string(),
            "no release of the registry satisfies the requirement 3"
        );
    }

    #[test]
    fn unknown_dates_give_no_libyears_but_still_a_gap() {
        let releases = vec![
            Release {
                version: "0.3.1".into(),
                published_ms: None,
                yanked: false,
            },
            Release {
                version: "0.4.0".into(),
                published_ms: Some(5),
                yanked: false,
            },
        ];
        let drift =
            measure(&CargoScheme, Some("0.3"), Some("0.3.1"), &releases, 10).expect("drift");
        assert_eq!(drift.gap, Gap::Major);
        assert_eq!(drift.libyears, None);
        assert_eq!(drift.wanted.as_deref(), Some("0.3.1"));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(
            measure(
                &CargoScheme,
                Some("1.0 || 2"),
                Some("1.0.0"),
                &serde_like(),
                0
            )
            .is_err()
        );
        assert_eq!(
            measure(&CargoScheme, None, Some("one"), &serde_like(), 0).expect_err("bad lock"),
            DriftError::Current("one".into())
        );
    }
}
