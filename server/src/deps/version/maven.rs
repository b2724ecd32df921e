//! Maven's versions, ordered as Maven's `ComparableVersion` does for the
//! forms seen in practice: numbers compare as numbers, and qualifiers rank
//! alpha < beta < milestone < rc (= cr) < snapshot < release (= ga = final =
//! "") < sp, with unknown qualifiers after those, alphabetically. A plain
//! version in a POM is a soft requirement (any version may be chosen);
//! ranges such as `[1.0,2.0)` and `(,1.5],[2.0,)` are hard ones.

use std::cmp::Ordering;
use std::fmt;

use super::{Gap, VersionScheme, positional_gap};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Number(u64),
    Qualifier(String),
}

#[derive(Clone, Debug)]
pub struct MavenVersion {
    text: String,
    items: Vec<Item>,
}

fn qualifier_rank(qualifier: &str) -> (u8, String) {
    let known = match qualifier {
        "alpha" | "a" => 0,
        "beta" | "b" => 1,
        "milestone" | "m" => 2,
        "rc" | "cr" => 3,
        "snapshot" => 4,
        "" | "ga" | "final" | "release" => 5,
        "sp" => 6,
        _ => 7,
    };
    (
        known,
        if known == 7 {
            qualifier.to_string()
        } else {
            String::new()
        },
    )
}

fn compare_items(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    // A missing item counts as 0 against a number and as the release against a qualifier.
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(Item::Number(x)), Some(Item::Number(y))) => x.cmp(y),
        (Some(Item::Number(x)), None) => x.cmp(&0),
        (None, Some(Item::Number(y))) => 0.cmp(y),
        (Some(Item::Qualifier(x)), Some(Item::Qualifier(y))) => {
            qualifier_rank(x).cmp(&qualifier_rank(y))
        }
        (Some(Item::Qualifier(x)), None) => qualifier_rank(x).cmp(&qualifier_rank("")),
        (None, Some(Item::Qualifier(y))) => qualifier_rank("").cmp(&qualifier_rank(y)),
        // A number is newer than a qualifier (1.0.1 > 1.0-sp).
        (Some(Item::Number(_)), Some(Item::Qualifier(_))) => Ordering::Greater,
        (Some(Item::Qualifier(_)), Some(Item::Number(_))) => Ordering::Less,
    }
}

impl MavenVersion {
    fn number(&self, index: usize) -> u64 {
        match self.items.get(index) {
            Some(Item::Number(n)) => *n,
            _ => 0,
        }
    }

    fn is_prerelease(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(item, Item::Qualifier(q) if qualifier_rank(q).0 < 5))
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (0..self.items.len().max(other.items.len()))
            .map(|i| compare_items(self.items.get(i), other.items.get(i)))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}
impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MavenVersion {}
impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

pub fn parse_maven_version(text: &str) -> Option<MavenVersion> {
    let text = text.trim();
    if text.is_empty() || text.contains(['[', ']', '(', ')', ',', '$', ' ']) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let mut items = Vec::new();
    for part in lower.split(['.', '-']) {
        let mut rest = part;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                items.push(Item::Number(rest[..digits].parse().ok()?));
                rest = &rest[digits..];
            } else {
                let letters = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
                items.push(Item::Qualifier(rest[..letters].to_string()));
                rest = &rest[letters..];
            }
        }
    }
    // Trailing zeros and release qualifiers say nothing (Maven trims them):
    // `1.0-final`, `1.0.0` and `1` are one version.
    while items.len() > 1
        && matches!(items.last(), Some(Item::Number(0)))
            | matches!(items.last(), Some(Item::Qualifier(q)) if qualifier_rank(q).0 == 5)
    {
        items.pop();
    }
    Some(MavenVersion {
        text: text.to_string(),
        items,
    })
}

#[derive(Clone, Debug)]
struct Bound {
    version: MavenVersion,
    inclusive: bool,
}

/// `None` ranges: a soft requirement, any version.
#[derive(Clone, Debug)]
pub struct MavenRange {
    ranges: Option<Vec<(Option<Bound>, Option<Bound>)>>,
}

fn parse_range(text: &str) -> Result<MavenRange, String> {
    let invalid = || format!("`{text}` is not a Maven version or range");
    let text = text.trim();
    if !text.starts_with(['[', '(']) {
        return parse_maven_version(text)
            .map(|_| MavenRange { ranges: None })
            .ok_or_else(invalid);
    }
    let mut ranges = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let open = rest.chars().next().ok_or_else(invalid)?;
        let close_at = rest.find([']', ')']).ok_or_else(invalid)?;
        let close = rest[close_at..].chars().next().ok_or_else(invalid)?;
        let inner = &rest[1..close_at];
        let bound = |text: &str, inclusive: bool| -> Result<Option<Bound>, String> {
            let text = text.trim();
            if text.is_empty() {
                Ok(None)
            } else {
                Ok(Some(Bound {
                    version: parse_maven_version(text).ok_or_else(invalid)?,
                    inclusive,
                }))
            }
        };
        let range = match inner.split_once(',') {
            Some((low, high)) => (bound(low, open == '[')?, bound(high, close == ']')?),
            None if open == '[' && close == ']' => {
                let exact = bound(inner, true)?;
                (exact.clone(), exact)
            }
            None => return Err(invalid()),
        };
        ranges.push(range);
        rest = rest[close_at + 1..].trim_start_matches([',', ' ']);
    }
    Ok(MavenRange {
        ranges: Some(ranges),
    })
}

#[derive(Clone, Copy, Debug, Default)]
pub struct MavenScheme;

impl VersionScheme for MavenScheme {
    type Version = MavenVersion;
    type Requirement = MavenRange;

    fn parse_version(&self, text: &str) -> Result<MavenVersion, String> {
        parse_maven_version(text).ok_or_else(|| format!("`{text}` is not a Maven version"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<MavenRange, String> {
        match text {
            None => Ok(MavenRange { ranges: None }),
            Some(text) => parse_range(text),
        }
    }

    fn matches(&self, requirement: &MavenRange, version: &MavenVersion) -> bool {
        let Some(ranges) = &requirement.ranges else {
            return true;
        };
        ranges.iter().any(|(low, high)| {
            let above = low.as_ref().is_none_or(|b| {
                if b.inclusive {
                    version >= &b.version
                } else {
                    version > &b.version
                }
            });
            let below = high.as_ref().is_none_or(|b| {
                if b.inclusive {
                    version <= &b.version
                } else {
                    version < &b.version
                }
            });
            above && below
        })
    }

    fn is_prerelease(&self, version: &MavenVersion) -> bool {
        version.is_prerelease()
    }

    fn gap(&self, from: &MavenVersion, to: &MavenVersion) -> Gap {
        positional_gap(from, to, MavenVersion::number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> MavenVersion {
        parse_maven_version(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn orders_qualifiers_like_maven() {
        let ordered = [
            "1.0-alpha-1",
            "1.0-beta2",
            "1.0-M1",
            "1.0-RC1",
            "1.0-SNAPSHOT",
            "1.0",
            "1.0-sp1",
            "1.0.1",
            "1.10",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("1.0-ga"), v("1.0"));
        assert_eq!(v("1.0-final"), v("1.0.0"));
        assert_eq!(v("5.3.0.RELEASE"), v("5.3"));
        assert!(MavenScheme.same(&v("2.0.0-GA"), &v("2")));
        assert_ne!(v("1.0-SNAPSHOT"), v("1.0"));
        assert!(!v("2.16.1").is_prerelease() && v("6.1.0-M2").is_prerelease());
    }

    #[test]
    fn soft_and_hard_requirements() {
        let scheme = MavenScheme;
        let allows = |req: &str, version: &str| {
            scheme.matches(
                &scheme.parse_requirement(Some(req)).expect("req"),
                &v(version),
            )
        };
        assert!(allows("42.7.2", "99.0"), "a plain version is soft");
        assert!(allows("[1.0,2.0)", "1.9.9"));
        assert!(!allows("[1.0,2.0)", "2.0"));
        assert!(allows("(,1.5],[2.0,)", "2.3"));
        assert!(!allows("(,1.5],[2.0,)", "1.7"));
        assert!(allows("[1.2]", "1.2"));
        assert!(!allows("[1.2]", "1.3"));
        assert!(scheme.parse_requirement(Some("[1.0,2.0")).is_err());
        assert!(
            scheme
                .parse_requirement(Some("${jackson.version}"))
                .is_err()
        );
    }
}
