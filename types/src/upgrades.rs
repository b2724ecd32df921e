//! Upgrade PRs, runs, previews and waves as the UI and the API show them.
//! Shared by the server (which fills them) and the browser; no I/O here.

use serde::{Deserialize, Serialize};

use crate::drift::{Ecosystem, Gap};

crate::named_enum! {
    /// Who asked for a run.
    pub enum RunCause {
        Schedule = "schedule",
        Manual = "manual",
        Wave = "wave",
    }
}

crate::named_enum! {
    /// Where a run stands.
    pub enum RunStatus {
        Running = "running",
        Done = "done",
        /// No service could be upgraded.
        Failed = "failed",
        /// The server stopped while it ran; the next run finishes its PRs.
        Interrupted = "interrupted",
    }
}

crate::named_enum! {
    /// How much a line of a run's journal matters.
    pub enum EventLevel {
        Info = "info",
        Warning = "warning",
        Error = "error",
    }
}

crate::named_enum! {
    /// Where an upgrade PR stands.
    pub enum PrState {
        /// Planned, not yet opened on the code host.
        Pending = "pending",
        Open = "open",
        Merged = "merged",
        /// Closed by a person without merging: its versions are not
        /// proposed again.
        Closed = "closed",
        /// Closed by Shipshape: no longer needed, or replaced.
        Superseded = "superseded",
    }
}

crate::named_enum! {
    /// The last step of writing a PR that is done, so that a run cut short
    /// is finished, not repeated.
    pub enum PrStep {
        Planned = "planned",
        Committed = "committed",
        Pushed = "pushed",
        Opened = "opened",
        Complete = "complete",
    }
}

crate::named_enum! {
    pub enum WaveState {
        Active = "active",
        Done = "done",
        Cancelled = "cancelled",
    }
}

crate::named_enum! {
    /// Where one service of a wave stands.
    pub enum WaveServiceState {
        Waiting = "waiting",
        PrOpen = "pr-open",
        Soaking = "soaking",
        Done = "done",
        /// Its PR was closed without merging.
        Closed = "closed",
        /// Unhealthy after its merge.
        Failed = "failed",
    }
}

crate::named_enum! {
    /// Where one tier of a wave stands.
    pub enum WaveTierState {
        Waiting = "waiting",
        RollingOut = "rolling-out",
        Halted = "halted",
        Done = "done",
    }
}

/// One bump of one dependency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BumpView {
    pub ecosystem: Ecosystem,
    pub manifest: String,
    pub name: String,
    pub from: String,
    pub to: String,
    pub gap: Gap,
    /// When `to` was released (Unix ms), when the registry says.
    pub published_ms: Option<i64>,
}

/// An upgrade PR Shipshape keeps on GitHub.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpgradePrView {
    pub service: String,
    pub repository: String,
    pub group: String,
    pub branch: String,
    pub title: String,
    pub number: Option<i64>,
    pub url: Option<String>,
    pub state: PrState,
    /// The last step written.
    pub step: PrStep,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub opened_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub merged_ms: Option<i64>,
    pub bumps: Vec<BumpView>,
    /// Why Shipshape closed it, or the last error writing it.
    pub note: Option<String>,
    pub wave_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunEventView {
    pub at_ms: i64,
    pub service: Option<String>,
    pub level: EventLevel,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpgradeRunView {
    pub id: i64,
    pub cause: RunCause,
    /// The one service the run was for; `None` for the fleet.
    pub scope: Option<String>,
    pub dry_run: bool,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub status: RunStatus,
    pub error: Option<String>,
    pub events: Vec<RunEventView>,
}

/// A changed file of a previewed PR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileDiffView {
    pub path: String,
    /// Unified diff.
    pub diff: String,
}

/// A PR as a run would write it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupPreviewView {
    pub group: String,
    pub branch: String,
    pub title: String,
    pub body: String,
    pub commit_message: String,
    pub bumps: Vec<BumpView>,
    pub files: Vec<FileDiffView>,
    /// What the run does with it: `open`, `update`, `unchanged`, or why not.
    pub action: String,
}

/// A bump not proposed this time, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldView {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServicePreviewView {
    pub service: String,
    pub repository: Option<String>,
    pub groups: Vec<GroupPreviewView>,
    pub held: Vec<HeldView>,
    /// Why nothing could be planned (no repository, unreadable, …).
    pub error: Option<String>,
}

/// What a run did (or, for a dry run, would do).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunOutcomeView {
    pub run: UpgradeRunView,
    pub services: Vec<ServicePreviewView>,
}

/// When a service's next scheduled run is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleEntryView {
    pub service: String,
    pub team: String,
    pub expression: String,
    pub time_zone: String,
    pub enabled: bool,
    pub next_run_ms: Option<i64>,
}

/// One service's part in a wave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaveServiceView {
    pub service: String,
    pub tier: u8,
    pub current: String,
    pub state: WaveServiceState,
    pub pr_url: Option<String>,
    pub merged_ms: Option<i64>,
    /// Why it is in that state ("healthy since …", "down since …").
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaveTierView {
    pub tier: u8,
    pub state: WaveTierState,
    pub services: Vec<WaveServiceView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaveView {
    pub id: i64,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub target: String,
    pub soak_ms: i64,
    pub created_ms: i64,
    pub state: WaveState,
    pub tiers: Vec<WaveTierView>,
}

/// Everything the Upgrades page shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpgradesOverview {
    pub schedule: Vec<ScheduleEntryView>,
    pub runs: Vec<UpgradeRunView>,
    pub prs: Vec<UpgradePrView>,
    pub waves: Vec<WaveView>,
    /// GitHub is configured, so real runs can write PRs.
    pub can_write: bool,
}

/// A run asked for now (`POST /api/v1/upgrades/runs`, "Run now").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    /// One service's slug; absent (or empty) for the whole fleet.
    pub service: Option<String>,
    /// Show what would be written; write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A wave asked for (`POST /api/v1/upgrades/waves`, the Upgrades page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWave {
    /// `cargo`, `npm`, `python`, `go`, `ruby` or `maven`.
    pub ecosystem: String,
    pub package: String,
    /// The version every service moves to.
    pub target: String,
    /// How long a tier stays merged and healthy before the next (`24h`,
    /// `3d`); absent or empty: `[upgrades] wave_soak`.
    pub soak: Option<String>,
}
