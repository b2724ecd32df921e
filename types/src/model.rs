//! Types shared by the server and the browser: what the UI shows, in the
//! shape the server sends it. Nothing here does I/O.

use serde::{Deserialize, Serialize};

/// One service of the fleet, as listed on the Overview and the Services page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceSummary {
    pub slug: String,
    pub name: String,
    pub team: String,
    pub tags: Vec<String>,
    /// 1 is the most critical tier.
    pub tier: u8,
    /// Where the service's code lives, as the user wrote it (`github:org/repo`,
    /// a git URL or a local path); `None` for a service without a repository.
    pub repository: Option<RepositoryView>,
    pub health_endpoint_count: usize,
    /// Totals of the latest drift snapshot, once there is one.
    #[serde(default)]
    pub drift: Option<crate::drift::DriftSummary>,
    /// Why the last drift refresh failed, if it did.
    #[serde(default)]
    pub drift_error: Option<String>,
    /// Current health, 24-hour uptime and latency, once it has endpoints.
    #[serde(default)]
    pub health: Option<crate::health::HealthSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositoryView {
    /// `github`, `git` or `local`.
    pub kind: String,
    /// What to show a person: `org/repo`, the URL, or the path.
    pub display: String,
    /// A link a browser can open, when there is one.
    pub web_url: Option<String>,
}

/// Where a service was declared, so a person knows where to change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ServiceOrigin {
    /// Declared in the fleet file.
    FleetFile,
    /// Registered through the API.
    Api,
    /// Found in a GitHub organisation the fleet file names.
    GitHubOrg,
}

impl ServiceOrigin {
    pub const ALL: [ServiceOrigin; 3] = [
        ServiceOrigin::FleetFile,
        ServiceOrigin::Api,
        ServiceOrigin::GitHubOrg,
    ];

    /// The name the database stores.
    pub fn name(self) -> &'static str {
        match self {
            ServiceOrigin::FleetFile => "fleet_file",
            ServiceOrigin::Api => "api",
            ServiceOrigin::GitHubOrg => "github_org",
        }
    }

    pub fn parse(text: &str) -> Option<ServiceOrigin> {
        ServiceOrigin::ALL
            .into_iter()
            .find(|origin| origin.name() == text)
    }

    pub fn describe(self) -> &'static str {
        match self {
            ServiceOrigin::FleetFile => "fleet file",
            ServiceOrigin::Api => "registered through the API",
            ServiceOrigin::GitHubOrg => "discovered in a GitHub organisation (fleet file)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthEndpointView {
    pub url: String,
    pub method: String,
    pub interval_secs: u64,
    pub timeout_secs: u64,
}

/// Everything the service page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceDetail {
    pub summary: ServiceSummary,
    pub origin: ServiceOrigin,
    pub health_endpoints: Vec<HealthEndpointView>,
    /// Unix time in milliseconds.
    pub first_seen_ms: i64,
    pub updated_ms: i64,
}

/// A service registered through the API (`POST /api/v1/services`), in the
/// shape of a fleet-file `[[service]]` table: each field as the file
/// writes it, checked by the same rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceRegistration {
    /// Lowercase letters, digits and hyphens, starting with a letter. A
    /// replacement (`PUT /services/{slug}`) may leave it out.
    #[serde(default)]
    pub slug: String,
    /// Shown instead of the slug; the slug when absent.
    pub name: Option<String>,
    pub team: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// 1 (most critical) to 5; 3 when absent.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub tier: Option<i64>,
    /// `github:owner/repo` or a git URL.
    pub repository: Option<String>,
    /// Shown on the public status page.
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub health: Vec<HealthEndpointRegistration>,
}

/// One healthcheck of a registered service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthEndpointRegistration {
    pub url: String,
    /// `GET` (default), `HEAD` or `POST`.
    pub method: Option<String>,
    /// Like `30s` (default) or `5m`.
    pub interval: Option<String>,
    /// Like `10s` (default).
    pub timeout: Option<String>,
    /// Status codes or ranges counted as an answer (default 200-399).
    #[serde(default)]
    pub expect_status: Vec<StatusExpectation>,
    /// Text the body must contain to be up.
    pub body_contains: Option<String>,
    /// Answers slower than this (`800ms`) are degraded.
    pub slow_after: Option<String>,
    /// Failed checks in a row before down (1 to 100, default 3).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub down_after: Option<i64>,
    /// Good checks in a row before up again (1 to 100, default 2).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub up_after: Option<i64>,
    /// Headers sent with each check.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, HeaderValueSource>,
}

/// `200` or `"200-299"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum StatusExpectation {
    Code(i64),
    Range(String),
}

/// A header's value: written out, or read from an environment variable of
/// the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum HeaderValueSource {
    Value(String),
    Env { env: String },
}

/// What registering a service did: the service, and whether it is new.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registered {
    pub created: bool,
    pub service: ServiceDetail,
}

/// The state of the last attempt to load the fleet file, shown on the
/// Overview so that a typo in `shipshape.toml` is seen by whoever looks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetFileStatus {
    pub path: String,
    /// `None` when the last load succeeded.
    pub error: Option<String>,
    /// Unix time in milliseconds of the last successful load, if any.
    pub last_loaded_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetOverview {
    pub services: Vec<ServiceSummary>,
    pub fleet_file: Option<FleetFileStatus>,
    /// One per GitHub organisation the fleet file asks to discover.
    #[serde(default)]
    pub discovery: Vec<OrgDiscoveryStatus>,
    /// Alert channels whose messages have been failing for longer than
    /// `[alerts] channel_failing_after`: `name: last error`.
    #[serde(default)]
    pub failing_channels: Vec<String>,
}

/// The last discovery of one GitHub organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgDiscoveryStatus {
    pub org: String,
    /// Repositories the organisation lists, and how many hold a manifest
    /// (each a service, unless the fleet file declares it itself).
    pub listed: usize,
    pub services: usize,
    /// `(owner/repo, why)` for each repository passed over.
    pub skipped: Vec<(String, String)>,
    /// Why the last attempt failed; the services found before stay.
    pub error: Option<String>,
    /// Unix time in milliseconds of the last successful discovery.
    pub last_success_ms: Option<i64>,
}

impl FleetOverview {
    /// Every team that owns at least one service, sorted, without repeats.
    pub fn teams(&self) -> Vec<String> {
        sorted_unique(self.services.iter().map(|s| s.team.clone()))
    }

    /// Every tag used by at least one service, sorted, without repeats.
    pub fn tags(&self) -> Vec<String> {
        sorted_unique(self.services.iter().flat_map(|s| s.tags.iter().cloned()))
    }
}

fn sorted_unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut all: Vec<String> = items.collect();
    all.sort();
    all.dedup();
    all
}

/// The Overview's filter, read from and written to the URL's query string so
/// that a filtered view can be shared and works without JavaScript.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetFilter {
    pub team: Option<String>,
    pub tag: Option<String>,
    /// Matched case-insensitively against the slug and the display name.
    pub search: Option<String>,
}

impl FleetFilter {
    /// Builds a filter from query parameters; empty values mean "any".
    pub fn from_query<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Self {
        let non_empty = |key: &str| {
            get(key)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        FleetFilter {
            team: non_empty("team"),
            tag: non_empty("tag"),
            search: non_empty("q"),
        }
    }

    /// The query string (with its leading `?`, or empty) that reproduces this filter.
    pub fn to_query(&self) -> String {
        let pairs: Vec<String> = [
            ("team", &self.team),
            ("tag", &self.tag),
            ("q", &self.search),
        ]
        .into_iter()
        .filter_map(|(key, value)| {
            value
                .as_ref()
                .map(|v| format!("{key}={}", encode_query_value(v)))
        })
        .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.team.is_none() && self.tag.is_none() && self.search.is_none()
    }

    pub fn matches(&self, service: &ServiceSummary) -> bool {
        let team_ok = self.team.as_ref().is_none_or(|team| &service.team == team);
        let tag_ok = self
            .tag
            .as_ref()
            .is_none_or(|tag| service.tags.contains(tag));
        let search_ok = self.search.as_ref().is_none_or(|needle| {
            let needle = needle.to_lowercase();
            service.slug.to_lowercase().contains(&needle)
                || service.name.to_lowercase().contains(&needle)
        });
        team_ok && tag_ok && search_ok
    }

    pub fn apply<'a>(&self, services: &'a [ServiceSummary]) -> Vec<&'a ServiceSummary> {
        services.iter().filter(|s| self.matches(s)).collect()
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(slug: &str, name: &str, team: &str, tags: &[&str]) -> ServiceSummary {
        ServiceSummary {
            slug: slug.into(),
            name: name.into(),
            team: team.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            tier: 2,
            repository: None,
            health_endpoint_count: 0,
            drift: None,
            drift_error: None,
            health: None,
        }
    }

    fn fleet() -> Vec<ServiceSummary> {
        vec![
            service("checkout", "Checkout API", "payments", &["rust", "public"]),
            service("ledger", "Ledger", "payments", &["go"]),
            service("search", "Search Gateway", "discovery", &["node", "public"]),
        ]
    }

    fn slugs(found: Vec<&ServiceSummary>) -> Vec<&str> {
        found.into_iter().map(|s| s.slug.as_str()).collect()
    }

    #[test]
    fn empty_filter_keeps_every_service() {
        assert_eq!(slugs(FleetFilter::default().apply(&fleet())).len(), 3);
    }

    #[test]
    fn filters_by_team_tag_and_search_together() {
        let services = fleet();
        let by_team = FleetFilter {
            team: Some("payments".into()),
            ..Default::default()
        };
        assert_eq!(slugs(by_team.apply(&services)), ["checkout", "ledger"]);

        let by_tag = FleetFilter {
            tag: Some("public".into()),
            ..Default::default()
        };
        assert_eq!(slugs(by_tag.apply(&services)), ["checkout", "search"]);

        let both = FleetFilter {
            team: Some("payments".into()),
            tag: Some("public".into()),
            ..Default::default()
        };
        assert_eq!(slugs(both.apply(&services)), ["checkout"]);
    }

    #[test]
    fn search_matches_slug_or_name_ignoring_case() {
        let services = fleet();
        let by_name = FleetFilter {
            search: Some("GATEWAY".into()),
            ..Default::default()
        };
        assert_eq!(slugs(by_name.apply(&services)), ["search"]);
        let by_slug = FleetFilter {
            search: Some("ledg".into()),
            ..Default::default()
        };
        assert_eq!(slugs(by_slug.apply(&services)), ["ledger"]);
    }

    #[test]
    fn query_round_trip_ignores_blank_values_and_encodes() {
        let filter = FleetFilter::from_query(|key| match key {
            "team" => Some("payments"),
            "tag" => Some("  "),
            "q" => Some("a&b c"),
            _ => None,
        });
        assert_eq!(filter.tag, None);
        assert_eq!(filter.to_query(), "?team=payments&q=a%26b%20c");
        assert_eq!(FleetFilter::default().to_query(), "");
    }

    #[test]
    fn teams_and_tags_are_sorted_and_unique() {
        let overview = FleetOverview {
            services: fleet(),
            fleet_file: None,
            discovery: vec![],
            failing_channels: vec![],
        };
        assert_eq!(overview.teams(), ["discovery", "payments"]);
        assert_eq!(overview.tags(), ["go", "node", "public", "rust"]);
    }
}
