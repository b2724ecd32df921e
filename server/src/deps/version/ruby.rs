//! RubyGems' versions (`Gem::Version`): dot-separated segments where a
//! letter starts a pre-release segment (`7.1.0.rc1` < `7.1.0`), trailing
//! zeros do not count, and requirements such as `~> 7.1.3` (at least 7.1.3,
//! below 7.2) combine with commas.

use std::cmp::Ordering;
use std::fmt;

use super::{Gap, VersionScheme, positional_gap};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    // Declared first: a letter segment sorts below any number.
    Text(String),
    Number(u64),
}

#[derive(Clone, Debug)]
pub struct GemVersion {
    text: String,
    segments: Vec<Segment>,
}

impl GemVersion {
    fn canonical(&self) -> Vec<Segment> {
        let mut segments = self.segments.clone();
        while segments.len() > 1 && segments.last() == Some(&Segment::Number(0)) {
            segments.pop();
        }
        segments
    }

    fn number(&self, index: usize) -> u64 {
        match self.segments.get(index) {
            Some(Segment::Number(n)) => *n,
            _ => 0,
        }
    }

    fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }

    /// The release this one is a pre-release of, or itself (`7.1.0.rc1` → `7.1.0`).
    fn release(&self) -> GemVersion {
        let segments: Vec<Segment> = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Segment::Number(_)))
            .cloned()
            .collect();
        GemVersion {
            text: String::new(),
            segments,
        }
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for GemVersion {}
impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.canonical(), other.canonical());
        for i in 0..a.len().max(b.len()) {
            let left = a.get(i).cloned().unwrap_or(Segment::Number(0));
            let right = b.get(i).cloned().unwrap_or(Segment::Number(0));
            match left.cmp(&right) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}
impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

pub fn parse_gem_version(text: &str) -> Option<GemVersion> {
    let text = text.trim();
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return None;
    }
    let mut segments = Vec::new();
    // `1.0.0-rc1` is read as `1.0.0.pre.rc1`, as RubyGems does.
    for part in text.replace('-', ".pre.").split('.') {
        if part.is_empty() {
            return None;
        }
        let mut rest = part;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                segments.push(Segment::Number(rest[..digits].parse().ok()?));
                rest = &rest[digits..];
            } else {
                let letters = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
                segments.push(Segment::Text(rest[..letters].to_string()));
                rest = &rest[letters..];
            }
        }
    }
    if !matches!(segments.first(), Some(Segment::Number(_))) {
        return None;
    }
    Some(GemVersion {
        text: text.to_string(),
        segments,
    })
}

#[derive(Clone, Debug)]
pub struct GemRequirement {
    constraints: Vec<(String, GemVersion)>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct RubyScheme;

impl VersionScheme for RubyScheme {
    type Version = GemVersion;
    type Requirement = GemRequirement;

    fn parse_version(&self, text: &str) -> Result<GemVersion, String> {
        parse_gem_version(text).ok_or_else(|| format!("`{text}` is not a RubyGems version"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<GemRequirement, String> {
        let mut constraints = Vec::new();
        for part in text
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (op, version) = ["~>", ">=", "<=", "!=", ">", "<", "="]
                .iter()
                .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
                .unwrap_or(("=", part));
            let version = parse_gem_version(version)
                .ok_or_else(|| format!("`{part}` is not a RubyGems requirement"))?;
            constraints.push((op.to_string(), version));
        }
        Ok(GemRequirement { constraints })
    }

    fn matches(&self, requirement: &GemRequirement, version: &GemVersion) -> bool {
        let names_pre = requirement
            .constraints
            .iter()
            .any(|(_, v)| v.is_prerelease());
        (names_pre || !version.is_prerelease())
            && requirement
                .constraints
                .iter()
                .all(|(op, bound)| match op.as_str() {
                    "~>" => {
                        // `~> 7.1.3`: >= 7.1.3 and < 7.2; `~> 7.1`: >= 7.1 and < 8.
                        let release = bound.release();
                        let keep = release.segments.len().saturating_sub(1).max(1);
                        let mut upper: Vec<Segment> = release.segments[..keep].to_vec();
                        if let Some(Segment::Number(last)) = upper.last_mut() {
                            *last += 1;
                        }
                        version >= bound
                            && *version
                                < GemVersion {
                                    text: String::new(),
                                    segments: upper,
                                }
                    }
                    ">=" => version >= bound,
                    "<=" => version <= bound,
                    ">" => version > bound,
                    "<" => version < bound,
                    "!=" => version != bound,
                    _ => version == bound,
                })
    }

    fn is_prerelease(&self, version: &GemVersion) -> bool {
        version.is_prerelease()
    }

    fn gap(&self, from: &GemVersion, to: &GemVersion) -> Gap {
        positional_gap(from, to, GemVersion::number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> GemVersion {
        parse_gem_version(text).unwrap_or_else(|| panic!("{text}"))
    }

    fn allows(requirement: &str, version: &str) -> bool {
        let scheme = RubyScheme;
        scheme.matches(
            &scheme.parse_requirement(Some(requirement)).expect("req"),
            &v(version),
        )
    }

    #[test]
    fn orders_like_rubygems() {
        assert!(v("7.1.0.rc1") < v("7.1.0"));
        assert!(v("7.1.0.beta1") < v("7.1.0.rc1"));
        assert!(v("1.0.0-rc1") < v("1.0.0"));
        assert_eq!(v("1.0"), v("1.0.0"));
        assert!(v("7.1.3.2") > v("7.1.3"));
        assert!(parse_gem_version("one").is_none());
        assert!(parse_gem_version("1..2").is_none());
    }

    #[test]
    fn pessimistic_and_combined_requirements() {
        assert!(allows("~> 7.1.3", "7.1.3.2"));
        assert!(!allows("~> 7.1.3", "7.2.0"));
        assert!(allows("~> 1.5", "1.9"));
        assert!(!allows("~> 1.5", "2.0"));
        assert!(allows(">= 6.4", "6.4.2"));
        assert!(allows(">= 2.3.0, < 3", "2.9"));
        assert!(
            !allows("~> 7.2", "7.2.0.beta1"),
            "pre-releases only when named"
        );
        assert!(allows("1.5.6", "1.5.6"));
        assert!(RubyScheme.parse_requirement(Some("~> x")).is_err());
    }
}
