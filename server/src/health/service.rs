//! The health service layer: what the Overview, the service page, the
//! status page, badges and the API read, and the live changes the monitor
//! publishes to open pages.

use std::collections::HashMap;
use std::sync::Arc;

use shipshape_types::health::{
    EndpointHealth, HealthChange, HealthLevel, HealthSummary, IncidentView, PublicIncident,
    ServiceHealth, StatusGroup, StatusGrouping, StatusPageView, StatusService, UptimeFigures,
};
use shipshape_types::model::ServiceSummary;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::report::{components, day_cells, group_by, latency_points, service_level, sparkline};
use super::rollup::{Bucket, DAY_MS, HOUR_MS, LatencyHistogram, MINUTE_MS, StateCounts, roll_up};
use crate::common::clock::Clock;
use crate::health::store::{EndpointStatus, ListedIncident};
use crate::store::{Store, StoreError};

/// Days in the uptime bars.
pub const BAR_DAYS: usize = 90;
/// The service page's latency chart: 24 hours in 15-minute stretches.
const CHART_SLOT_MS: i64 = 15 * MINUTE_MS;
const CHART_SLOTS: usize = 96;
/// The Overview's sparkline: the last hour, a point a minute.
const SPARK_SLOTS: usize = 60;
/// Points one history answer may hold per endpoint.
pub const MAX_HISTORY_POINTS: i64 = 10_000;

/// A resolution of `history`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    Minute,
    Hour,
    Day,
}

impl Resolution {
    const ALL: [Resolution; 3] = [Resolution::Minute, Resolution::Hour, Resolution::Day];

    /// As the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Resolution::Minute => "minute",
            Resolution::Hour => "hour",
            Resolution::Day => "day",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == text)
    }

    pub fn width_ms(self) -> i64 {
        match self {
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
            Resolution::Day => DAY_MS,
        }
    }

    /// The finest resolution that keeps a range within the point limit.
    pub fn for_range(range_ms: i64) -> Self {
        Self::ALL
            .into_iter()
            .find(|r| range_ms / r.width_ms() <= 1_500)
            .unwrap_or(Resolution::Day)
    }
}

/// One endpoint's history at a resolution, oldest first.
pub struct EndpointHistory {
    pub endpoint_id: i64,
    pub url: String,
    pub buckets: Vec<Bucket>,
}

/// How long a badge's answer is served from memory.
pub const BADGE_FRESH_MS: i64 = 60_000;
/// Badges kept at most (slugs × periods × audiences); a flood of unknown
/// slugs empties the cache rather than growing it.
const BADGE_CACHE_MAX: usize = 4096;

type BadgeAnswer = Option<(Option<HealthLevel>, Option<f64>)>;
/// (slug, days, private services too) → (when answered, the answer).
type BadgeCache = HashMap<(String, i64, bool), (i64, BadgeAnswer)>;

#[derive(Clone)]
pub struct HealthService {
    store: Store,
    clock: Arc<dyn Clock>,
    badges: Arc<std::sync::Mutex<BadgeCache>>,
    changes: broadcast::Sender<HealthChange>,
    /// Ends the streams of open pages, which would otherwise hold a
    /// graceful shutdown open for ever.
    closing: CancellationToken,
}

impl HealthService {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        let (changes, _) = broadcast::channel(256);
        HealthService {
            store,
            clock,
            badges: Arc::default(),
            changes,
            closing: CancellationToken::new(),
        }
    }

    /// The time on this service's clock (the API's default `until`).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Where the monitor announces state changes.
    pub fn publisher(&self) -> broadcast::Sender<HealthChange> {
        self.changes.clone()
    }

    /// Changes from now on, for a page that stays open, and the token
    /// that says the server is stopping.
    pub fn subscribe(&self) -> (broadcast::Receiver<HealthChange>, CancellationToken) {
        (self.changes.subscribe(), self.closing.clone())
    }

    /// Ends every stream of changes (the server is stopping).
    pub fn close_streams(&self) {
        self.closing.cancel();
    }

    /// Fills in each service's current health, 24-hour uptime and latency
    /// sparkline (services without endpoints are left without).
    pub async fn annotate(&self, services: &mut [ServiceSummary]) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let statuses = self.store.endpoint_statuses(None).await?;
        let day = self.store.health_window(now - DAY_MS, now, None).await?;
        let spark_from = now - SPARK_SLOTS as i64 * MINUTE_MS;
        let recent = self.store.raw_samples(spark_from, now, None).await?;

        let mut by_service: HashMap<&str, Vec<&EndpointStatus>> = HashMap::new();
        for status in &statuses {
            by_service
                .entry(status.service_slug.as_str())
                .or_default()
                .push(status);
        }
        for service in services.iter_mut() {
            let Some(endpoints) = by_service.get(service.slug.as_str()) else {
                continue;
            };
            let Some((level, since_ms)) = service_level(endpoints.iter().map(|e| e.state)) else {
                continue;
            };
            let mut counts = StateCounts::default();
            let mut samples = Vec::new();
            for endpoint in endpoints {
                if let Some((c, _)) = day.get(&endpoint.endpoint_id) {
                    counts.merge(c);
                }
                if let Some(s) = recent.get(&endpoint.endpoint_id) {
                    samples.extend_from_slice(s);
                }
            }
            service.health = Some(HealthSummary {
                level,
                since_ms,
                uptime_24h: counts.uptime(),
                latency_sparkline: sparkline(
                    &samples,
                    spark_from + MINUTE_MS,
                    MINUTE_MS,
                    SPARK_SLOTS,
                ),
            });
        }
        Ok(())
    }

    /// The service page's health; `None` for a slug not in the fleet.
    pub async fn service_health(&self, slug: &str) -> Result<Option<ServiceHealth>, StoreError> {
        if self.store.active_service(slug).await?.is_none() {
            return Ok(None);
        }
        let now = self.clock.now_ms();
        let statuses = self.store.endpoint_statuses(Some(slug)).await?;
        let level = service_level(statuses.iter().map(|e| e.state)).map(|(level, _)| level);

        let mut endpoints = Vec::with_capacity(statuses.len());
        let mut service_windows = [(); 4].map(|_| StateCounts::default());
        let mut chart_samples = Vec::new();
        let chart_from = now - (CHART_SLOTS as i64 - 1) * CHART_SLOT_MS;
        let mut day_buckets = Vec::new();
        for status in &statuses {
            let id = status.endpoint_id;
            let mut figures = [None; 4];
            let mut latency = LatencyHistogram::default();
            for (i, days) in [1, 7, 30, 90].into_iter().enumerate() {
                let window = self
                    .store
                    .health_window(now - days * DAY_MS, now, Some(id))
                    .await?;
                if let Some((counts, histogram)) = window.get(&id) {
                    figures[i] = counts.uptime();
                    service_windows[i].merge(counts);
                    if days == 1 {
                        latency = histogram.clone();
                    }
                }
            }
            chart_samples.extend(
                self.store
                    .raw_samples(
                        chart_from.div_euclid(CHART_SLOT_MS) * CHART_SLOT_MS,
                        now,
                        Some(id),
                    )
                    .await?
                    .remove(&id)
                    .unwrap_or_default(),
            );
            day_buckets.extend(self.daily(id, now).await?);
            endpoints.push(endpoint_health(status, figures, &latency));
        }
        let incidents = self
            .store
            .incident_list(Some(slug), false)
            .await?
            .into_iter()
            .map(incident_view)
            .collect();
        Ok(Some(ServiceHealth {
            level,
            uptime: UptimeFigures {
                day: service_windows[0].uptime(),
                week: service_windows[1].uptime(),
                month: service_windows[2].uptime(),
                quarter: service_windows[3].uptime(),
            },
            endpoints,
            days: day_cells(&day_buckets, first_bar_day(now), BAR_DAYS),
            latency: latency_points(&chart_samples, chart_from, CHART_SLOT_MS, CHART_SLOTS),
            incidents,
        }))
    }

    /// Day buckets of one endpoint over the bar's 90 days: stored day
    /// rollups, then the days not rolled up yet (today, perhaps
    /// yesterday) read as windows.
    async fn daily(&self, endpoint_id: i64, now: i64) -> Result<Vec<Bucket>, StoreError> {
        let first = first_bar_day(now);
        let today = now.div_euclid(DAY_MS) * DAY_MS;
        let rolled_until = self
            .store
            .rollup_mark(DAY_MS)
            .await?
            .unwrap_or(first)
            .clamp(first, today + DAY_MS);
        let mut buckets = self
            .store
            .rollups(DAY_MS, first, rolled_until, Some(endpoint_id))
            .await?
            .remove(&endpoint_id)
            .unwrap_or_default();
        let mut day = rolled_until;
        while day <= today {
            let window = self
                .store
                .health_window(day, (day + DAY_MS).min(now), Some(endpoint_id))
                .await?;
            if let Some((counts, latency)) = window.get(&endpoint_id) {
                buckets.push(Bucket {
                    start_ms: day,
                    width_ms: DAY_MS,
                    counts: counts.clone(),
                    latency: latency.clone(),
                });
            }
            day += DAY_MS;
        }
        Ok(buckets)
    }

    /// `/status`: the public services, grouped, with their open incidents.
    pub async fn status_page(
        &self,
        grouping: StatusGrouping,
    ) -> Result<StatusPageView, StoreError> {
        let now = self.clock.now_ms();
        let public: Vec<_> = self
            .store
            .active_services()
            .await?
            .into_iter()
            .filter(|s| s.spec.public)
            .collect();
        let statuses = self.store.endpoint_statuses(None).await?;
        let open = self.store.incident_list(None, true).await?;
        let mut shown = Vec::with_capacity(public.len());
        for service in &public {
            let slug = service.spec.slug.as_str();
            let endpoints: Vec<&EndpointStatus> =
                statuses.iter().filter(|e| e.service_slug == slug).collect();
            let mut buckets = Vec::new();
            for endpoint in &endpoints {
                buckets.extend(self.daily(endpoint.endpoint_id, now).await?);
            }
            let days = day_cells(&buckets, first_bar_day(now), BAR_DAYS);
            let mut total = StateCounts::default();
            for bucket in &buckets {
                total.merge(&bucket.counts);
            }
            shown.push((
                service.spec.team.clone(),
                service.spec.tags.clone(),
                StatusService {
                    slug: slug.to_string(),
                    name: service.spec.name.clone(),
                    level: service_level(endpoints.iter().map(|e| e.state)).map(|(l, _)| l),
                    uptime_90d: total.uptime(),
                    days,
                    open_incidents: open
                        .iter()
                        .filter(|i| i.service_slug == slug)
                        .map(|incident| PublicIncident {
                            started_ms: incident.incident.started_ms,
                        })
                        .collect(),
                },
            ));
        }
        let overall = HealthLevel::worst(shown.iter().filter_map(|(_, _, s)| s.level));
        let grouped = match grouping {
            StatusGrouping::Team => group_by(
                &shown,
                |(team, _, _)| vec![team.clone()],
                |(_, _, s)| &s.name,
                "other",
            ),
            StatusGrouping::Tag => group_by(
                &shown,
                |(_, tags, _)| tags.clone(),
                |(_, _, s)| &s.name,
                "untagged",
            ),
        };
        Ok(StatusPageView {
            groups: grouped
                .into_iter()
                .map(|(name, members)| StatusGroup {
                    name,
                    services: members.into_iter().map(|(_, _, s)| s).collect(),
                })
                .collect(),
            overall,
            generated_ms: now,
        })
    }

    /// A service's current level and its uptime over `days`, for badges;
    /// `None` for a slug not in the fleet, or not public unless
    /// `private_too`. Answers are kept for [`BADGE_FRESH_MS`]: badges are
    /// fetched by every view of every README, and the uptime of 90 days
    /// is a long query.
    pub async fn badge(
        &self,
        slug: &str,
        days: i64,
        private_too: bool,
    ) -> Result<BadgeAnswer, StoreError> {
        let now = self.clock.now_ms();
        let key = (slug.to_string(), days, private_too);
        if let Some((at, answer)) = self
            .badges
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).copied())
            && now - at < BADGE_FRESH_MS
        {
            return Ok(answer);
        }
        let answer = self.badge_now(slug, days, private_too, now).await?;
        if let Ok(mut cache) = self.badges.lock() {
            if cache.len() >= BADGE_CACHE_MAX {
                cache.retain(|_, (at, _)| now - *at < BADGE_FRESH_MS);
                if cache.len() >= BADGE_CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(key, (now, answer));
        }
        Ok(answer)
    }

    async fn badge_now(
        &self,
        slug: &str,
        days: i64,
        private_too: bool,
        now: i64,
    ) -> Result<Option<(Option<HealthLevel>, Option<f64>)>, StoreError> {
        match self.store.active_service(slug).await? {
            Some(service) if service.spec.public || private_too => {}
            _ => return Ok(None),
        }
        let statuses = self.store.endpoint_statuses(Some(slug)).await?;
        let mut counts = StateCounts::default();
        for endpoint in &statuses {
            let window = self
                .store
                .health_window(now - days * DAY_MS, now, Some(endpoint.endpoint_id))
                .await?;
            if let Some((c, _)) = window.get(&endpoint.endpoint_id) {
                counts.merge(c);
            }
        }
        let level = service_level(statuses.iter().map(|e| e.state)).map(|(l, _)| l);
        Ok(Some((level, counts.uptime())))
    }

    /// Each endpoint's buckets of `resolution` over `[from_ms, until_ms)`:
    /// stored rollups where they exist, the rest rolled from raw checks.
    /// `None` for a slug not in the fleet.
    pub async fn history(
        &self,
        slug: &str,
        from_ms: i64,
        until_ms: i64,
        resolution: Resolution,
    ) -> Result<Option<Vec<EndpointHistory>>, StoreError> {
        if self.store.active_service(slug).await?.is_none() {
            return Ok(None);
        }
        let width = resolution.width_ms();
        let from = from_ms.div_euclid(width) * width;
        let rolled_until = self
            .store
            .rollup_mark(width)
            .await?
            .unwrap_or(from)
            .clamp(from, until_ms.max(from));
        let mut out = Vec::new();
        for endpoint in self.store.endpoint_statuses(Some(slug)).await? {
            let id = endpoint.endpoint_id;
            let mut buckets = self
                .store
                .rollups(width, from, rolled_until, Some(id))
                .await?
                .remove(&id)
                .unwrap_or_default();
            let raw = self
                .store
                .raw_samples(rolled_until, until_ms, Some(id))
                .await?
                .remove(&id)
                .unwrap_or_default();
            buckets.extend(roll_up(&raw, width));
            out.push(EndpointHistory {
                endpoint_id: id,
                url: crate::common::url::shown_url(&endpoint.url),
                buckets,
            });
        }
        Ok(Some(out))
    }

    /// Incidents, newest first: of one service, or of the whole fleet.
    pub async fn incidents(
        &self,
        slug: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<(String, IncidentView)>, StoreError> {
        Ok(self
            .store
            .incident_list(slug, open_only)
            .await?
            .into_iter()
            .map(|listed| (listed.service_slug.clone(), incident_view(listed)))
            .collect())
    }
}

/// The first day of a 90-day bar that ends today (UTC days).
pub fn first_bar_day(now_ms: i64) -> i64 {
    now_ms.div_euclid(DAY_MS) * DAY_MS - (BAR_DAYS as i64 - 1) * DAY_MS
}

fn incident_view(listed: ListedIncident) -> IncidentView {
    IncidentView {
        endpoint_url: crate::common::url::shown_url(&listed.endpoint_url),
        started_ms: listed.incident.started_ms,
        ended_ms: listed.incident.ended_ms,
        first_detail: listed.incident.first_detail,
    }
}

fn endpoint_health(
    status: &EndpointStatus,
    uptime: [Option<f64>; 4],
    latency: &LatencyHistogram,
) -> EndpointHealth {
    let positive = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    EndpointHealth {
        id: status.endpoint_id,
        url: crate::common::url::shown_url(&status.url),
        method: status.method.clone(),
        level: status
            .state
            .map_or(HealthLevel::NoData, |(state, _)| state.into()),
        since_ms: status.state.map(|(_, since)| since),
        last_checked_ms: status.last_checked_ms,
        last_latency_ms: positive(status.last_latency_ms),
        last_status: status.last_status.and_then(|s| u16::try_from(s).ok()),
        format: status.last_format.clone(),
        reason: status.last_reason.clone(),
        excerpt: status.last_excerpt.clone().filter(|e| !e.is_empty()),
        components: components(status.last_components.as_deref()),
        conforming: status.conforming,
        uptime: UptimeFigures {
            day: uptime[0],
            week: uptime[1],
            month: uptime[2],
            quarter: uptime[3],
        },
        p50_ms: latency.percentile(0.5),
        p95_ms: latency.percentile(0.95),
        p99_ms: latency.percentile(0.99),
    }
}
