//! Health as the UI shows it: the shapes the server sends (summaries for the
//! Overview, a service's detail, the public status page, live changes) and
//! the pure helpers that turn figures into words and colours.

use serde::{Deserialize, Serialize};

/// A service's or an endpoint's health. Always shown with its words, never
/// by colour alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum HealthLevel {
    Up,
    Degraded,
    Down,
    /// Polled, but nothing conclusive yet.
    Unknown,
    /// Not polled (never yet, or Shipshape was stopped).
    NoData,
}

impl HealthLevel {
    pub const ALL: [HealthLevel; 5] = [
        HealthLevel::Up,
        HealthLevel::Degraded,
        HealthLevel::Down,
        HealthLevel::Unknown,
        HealthLevel::NoData,
    ];

    /// The name used in the API, the database and CSS (`no-data`).
    pub fn name(self) -> &'static str {
        match self {
            HealthLevel::Up => "up",
            HealthLevel::Degraded => "degraded",
            HealthLevel::Down => "down",
            HealthLevel::Unknown => "unknown",
            HealthLevel::NoData => "no-data",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.name() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            HealthLevel::Up => "Up",
            HealthLevel::Degraded => "Degraded",
            HealthLevel::Down => "Down",
            HealthLevel::Unknown => "Unknown",
            HealthLevel::NoData => "No data",
        }
    }

    /// How much a person should worry; a service shows its worst endpoint.
    /// An endpoint with no data yet does not hide one that answers.
    fn concern(self) -> u8 {
        match self {
            HealthLevel::NoData => 0,
            HealthLevel::Up => 1,
            HealthLevel::Unknown => 2,
            HealthLevel::Degraded => 3,
            HealthLevel::Down => 4,
        }
    }

    /// The worst of several levels; `None` when there are none.
    pub fn worst(levels: impl IntoIterator<Item = HealthLevel>) -> Option<HealthLevel> {
        levels.into_iter().max_by_key(|level| level.concern())
    }
}

/// Share of checks that were up or degraded, from 0 to 1, per window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UptimeFigures {
    pub day: Option<f64>,
    pub week: Option<f64>,
    pub month: Option<f64>,
    pub quarter: Option<f64>,
}

/// What the Overview shows of a service's health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthSummary {
    pub level: HealthLevel,
    /// Unix ms since which the worst endpoint has been in its state.
    pub since_ms: Option<i64>,
    pub uptime_24h: Option<f64>,
    /// Median latency per minute over the last hour, oldest first; `None`
    /// for a minute without checks.
    pub latency_sparkline: Vec<Option<u64>>,
}

/// A live change of a service's health, sent to open pages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthChange {
    pub slug: String,
    pub level: HealthLevel,
    pub since_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentView {
    pub name: String,
    /// `pass`, `warn`, `fail` or `unknown`.
    pub verdict: String,
    pub detail: Option<String>,
}

/// One healthcheck of a service, with its last answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointHealth {
    pub id: i64,
    pub url: String,
    pub method: String,
    pub level: HealthLevel,
    pub since_ms: Option<i64>,
    pub last_checked_ms: Option<i64>,
    pub last_latency_ms: Option<u64>,
    pub last_status: Option<u16>,
    /// `standard`, `health+json`, `spring-actuator` or `status-code`.
    pub format: Option<String>,
    /// Why the last check was not up, in words.
    pub reason: Option<String>,
    /// The start of the last body, so a person can see why it failed.
    pub excerpt: Option<String>,
    pub components: Vec<ComponentView>,
    /// False when the answer is in none of the shapes Shipshape reads.
    pub conforming: bool,
    pub uptime: UptimeFigures,
    /// Latency percentiles over the last 24 hours, in ms.
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub p99_ms: Option<u64>,
}

/// One day of the 90-day uptime bar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCell {
    pub start_ms: i64,
    pub uptime: Option<f64>,
    pub down_checks: u64,
    pub checks: u64,
}

/// Latency percentiles of one stretch of the latency chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatencyPoint {
    pub start_ms: i64,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub p99_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentView {
    pub endpoint_url: String,
    pub started_ms: i64,
    /// `None` while it is still open.
    pub ended_ms: Option<i64>,
    pub first_detail: Option<String>,
}

/// Everything the service page shows of health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceHealth {
    pub level: Option<HealthLevel>,
    pub uptime: UptimeFigures,
    pub endpoints: Vec<EndpointHealth>,
    /// The last 90 days, oldest first; the last is today so far.
    pub days: Vec<DayCell>,
    /// The last 24 hours in 15-minute stretches, oldest first.
    pub latency: Vec<LatencyPoint>,
    /// Newest first.
    pub incidents: Vec<IncidentView>,
}

/// A public service on `/status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusService {
    pub slug: String,
    pub name: String,
    pub level: Option<HealthLevel>,
    pub uptime_90d: Option<f64>,
    pub days: Vec<DayCell>,
    /// Only when each began: the public page never shows the internal
    /// URLs checked or what their failures said.
    pub open_incidents: Vec<PublicIncident>,
}

/// An open incident as the public status page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicIncident {
    pub started_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusGroup {
    pub name: String,
    pub services: Vec<StatusService>,
}

/// How `/status` groups its services (`?by=team` or `?by=tag`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StatusGrouping {
    #[default]
    Team,
    Tag,
}

impl StatusGrouping {
    pub fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("tag") => StatusGrouping::Tag,
            _ => StatusGrouping::Team,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusPageView {
    pub groups: Vec<StatusGroup>,
    /// The worst level among the public services, for the banner.
    pub overall: Option<HealthLevel>,
    pub generated_ms: i64,
}

/// A service's current health (`GET /api/v1/health`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceHealthSummary {
    pub slug: String,
    pub health: HealthSummary,
}

/// An incident of the fleet, with its service (`GET /api/v1/incidents`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentListItem {
    pub service: String,
    pub endpoint_url: String,
    pub started_ms: i64,
    /// `None` while it is still open.
    pub ended_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub first_detail: Option<String>,
}

/// One bucket of an endpoint's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPoint {
    pub start_ms: i64,
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub unknown: u64,
    pub no_data: u64,
    /// Share of checks up or degraded; `None` without checks.
    pub uptime: Option<f64>,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub p99_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointHistoryView {
    pub endpoint_id: i64,
    pub url: String,
    pub points: Vec<HistoryPoint>,
}

/// A service's health over a time range
/// (`GET /api/v1/services/{slug}/health/history`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthHistory {
    pub service: String,
    pub from: i64,
    pub until: i64,
    /// `minute`, `hour` or `day`.
    pub resolution: String,
    pub endpoints: Vec<EndpointHistoryView>,
}

/// `99.95 %` with as many decimals as the figure deserves; `—` without data.
pub fn percent(uptime: Option<f64>) -> String {
    match uptime {
        None => "—".to_string(),
        Some(share) if share >= 1.0 => "100%".to_string(),
        Some(share) if share >= 0.99 => format!("{:.2}%", (share * 100.0 * 100.0).floor() / 100.0),
        Some(share) => format!("{:.1}%", (share * 100.0 * 10.0).floor() / 10.0),
    }
}

/// CSS class of a day of the uptime bar, by how good the day was.
pub fn day_class(uptime: Option<f64>) -> &'static str {
    match uptime {
        None => "day day-none",
        Some(u) if u >= 0.999 => "day day-good",
        Some(u) if u >= 0.99 => "day day-fair",
        Some(u) if u >= 0.95 => "day day-poor",
        Some(_) => "day day-bad",
    }
}

/// A duration in words: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn duration_words(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{minutes} min")
    } else if days == 0 {
        format!("{hours} h {minutes} min")
    } else {
        format!("{days} d {hours} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_shows_its_worst_endpoint_but_no_data_hides_nothing() {
        use HealthLevel::*;
        assert_eq!(HealthLevel::worst([Up, Down, Degraded]), Some(Down));
        assert_eq!(HealthLevel::worst([NoData, Up]), Some(Up));
        assert_eq!(HealthLevel::worst([Up, Unknown]), Some(Unknown));
        assert_eq!(HealthLevel::worst([NoData]), Some(NoData));
        assert_eq!(HealthLevel::worst([]), None);
    }

    #[test]
    fn names_round_trip() {
        for level in HealthLevel::ALL {
            assert_eq!(HealthLevel::parse(level.name()), Some(level));
        }
        assert_eq!(HealthLevel::parse("sideways"), None);
    }

    #[test]
    fn percentages_never_round_a_bad_figure_up() {
        assert_eq!(percent(None), "—");
        assert_eq!(percent(Some(1.0)), "100%");
        assert_eq!(percent(Some(0.99999)), "99.99%");
        assert_eq!(percent(Some(0.9876)), "98.7%");
        assert_eq!(percent(Some(0.5)), "50.0%");
    }

    #[test]
    fn days_are_coloured_by_how_good_they_were() {
        assert_eq!(day_class(None), "day day-none");
        assert_eq!(day_class(Some(1.0)), "day day-good");
        assert_eq!(day_class(Some(0.995)), "day day-fair");
        assert_eq!(day_class(Some(0.96)), "day day-poor");
        assert_eq!(day_class(Some(0.5)), "day day-bad");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(45_000), "45 s");
        assert_eq!(duration_words(12 * 60_000 + 5_000), "12 min");
        assert_eq!(duration_words(3 * 3_600_000 + 5 * 60_000), "3 h 5 min");
        assert_eq!(duration_words(52 * 3_600_000), "2 d 4 h");
    }
}
