//! The polling loop: every endpoint of the fleet checked on its own
//! schedule (spread over its interval), at most `concurrency` checks at a
//! time through one pooled client, results run through each endpoint's
//! state machine and written in batches. Rollups run every minute; the
//! endpoint list is reread so fleet changes are picked up.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::poll::{Outcome, Probe, check, health_client};
use super::schedule::{first_due, next_due};
use super::state::{CheckResult, HealthState, Thresholds, Tracker, classify};
use crate::clock::Clock;
use crate::store::{EndpointToPoll, RecordedCheck, Store};

const RELOAD_EVERY: Duration = Duration::from_secs(15);
const ROLL_UP_EVERY: Duration = Duration::from_secs(60);
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const FLUSH_AT: usize = 500;

pub struct HealthMonitor {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub concurrency: usize,
    pub thresholds: Thresholds,
}

struct Watched {
    endpoint: EndpointToPoll,
    tracker: Tracker,
}

impl HealthMonitor {
    /// Runs until `cancel`; then records no-data for every endpoint, so
    /// the time Shipshape is stopped is never counted as the service's.
    pub async fn run(self, cancel: CancellationToken) {
        let client = health_client();
        let permits = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let (results, mut incoming) = mpsc::channel::<(i64, i64, Outcome)>(4 * FLUSH_AT);
        let mut watched: HashMap<i64, Watched> = HashMap::new();
        let mut due: BinaryHeap<Reverse<(i64, i64)>> = BinaryHeap::new();
        let mut pending: Vec<RecordedCheck> = Vec::new();
        let mut reload = tokio::time::interval(RELOAD_EVERY);
        let mut roll_up = tokio::time::interval(ROLL_UP_EVERY);
        let mut flush = tokio::time::interval(FLUSH_EVERY);

        loop {
            let now = self.clock.now_ms();
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
                _ = flush.tick() => self.flush(&mut pending).await,
                Some((id, due_ms, outcome)) = incoming.recv() => {
                    if let Some(entry) = watched.get_mut(&id) {
                        pending.push(self.judge(entry, due_ms, outcome));
                    }
                    if pending.len() >= FLUSH_AT {
                        self.flush(&mut pending).await;
                    }
                }
                () = tokio::time::sleep(wait) => {
                    let now = self.clock.now_ms();
                    while let Some(Reverse((at, id))) = due.peek().copied() {
                        if at > now {
                            break;
                        }
                        due.pop();
                        let Some(entry) = watched.get(&id) else { continue };
                        due.push(Reverse((next_due(at, entry.endpoint.interval_ms, now), id)));
                        let probe = probe_of(&entry.endpoint);
                        let (client, permits, results) = (client.clone(), permits.clone(), results.clone());
                        tokio::spawn(async move {
                            let Ok(_permit) = permits.acquire_owned().await else { return };
                            let outcome = check(&client, &probe).await;
                            let _ = results.send((id, at, outcome)).await;
                        });
                    }
                }
            }
        }

        while let Ok((id, due_ms, outcome)) = incoming.try_recv() {
            if let Some(entry) = watched.get_mut(&id) {
                pending.push(self.judge(entry, due_ms, outcome));
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
        self.flush(&mut pending).await;
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
        let now = self.clock.now_ms();
        let mut seen = std::collections::HashSet::new();
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
    }

    fn judge(&self, entry: &mut Watched, due_ms: i64, outcome: Outcome) -> RecordedCheck {
        let result = CheckResult {
            at_ms: due_ms,
            verdict: outcome.verdict(),
            latency: outcome.latency,
            detail: outcome.reason.clone(),
        };
        let transition = entry.tracker.observe(&result, &self.thresholds);
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
        RecordedCheck {
            endpoint_id: entry.endpoint.id,
            checked_ms: due_ms,
            check_state: classify(&result, &self.thresholds),
            latency_ms: u64::try_from(outcome.latency.as_millis()).unwrap_or(u64::MAX),
            status_code: outcome.status,
            format: reading.map(|r| r.format.name().to_string()),
            reason: outcome.reason.clone(),
            excerpt: outcome.excerpt.clone(),
            components_json: serde_json::Value::Array(components).to_string(),
            conforming: reading.is_none_or(|r| r.conforming),
            state: entry.tracker.state,
            since_ms: entry.tracker.since_ms.unwrap_or(due_ms),
            transition,
        }
    }

    async fn flush(&self, pending: &mut Vec<RecordedCheck>) {
        if pending.is_empty() {
            return;
        }
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
    }
}

fn probe_of(endpoint: &EndpointToPoll) -> Probe {
    Probe {
        url: endpoint.url.clone(),
        method: endpoint.method.clone(),
        timeout: Duration::from_millis(u64::try_from(endpoint.timeout_ms).unwrap_or(10_000)),
        expected_status: None,
        headers: Vec::new(),
        body_contains: None,
    }
}
