//! Python's versions and specifiers (PEP 440): `1!2.0.post1`, `1.0rc1`,
//! `2.0.dev3`, `~=2.6`, `==1.4.*`, `>=1,!=1.3.2,<2`. Versions are normalised
//! as the PEP says (`1.0-ALPHA_1` is `1.0a1`), ordered by epoch, release,
//! then dev < pre-release < final < post. Specifiers exclude pre-releases
//! unless one of them names a pre-release.

use std::cmp::Ordering;
use std::fmt;

use super::{Gap, VersionScheme, positional_gap};

/// Equal by PEP 440's rules, not by spelling: `4.6 == 4.6.0`.
#[derive(Clone, Debug)]
pub struct Pep440Version {
    epoch: u64,
    release: Vec<u64>,
    /// ("a" | "b" | "rc", number)
    pre: Option<(String, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<String>,
}

impl Pep440Version {
    fn release_at(&self, index: usize) -> u64 {
        self.release.get(index).copied().unwrap_or(0)
    }

    fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The key PEP 440 orders by. Trailing zeros of the release do not count
    /// (`1.0 == 1.0.0`); a dev release of a final sorts before its pre-releases.
    fn sort_key(&self) -> SortKey {
        let mut release = self.release.clone();
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let pre = match (&self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (0, 0, 0),
            (Some((kind, n)), _, _) => (1, kind_rank(kind), *n),
            (None, _, _) => (2, 0, 0),
        };
        let post = self.post.map_or((0, 0), |n| (1, n));
        let dev = self.dev.map_or((1, 0), |n| (0, n));
        (self.epoch, release, pre, post, dev)
    }
}

/// Epoch, release (trailing zeros dropped), then the ranks of the
/// pre-release, post-release and dev parts.
type SortKey = (u64, Vec<u64>, (u8, u64, u64), (u8, u64), (u8, u64));

fn kind_rank(kind: &str) -> u64 {
    match kind {
        "a" => 0,
        "b" => 1,
        _ => 2,
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key()
            .cmp(&other.sort_key())
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let release: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&release.join("."))?;
        if let Some((kind, n)) = &self.pre {
            write!(f, "{kind}{n}")?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if let Some(local) = &self.local {
            write!(f, "+{local}")?;
        }
        Ok(())
    }
}

/// Parses and normalises a version; `None` when it is not PEP 440.
pub fn parse_pep440(text: &str) -> Option<Pep440Version> {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix('v').unwrap_or(&lower);
    let (main, local) = match lower.split_once('+') {
        Some((main, local)) => (main, Some(local.replace(['-', '_'], "."))),
        None => (lower, None),
    };
    let (epoch, rest) = match main.split_once('!') {
        Some((epoch, rest)) => (epoch.parse().ok()?, rest),
        None => (0, main),
    };
    let bytes = rest.as_bytes();
    let mut i = 0;
    let mut release = Vec::new();
    loop {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
        release.push(rest[start..i].parse().ok()?);
        if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
            i += 1;
        } else {
            break;
        }
    }
    let mut tail = &rest[i..];
    let take_number = |tail: &mut &str| -> u64 {
        let trimmed = tail.trim_start_matches(['.', '-', '_']);
        let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
        let n = trimmed[..digits].parse().unwrap_or(0);
        *tail = &trimmed[digits..];
        n
    };
    let strip_label = |tail: &mut &str, labels: &[&str]| -> bool {
        let trimmed = tail.trim_start_matches(['.', '-', '_']);
        for label in labels {
            if let Some(after) = trimmed.strip_prefix(label) {
                *tail = after;
                return true;
            }
        }
        false
    };
    let mut pre = None;
    for (labels, kind) in [
        (&["alpha", "a"][..], "a"),
        (&["beta", "b"][..], "b"),
        (&["preview", "pre", "rc", "c"][..], "rc"),
    ] {
        if pre.is_none() && strip_label(&mut tail, labels) {
            pre = Some((kind.to_string(), take_number(&mut tail)));
        }
    }
    let mut post = None;
    if strip_label(&mut tail, &["post", "rev", "r"]) {
        post = Some(take_number(&mut tail));
    } else if let Some(after) = tail
        .strip_prefix('-')
        .filter(|a| a.starts_with(|c: char| c.is_ascii_digit()))
    {
        // `1.0-1` is the implicit post release 1.
        tail = after;
        post = Some(take_number(&mut tail));
    }
    let dev = strip_label(&mut tail, &["dev"]).then(|| take_number(&mut tail));
    tail.is_empty().then_some(Pep440Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum SpecOp {
    Compatible,
    Equal,
    EqualPrefix,
    NotEqual,
    NotEqualPrefix,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Arbitrary(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pep440Specifiers {
    specs: Vec<(SpecOp, Pep440Version)>,
    names_prerelease: bool,
}

pub fn parse_specifiers(text: &str) -> Result<Pep440Specifiers, String> {
    let mut specs = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (op, rest) = ["~=", "===", "==", "!=", "<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|rest| (*op, rest.trim())))
            .ok_or_else(|| format!("`{part}` has no comparison operator (==, >=, ~=, …)"))?;
        let invalid = || format!("`{part}` is not a PEP 440 specifier");
        let (op, version_text) = match (op, rest.strip_suffix(".*")) {
            ("==", Some(prefix)) => (SpecOp::EqualPrefix, prefix),
            ("!=", Some(prefix)) => (SpecOp::NotEqualPrefix, prefix),
            ("~=", None) => (SpecOp::Compatible, rest),
            ("==", None) => (SpecOp::Equal, rest),
            ("!=", None) => (SpecOp::NotEqual, rest),
            ("<=", None) => (SpecOp::LessEqual, rest),
            (">=", None) => (SpecOp::GreaterEqual, rest),
            ("<", None) => (SpecOp::Less, rest),
            (">", None) => (SpecOp::Greater, rest),
            ("===", _) => (SpecOp::Arbitrary(rest.to_string()), rest),
            _ => return Err(invalid()),
        };
        let version = match &op {
            SpecOp::Arbitrary(_) => parse_pep440(version_text).unwrap_or(Pep440Version {
                epoch: 0,
                release: vec![0],
                pre: None,
                post: None,
                dev: None,
                local: None,
            }),
            _ => parse_pep440(version_text).ok_or_else(invalid)?,
        };
        if op == SpecOp::Compatible && version.release.len() < 2 {
            return Err(format!(
                "`{part}`: ~= needs at least two release numbers (like ~=2.6)"
            ));
        }
        specs.push((op, version));
    }
    let names_prerelease = specs.iter().any(|(_, v)| v.is_prerelease());
    Ok(Pep440Specifiers {
        specs,
        names_prerelease,
    })
}

fn prefix_matches(prefix: &Pep440Version, version: &Pep440Version) -> bool {
    prefix.epoch == version.epoch
        && (0..prefix.release.len()).all(|i| prefix.release_at(i) == version.release_at(i))
}

fn public(version: &Pep440Version) -> Pep440Version {
    Pep440Version {
        local: None,
        ..version.clone()
    }
}

fn spec_matches(op: &SpecOp, spec: &Pep440Version, version: &Pep440Version) -> bool {
    match op {
        SpecOp::Compatible => {
            let mut prefix = spec.clone();
            prefix.release.pop();
            version >= spec
                && prefix_matches(
                    &Pep440Version {
                        pre: None,
                        post: None,
                        dev: None,
                        ..prefix
                    },
                    version,
                )
        }
        SpecOp::Equal => &public(version) == spec || (spec.local.is_some() && version == spec),
        SpecOp::EqualPrefix => prefix_matches(spec, version),
        SpecOp::NotEqual => public(version) != *spec,
        SpecOp::NotEqualPrefix => !prefix_matches(spec, version),
        SpecOp::LessEqual => public(version) <= *spec,
        SpecOp::GreaterEqual => public(version) >= *spec,
        // `<1.5` does not admit pre-releases of 1.5; `>1.5` not its post releases.
        SpecOp::Less => {
            public(version) < *spec
                && !(version.is_prerelease()
                    && prefix_matches(spec, version)
                    && !spec.is_prerelease())
        }
        SpecOp::Greater => {
            public(version) > *spec
                && !(version.post.is_some() && spec.post.is_none() && prefix_matches(spec, version))
        }
        SpecOp::Arbitrary(text) => version.to_string() == *text,
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Pep440Scheme;

impl VersionScheme for Pep440Scheme {
    type Version = Pep440Version;
    type Requirement = Pep440Specifiers;

    fn parse_version(&self, text: &str) -> Result<Pep440Version, String> {
        parse_pep440(text).ok_or_else(|| format!("`{text}` is not a PEP 440 version"))
    }

    fn parse_requirement(&self, text: Option<&str>) -> Result<Pep440Specifiers, String> {
        parse_specifiers(text.unwrap_or_default())
    }

    fn matches(&self, requirement: &Pep440Specifiers, version: &Pep440Version) -> bool {
        (requirement.names_prerelease || !version.is_prerelease())
            && requirement
                .specs
                .iter()
                .all(|(op, spec)| spec_matches(op, spec, version))
    }

    fn is_prerelease(&self, version: &Pep440Version) -> bool {
        version.is_prerelease()
    }

    /// Python has no 0.x convention: the first release number is major.
    fn gap(&self, from: &Pep440Version, to: &Pep440Version) -> Gap {
        if to > from && to.epoch != from.epoch {
            return Gap::Major;
        }
        positional_gap(from, to, Pep440Version::release_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Pep440Version {
        parse_pep440(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    fn allows(spec: &str, version: &str) -> bool {
        let scheme = Pep440Scheme;
        scheme.matches(
            &scheme
                .parse_requirement(Some(spec))
                .unwrap_or_else(|e| panic!("{e}")),
            &v(version),
        )
    }

    #[test]
    fn equality_is_pep_440_s_not_the_spelling() {
        assert_eq!(v("4.6"), v("4.6.0"));
        assert_eq!(v("1.0.0.0"), v("1"));
        assert_ne!(v("1.0+local"), v("1.0"));
        assert!(allows("==4.6", "4.6.0"));
        assert!(allows("==4.6.0", "4.6"));
        assert!(!allows("==4.6", "4.6.1"));
        assert!(
            allows("==1.0", "1.0+local.7"),
            "a local version matches its public one"
        );
        assert!(Pep440Scheme.same(&v("2.0"), &v("2.0.0")));
    }

    #[test]
    fn normalises_as_pep_440_says() {
        assert_eq!(v("1.0-ALPHA_1").to_string(), "1.0a1");
        assert_eq!(v("1.0.c2").to_string(), "1.0rc2");
        assert_eq!(v("1.0preview3").to_string(), "1.0rc3");
        assert_eq!(v("v2.0-1").to_string(), "2.0.post1");
        assert_eq!(v("1.0.post").to_string(), "1.0.post0");
        assert_eq!(v("1!2.0.dev4+ubuntu-1").to_string(), "1!2.0.dev4+ubuntu.1");
        for bad in ["", "one", "1.0.", "1.0foo", "1..0"] {
            assert!(parse_pep440(bad).is_none(), "{bad} must not parse");
        }
    }

    #[test]
    fn orders_dev_pre_final_post() {
        let ordered = [
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0b2",
            "1.0rc1",
            "1.0",
            "1.0.post1.dev1",
            "1.0.post1",
            "1.1",
            "1!0.1",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(
            v("1.0").cmp(&v("1.0.0")),
            Ordering::Equal,
            "trailing zeros do not count"
        );
    }

    #[test]
    fn specifiers() {
        assert!(allows("~=2.6", "2.9"));
        assert!(!allows("~=2.6", "3.0"));
        assert!(allows("~=2.6.1", "2.6.9"));
        assert!(!allows("~=2.6.1", "2.7.0"));
        assert!(allows("==1.4.*", "1.4.7"));
        assert!(!allows("==1.4.*", "1.5"));
        assert!(allows(">=1,!=1.3.2,<2", "1.3.3"));
        assert!(!allows(">=1,!=1.3.2,<2", "1.3.2"));
        assert!(allows("==1.26.4", "1.26.4"));
        assert!(allows("", "5.0"), "no specifier allows every final release");
        assert!(
            !allows("===1.0.custom", "1.0"),
            "=== compares the text exactly"
        );
    }

    #[test]
    fn pre_releases_only_when_named() {
        assert!(!allows(">=1.0", "2.0rc1"));
        assert!(allows(">=2.0rc1", "2.0rc2"));
        assert!(
            !allows("<2.0", "2.0a1"),
            "<2.0 keeps out 2.0's pre-releases"
        );
        assert!(
            !allows(">1.0", "1.0.post1"),
            ">1.0 keeps out 1.0's post releases"
        );
    }

    #[test]
    fn gaps_by_position() {
        let scheme = Pep440Scheme;
        assert_eq!(scheme.gap(&v("2.6.4"), &v("2.6.9")), Gap::Patch);
        assert_eq!(scheme.gap(&v("0.110.0"), &v("0.115.2")), Gap::Minor);
        assert_eq!(scheme.gap(&v("1.26.4"), &v("2.1.0")), Gap::Major);
        assert_eq!(scheme.gap(&v("2.0"), &v("2.0.0")), Gap::UpToDate);
    }

    #[test]
    fn bad_specifiers_are_errors() {
        let scheme = Pep440Scheme;
        assert!(
            scheme
                .parse_requirement(Some("1.0"))
                .expect_err("no op")
                .contains("no comparison operator")
        );
        assert!(
            scheme
                .parse_requirement(Some("~=2"))
                .expect_err("short")
                .contains("at least two")
        );
        assert!(scheme.parse_requirement(Some(">=one")).is_err());
    }
}
