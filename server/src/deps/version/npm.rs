//! npm's versions: SemVer with node-semver's range grammar (`^1.2`, `~1.2.3`,
//! `1.x`, `1.2.3 - 2`, `>=1 <2 || ^3`), desugared into sets of comparators as
//! node-semver documents. A pre-release version satisfies a range only when
//! a comparator of the same set names the same `major.minor.patch` with a
//! pre-release (so `^1.2.3` never picks up `1.3.0-beta`).

use semver::{Prerelease, Version};

use super::cargo::semver_gap;
use super::{Gap, VersionScheme};

#[derive(Clone, Copy, Debug, Default)]
pub struct NpmScheme;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Comparator {
    op: Op,
    version: Version,
}

/// A range: satisfied when every comparator of at least one set is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpmRange {
    sets: Vec<Vec<Comparator>>,
}

/// A version with components possibly left out or wildcarded (`1`, `1.2.x`, `*`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Prerelease,
}

impl Partial {
    fn floor(&self) -> Version {
        Version {
            major: self.major.unwrap_or(0),
            minor: self.minor.unwrap_or(0),
            patch: self.patch.unwrap_or(0),
            pre: self.pre.clone(),
            build: semver::BuildMetadata::EMPTY,
        }
    }
}

fn lowest_of(major: u64, minor: u64, patch: u64) -> Version {
    // `-0` is the lowest pre-release: `<2.0.0-0` excludes 2.0.0's pre-releases.
    Version {
        pre: Prerelease::new("0").unwrap_or(Prerelease::EMPTY),
        ..Version::new(major, minor, patch)
    }
}

fn cmp(op: Op, version: Version) -> Comparator {
    Comparator { op, version }
}

fn parse_partial(text: &str) -> Result<Partial, String> {
    let text = text.trim().trim_start_matches(['v', '=']);
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, pre.split('+').next().unwrap_or_default()),
        None => (text.split('+').next().unwrap_or_default(), ""),
    };
    let mut parts = core.split('.');
    let mut next = || -> Result<Option<u64>, String> {
        match parts.next() {
            None | Some("x" | "X" | "*") => Ok(None),
            Some(number) => number
                .parse()
                .map(Some)
                .map_err(|_| format!("`{text}` is not a version")),
        }
    };
    let (major, minor, patch) = (next()?, next()?, next()?);
    if parts.next().is_some() {
        return Err(format!("`{text}` has more than three components"));
    }
    let pre = if pre.is_empty() {
        Prerelease::EMPTY
    } else {
        Prerelease::new(pre).map_err(|e| format!("`{text}`: {e}"))?
    };
    Ok(Partial {
        major,
        minor,
        patch,
        pre,
    })
}

/// Comparators equivalent to one simple term (`^1.2`, `~1`, `>=1.2`, `1.x`).
fn desugar(term: &str) -> Result<Vec<Comparator>, String> {
    let (op, rest) = ["<=", ">=", "<", ">", "=", "^", "~"]
        .iter()
        .find_map(|op| term.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("", term));
    let rest = rest.trim_start_matches('>'); // `~>` is accepted by node-semver as `~`
    let p = parse_partial(rest)?;
    let exact = p.major.is_some() && p.minor.is_some() && p.patch.is_some();
    let (major, minor, patch) = (
        p.major.unwrap_or(0),
        p.minor.unwrap_or(0),
        p.patch.unwrap_or(0),
    );
    Ok(match op {
        "" | "=" => match (p.major, p.minor, p.patch) {
            (None, _, _) => vec![cmp(Op::Ge, Version::new(0, 0, 0))],
            (Some(_), None, _) => vec![
                cmp(Op::Ge, p.floor()),
                cmp(Op::Lt, lowest_of(major + 1, 0, 0)),
            ],
            (Some(_), Some(_), None) => vec![
                cmp(Op::Ge, p.floor()),
                cmp(Op::Lt, lowest_of(major, minor + 1, 0)),
            ],
            _ => vec![cmp(Op::Eq, p.floor())],
        },
        "^" => {
            let upper = match (p.major, p.minor, p.patch) {
                (None, _, _) => return Ok(vec![cmp(Op::Ge, Version::new(0, 0, 0))]),
                (Some(0), None, _) => lowest_of(1, 0, 0),
                (Some(0), Some(0), None) => lowest_of(0, 1, 0),
                (Some(0), Some(0), Some(_)) => lowest_of(0, 0, patch + 1),
                (Some(0), Some(_), _) => lowest_of(0, minor + 1, 0),
                (Some(_), _, _) => lowest_of(major + 1, 0, 0),
            };
            vec![cmp(Op::Ge, p.floor()), cmp(Op::Lt, upper)]
        }
        "~" => {
            let upper = match (p.major, p.minor) {
                (None, _) => return Ok(vec![cmp(Op::Ge, Version::new(0, 0, 0))]),
                (Some(_), None) => lowest_of(major + 1, 0, 0),
                (Some(_), Some(_)) => lowest_of(major, minor + 1, 0),
            };
            vec![cmp(Op::Ge, p.floor()), cmp(Op::Lt, upper)]
        }
        ">=" => vec![cmp(Op::Ge, p.floor())],
        "<" => vec![cmp(
            Op::Lt,
            if exact {
                p.floor()
            } else {
                lowest_of(major, minor, patch)
            },
        )],
        ">" if exact => vec![cmp(Op::Gt, p.floor())],
        ">" => match (p.major, p.minor) {
            (None, _) => vec![cmp(Op::Lt, lowest_of(0, 0, 0))], // `>*` matches nothing
            (Some(_), None) => vec![cmp(Op::Ge, Version::new(major + 1, 0, 0))],
            (Some(_), Some(_)) => vec![cmp(Op::Ge, Version::new(major, minor + 1, 0))],
        },
        "<=" if exact => vec![cmp(Op::Le, p.floor())],
        "<=" => match (p.major, p.minor) {
            (None, _) => vec![cmp(Op::Ge, Version::new(0, 0, 0))],
            (Some(_), None) => vec![cmp(Op::Lt, lowest_of(major + 1, 0, 0))],
            (Some(_), Some(_)) => vec![cmp(Op::Lt, lowest_of(major, minor + 1, 0))],
        },
        other => return Err(format!("unknown operator `{other}`")),
    })
}

fn parse_range(text: &str) -> Result<NpmRange, String> {
    let mut sets = Vec::new();
    for alternative in text.split("||") {
        let alternative = alternative.trim();
        let mut set = Vec::new();
        if let Some((low, high)) = alternative.split_once(" - ") {
            let low = parse_partial(low)?;
            let high = parse_partial(high)?;
            set.push(cmp(Op::Ge, low.floor()));
            set.extend(match (high.major, high.minor, high.patch) {
                (None, _, _) => vec![],
                (Some(major), None, _) => vec![cmp(Op::Lt, lowest_of(major + 1, 0, 0))],
                (Some(major), Some(minor), None) => {
                    vec![cmp(Op::Lt, lowest_of(major, minor + 1, 0))]
                }
                _ => vec![cmp(Op::Le, high.floor())],
            });
        } else {
            // Operators may be separated from their version by spaces (`>= 1.2`).
            let mut tokens = alternative.split_whitespace().peekable();
            while let Some(token) = tokens.next() {
                let term = if ["<", "<=", ">", ">=", "=", "^", "~"].contains(&token) {
                    format!(
                        "{token}{}",
                        tokens
                            .next()
                            .ok_or_else(|| format!("`{text}`: `{token}` needs a version"))?
                    )
                } else {
                    token.to_string()
                };
                set.extend(
                    desugar(&term).map_err(|e| format!("`{text}` is not an npm range: {e}"))?,
                );
            }
            if set.is_empty() {
                set.push(cmp(Op::Ge, Version::new(0, 0, 0)));
            }
        }
        sets.push(set);
    }
    Ok(NpmRange { sets })
}

fn satisfies(set: &[Comparator], version: &Version) -> bool {
    // Build metadata has no precedence (`1.0.0+build` is 1.0.0).
    let version = &without_build(version);
    let all = set.iter().all(|c| match c.op {
        Op::Lt => version < &c.version,
        Op::Le => version <= &c.version,
        Op::Gt => version > &c.version,
        Op::Ge => version >= &c.version,
        Op::Eq => version == &c.version,
    });
    if !all || version.pre.is_empty() {
        return all;
    }
    set.iter().any(|c| {
        !c.version.pre.is_empty()
            && (c.version.major, c.version.minor, c.version.patch)
                == (version.major, version.minor, version.patch)
            && c.version.pre.as_str() != "0"
    })
}

pub(crate) fn without_build(version: &Version) -> Version {
    Version {
        build: semver::BuildMetadata::EMPTY,
        ..version.clone()
    }
}

impl VersionScheme for NpmScheme {
    type Version = Version;
    type Requirement = NpmRange;

    fn parse_version(&self, text: &str) -> Result<Version, String> {
        let trimmed = text.trim().trim_start_matches(['v', '=']);
        Version::parse(trimmed).map_err(|e| format!("`{text}` is not a SemVer version: {e}"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<NpmRange, String> {
        match text.map(str::trim) {
            None | Some("" | "*" | "latest" | "x") => parse_range("*"),
            Some(text) => parse_range(text),
        }
    }

    fn matches(&self, requirement: &NpmRange, version: &Version) -> bool {
        requirement.sets.iter().any(|set| satisfies(set, version))
    }

    fn is_prerelease(&self, version: &Version) -> bool {
        !version.pre.is_empty()
    }

    fn gap(&self, from: &Version, to: &Version) -> Gap {
        semver_gap(from, to)
    }

    fn same(&self, a: &Version, b: &Version) -> bool {
        without_build(a) == without_build(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(range: &str, version: &str) -> bool {
        let scheme = NpmScheme;
        let range = scheme
            .parse_requirement(Some(range))
            .unwrap_or_else(|e| panic!("{e}"));
        scheme.matches(&range, &scheme.parse_version(version).expect("version"))
    }

    #[test]
    fn build_metadata_has_no_precedence() {
        assert!(allows("^1.0.0", "1.0.0+build.7"));
        assert!(allows("<=1.0.0", "1.0.0+build.7"));
        assert!(allows("1.0.0", "1.0.0+sha.abc"));
        let scheme = NpmScheme;
        let a = scheme.parse_version("1.0.0+build.7").expect("version");
        let b = scheme.parse_version("1.0.0").expect("version");
        assert!(scheme.same(&a, &b));
        // Pre-releases are versions of their own.
        let pre = scheme.parse_version("1.0.0-rc.1").expect("version");
        assert!(!scheme.same(&pre, &b));
        assert!(!allows("^1.0.0", "1.1.0-rc.1"));
        assert!(allows("^1.1.0-rc.1", "1.1.0-rc.2"));
    }

    #[test]
    fn caret_ranges_follow_node_semver() {
        assert!(allows("^1.2.3", "1.9.0"));
        assert!(!allows("^1.2.3", "2.0.0"));
        assert!(!allows("^1.2.3", "1.2.2"));
        assert!(allows("^0.2.3", "0.2.9"));
        assert!(!allows("^0.2.3", "0.3.0"));
        assert!(allows("^0.0.3", "0.0.3"));
        assert!(!allows("^0.0.3", "0.0.4"));
        assert!(allows("^1.x", "1.5.0"));
        assert!(allows("^0.x", "0.9.0"));
        assert!(!allows("^0.x", "1.0.0"));
    }

    #[test]
    fn tilde_x_and_hyphen_ranges() {
        assert!(allows("~1.2.3", "1.2.9"));
        assert!(!allows("~1.2.3", "1.3.0"));
        assert!(allows("~1", "1.9.9"));
        assert!(allows("1.x", "1.4.0"));
        assert!(!allows("1.x", "2.0.0"));
        assert!(allows("1.2", "1.2.7"));
        assert!(allows("1.2.3 - 2.3", "2.3.9"));
        assert!(!allows("1.2.3 - 2.3", "2.4.0"));
        assert!(allows("1.2.3 - 2.3.4", "2.3.4"));
        assert!(allows("*", "7.0.0"));
        assert!(allows("latest", "7.0.0"));
        assert!(allows("", "7.0.0"));
    }

    #[test]
    fn comparators_and_alternatives() {
        assert!(allows(">=1.2.0 <1.5.0", "1.4.9"));
        assert!(!allows(">=1.2.0 <1.5.0", "1.5.0"));
        assert!(allows(">= 1.2", "1.2.0"), "space after the operator");
        assert!(allows("<2 || >=4", "1.0.0"));
        assert!(allows("<2 || >=4", "4.1.0"));
        assert!(!allows("<2 || >=4", "3.0.0"));
        assert!(allows(">1.2", "1.3.0"));
        assert!(!allows(">1.2", "1.2.9"));
        assert!(allows("<=1.2", "1.2.9"));
        assert!(allows("=1.2.3", "1.2.3"));
        assert!(allows("v1.2.3", "1.2.3"));
    }

    #[test]
    fn pre_releases_only_when_the_range_names_them() {
        assert!(
            !allows("^1.2.3", "1.3.0-beta.1"),
            "a stable range never takes a pre-release"
        );
        assert!(allows("^1.2.3-beta.2", "1.2.3-beta.4"));
        assert!(
            !allows("^1.2.3-beta.2", "1.3.0-beta.1"),
            "only pre-releases of 1.2.3"
        );
        assert!(allows("^1.2.3-beta.2", "1.3.0"));
        assert!(!allows("<2.0.0", "2.0.0-rc.1"));
    }

    #[test]
    fn bad_ranges_are_errors() {
        let scheme = NpmScheme;
        assert!(
            scheme
                .parse_requirement(Some("^one"))
                .expect_err("bad")
                .contains("not an npm range")
        );
        assert!(scheme.parse_requirement(Some(">=")).is_err());
        assert!(scheme.parse_requirement(Some("1.2.3.4")).is_err());
    }
}
