//! Dependency drift as the UI and the API show it, and the words for it:
//! ecosystems, dependency kinds and gaps. Shared by the server (which fills
//! it from the store) and the browser; no I/O here.

use serde::{Deserialize, Serialize};

/// A package ecosystem: its manifests, lock files and registry. In JSON,
/// config, URLs and the database it is its lower-case name (`cargo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Cargo,
    Npm,
    Python,
    Go,
    Ruby,
    Maven,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Python,
        Ecosystem::Go,
        Ecosystem::Ruby,
        Ecosystem::Maven,
    ];
    /// Names in config, the API and the UI.
    pub const CONFIG_NAMES: [&'static str; 6] = ["cargo", "npm", "python", "go", "ruby", "maven"];

    pub fn config_name(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Python => "python",
            Ecosystem::Go => "go",
            Ecosystem::Ruby => "ruby",
            Ecosystem::Maven => "maven",
        }
    }

    pub fn from_config_name(name: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.config_name() == name)
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.config_name())
    }
}

/// Why a dependency is there: to run, to develop or test, or to build.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DependencyKind {
    #[default]
    Normal,
    Dev,
    Build,
}

impl DependencyKind {
    pub const ALL: [DependencyKind; 3] = [
        DependencyKind::Normal,
        DependencyKind::Dev,
        DependencyKind::Build,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DependencyKind::Normal => "normal",
            DependencyKind::Dev => "dev",
            DependencyKind::Build => "build",
        }
    }

    pub fn parse(text: &str) -> Option<DependencyKind> {
        DependencyKind::ALL.into_iter().find(|k| k.name() == text)
    }
}

/// How far a version in use is behind a newer one, in the ecosystem's own
/// terms of compatibility. Ordered from up to date to a major behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Gap {
    UpToDate,
    Patch,
    Minor,
    Major,
}

impl Gap {
    pub const ALL: [Gap; 4] = [Gap::UpToDate, Gap::Patch, Gap::Minor, Gap::Major];

    /// `up-to-date`, `patch`, `minor` or `major`.
    pub fn name(self) -> &'static str {
        match self {
            Gap::UpToDate => "up-to-date",
            Gap::Patch => "patch",
            Gap::Minor => "minor",
            Gap::Major => "major",
        }
    }

    pub fn parse(text: &str) -> Option<Gap> {
        Gap::ALL.into_iter().find(|g| g.name() == text)
    }
}

/// Where a dependency's version in use came from. Only a lock file or an
/// exact pin says what is installed; a range says only what could be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum VersionSource {
    /// The lock file named in `lock_file` pins it.
    Lock,
    /// The manifest pins one exact version (`==1.2.3`, a Go or Maven version).
    Pin,
    /// No lock governs it: `current` is the newest release the range allows,
    /// an assumption, so it is never counted as up to date.
    RangeOnly,
    /// The version in use is not known (not measured, or the lock disagrees).
    #[default]
    Unknown,
}

impl VersionSource {
    pub const ALL: [VersionSource; 4] = [
        VersionSource::Lock,
        VersionSource::Pin,
        VersionSource::RangeOnly,
        VersionSource::Unknown,
    ];

    /// `lock`, `pin`, `range-only` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            VersionSource::Lock => "lock",
            VersionSource::Pin => "pin",
            VersionSource::RangeOnly => "range-only",
            VersionSource::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<VersionSource> {
        VersionSource::ALL.into_iter().find(|s| s.name() == text)
    }
}

/// One dependency of a service in its latest snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependencyView {
    pub ecosystem: Ecosystem,
    /// The manifest that declares it, from the repository's root.
    pub manifest: String,
    pub name: String,
    /// As written in the manifest.
    pub requirement: Option<String>,
    pub kind: DependencyKind,
    pub optional: bool,
    /// A path or git source: not from a registry, so not measured.
    pub source: Option<String>,
    /// Versions the lock file pins.
    pub locked: Vec<String>,
    /// The version in use (see `version_source` for how sure that is).
    pub current: Option<String>,
    /// Where `current` came from.
    #[serde(default)]
    pub version_source: VersionSource,
    /// The lock file that pins it, from the repository's root.
    #[serde(default)]
    pub lock_file: Option<String>,
    /// The workspace manifest whose `[workspace.dependencies]` sets its
    /// version: that row is the one counted, this one says where it is used.
    #[serde(default)]
    pub inherited_from: Option<String>,
    /// Newest version the requirement allows.
    pub wanted: Option<String>,
    /// Newest stable version.
    pub latest: Option<String>,
    /// `None` when not measured.
    pub gap: Option<Gap>,
    pub releases_behind: Option<i64>,
    pub libyears: Option<f64>,
    pub age_days: Option<i64>,
    pub yanked: bool,
    /// The registry's deprecation message for the version in use.
    pub deprecated: Option<String>,
    /// Advisory ids that affect the version in use.
    pub advisories: Vec<String>,
    /// Why drift could not be measured.
    pub note: Option<String>,
}

impl DependencyView {
    /// A dependency as its manifest names it, with nothing measured yet.
    pub fn unmeasured(
        ecosystem: Ecosystem,
        manifest: impl Into<String>,
        name: impl Into<String>,
    ) -> DependencyView {
        DependencyView {
            ecosystem,
            manifest: manifest.into(),
            name: name.into(),
            requirement: None,
            kind: DependencyKind::Normal,
            optional: false,
            source: None,
            locked: Vec::new(),
            current: None,
            version_source: VersionSource::Unknown,
            lock_file: None,
            inherited_from: None,
            wanted: None,
            latest: None,
            gap: None,
            releases_behind: None,
            libyears: None,
            age_days: None,
            yanked: false,
            deprecated: None,
            advisories: Vec::new(),
            note: None,
        }
    }

    /// The gap, or `unknown` when drift could not be measured.
    pub fn gap_or_unknown(&self) -> &'static str {
        self.gap.map_or("unknown", Gap::name)
    }
}

/// Totals of one snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftSummary {
    pub taken_ms: i64,
    pub revision: String,
    pub dependency_count: i64,
    pub libyears: f64,
    pub up_to_date: i64,
    pub patch: i64,
    pub minor: i64,
    pub major: i64,
    /// Not measured (registry down, not from a registry, unreadable version).
    pub unknown: i64,
    /// Measured from a range alone (no lock, no pin): the version in use is
    /// assumed to be the newest the range allows. Counted here instead of
    /// `up_to_date`; those found behind even so are in `patch`/`minor`/`major`.
    #[serde(default)]
    pub range_only: i64,
}

impl DriftSummary {
    /// Totals of `dependencies`.
    pub fn of(dependencies: &[DependencyView], taken_ms: i64, revision: &str) -> Self {
        let mut summary = DriftSummary {
            taken_ms,
            revision: revision.to_string(),
            dependency_count: i64::try_from(dependencies.len()).unwrap_or(i64::MAX),
            ..DriftSummary::default()
        };
        // A workspace dependency counts once, at the root that declares it.
        let counted: Vec<&DependencyView> = dependencies
            .iter()
            .filter(|d| d.inherited_from.is_none())
            .collect();
        summary.dependency_count = i64::try_from(counted.len()).unwrap_or(i64::MAX);
        for dependency in counted {
            summary.libyears += dependency.libyears.unwrap_or(0.0);
            match dependency.gap {
                Some(Gap::UpToDate) if dependency.version_source == VersionSource::RangeOnly => {
                    summary.range_only += 1
                }
                Some(Gap::UpToDate) => summary.up_to_date += 1,
                Some(Gap::Patch) => summary.patch += 1,
                Some(Gap::Minor) => summary.minor += 1,
                Some(Gap::Major) => summary.major += 1,
                None => summary.unknown += 1,
            }
        }
        summary.libyears = (summary.libyears * 100.0).round() / 100.0;
        summary
    }
}

/// The state of a service's refreshes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshView {
    /// A refresh of this service is under way.
    pub running: bool,
    /// What the running refresh is doing ("reading the repository", …).
    pub progress: Option<String>,
    pub last_started_ms: Option<i64>,
    pub last_finished_ms: Option<i64>,
    /// Why the last refresh failed (the snapshot shown is the one before).
    pub last_error: Option<String>,
}

/// Everything the service page shows about drift.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceDrift {
    pub latest: Option<DriftSummary>,
    pub dependencies: Vec<DependencyView>,
    /// Problems met while reading the repository ("file:line: message").
    pub problems: Vec<String>,
    /// Oldest first, for the trend chart.
    pub history: Vec<DriftSummary>,
    pub refresh: RefreshView,
}

/// The answer to a package search on the Dependencies page. A query that
/// cannot be read is an answer too (with why), not a failure of the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageSearch {
    pub packages: Vec<PackageUse>,
    pub query_error: Option<String>,
}

/// One package across the fleet: which versions are in use, and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageUse {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub latest: Option<String>,
    /// (version in use, slugs of the services on it), newest version first.
    pub versions: Vec<(String, Vec<String>)>,
}

/// Which dependencies of a service to list; each absent field matches all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DependencyFilter {
    /// `up-to-date`, `patch`, `minor`, `major` or `unknown`.
    pub gap: Option<String>,
    /// `normal`, `dev` or `build`.
    pub kind: Option<String>,
    /// `cargo`, `npm`, `python`, `go`, `ruby` or `maven`.
    pub ecosystem: Option<String>,
}

impl DependencyFilter {
    /// Whether `dependency` is one the filter asks for. Values are checked
    /// first (see [`DependencyFilter::problem`]).
    pub fn matches(&self, dependency: &DependencyView) -> bool {
        let wanted =
            |asked: &Option<String>, value: &str| asked.as_deref().is_none_or(|a| a == value);
        wanted(&self.gap, dependency.gap_or_unknown())
            && wanted(&self.kind, dependency.kind.name())
            && wanted(&self.ecosystem, dependency.ecosystem.config_name())
    }

    /// What is wrong with the filter's values, if anything: a misspelt
    /// gap would otherwise match nothing and look like "none".
    pub fn problem(&self) -> Option<String> {
        let check = |key: &str, value: &Option<String>, known: &[&str]| {
            value
                .as_deref()
                .filter(|v| !known.contains(v))
                .map(|v| format!("{key}: `{v}` is not one of {}", known.join(", ")))
        };
        check(
            "gap",
            &self.gap,
            &["up-to-date", "patch", "minor", "major", "unknown"],
        )
        .or_else(|| check("kind", &self.kind, &["normal", "dev", "build"]))
        .or_else(|| check("ecosystem", &self.ecosystem, &Ecosystem::CONFIG_NAMES))
    }
}

/// A column the dependency table can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Package,
    Gap,
    Libyears,
    Age,
}

impl SortKey {
    /// The direction a first click sorts in: worst first for measures,
    /// alphabetical for names.
    pub fn starts_descending(self) -> bool {
        !matches!(self, SortKey::Package)
    }
}

/// How far behind a gap is, for sorting: unknown sorts below up to date.
fn gap_rank(gap: Option<Gap>) -> u8 {
    match gap {
        Some(Gap::Major) => 4,
        Some(Gap::Minor) => 3,
        Some(Gap::Patch) => 2,
        Some(Gap::UpToDate) => 1,
        None => 0,
    }
}

/// Sorts rows by `key`; ties keep the package order. Rows without a value
/// (not measured) go last in either direction, so they never hide the
/// worst offenders.
pub fn sort_dependencies(rows: &mut [DependencyView], key: SortKey, descending: bool) {
    use std::cmp::Ordering;
    let by_name = |a: &DependencyView, b: &DependencyView| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.manifest.cmp(&b.manifest))
    };
    let directed = |ordering: Ordering| {
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    };
    let optional = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => directed(a.total_cmp(&b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    rows.sort_by(|a, b| {
        let primary = match key {
            SortKey::Package => directed(by_name(a, b)),
            SortKey::Gap => {
                let (ra, rb) = (gap_rank(a.gap), gap_rank(b.gap));
                match (ra, rb) {
                    (0, 0) => Ordering::Equal,
                    (0, _) => Ordering::Greater,
                    (_, 0) => Ordering::Less,
                    _ => directed(ra.cmp(&rb)),
                }
            }
            SortKey::Libyears => optional(a.libyears, b.libyears),
            SortKey::Age => optional(a.age_days.map(|d| d as f64), b.age_days.map(|d| d as f64)),
        };
        primary.then_with(|| by_name(a, b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependency(name: &str, gap: Option<Gap>, libyears: Option<f64>) -> DependencyView {
        DependencyView {
            ecosystem: Ecosystem::Cargo,
            manifest: "Cargo.toml".into(),
            name: name.into(),
            requirement: None,
            kind: DependencyKind::Normal,
            optional: false,
            source: None,
            locked: vec![],
            current: None,
            version_source: VersionSource::Unknown,
            lock_file: None,
            inherited_from: None,
            wanted: None,
            latest: None,
            gap,
            releases_behind: None,
            libyears,
            age_days: libyears.map(|y| (y * 365.0) as i64),
            yanked: false,
            deprecated: None,
            advisories: vec![],
            note: None,
        }
    }

    fn names(rows: &[DependencyView]) -> Vec<&str> {
        rows.iter().map(|d| d.name.as_str()).collect()
    }

    fn rows() -> Vec<DependencyView> {
        vec![
            dependency("tokio", Some(Gap::Patch), Some(0.1)),
            dependency("Axum", Some(Gap::Major), Some(2.5)),
            dependency("private-crate", None, None),
            dependency("serde", Some(Gap::UpToDate), Some(0.0)),
            dependency("hyper", Some(Gap::Major), Some(1.0)),
        ]
    }

    #[test]
    fn a_summary_counts_guesses_apart_and_a_workspace_dependency_once() {
        let row =
            |gap: Option<Gap>, source: VersionSource, inherited: Option<&str>| DependencyView {
                gap,
                libyears: Some(1.0),
                version_source: source,
                inherited_from: inherited.map(str::to_string),
                ..DependencyView::unmeasured(Ecosystem::Cargo, "Cargo.toml", "x")
            };
        let summary = DriftSummary::of(
            &[
                row(Some(Gap::UpToDate), VersionSource::Lock, None),
                row(Some(Gap::UpToDate), VersionSource::RangeOnly, None),
                row(Some(Gap::Major), VersionSource::RangeOnly, None),
                row(Some(Gap::Patch), VersionSource::Lock, Some("Cargo.toml")),
                row(None, VersionSource::Unknown, None),
            ],
            0,
            "r",
        );
        assert_eq!(
            (
                summary.dependency_count,
                summary.up_to_date,
                summary.range_only,
                summary.major,
                summary.patch,
                summary.unknown
            ),
            (4, 1, 1, 1, 0, 1),
            "a range-only row on its newest release is not up to date; an inherited row counts at its root"
        );
        assert_eq!(summary.libyears, 4.0);
    }

    #[test]
    fn worst_gap_first_then_by_name_with_unmeasured_last() {
        let mut rows = rows();
        sort_dependencies(&mut rows, SortKey::Gap, true);
        assert_eq!(
            names(&rows),
            ["Axum", "hyper", "tokio", "serde", "private-crate"]
        );
        sort_dependencies(&mut rows, SortKey::Gap, false);
        assert_eq!(
            names(&rows),
            ["serde", "tokio", "Axum", "hyper", "private-crate"]
        );
    }

    #[test]
    fn libyears_and_age_sort_numerically_with_unmeasured_last() {
        let mut rows = rows();
        sort_dependencies(&mut rows, SortKey::Libyears, true);
        assert_eq!(
            names(&rows),
            ["Axum", "hyper", "tokio", "serde", "private-crate"]
        );
        sort_dependencies(&mut rows, SortKey::Age, false);
        assert_eq!(
            names(&rows),
            ["serde", "tokio", "hyper", "Axum", "private-crate"]
        );
    }

    #[test]
    fn names_sort_without_case() {
        let mut rows = rows();
        sort_dependencies(&mut rows, SortKey::Package, false);
        assert_eq!(
            names(&rows),
            ["Axum", "hyper", "private-crate", "serde", "tokio"]
        );
        assert!(!SortKey::Package.starts_descending());
        assert!(SortKey::Gap.starts_descending());
    }
}
