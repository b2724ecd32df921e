//! Health: the fleet's and a service's, history, incidents, live changes,
//! and what anyone may see (the status page, badges, Shipshape's own
//! healthcheck).

use serde::Deserialize;
use shipshape_types::auth::{Caller, Role};
use shipshape_types::health::{
    EndpointHistoryView, HealthChange, HealthHistory, HealthLevel, HistoryPoint, IncidentListItem,
    ServiceHealth, ServiceHealthSummary, StatusGrouping, StatusPageView,
};
use shipshape_types::page::{Page, PageRequest};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use utoipa::IntoParams;

use super::{OperationError, Operations, Result};
use crate::health::rollup::DAY_MS;
use crate::health::service::{MAX_HISTORY_POINTS, Resolution};

/// The range and resolution of a service's history.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Unix ms; default: 24 hours before `until`.
    pub from: Option<i64>,
    /// Unix ms; default: now.
    pub until: Option<i64>,
    /// `minute`, `hour` or `day`; default: the finest that keeps the
    /// answer small.
    pub resolution: Option<String>,
}

/// How far back an uptime badge looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadgePeriod {
    Day,
    Week,
    Month,
    Quarter,
}

impl BadgePeriod {
    /// `24h`, `7d`, `30d` or `90d`.
    pub fn parse(text: &str) -> Result<BadgePeriod> {
        match text {
            "24h" => Ok(BadgePeriod::Day),
            "7d" => Ok(BadgePeriod::Week),
            "30d" => Ok(BadgePeriod::Month),
            "90d" => Ok(BadgePeriod::Quarter),
            other => Err(OperationError::Invalid(format!(
                "period: must be 24h, 7d, 30d or 90d, not `{other}`"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BadgePeriod::Day => "24h",
            BadgePeriod::Week => "7d",
            BadgePeriod::Month => "30d",
            BadgePeriod::Quarter => "90d",
        }
    }

    fn days(self) -> i64 {
        match self {
            BadgePeriod::Day => 1,
            BadgePeriod::Week => 7,
            BadgePeriod::Month => 30,
            BadgePeriod::Quarter => 90,
        }
    }
}

impl Operations {
    /// Every service with endpoints: its level, since when, 24-hour uptime
    /// and the last hour's latency.
    pub async fn fleet_health(
        &self,
        caller: &Caller,
        page: &PageRequest,
    ) -> Result<Page<ServiceHealthSummary>> {
        caller.require(Role::Viewer)?;
        let mut overview = self.fleet.overview().await?;
        self.health.annotate(&mut overview.services).await?;
        let items = overview
            .services
            .into_iter()
            .filter_map(|s| {
                Some(ServiceHealthSummary {
                    health: s.health?,
                    slug: s.slug,
                })
            })
            .collect();
        Page::of(items, page).map_err(OperationError::Invalid)
    }

    /// Endpoints with their last answer, uptime over 24 h to 90 d, the
    /// 90-day bar, latency and incidents.
    pub async fn service_health(&self, caller: &Caller, slug: &str) -> Result<ServiceHealth> {
        caller.require(Role::Viewer)?;
        self.health
            .service_health(slug)
            .await?
            .ok_or_else(|| OperationError::no_service(slug))
    }

    /// Counts by state, uptime and latency percentiles per bucket and
    /// endpoint.
    pub async fn health_history(
        &self,
        caller: &Caller,
        slug: &str,
        query: &HistoryQuery,
    ) -> Result<HealthHistory> {
        caller.require(Role::Viewer)?;
        let until = query.until.unwrap_or_else(|| self.health.now_ms());
        let from = query.from.unwrap_or(until.saturating_sub(DAY_MS));
        if from >= until {
            return Err(OperationError::Invalid(format!(
                "from ({from}) must be before until ({until})"
            )));
        }
        let resolution = match query.resolution.as_deref() {
            Some(text) => Resolution::parse(text).ok_or_else(|| {
                OperationError::Invalid(format!(
                    "resolution: must be minute, hour or day, not `{text}`"
                ))
            })?,
            None => Resolution::for_range(until.saturating_sub(from)),
        };
        if until.saturating_sub(from) / resolution.width_ms() > MAX_HISTORY_POINTS {
            return Err(OperationError::Invalid(format!(
                "that range holds more than {MAX_HISTORY_POINTS} points at this resolution; choose a coarser one"
            )));
        }
        let endpoints = self
            .health
            .history(slug, from, until, resolution)
            .await?
            .ok_or_else(|| OperationError::no_service(slug))?;
        Ok(HealthHistory {
            service: slug.to_string(),
            from,
            until,
            resolution: resolution.name().to_string(),
            endpoints: endpoints
                .into_iter()
                .map(|e| EndpointHistoryView {
                    endpoint_id: e.endpoint_id,
                    url: e.url,
                    points: e
                        .buckets
                        .iter()
                        .map(|b| HistoryPoint {
                            start_ms: b.start_ms,
                            up: b.counts.up,
                            degraded: b.counts.degraded,
                            down: b.counts.down,
                            unknown: b.counts.unknown,
                            no_data: b.counts.no_data,
                            uptime: b.counts.uptime(),
                            p50_ms: b.latency.percentile(0.5),
                            p95_ms: b.latency.percentile(0.95),
                            p99_ms: b.latency.percentile(0.99),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// Incidents, newest first: of one service, or of the whole fleet.
    pub async fn incidents(
        &self,
        caller: &Caller,
        slug: Option<&str>,
        open_only: bool,
        page: &PageRequest,
    ) -> Result<Page<IncidentListItem>> {
        caller.require(Role::Viewer)?;
        if let Some(slug) = slug
            && self.fleet.service(slug).await?.is_none()
        {
            return Err(OperationError::no_service(slug));
        }
        let items = self
            .health
            .incidents(slug, open_only)
            .await?
            .into_iter()
            .map(|(service, incident)| IncidentListItem {
                service,
                duration_ms: incident.ended_ms.map(|end| end - incident.started_ms),
                endpoint_url: incident.endpoint_url,
                started_ms: incident.started_ms,
                ended_ms: incident.ended_ms,
                first_detail: incident.first_detail,
            })
            .collect();
        Page::of(items, page).map_err(OperationError::Invalid)
    }

    /// Changes from now on, for a page that stays open, and the token that
    /// says the server is stopping.
    pub fn health_changes(
        &self,
        caller: &Caller,
    ) -> Result<(broadcast::Receiver<HealthChange>, CancellationToken)> {
        caller.require(Role::Viewer)?;
        Ok(self.health.subscribe())
    }

    /// The public status page: anyone may read it.
    pub async fn status_page(&self, grouping: StatusGrouping) -> Result<StatusPageView> {
        Ok(self.health.status_page(grouping).await?)
    }

    /// A service's level and uptime for a README badge: anyone may read
    /// a public service's; the others' only who may view the fleet.
    /// `None` for a slug not in the fleet or not shown to this caller (the
    /// same answer, so that slugs cannot be found by asking).
    pub async fn badge(
        &self,
        caller: &Caller,
        slug: &str,
        period: BadgePeriod,
    ) -> Result<Option<(Option<HealthLevel>, Option<f64>)>> {
        let may_view = caller.require(Role::Viewer).is_ok();
        Ok(self.health.badge(slug, period.days(), may_view).await?)
    }

    /// Whether the database answers, for Shipshape's own healthcheck:
    /// anyone may ask.
    pub async fn database_answers(&self) -> std::result::Result<(), String> {
        self.store.ping().await.map_err(|error| error.to_string())
    }
}
