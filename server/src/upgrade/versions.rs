//! The version questions an upgrade asks, in each ecosystem's own scheme:
//! which releases to propose (the newest within the major in use, and the
//! newest overall), and whether a requirement allows a version. Pure.

use crate::deps::drift::Release;
use crate::deps::model::Ecosystem;
use crate::deps::version::{
    CargoScheme, Gap, GoScheme, MavenScheme, NpmScheme, Pep440Scheme, RubyScheme, VersionScheme,
};

/// A release that could be proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub version: String,
    pub gap: Gap,
    pub published_ms: Option<i64>,
}

/// What could be proposed for one dependency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// The newest release with a patch or minor gap.
    pub within_major: Option<Target>,
    /// The newest release, when it is a major step.
    pub next_major: Option<Target>,
}

trait SchemeTask {
    type Out;
    fn run<S: VersionScheme>(self, scheme: &S) -> Self::Out;
}

fn dispatch<T: SchemeTask>(ecosystem: Ecosystem, task: T) -> T::Out {
    match ecosystem {
        Ecosystem::Cargo => task.run(&CargoScheme),
        Ecosystem::Npm => task.run(&NpmScheme),
        Ecosystem::Python => task.run(&Pep440Scheme),
        Ecosystem::Go => task.run(&GoScheme),
        Ecosystem::Ruby => task.run(&RubyScheme),
        Ecosystem::Maven => task.run(&MavenScheme),
    }
}

struct Choose<'a> {
    current: &'a str,
    releases: &'a [Release],
    keep: &'a dyn Fn(&Release, Gap) -> bool,
}

impl SchemeTask for Choose<'_> {
    type Out = Result<Targets, String>;
    fn run<S: VersionScheme>(self, scheme: &S) -> Self::Out {
        let current = scheme
            .parse_version(self.current)
            .map_err(|e| format!("the version in use, {}, cannot be read: {e}", self.current))?;
        let current_is_prerelease = scheme.is_prerelease(&current);
        let mut newest: [Option<(S::Version, Target)>; 2] = [None, None];
        for release in self.releases.iter().filter(|r| !r.yanked) {
            let Ok(version) = scheme.parse_version(&release.version) else {
                continue;
            };
            if scheme.is_prerelease(&version) && !current_is_prerelease {
                continue;
            }
            let gap = scheme.gap(&current, &version);
            if gap == Gap::UpToDate || !(self.keep)(release, gap) {
                continue;
            }
            let slot = usize::from(gap == Gap::Major);
            if newest[slot]
                .as_ref()
                .is_none_or(|(best, _)| version > *best)
            {
                newest[slot] = Some((
                    version,
                    Target {
                        version: release.version.clone(),
                        gap,
                        published_ms: release.published_ms,
                    },
                ));
            }
        }
        let [within, major] = newest;
        Ok(Targets {
            within_major: within.map(|(_, t)| t),
            next_major: major.map(|(_, t)| t),
        })
    }
}

/// The releases to propose for a dependency at `current`. `keep` says
/// whether a release may be proposed (ignore rules, minimum age); yanked
/// releases and pre-releases (unless one is in use) never are.
pub fn choose_targets(
    ecosystem: Ecosystem,
    current: &str,
    releases: &[Release],
    keep: &dyn Fn(&Release, Gap) -> bool,
) -> Result<Targets, String> {
    dispatch(
        ecosystem,
        Choose {
            current,
            releases,
            keep,
        },
    )
}

struct Allows<'a> {
    requirement: Option<&'a str>,
    version: &'a str,
}

impl SchemeTask for Allows<'_> {
    type Out = Result<bool, String>;
    fn run<S: VersionScheme>(self, scheme: &S) -> Self::Out {
        let requirement = scheme.parse_requirement(self.requirement)?;
        let version = scheme.parse_version(self.version)?;
        Ok(scheme.matches(&requirement, &version))
    }
}

/// Whether `requirement` (as a manifest reader gives it) allows `version`.
pub fn allows(
    ecosystem: Ecosystem,
    requirement: Option<&str>,
    version: &str,
) -> Result<bool, String> {
    dispatch(
        ecosystem,
        Allows {
            requirement,
            version,
        },
    )
}

struct Compare<'a> {
    from: &'a str,
    to: &'a str,
}

impl SchemeTask for Compare<'_> {
    type Out = Result<(std::cmp::Ordering, Gap), String>;
    fn run<S: VersionScheme>(self, scheme: &S) -> Self::Out {
        let from = scheme.parse_version(self.from)?;
        let to = scheme.parse_version(self.to)?;
        Ok((from.cmp(&to), scheme.gap(&from, &to)))
    }
}

/// How `from` compares with `to`, and the gap from one to the other.
pub fn compare(
    ecosystem: Ecosystem,
    from: &str,
    to: &str,
) -> Result<(std::cmp::Ordering, Gap), String> {
    dispatch(ecosystem, Compare { from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn releases(list: &[&str]) -> Vec<Release> {
        list.iter()
            .map(|v| Release {
                version: v.trim_end_matches('!').to_string(),
                published_ms: Some(0),
                yanked: v.ends_with('!'),
            })
            .collect()
    }

    #[test]
    fn the_newest_within_the_major_and_the_newest_major() {
        let all = releases(&[
            "1.2.0",
            "1.3.0",
            "1.4.0!",
            "2.0.0-rc.1",
            "2.0.0",
            "2.1.0",
            "3.0.0-beta.1",
        ]);
        let targets = choose_targets(Ecosystem::Cargo, "1.2.0", &all, &|_, _| true).expect("reads");
        assert_eq!(
            targets.within_major.map(|t| t.version).as_deref(),
            Some("1.3.0")
        );
        let major = targets.next_major.expect("a major");
        assert_eq!((major.version.as_str(), major.gap), ("2.1.0", Gap::Major));
    }

    #[test]
    fn keep_filters_what_may_be_proposed() {
        let all = releases(&["4.17.20", "4.17.21", "5.0.0"]);
        let targets = choose_targets(Ecosystem::Npm, "4.17.20", &all, &|r, gap| {
            gap != Gap::Major && r.version != "4.17.21"
        })
        .expect("reads");
        assert_eq!(targets, Targets::default());
    }

    #[test]
    fn requirements_are_read_in_their_ecosystem() {
        assert_eq!(allows(Ecosystem::Npm, Some("^19.0.0"), "19.0.0"), Ok(true));
        assert_eq!(
            allows(Ecosystem::Python, Some("~=2.10"), "2.10.3"),
            Ok(true)
        );
        assert_eq!(allows(Ecosystem::Cargo, Some("0.8"), "0.9.0"), Ok(false));
    }
}
