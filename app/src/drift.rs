//! Dependency drift as the UI and the API show it. Shared by the server
//! (which fills it from the store) and the browser; no I/O here.

use serde::{Deserialize, Serialize};

/// One dependency of a service in its latest snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DependencyView {
    /// `cargo`, `npm`, `python`, `go`, `ruby` or `maven`.
    pub ecosystem: String,
    /// The manifest that declares it, from the repository's root.
    pub manifest: String,
    pub name: String,
    /// As written in the manifest.
    pub requirement: Option<String>,
    /// `normal`, `dev` or `build`.
    pub kind: String,
    pub optional: bool,
    /// A path or git source: not from a registry, so not measured.
    pub source: Option<String>,
    /// Versions the lock file pins.
    pub locked: Vec<String>,
    /// The version in use.
    pub current: Option<String>,
    /// Newest version the requirement allows.
    pub wanted: Option<String>,
    /// Newest stable version.
    pub latest: Option<String>,
    /// `up-to-date`, `patch`, `minor` or `major`; `None` when not measured.
    pub gap: Option<String>,
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
    /// The gap, or `unknown` when drift could not be measured.
    pub fn gap_or_unknown(&self) -> &str {
        self.gap.as_deref().unwrap_or("unknown")
    }
}

pub const GAPS: [&str; 4] = ["up-to-date", "patch", "minor", "major"];

/// Totals of one snapshot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
        for dependency in dependencies {
            summary.libyears += dependency.libyears.unwrap_or(0.0);
            match dependency.gap.as_deref() {
                Some("up-to-date") => summary.up_to_date += 1,
                Some("patch") => summary.patch += 1,
                Some("minor") => summary.minor += 1,
                Some("major") => summary.major += 1,
                _ => summary.unknown += 1,
            }
        }
        summary.libyears = (summary.libyears * 100.0).round() / 100.0;
        summary
    }
}

/// The state of a service's refreshes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct ServiceDrift {
    pub latest: Option<DriftSummary>,
    pub dependencies: Vec<DependencyView>,
    /// Problems met while reading the repository ("file:line: message").
    pub problems: Vec<String>,
    /// Oldest first, for the trend chart.
    pub history: Vec<DriftSummary>,
    pub refresh: RefreshView,
}

/// One package across the fleet: which versions are in use, and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackageUse {
    pub ecosystem: String,
    pub name: String,
    pub latest: Option<String>,
    /// (version in use, slugs of the services on it), newest version first.
    pub versions: Vec<(String, Vec<String>)>,
}
