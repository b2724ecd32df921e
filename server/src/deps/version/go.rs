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

impl VersionScheme for GoScheme {
    type Version = Version;
    type Requirement = Option<Version>;

    fn parse_version(&self, text: &str) -> Result<Version, String> {
        let bare = text
            .trim()
            .strip_prefix('v')
            .ok_or_else(|| format!("`{text}` is not a Go module version (no leading v)"))?;
        Version::parse(bare).map_err(|e| format!("`{text}` is not a Go module version: {e}"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<Option<Version>, String> {
        text.map(|t| self.parse_version(t)).transpose()
    }

    fn matches(&self, minimum: &Option<Version>, version: &Version) -> bool {
        match minimum {
            None => true,
            Some(minimum) => version >= minimum && version.major == minimum.major,
        }
    }

    fn is_prerelease(&self, version: &Version) -> bool {
        !version.pre.is_empty()
    }

    fn gap(&self, from: &Version, to: &Version) -> Gap {
        semver_gap(from, to)
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
