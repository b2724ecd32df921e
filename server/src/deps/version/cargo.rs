//! Cargo's versions: SemVer 2.0 with Cargo's requirement syntax, where the
//! leftmost non-zero component is the one whose change breaks (`0.3.1` to
//! `0.4.0` is as big as `1.x` to `2.0`).

use semver::{Version, VersionReq};

use super::{Gap, VersionScheme};

#[derive(Clone, Copy, Debug, Default)]
pub struct CargoScheme;

impl VersionScheme for CargoScheme {
    type Version = Version;
    type Requirement = VersionReq;

    fn parse_version(&self, text: &str) -> Result<Version, String> {
        Version::parse(text.trim()).map_err(|e| format!("`{text}` is not a SemVer version: {e}"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<VersionReq, String> {
        match text.map(str::trim) {
            None | Some("") => Ok(VersionReq::STAR),
            Some(text) => VersionReq::parse(text)
                .map_err(|e| format!("`{text}` is not a Cargo version requirement: {e}")),
        }
    }

    fn matches(&self, requirement: &VersionReq, version: &Version) -> bool {
        requirement.matches(version)
    }

    fn is_prerelease(&self, version: &Version) -> bool {
        !version.pre.is_empty()
    }

    fn gap(&self, from: &Version, to: &Version) -> Gap {
        semver_gap(from, to)
    }

    fn same(&self, a: &Version, b: &Version) -> bool {
        super::npm::without_build(a) == super::npm::without_build(b)
    }
}

/// The gap between two SemVer versions with Cargo's and npm's treatment of
/// `0.x`: components shift left until the first non-zero one, so for `0.3.1`
/// the "major" is 3 and the "minor" is 1, and for `0.0.4` every change is major.
pub fn semver_gap(from: &Version, to: &Version) -> Gap {
    if to <= from {
        return Gap::UpToDate;
    }
    let from_parts = [from.major, from.minor, from.patch];
    let to_parts = [to.major, to.minor, to.patch];
    // Index of the component that plays "major" for `from`.
    let major_at = from_parts.iter().position(|&p| p != 0).unwrap_or(2);
    // The first component that changed decides: at or before the "major"
    // position (0.3 → 0.4, 0.3 → 1.0) it is major, right after it minor.
    match (0..3).find(|&i| from_parts[i] != to_parts[i]) {
        Some(i) if i <= major_at => Gap::Major,
        Some(i) if i == major_at + 1 => Gap::Minor,
        // A later component, or the same numbers with a newer pre-release
        // (1.0.0-rc.1 → 1.0.0).
        _ => Gap::Patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(from: &str, to: &str) -> Gap {
        let scheme = CargoScheme;
        scheme.gap(
            &scheme.parse_version(from).expect("from"),
            &scheme.parse_version(to).expect("to"),
        )
    }

    #[test]
    fn ordinary_semver_gaps() {
        assert_eq!(gap("1.2.3", "1.2.3"), Gap::UpToDate);
        assert_eq!(gap("1.2.3", "1.2.2"), Gap::UpToDate, "older is not behind");
        assert_eq!(gap("1.2.3", "1.2.9"), Gap::Patch);
        assert_eq!(gap("1.2.3", "1.5.0"), Gap::Minor);
        assert_eq!(gap("1.2.3", "2.0.0"), Gap::Major);
        assert_eq!(gap("1.0.0-rc.1", "1.0.0"), Gap::Patch);
    }

    #[test]
    fn zero_major_versions_shift_left() {
        assert_eq!(gap("0.3.1", "0.3.7"), Gap::Minor, "compatible under ^0.3");
        assert_eq!(gap("0.3.1", "0.4.0"), Gap::Major, "breaking under ^0.3");
        assert_eq!(gap("0.3.1", "1.0.0"), Gap::Major);
        assert_eq!(
            gap("0.0.3", "0.0.4"),
            Gap::Major,
            "every 0.0.x release may break"
        );
        assert_eq!(gap("0.0.3", "0.1.0"), Gap::Major);
    }

    #[test]
    fn requirements_follow_cargo() {
        let scheme = CargoScheme;
        let req = scheme.parse_requirement(Some("0.3")).expect("req");
        assert!(scheme.matches(&req, &Version::new(0, 3, 9)));
        assert!(!scheme.matches(&req, &Version::new(0, 4, 0)));
        let star = scheme.parse_requirement(None).expect("star");
        assert!(scheme.matches(&star, &Version::new(9, 0, 0)));
        assert!(
            scheme
                .parse_requirement(Some(">= one"))
                .expect_err("bad")
                .contains("not a Cargo version requirement")
        );
        assert!(
            scheme
                .parse_version("1.2")
                .expect_err("bad")
                .contains("not a SemVer version")
        );
    }
}
