//! Health history: check results, the current state of each endpoint,
//! state changes, incidents, and the rollups that keep storage per
//! endpoint bounded. The maths is in `health::rollup`; this reads and
//! writes rows.

use std::collections::HashMap;

use sqlx::Row;

use crate::fleet::spec::Expectations;
use crate::fleet::store::expectations;
use crate::health::rollup::{
    Bucket, DAY_MS, HOUR_MS, LatencyHistogram, MINUTE_MS, RETENTION, Sample, StateCounts, coarsen,
    cover, roll_up, tally,
};
use crate::health::state::{HealthState, Transition};
use crate::store::events::{EventType, Journal, Subject};
use crate::store::{QueryContext, Store, StoreError};

/// An endpoint of a service in the fleet, as the poller needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointToPoll {
    pub id: i64,
    pub service_slug: String,
    pub url: String,
    pub method: String,
    pub interval_ms: i64,
    pub timeout_ms: i64,
    pub expect: Expectations,
    /// The state stored for it, and since when (to resume after a restart).
    pub state: Option<(HealthState, i64)>,
    /// Registered through the API: held to the outbound policy at every
    /// connection, and to the allowed header variables.
    pub from_api: bool,
}

/// One check, as it is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedCheck {
    pub endpoint_id: i64,
    pub checked_ms: i64,
    /// What this check alone pointed to.
    pub check_state: HealthState,
    pub latency_ms: u64,
    pub status_code: Option<u16>,
    pub format: Option<String>,
    pub reason: Option<String>,
    pub excerpt: String,
    /// JSON array of `{"name","verdict","detail"}`.
    pub components_json: String,
    pub conforming: bool,
    /// The endpoint's state after this check (thresholds applied).
    pub state: HealthState,
    pub since_ms: i64,
    pub transition: Option<Transition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    pub endpoint_id: i64,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub first_detail: Option<String>,
}

/// An endpoint as it stands: where it is in the fleet and what its last
/// check said (all `None` before its first check).
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointStatus {
    pub endpoint_id: i64,
    pub service_slug: String,
    pub url: String,
    pub method: String,
    pub state: Option<(HealthState, i64)>,
    pub last_checked_ms: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_status: Option<i64>,
    pub last_format: Option<String>,
    pub last_reason: Option<String>,
    pub last_excerpt: Option<String>,
    /// JSON array of `{"name","verdict","detail"}`.
    pub last_components: Option<String>,
    pub conforming: bool,
}

/// An incident with the service and endpoint it happened to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedIncident {
    pub service_slug: String,
    pub endpoint_url: String,
    pub incident: Incident,
}

/// slug, url, endpoint, started, ended, first detail.
type IncidentRow = (String, String, i64, i64, Option<i64>, Option<String>);

/// How many incidents a list returns at most.
const INCIDENT_LIST_LIMIT: i64 = 200;

/// The rollup widths, finest first.
const WIDTHS: [i64; 3] = [MINUTE_MS, HOUR_MS, DAY_MS];

fn bins_text(histogram: &LatencyHistogram) -> String {
    histogram
        .bins
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn bins_from(text: &str, max_ms: i64) -> LatencyHistogram {
    let mut histogram = LatencyHistogram::default();
    for (slot, value) in histogram.bins.iter_mut().zip(text.split(',')) {
        *slot = value.parse().unwrap_or(0);
    }
    histogram.max_ms = u64::try_from(max_ms).unwrap_or(0);
    histogram
}

/// The SQL that narrows a query to one endpoint, bound at `$position`;
/// nothing when every endpoint is wanted.
fn only_endpoint(only: Option<i64>, position: u8) -> String {
    only.map(|_| format!(" AND endpoint_id = ${position}"))
        .unwrap_or_default()
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Every endpoint of the services in the fleet now.
    pub async fn endpoints_to_poll(&self) -> Result<Vec<EndpointToPoll>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id AS id, s.slug AS slug, e.url AS url, e.method AS method,
                    e.interval_ms AS interval_ms, e.timeout_ms AS timeout_ms, e.expect AS expect,
                    h.state AS state, h.since_ms AS since_ms, s.origin AS origin
             FROM health_endpoints e
             JOIN services s ON s.id = e.service_id
             LEFT JOIN health_status h ON h.endpoint_id = e.id
             WHERE s.retired_ms IS NULL
             ORDER BY s.slug, e.position",
        )
        .fetch_all(self.pool())
        .await
        .during("listing health endpoints")?;
        let mut endpoints = Vec::with_capacity(rows.len());
        for row in &rows {
            let read = || -> Result<(EndpointToPoll, String), sqlx::Error> {
                let state: Option<String> = row.try_get("state")?;
                let since: Option<i64> = row.try_get("since_ms")?;
                let endpoint = EndpointToPoll {
                    expect: Expectations::default(),
                    id: row.try_get("id")?,
                    service_slug: row.try_get("slug")?,
                    url: row.try_get("url")?,
                    method: row.try_get("method")?,
                    interval_ms: row.try_get("interval_ms")?,
                    timeout_ms: row.try_get("timeout_ms")?,
                    state: state.as_deref().and_then(HealthState::parse).zip(since),
                    from_api: row.try_get::<String, _>("origin")? == "api",
                };
                Ok((endpoint, row.try_get("expect")?))
            };
            let (mut endpoint, expect) = read().during("reading health endpoints")?;
            // The fleet's own reading of the column: corrupt JSON is an error here too.
            endpoint.expect = expectations(&expect)?;
            endpoints.push(endpoint);
        }
        Ok(endpoints)
    }

    /// Stores a batch of checks in one transaction: their results, each
    /// endpoint's current state, state changes, and what each change does
    /// to incidents (`Transition::incident_change`).
    pub async fn record_checks(&self, checks: &[RecordedCheck]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let mut journal = Journal::new(self.backend());
        for check in checks {
            sqlx::query(
                "INSERT INTO health_results (endpoint_id, checked_ms, state, latency_ms, status_code, reason)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(check.endpoint_id)
            .bind(check.checked_ms)
            .bind(check.check_state.name())
            .bind(as_i64(check.latency_ms))
            .bind(check.status_code.map(i64::from))
            .bind(&check.reason)
            .execute(&mut *tx)
            .await
            .during("storing a health check")?;
            sqlx::query(
                "INSERT INTO health_status (endpoint_id, state, since_ms, last_checked_ms, last_latency_ms,
                     last_status, last_format, last_reason, last_excerpt, last_components, conforming, failing_checks)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (endpoint_id) DO UPDATE SET state = excluded.state, since_ms = excluded.since_ms,
                     failing_checks = CASE WHEN excluded.failing_checks = 0 THEN 0
                                           ELSE health_status.failing_checks + 1 END,
                     last_checked_ms = excluded.last_checked_ms, last_latency_ms = excluded.last_latency_ms,
                     last_status = excluded.last_status, last_format = excluded.last_format,
                     last_reason = excluded.last_reason, last_excerpt = excluded.last_excerpt,
                     last_components = excluded.last_components, conforming = excluded.conforming",
            )
            .bind(check.endpoint_id)
            .bind(check.state.name())
            .bind(check.since_ms)
            .bind(check.checked_ms)
            .bind(as_i64(check.latency_ms))
            .bind(check.status_code.map(i64::from))
            .bind(&check.format)
            .bind(&check.reason)
            .bind(&check.excerpt)
            .bind(&check.components_json)
            .bind(i64::from(check.conforming))
            .bind(i64::from(check.check_state == HealthState::Down))
            .execute(&mut *tx)
            .await
            .during("storing an endpoint's state")?;
            if let Some(transition) = &check.transition {
                sqlx::query(
                    "INSERT INTO health_transitions (endpoint_id, at_ms, from_state, to_state, detail)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(check.endpoint_id)
                .bind(transition.at_ms)
                .bind(transition.from.name())
                .bind(transition.to.name())
                .bind(&transition.detail)
                .execute(&mut *tx)
                .await
                .during("storing a state change")?;
                let subject = Subject::Endpoint(check.endpoint_id);
                let changed = serde_json::json!({
                    "endpoint_id": check.endpoint_id,
                    "from": transition.from.name(),
                    "to": transition.to.name(),
                    "detail": transition.detail,
                });
                journal
                    .append(
                        &mut tx,
                        EventType::HealthChanged,
                        subject,
                        transition.at_ms,
                        &changed,
                    )
                    .await?;
                let incidents = transition.incident_change();
                if incidents.close_open_one {
                    sqlx::query(
                        "UPDATE health_incidents SET ended_ms = $2 WHERE endpoint_id = $1 AND ended_ms IS NULL",
                    )
                    .bind(check.endpoint_id)
                    .bind(transition.at_ms)
                    .execute(&mut *tx)
                    .await
                    .during("closing an incident")?;
                    let closed = serde_json::json!({
                        "endpoint_id": check.endpoint_id,
                        "ended_ms": transition.at_ms,
                    });
                    journal
                        .append(
                            &mut tx,
                            EventType::IncidentClosed,
                            subject,
                            transition.at_ms,
                            &closed,
                        )
                        .await?;
                }
                if let Some(started_ms) = incidents.open_from_ms {
                    sqlx::query(
                        "INSERT INTO health_incidents (endpoint_id, started_ms, first_detail) VALUES ($1, $2, $3)",
                    )
                    .bind(check.endpoint_id)
                    .bind(started_ms)
                    .bind(&transition.detail)
                    .execute(&mut *tx)
                    .await
                    .during("opening an incident")?;
                    let opened = serde_json::json!({
                        "endpoint_id": check.endpoint_id,
                        "started_ms": started_ms,
                        "detail": transition.detail,
                    });
                    journal
                        .append(
                            &mut tx,
                            EventType::IncidentOpened,
                            subject,
                            transition.at_ms,
                            &opened,
                        )
                        .await?;
                }
            }
        }
        tx.commit().await.during("committing health checks")?;
        Ok(())
    }

    /// Every endpoint of the fleet now (of one service when `slug` is
    /// given), in the fleet's order, with its stored state.
    pub async fn endpoint_statuses(
        &self,
        slug: Option<&str>,
    ) -> Result<Vec<EndpointStatus>, StoreError> {
        let sql = format!(
            "SELECT e.id AS id, s.slug AS slug, e.url AS url, e.method AS method,
                    h.state AS state, h.since_ms AS since_ms, h.last_checked_ms AS last_checked_ms,
                    h.last_latency_ms AS last_latency_ms, h.last_status AS last_status,
                    h.last_format AS last_format, h.last_reason AS last_reason,
                    h.last_excerpt AS last_excerpt, h.last_components AS last_components,
                    h.conforming AS conforming
             FROM health_endpoints e
             JOIN services s ON s.id = e.service_id
             LEFT JOIN health_status h ON h.endpoint_id = e.id
             WHERE s.retired_ms IS NULL{}
             ORDER BY s.slug, e.position",
            if slug.is_some() {
                " AND s.slug = $1"
            } else {
                ""
            }
        );
        let mut query = sqlx::query(&sql);
        if let Some(slug) = slug {
            query = query.bind(slug);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .during("reading endpoint states")?;
        rows.iter()
            .map(|row| -> Result<EndpointStatus, sqlx::Error> {
                let state: Option<String> = row.try_get("state")?;
                let since: Option<i64> = row.try_get("since_ms")?;
                Ok(EndpointStatus {
                    endpoint_id: row.try_get("id")?,
                    service_slug: row.try_get("slug")?,
                    url: row.try_get("url")?,
                    method: row.try_get("method")?,
                    state: state.as_deref().and_then(HealthState::parse).zip(since),
                    last_checked_ms: row.try_get("last_checked_ms")?,
                    last_latency_ms: row.try_get("last_latency_ms")?,
                    last_status: row.try_get("last_status")?,
                    last_format: row.try_get("last_format")?,
                    last_reason: row.try_get("last_reason")?,
                    last_excerpt: row.try_get("last_excerpt")?,
                    last_components: row.try_get("last_components")?,
                    conforming: row
                        .try_get::<Option<i64>, _>("conforming")?
                        .is_none_or(|c| c != 0),
                })
            })
            .collect::<Result<_, _>>()
            .during("reading endpoint states")
    }

    /// Incidents of the fleet's services (of one when `slug` is given; only
    /// those still open when `open_only`), newest first, at most 200.
    pub async fn incident_list(
        &self,
        slug: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<ListedIncident>, StoreError> {
        let sql = format!(
            "SELECT s.slug, e.url, i.endpoint_id, i.started_ms, i.ended_ms, i.first_detail
             FROM health_incidents i
             JOIN health_endpoints e ON e.id = i.endpoint_id
             JOIN services s ON s.id = e.service_id
             WHERE s.retired_ms IS NULL{}{}
             ORDER BY i.started_ms DESC LIMIT {INCIDENT_LIST_LIMIT}",
            if open_only {
                " AND i.ended_ms IS NULL"
            } else {
                ""
            },
            if slug.is_some() {
                " AND s.slug = $1"
            } else {
                ""
            },
        );
        let mut query = sqlx::query_as(&sql);
        if let Some(slug) = slug {
            query = query.bind(slug);
        }
        let rows: Vec<IncidentRow> = query
            .fetch_all(self.pool())
            .await
            .during("listing incidents")?;
        Ok(rows
            .into_iter()
            .map(
                |(service_slug, endpoint_url, endpoint_id, started_ms, ended_ms, first_detail)| {
                    ListedIncident {
                        service_slug,
                        endpoint_url,
                        incident: Incident {
                            endpoint_id,
                            started_ms,
                            ended_ms,
                            first_detail,
                        },
                    }
                },
            )
            .collect())
    }

    /// Incidents of an endpoint, newest first.
    pub async fn incidents(&self, endpoint_id: i64) -> Result<Vec<Incident>, StoreError> {
        let rows: Vec<(i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT endpoint_id, started_ms, ended_ms, first_detail FROM health_incidents
             WHERE endpoint_id = $1 ORDER BY started_ms DESC",
        )
        .bind(endpoint_id)
        .fetch_all(self.pool())
        .await
        .during("listing incidents")?;
        Ok(rows
            .into_iter()
            .map(
                |(endpoint_id, started_ms, ended_ms, first_detail)| Incident {
                    endpoint_id,
                    started_ms,
                    ended_ms,
                    first_detail,
                },
            )
            .collect())
    }

    /// Raw checks in `[from_ms, until_ms)`, by endpoint (of one endpoint
    /// when `only` names it), oldest first.
    pub async fn raw_samples(
        &self,
        from_ms: i64,
        until_ms: i64,
        only: Option<i64>,
    ) -> Result<HashMap<i64, Vec<Sample>>, StoreError> {
        let sql = format!(
            "SELECT endpoint_id, checked_ms, state, latency_ms FROM health_results
             WHERE checked_ms >= $1 AND checked_ms < $2{} ORDER BY checked_ms",
            only_endpoint(only, 3)
        );
        let mut query = sqlx::query_as(&sql).bind(from_ms).bind(until_ms);
        if let Some(endpoint) = only {
            query = query.bind(endpoint);
        }
        let rows: Vec<(i64, i64, String, i64)> = query
            .fetch_all(self.pool())
            .await
            .during("reading health checks")?;
        let mut by_endpoint: HashMap<i64, Vec<Sample>> = HashMap::new();
        for (endpoint, at_ms, state, latency) in rows {
            by_endpoint.entry(endpoint).or_default().push(Sample {
                at_ms,
                state: HealthState::parse(&state).unwrap_or(HealthState::Unknown),
                latency_ms: u64::try_from(latency).unwrap_or(0),
            });
        }
        Ok(by_endpoint)
    }

    pub async fn rollup_mark(&self, width_ms: i64) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT done_until_ms FROM health_rollup_marks WHERE width_ms = $1")
            .bind(width_ms)
            .fetch_optional(self.pool())
            .await
            .during("reading how far rollups go")
    }

    /// Rolls complete minutes of raw results up (those ending two minutes
    /// or more before `now_ms`), complete hours of minutes,
    /// complete days of hours; then deletes what is past its retention.
    /// Safe to run at any time and as often as wanted.
    pub async fn roll_up_health(&self, now_ms: i64) -> Result<(), StoreError> {
        // Checks are written in batches: a minute is rolled up only once
        // every check in it has surely been written.
        let settled = now_ms - 2 * MINUTE_MS;
        let mut finer_done = settled.div_euclid(MINUTE_MS) * MINUTE_MS;
        // What each width is made from: raw checks for minutes, then the
        // width before it.
        let mut finer: Option<i64> = None;
        for width in WIDTHS {
            let until = finer_done.div_euclid(width) * width;
            let from = match self.rollup_mark(width).await? {
                Some(mark) => mark,
                None => until - RETENTION.raw_ms.max(width),
            };
            if until > from {
                let buckets: Vec<(i64, Bucket)> = match finer {
                    None => self
                        .raw_samples(from, until, None)
                        .await?
                        .into_iter()
                        .flat_map(|(endpoint, samples)| {
                            roll_up(&samples, width)
                                .into_iter()
                                .map(move |b| (endpoint, b))
                        })
                        .collect(),
                    Some(finer) => self
                        .rollups(finer, from, until, None)
                        .await?
                        .into_iter()
                        .flat_map(|(endpoint, buckets)| {
                            coarsen(&buckets, width)
                                .into_iter()
                                .map(move |b| (endpoint, b))
                        })
                        .collect(),
                };
                let mut tx = self.begin_write().await.during("starting a transaction")?;
                for (endpoint, bucket) in &buckets {
                    let c = &bucket.counts;
                    sqlx::query(
                        "INSERT INTO health_rollups (endpoint_id, width_ms, start_ms, up, degraded, down, unknown, no_data, latency_bins, latency_max_ms)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (endpoint_id, width_ms, start_ms) DO UPDATE SET up = excluded.up,
                             degraded = excluded.degraded, down = excluded.down, unknown = excluded.unknown,
                             no_data = excluded.no_data, latency_bins = excluded.latency_bins,
                             latency_max_ms = excluded.latency_max_ms",
                    )
                    .bind(endpoint)
                    .bind(width)
                    .bind(bucket.start_ms)
                    .bind(as_i64(c.up))
                    .bind(as_i64(c.degraded))
                    .bind(as_i64(c.down))
                    .bind(as_i64(c.unknown))
                    .bind(as_i64(c.no_data))
                    .bind(bins_text(&bucket.latency))
                    .bind(as_i64(bucket.latency.max_ms))
                    .execute(&mut *tx)
                    .await
                    .during("storing rollups")?;
                }
                sqlx::query(
                    "INSERT INTO health_rollup_marks (width_ms, done_until_ms) VALUES ($1, $2)
                     ON CONFLICT (width_ms) DO UPDATE SET done_until_ms = excluded.done_until_ms",
                )
                .bind(width)
                .bind(until)
                .execute(&mut *tx)
                .await
                .during("storing how far rollups go")?;
                tx.commit().await.during("committing rollups")?;
            }
            finer_done = until.max(from);
            finer = Some(width);
        }

        sqlx::query("DELETE FROM health_results WHERE checked_ms < $1")
            .bind(now_ms - RETENTION.raw_ms)
            .execute(self.pool())
            .await
            .during("deleting old checks")?;
        for (width, keep) in [
            (MINUTE_MS, RETENTION.minutes_ms),
            (HOUR_MS, RETENTION.hours_ms),
            (DAY_MS, RETENTION.days_ms),
        ] {
            sqlx::query("DELETE FROM health_rollups WHERE width_ms = $1 AND start_ms < $2")
                .bind(width)
                .bind(now_ms - keep)
                .execute(self.pool())
                .await
                .during("deleting old rollups")?;
        }
        Ok(())
    }

    /// Rollups of one width that start in `[from_ms, until_ms)`, by
    /// endpoint (of one endpoint when `only` names it), oldest first.
    pub async fn rollups(
        &self,
        width_ms: i64,
        from_ms: i64,
        until_ms: i64,
        only: Option<i64>,
    ) -> Result<HashMap<i64, Vec<Bucket>>, StoreError> {
        let sql = format!(
            "SELECT endpoint_id, start_ms, up, degraded, down, unknown, no_data, latency_bins, latency_max_ms
             FROM health_rollups WHERE width_ms = $1 AND start_ms >= $2 AND start_ms < $3{}
             ORDER BY endpoint_id, start_ms",
            only_endpoint(only, 4)
        );
        let mut query = sqlx::query(&sql)
            .bind(width_ms)
            .bind(from_ms)
            .bind(until_ms);
        if let Some(endpoint) = only {
            query = query.bind(endpoint);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .during("reading rollups")?;
        let mut by_endpoint: HashMap<i64, Vec<Bucket>> = HashMap::new();
        for row in rows {
            let read = || -> Result<(i64, Bucket), sqlx::Error> {
                let count = |name: &str| -> Result<u64, sqlx::Error> {
                    Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
                };
                let bucket = Bucket {
                    start_ms: row.try_get("start_ms")?,
                    width_ms,
                    counts: StateCounts {
                        up: count("up")?,
                        degraded: count("degraded")?,
                        down: count("down")?,
                        unknown: count("unknown")?,
                        no_data: count("no_data")?,
                    },
                    latency: bins_from(
                        &row.try_get::<String, _>("latency_bins")?,
                        row.try_get("latency_max_ms")?,
                    ),
                };
                Ok((row.try_get("endpoint_id")?, bucket))
            };
            let (endpoint, bucket) = read().during("reading rollups")?;
            by_endpoint.entry(endpoint).or_default().push(bucket);
        }
        Ok(by_endpoint)
    }

    /// Counts by state and latencies of every endpoint over
    /// `[from_ms, until_ms)`: whole days, hours and minutes from their
    /// rollups, the rest from raw checks (see `rollup::cover`), each check
    /// counted once.
    pub async fn health_window(
        &self,
        from_ms: i64,
        until_ms: i64,
        only: Option<i64>,
    ) -> Result<HashMap<i64, (StateCounts, LatencyHistogram)>, StoreError> {
        let mut totals: HashMap<i64, (StateCounts, LatencyHistogram)> = HashMap::new();
        let mut levels = Vec::new();
        for width in [DAY_MS, HOUR_MS, MINUTE_MS] {
            if let Some(mark) = self.rollup_mark(width).await? {
                levels.push((width, mark));
            }
        }
        for segment in cover(from_ms, until_ms, &levels) {
            if let Some(width) = segment.width_ms {
                for (endpoint, buckets) in self
                    .rollups(width, segment.from_ms, segment.until_ms, only)
                    .await?
                {
                    let entry = totals.entry(endpoint).or_default();
                    for bucket in buckets {
                        entry.0.merge(&bucket.counts);
                        entry.1.merge(&bucket.latency);
                    }
                }
                continue;
            }
            let samples = self
                .raw_samples(segment.from_ms, segment.until_ms, only)
                .await?;
            for (endpoint, samples) in samples {
                let (counts, latency) = totals.entry(endpoint).or_default();
                for sample in &samples {
                    tally(counts, latency, sample);
                }
            }
        }
        Ok(totals)
    }
}
