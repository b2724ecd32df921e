//! Go modules' versions: SemVer with a `v` prefix. A `go.mod` requirement is
//! a minimum (minimal version selection), and a new major version from v2 on
//! is another module path, so a requirement admits newer versions of the
//! same major only. Pseudo-versions (`v0.0.0-20240101000000-abcdef123456`)
//! are pre-releases and never proposed.

use semver::Version;

use super::cargo::semver_gap;
use super::{Gap, VersionScheme};

#[derive(Clone, Copy, Debug, Default)]
pub struct GoScheme;

/// A module version, shown as Go writes it (`v1.2.3`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion(pub Version);

impl std::fmt::Display for GoVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl VersionScheme for GoScheme {
    type Version = GoVersion;
    type Requirement = Option<GoVersion>;

    fn parse_version(&self, text: &str) -> Result<GoVersion, String> {
        let bare = text
            .trim()
            .strip_prefix('v')
            .ok_or_else(|| format!("`{text}` is not a Go module version (no leading v)"))?;
        Version::parse(bare)
            .map(GoVersion)
            .map_err(|e| format!("`{text}` is not a Go module version: {e}"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<Option<GoVersion>, String> {
        text.map(|t| self.parse_version(t)).transpose()
    }

    fn matches(&self, minimum: &Option<GoVersion>, version: &GoVersion) -> bool {
        match minimum {
            None => true,
            Some(minimum) => version >= minimum && version.0.major == minimum.0.major,
        }
    }

    fn is_prerelease(&self, version: &GoVersion) -> bool {
        !version.0.pre.is_empty()
    }

    fn gap(&self, from: &GoVersion, to: &GoVersion) -> Gap {
        semver_gap(&from.0, &to.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_minimums() {
        let go = GoScheme;
        let minimum = go.parse_requirement(Some("v1.19.0")).expect("req");
        assert!(go.matches(&minimum, &go.parse_version("v1.20.3").expect("v")));
        assert!(!go.matches(&minimum, &go.parse_version("v1.18.0").expect("v")));
        assert!(
            !go.matches(
                &minimum,
                &go.parse_version("v2.0.0+incompatible").expect("v")
            ),
            "v2 is another module"
        );
        assert!(
            go.is_prerelease(
                &go.parse_version("v0.0.0-20240101000000-abcdef123456")
                    .expect("pseudo")
            )
        );
        assert!(
            go.parse_version("1.2.3")
                .expect_err("no v")
                .contains("no leading v")
        );
        assert_eq!(
            go.gap(
                &go.parse_version("v0.6.0").expect("v"),
                &go.parse_version("v0.7.0").expect("v")
            ),
            Gap::Major
        );
    }
}
