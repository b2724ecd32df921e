//! Version schemes: how an ecosystem orders versions, reads requirements and
//! judges how big a jump between two versions is.

mod cargo;
mod go;
mod maven;
mod npm;
mod pep440;
mod ruby;

pub use cargo::CargoScheme;
pub use go::{GoScheme, GoVersion};
pub use maven::{MavenRange, MavenScheme, MavenVersion, parse_maven_version};
pub use npm::{NpmRange, NpmScheme};
pub use pep440::{Pep440Scheme, Pep440Specifiers, Pep440Version, parse_pep440};
pub use ruby::{GemRequirement, GemVersion, RubyScheme, parse_gem_version};

pub use shipshape_types::drift::Gap;

pub trait VersionScheme {
    type Version: Ord + Clone + std::fmt::Display;
    type Requirement;

    fn parse_version(&self, text: &str) -> Result<Self::Version, String>;
    /// `None` (no requirement written) matches every version.
    fn parse_requirement(&self, text: Option<&str>) -> Result<Self::Requirement, String>;
    fn matches(&self, requirement: &Self::Requirement, version: &Self::Version) -> bool;
    fn is_prerelease(&self, version: &Self::Version) -> bool;
    /// The size of the jump from `from` to `to` (`UpToDate` when `to` is not newer).
    fn gap(&self, from: &Self::Version, to: &Self::Version) -> Gap;
    /// The same version by the scheme's own equality (PEP 440's `4.6` is
    /// `4.6.0`; SemVer's build metadata does not count).
    fn same(&self, a: &Self::Version, b: &Self::Version) -> bool {
        a.cmp(b) == std::cmp::Ordering::Equal
    }
}

/// The gap for schemes without a `0.x` convention: the first number is the
/// major, the second the minor, anything else newer is a patch.
/// `number(v, i)` is the i-th release number of `v` (0 when absent).
pub(crate) fn positional_gap<V: Ord>(from: &V, to: &V, number: impl Fn(&V, usize) -> u64) -> Gap {
    if to <= from {
        Gap::UpToDate
    } else if number(to, 0) != number(from, 0) {
        Gap::Major
    } else if number(to, 1) != number(from, 1) {
        Gap::Minor
    } else {
        Gap::Patch
    }
}
