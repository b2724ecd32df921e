//! The polling loop: every endpoint of the fleet checked on its own
//! schedule (spread over its interval), at most `concurrency` checks at a
//! time through one pooled client, results run through each endpoint's
//! state machine and written in batches. Rollups run every minute; the
//! endpoint list is reread so fleet changes are picked up.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use shipshape_types::health::HealthChange;
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::poll::{Outcome, Probe, check, health_client};
use super::report::service_level;
use super::schedule::{first_due, next_due};
use super::state::{CheckResult, HealthState, Thresholds, Tracker, classify};
use crate::common::clock::Clock;
use crate::common::outbound::NetworkPolicy;
use crate::common::secret::Secret;
use crate::fleet::spec::HeaderSource;
use crate::health::store::{EndpointToPoll, RecordedCheck};
use crate::store::Store;
use crate::telemetry::check_metrics::CheckMetrics;
use crate::telemetry::heartbeat::Pulse;

const RELOAD_EVERY: Duration = Duration::from_secs(15);
const ROLL_UP_EVERY: Duration = Duration::from_secs(60);
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const FLUSH_AT: usize = 500;
/// How soon an endpoint due while every permit is taken is tried again.
const PERMIT_RETRY_MS: i64 = 50;

#[derive(Clone)]
pub struct HealthMonitor {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub concurrency: usize,
    /// Thresholds for every endpoint; `slow_after` is each endpoint's own.
    pub thresholds: Thresholds,
    /// Where header values named by `env` are read.
    pub env: Arc<BTreeMap<String, String>>,
    pub metrics: Arc<CheckMetrics>,
    /// Where a service's change of health is announced once stored.
    pub changes: broadcast::Sender<HealthChange>,
    /// Where endpoints registered through the API may lead, enforced at
    /// every connection (the fleet file's endpoints are the admin's own).
    pub outbound: Arc<NetworkPolicy>,
    /// The environment variables API-registered endpoints may send.
    pub api_header_env: Arc<BTreeSet<String>>,
    /// Beats on every turn of the loop (readiness).
    pub pulse: Pulse,
}

/// A finished check: endpoint, when it was due, how late it started.
struct Finished {
    endpoint_id: i64,
    /// When it started, in Unix time (what is stored).
    started_ms: i64,
    lateness_ms: i64,
    outcome: Outcome,
}

struct Watched {
    endpoint: EndpointToPoll,
    tracker: Tracker,
}

impl HealthMonitor {
    /// Runs until `cancel`; then records no-data for every endpoint, so
    /// the time Shipshape is stopped is never counted as the service's.
    pub async fn run(self, cancel: CancellationToken) {
        let trusted = health_client(None);
        let guarded = health_client(Some(&self.outbound));
        let permits = Arc::new(Semaphore::new(self.concurrency.max(1)));
        // Unbounded, yet never longer than the checks in flight: a check is
        // spawned only with one of the `concurrency` permits.
        let (results, mut incoming) = mpsc::unbounded_channel::<Finished>();
        let mut in_flight: HashSet<i64> = HashSet::new();
        let mut watched: HashMap<i64, Watched> = HashMap::new();
        let mut due: BinaryHeap<Reverse<(i64, i64)>> = BinaryHeap::new();
        let mut pending: Vec<RecordedCheck> = Vec::new();
        let mut reload = tokio::time::interval(RELOAD_EVERY);
        let mut roll_up = tokio::time::interval(ROLL_UP_EVERY);
        let mut flush = tokio::time::interval(FLUSH_EVERY);

        // The schedule runs on the steady clock: setting the machine's
        // clock back does not pause the checks.
        loop {
            self.pulse.beat();
            let now = self.clock.steady_ms();
            let wait = due
                .peek()
                .map_or(Duration::from_secs(3600), |Reverse((at, _))| {
                    Duration::from_millis(u64::try_from(at - now).unwrap_or(0))
                });
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = reload.tick() => self.reload(&mut watched, &mut due).await,
                _ = roll_up.tick() => {
                    if let Err(error) = self.store.roll_up_health(self.clock.now_ms()).await {
                        tracing::error!("could not roll health history up: {error}");
                    }
                }
                _ = flush.tick() => self.flush(&mut pending, &watched).await,
                Some(finished) = incoming.recv() => {
                    in_flight.remove(&finished.endpoint_id);
                    if let Some(entry) = watched.get_mut(&finished.endpoint_id) {
                        pending.push(self.judge(entry, finished));
                    }
                    if pending.len() >= FLUSH_AT {
                        self.flush(&mut pending, &watched).await;
                    }
                }
                () = tokio::time::sleep(wait) => {
                    let now = self.clock.steady_ms();
                    while let Some(Reverse((at, id))) = due.peek().copied() {
                        if at > now {
                            break;
                        }
                        let Some(entry) = watched.get(&id) else {
                            due.pop();
                            continue;
                        };
                        // The permit is taken before the check is spawned:
                        // slow endpoints hold every permit, and the rest
                        // wait here, in the schedule, not in a growing
                        // queue of tasks. Checked again shortly.
                        let Ok(permit) = permits.clone().try_acquire_owned() else {
                            due.pop();
                            due.push(Reverse((now + PERMIT_RETRY_MS, id)));
                            break;
                        };
                        due.pop();
                        due.push(Reverse((next_due(at, entry.endpoint.interval_ms, now), id)));
                        // One check of an endpoint at a time: a check still
                        // running when the next is due makes that one late.
                        if !in_flight.insert(id) {
                            continue;
                        }
                        let probe = probe_of(&entry.endpoint, &self.env, &self.api_header_env);
                        let probe = probe.and_then(|probe| match entry.endpoint.from_api {
                            true => self.outbound.refuses_probe(&probe.url).map_or(Ok(probe), Err),
                            false => Ok(probe),
                        });
                        let client = if entry.endpoint.from_api { &guarded } else { &trusted };
                        let (client, results, clock) = (client.clone(), results.clone(), self.clock.clone());
                        tokio::spawn(async move {
                            let _permit = permit;
                            let lateness_ms = (clock.steady_ms() - at).max(0);
                            let started_ms = clock.now_ms();
                            let outcome = match probe {
                                Ok(probe) => check(&client, &probe).await,
                                Err(reason) => Outcome::not_sent(reason),
                            };
                            let _ = results.send(Finished { endpoint_id: id, started_ms, lateness_ms, outcome });
                        });
                    }
                }
            }
        }

        while let Ok(finished) = incoming.try_recv() {
            if let Some(entry) = watched.get_mut(&finished.endpoint_id) {
                pending.push(self.judge(entry, finished));
            }
        }
        let now = self.clock.now_ms();
        for entry in watched.values_mut() {
            if let Some(transition) = entry.tracker.pause(now) {
                pending.push(RecordedCheck {
                    endpoint_id: entry.endpoint.id,
                    checked_ms: now,
                    check_state: HealthState::NoData,
                    latency_ms: 0,
                    status_code: None,
                    format: None,
                    reason: Some("Shipshape stopped".into()),
                    excerpt: String::new(),
                    components_json: "[]".into(),
                    conforming: true,
                    state: HealthState::NoData,
                    since_ms: now,
                    transition: Some(transition),
                });
            }
        }
        self.flush(&mut pending, &watched).await;
    }

    /// Picks up endpoints added, changed or removed with the fleet.
    async fn reload(
        &self,
        watched: &mut HashMap<i64, Watched>,
        due: &mut BinaryHeap<Reverse<(i64, i64)>>,
    ) {
        let endpoints = match self.store.endpoints_to_poll().await {
            Ok(endpoints) => endpoints,
            Err(error) => {
                tracing::error!(
                    "could not read the health endpoints; polling the ones known: {error}"
                );
                return;
            }
        };
        let now = self.clock.steady_ms();
        let mut seen = HashSet::new();
        for endpoint in endpoints {
            seen.insert(endpoint.id);
            match watched.get_mut(&endpoint.id) {
                Some(entry) => {
                    let rescheduled = entry.endpoint.interval_ms != endpoint.interval_ms;
                    entry.endpoint = endpoint;
                    if rescheduled {
                        due.retain(|Reverse((_, id))| *id != entry.endpoint.id);
                        due.push(Reverse((
                            first_due(entry.endpoint.id, entry.endpoint.interval_ms, now),
                            entry.endpoint.id,
                        )));
                    }
                }
                None => {
                    let tracker = match endpoint.state {
                        Some((state, since)) => Tracker::resume(state, since),
                        None => Tracker::default(),
                    };
                    due.push(Reverse((
                        first_due(endpoint.id, endpoint.interval_ms, now),
                        endpoint.id,
                    )));
                    watched.insert(endpoint.id, Watched { endpoint, tracker });
                }
            }
        }
        watched.retain(|id, _| seen.contains(id));
        due.retain(|Reverse((_, id))| seen.contains(id));
        self.metrics.retain(|id| seen.contains(&id));
    }

    fn judge(&self, entry: &mut Watched, finished: Finished) -> RecordedCheck {
        let Finished {
            started_ms,
            lateness_ms,
            outcome,
            ..
        } = finished;
        let result = CheckResult {
            at_ms: started_ms,
            verdict: outcome.verdict(),
            latency: outcome.latency,
            detail: outcome.reason.clone(),
        };
        let thresholds = Thresholds {
            slow_after: entry
                .endpoint
                .expect
                .slow_after_ms
                .map(Duration::from_millis)
                .or(self.thresholds.slow_after),
            worse_after: entry
                .endpoint
                .expect
                .down_after
                .unwrap_or(self.thresholds.worse_after),
            better_after: entry
                .endpoint
                .expect
                .up_after
                .unwrap_or(self.thresholds.better_after),
        };
        let transition = entry.tracker.observe(&result, &thresholds);
        if let Some(transition) = &transition {
            tracing::info!(
                service = %entry.endpoint.service_slug,
                endpoint = entry.endpoint.id,
                "health changed from {} to {}",
                transition.from.name(),
                transition.to.name()
            );
        }
        let reading = outcome.reading.as_ref();
        let components: Vec<serde_json::Value> = reading
            .map(|r| {
                r.components
                    .iter()
                    .map(|c| serde_json::json!({ "name": c.name, "verdict": c.verdict.name(), "detail": c.detail }))
                    .collect()
            })
            .unwrap_or_default();
        let check_state = classify(&result, &thresholds);
        self.metrics.record(
            entry.endpoint.id,
            &entry.endpoint.service_slug,
            check_state == HealthState::Down,
            outcome.latency,
            Duration::from_millis(u64::try_from(lateness_ms).unwrap_or(0)),
        );
        RecordedCheck {
            endpoint_id: entry.endpoint.id,
            checked_ms: started_ms,
            check_state,
            latency_ms: u64::try_from(outcome.latency.as_millis()).unwrap_or(u64::MAX),
            status_code: outcome.status,
            format: reading.map(|r| r.format.name().to_string()),
            reason: outcome.reason.clone(),
            excerpt: outcome.excerpt.clone(),
            components_json: serde_json::Value::Array(components).to_string(),
            conforming: reading.is_none_or(|r| r.conforming),
            state: entry.tracker.state,
            since_ms: entry.tracker.since_ms.unwrap_or(started_ms),
            transition,
        }
    }

    async fn flush(&self, pending: &mut Vec<RecordedCheck>, watched: &HashMap<i64, Watched>) {
        if pending.is_empty() {
            return;
        }
        let changed: BTreeSet<&str> = pending
            .iter()
            .filter(|check| check.transition.is_some())
            .filter_map(|check| watched.get(&check.endpoint_id))
            .map(|entry| entry.endpoint.service_slug.as_str())
            .collect();
        if let Err(error) = self.store.record_checks(pending).await {
            // Kept for the next flush; a database that stays away loses
            // checks beyond a bound rather than all memory.
            tracing::error!(
                checks = pending.len(),
                "could not store health checks: {error}"
            );
            if pending.len() > 20 * FLUSH_AT {
                pending.drain(..pending.len() - 20 * FLUSH_AT);
            }
            return;
        }
        pending.clear();
        // Announced only once stored, so a page that reloads on the news
        // reads the same.
        for slug in changed {
            let states = watched
                .values()
                .filter(|entry| entry.endpoint.service_slug == slug)
                .map(|entry| {
                    entry
                        .tracker
                        .since_ms
                        .map(|since| (entry.tracker.state, since))
                });
            if let Some((level, since_ms)) = service_level(states) {
                // No page listening is not an error.
                let _ = self.changes.send(HealthChange {
                    slug: slug.to_string(),
                    level,
                    since_ms: since_ms.unwrap_or_else(|| self.clock.now_ms()),
                });
            }
        }
    }
}

/// What to send and expect; a header whose environment variable is not
/// set stops the check before anything is sent, and says which variable.
/// An endpoint registered through the API reads only the variables an
/// admin allowed (`[registration] header_env`), whatever was stored.
pub fn probe_of(
    endpoint: &EndpointToPoll,
    env: &BTreeMap<String, String>,
    api_header_env: &BTreeSet<String>,
) -> Result<Probe, String> {
    let expect = &endpoint.expect;
    let mut headers = Vec::with_capacity(expect.headers.len());
    for (name, source) in &expect.headers {
        let value = match source {
            HeaderSource::Value(value) => value.clone(),
            HeaderSource::Env(variable) if endpoint.from_api && !api_header_env.contains(variable) => {
                return Err(format!(
                    "header `{name}` would be read from ${variable}, which services registered through the API may not read ([registration] header_env)"
                ));
            }
            HeaderSource::Env(variable) => env.get(variable).cloned().ok_or_else(|| {
                format!("header `{name}` is read from ${variable}, which is not set where Shipshape runs")
            })?,
        };
        headers.push((name.clone(), Secret::new(value)));
    }
    Ok(Probe {
        url: endpoint.url.clone(),
        method: endpoint.method.clone(),
        timeout: Duration::from_millis(u64::try_from(endpoint.timeout_ms).unwrap_or(10_000)),
        expected_status: (!expect.status.is_empty()).then(|| {
            expect
                .status
                .iter()
                .map(|(low, high)| *low..=*high)
                .collect()
        }),
        headers,
        body_contains: expect.body_contains.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::spec::Expectations;

    fn endpoint(expect: Expectations) -> EndpointToPoll {
        EndpointToPoll {
            id: 1,
            service_slug: "checkout".into(),
            url: "http://127.0.0.1:7101/health".into(),
            method: "GET".into(),
            interval_ms: 30_000,
            timeout_ms: 2_000,
            expect,
            state: None,
            from_api: false,
        }
    }

    #[test]
    fn an_api_endpoint_reads_only_the_allowed_variables() {
        let expect = Expectations {
            headers: vec![(
                "x-leak".into(),
                HeaderSource::Env("SHIPSHAPE_ADMIN_PASSWORD".into()),
            )],
            ..Expectations::default()
        };
        let env = BTreeMap::from([(
            "SHIPSHAPE_ADMIN_PASSWORD".to_string(),
            "hunter2hunter2".to_string(),
        )]);
        let mut registered = endpoint(expect);
        registered.from_api = true;
        let error = probe_of(&registered, &env, &BTreeSet::new()).expect_err("refused");
        assert!(error.contains("[registration] header_env"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        let allowed = BTreeSet::from(["SHIPSHAPE_ADMIN_PASSWORD".to_string()]);
        assert!(probe_of(&registered, &env, &allowed).is_ok());
    }

    #[test]
    fn headers_come_from_the_environment_and_a_missing_variable_is_named() {
        let expect = Expectations {
            status: vec![(200, 204), (418, 418)],
            headers: vec![
                (
                    "authorization".into(),
                    HeaderSource::Env("HEALTH_TOKEN".into()),
                ),
                ("x-probe".into(), HeaderSource::Value("shipshape".into())),
            ],
            body_contains: Some("ok".into()),
            slow_after_ms: Some(500),
            down_after: None,
            up_after: None,
        };
        let env = BTreeMap::from([("HEALTH_TOKEN".to_string(), "Bearer t0ken".to_string())]);
        let probe = probe_of(&endpoint(expect.clone()), &env, &BTreeSet::new()).expect("probe");
        assert_eq!(probe.headers[0].1.expose(), "Bearer t0ken");
        assert_eq!(probe.expected_status, Some(vec![200..=204, 418..=418]));
        assert_eq!(probe.timeout, Duration::from_secs(2));
        assert!(
            !format!("{probe:?}").contains("t0ken"),
            "secrets never in debug output"
        );

        let error =
            probe_of(&endpoint(expect), &BTreeMap::new(), &BTreeSet::new()).expect_err("unset");
        assert_eq!(
            error,
            "header `authorization` is read from $HEALTH_TOKEN, which is not set where Shipshape runs"
        );
    }
}
