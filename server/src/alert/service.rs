//! The alert service: evaluates every rule against every service it
//! applies to, records what changed (alerts, their journal events and
//! their outbox rows), and delivers the outbox to channels and webhook
//! subscribers. The decisions are the pure `engine` and `outbox`; this
//! gathers the facts and does the I/O.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use shipshape_types::alerts::{
    AlertView, AlertsOverview, NewSilence, NewSubscription, SilenceView, SubscriptionView,
};
use shipshape_types::health::HealthLevel;
use shipshape_types::upgrades::PrState;
use tokio_util::sync::CancellationToken;

use super::channel::{Channel, EmailChannel, SlackChannel, WebhookChannel};
use super::engine::{Decision, FiringAlert, Holds, Silence, decide, inhibited_by, muted_by};
use super::message::{Item, Outgoing};
use super::outbox::{
    CHANNEL_FAILING_RULE, breaker_open_for_ms, due_batches, failing_channels, retry_delay_ms,
};
use super::report::{self, PageFacts, target_of};
use super::rule::{Condition, EndpointFacts, OpenPr, ServiceFacts, evaluate, ms_of};
use crate::alert::records::{NewAlert, PendingDelivery, StoredAlert};
use crate::alert::settings::{AlertSettings, ChannelKind};
use crate::common::clock::Clock;
use crate::common::duration::parse_duration;
use crate::common::outbound::NetworkPolicy;
use crate::common::secret::Secret;
use crate::common::url::{redacted_url, validate_http_url};
use crate::health::report::service_level;
use crate::health::state::HealthState;
use crate::store::{EventType, Store, StoreError};
use crate::telemetry::heartbeat::Pulse;

/// Deliveries read from the outbox per pass.
/// Outbox rows read per target and pass.
const OUTBOX_READ: i64 = 500;
/// Journal events moved to one subscriber's outbox per pass.
const FAN_OUT_READ: i64 = 500;
/// The longest one delivery attempt may take, whatever the channel.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(60);
/// How often the outbox is looked at.
const DELIVER_EVERY: Duration = Duration::from_secs(1);
/// Resolved alerts and journal events the Alerts page shows.
const HISTORY: i64 = 50;
/// Ended silences stay on the page for a day.
const SILENCES_SHOWN_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone)]
pub struct AlertService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    env: Arc<BTreeMap<String, String>>,
    http: reqwest::Client,
    /// For subscribers' URLs (entered through the API): held to the
    /// outbound policy at every connection, no redirect followed.
    subscriber_http: reqwest::Client,
    settings: RwLock<Arc<Configured>>,
    evaluating: tokio::sync::Mutex<()>,
    delivering: tokio::sync::Mutex<()>,
}

/// The settings with the channels they describe, built once per change.
struct Configured {
    settings: AlertSettings,
    /// `channel:NAME` → the channel, or what is wrong with its setup.
    channels: BTreeMap<String, Result<Arc<dyn Channel>, String>>,
}

/// What one evaluation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvaluationReport {
    pub fired: usize,
    pub notified: usize,
    pub resolved: usize,
}

/// What one delivery pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub messages_sent: usize,
    pub messages_failed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    Invalid(String),
    #[error("no {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn build_channels(
    settings: &AlertSettings,
    env: &BTreeMap<String, String>,
    http: &reqwest::Client,
) -> BTreeMap<String, Result<Arc<dyn Channel>, String>> {
    settings
        .channels
        .iter()
        .map(|spec| {
            let channel: Result<Arc<dyn Channel>, String> = match &spec.kind {
                ChannelKind::Webhook { url, secret } => (|| {
                    Ok(Arc::new(WebhookChannel {
                        client: http.clone(),
                        url: url.resolve(env)?,
                        secret: secret.as_ref().map(|s| s.resolve(env)).transpose()?,
                    }) as Arc<dyn Channel>)
                })(),
                ChannelKind::Slack { url } => url.resolve(env).map(|url| {
                    Arc::new(SlackChannel {
                        client: http.clone(),
                        url,
                    }) as Arc<dyn Channel>
                }),
                ChannelKind::Email { to } => match &settings.smtp {
                    None => Err("no [alerts.smtp] section".to_string()),
                    Some(smtp) => smtp
                        .password
                        .as_ref()
                        .map(|p| p.resolve(env))
                        .transpose()
                        .and_then(|password| EmailChannel::new(smtp, password, to))
                        .map(|channel| Arc::new(channel) as Arc<dyn Channel>),
                },
            };
            (target_of(&spec.name), channel)
        })
        .collect()
}

impl AlertService {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: AlertSettings,
        env: Arc<BTreeMap<String, String>>,
        outbound: Arc<NetworkPolicy>,
    ) -> Self {
        crate::common::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let subscriber_http = outbound
            .guard(
                reqwest::Client::builder().connect_timeout(Duration::from_secs(5)),
                0,
            )
            .build()
            // Never fall back to a client without the policy.
            .expect("the TLS backend of the subscribers' client could not start");
        let channels = build_channels(&settings, &env, &http);
        AlertService {
            inner: Arc::new(Inner {
                store,
                clock,
                env,
                http,
                subscriber_http,
                settings: RwLock::new(Arc::new(Configured { settings, channels })),
                evaluating: tokio::sync::Mutex::new(()),
                delivering: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Takes new settings (the fleet file changed).
    pub fn set_settings(&self, settings: AlertSettings) {
        let channels = build_channels(&settings, &self.inner.env, &self.inner.http);
        let configured = Arc::new(Configured { settings, channels });
        *self
            .inner
            .settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = configured;
    }

    fn configured(&self) -> Arc<Configured> {
        self.inner
            .settings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn link(settings: &AlertSettings, service: &str) -> Option<String> {
        settings
            .dashboard_url
            .as_ref()
            .map(|url| format!("{url}/services/{service}"))
    }

    /// Every active service with what the rules read of it.
    async fn facts(&self, settings: &AlertSettings) -> Result<Vec<ServiceFacts>, StoreError> {
        let store = &self.inner.store;
        let mut facts: Vec<ServiceFacts> = store
            .active_services()
            .await?
            .into_iter()
            .map(|s| ServiceFacts {
                slug: s.spec.slug,
                team: s.spec.team,
                tags: s.spec.tags,
                tier: s.spec.tier,
                ..ServiceFacts::default()
            })
            .collect();
        let index: HashMap<String, usize> = facts
            .iter()
            .enumerate()
            .map(|(i, f)| (f.slug.clone(), i))
            .collect();
        for endpoint in store.endpoint_health_facts().await? {
            if let Some(&i) = index.get(&endpoint.service) {
                facts[i].endpoints.push(EndpointFacts {
                    url: endpoint.url,
                    state: endpoint
                        .state
                        .as_deref()
                        .and_then(HealthState::parse)
                        .zip(endpoint.since_ms),
                    failing_checks: u32::try_from(endpoint.failing_checks).unwrap_or(u32::MAX),
                });
            }
        }
        let wants =
            |pick: fn(&Condition) -> bool| settings.rules.iter().any(|r| pick(&r.condition));
        if wants(|c| matches!(c, Condition::DriftOver { .. })) {
            for (slug, (summary, _)) in store.latest_drift_summaries().await? {
                if let (Some(&i), Some(summary)) = (index.get(&slug), summary) {
                    facts[i].libyears = Some(summary.libyears);
                }
            }
        }
        if wants(|c| {
            matches!(
                c,
                Condition::MajorBehind { .. } | Condition::Yanked | Condition::Vulnerable
            )
        }) {
            for (slug, dependency) in store.fleet_dependencies().await? {
                if let Some(&i) = index.get(&slug) {
                    facts[i].dependencies.push(dependency);
                }
            }
        }
        if wants(|c| matches!(c, Condition::PrOpen { .. })) {
            for pr in store.upgrade_prs(Some(PrState::Open)).await? {
                if let Some(&i) = index.get(&pr.service_slug) {
                    facts[i].open_prs.push(OpenPr {
                        number: pr.number,
                        title: pr.title,
                        opened_ms: pr.opened_ms.unwrap_or(pr.created_ms),
                    });
                }
            }
        }
        Ok(facts)
    }

    fn targets(settings: &AlertSettings, team: &str) -> Vec<String> {
        settings
            .channels_for(team)
            .iter()
            .map(|c| target_of(&c.name))
            .collect()
    }

    /// Evaluates every rule once and records what changed.
    pub async fn evaluate(&self) -> Result<EvaluationReport, StoreError> {
        let _one_at_a_time = self.inner.evaluating.lock().await;
        let configured = self.configured();
        let settings = &configured.settings;
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        let facts = self.facts(settings).await?;
        let silences = store.silences(now).await?;
        let down: HashSet<String> = facts
            .iter()
            .filter(|f| {
                service_level(f.endpoints.iter().map(|e| e.state))
                    .is_some_and(|(level, _)| level == HealthLevel::Down)
            })
            .map(|f| f.slug.clone())
            .collect();
        let mut firing: HashMap<(String, String), StoredAlert> = store
            .firing_alerts()
            .await?
            .into_iter()
            .map(|a| ((a.rule.clone(), a.service.clone()), a))
            .collect();
        let mut report = EvaluationReport::default();
        for rule in &settings.rules {
            for service in facts.iter().filter(|f| rule.scope.matches(f)) {
                let key = (rule.name.clone(), service.slug.clone());
                let stored = firing.remove(&key);
                let summary = evaluate(&rule.condition, service, now);
                let holds = Holds {
                    muted: muted_by(&rule.name, service, &silences, &settings.maintenance, now),
                    inhibited: inhibited_by(&service.slug, &settings.depends_on, &down),
                };
                let engine_view = stored.as_ref().map(|a| FiringAlert {
                    started_ms: a.started_ms,
                    notified_ms: a.notified_ms,
                    held_reason: a.held_reason.clone(),
                });
                let decision = decide(
                    engine_view.as_ref(),
                    summary.is_some(),
                    &holds,
                    rule.repeat,
                    now,
                );
                let link = Self::link(settings, &service.slug);
                match (decision, stored) {
                    (Decision::Quiet, _) => {}
                    (Decision::Fire { held_reason }, _) => {
                        let targets = if held_reason.is_none() {
                            Self::targets(settings, &service.team)
                        } else {
                            Vec::new()
                        };
                        let summary = summary.unwrap_or_default();
                        store
                            .fire_alert(
                                &NewAlert {
                                    rule: &rule.name,
                                    service: &service.slug,
                                    team: &service.team,
                                    severity: rule.severity.name(),
                                    summary: &summary,
                                    held_reason: held_reason.as_deref(),
                                    link: link.as_deref(),
                                },
                                &targets,
                                now,
                            )
                            .await?;
                        tracing::warn!(alert.rule = %rule.name, service = %service.slug, "alert firing: {summary}");
                        report.fired += 1;
                    }
                    (Decision::Notify { reminder }, Some(alert)) => {
                        let targets = Self::targets(settings, &alert.team);
                        store
                            .notify_alert(&alert, reminder, &targets, link.as_deref(), now)
                            .await?;
                        report.notified += 1;
                    }
                    (Decision::Hold { held_reason }, Some(alert)) => {
                        store.hold_alert(alert.id, held_reason.as_deref()).await?;
                    }
                    (Decision::Resolve { notify }, Some(alert)) => {
                        let targets = if notify {
                            Self::targets(settings, &alert.team)
                        } else {
                            Vec::new()
                        };
                        store
                            .resolve_alert(&alert, &targets, link.as_deref(), now)
                            .await?;
                        tracing::info!(alert.rule = %rule.name, service = %service.slug, "alert resolved");
                        report.resolved += 1;
                    }
                    (_, None) => {}
                }
            }
        }
        self.watch_channels(settings, &mut firing, &mut report, now)
            .await?;
        // Alerts whose rule is gone, or whose service left the rule's
        // scope or the fleet, resolve: their condition no longer holds.
        for alert in firing.into_values() {
            let targets = if alert.notified_ms.is_some() {
                Self::targets(settings, &alert.team)
            } else {
                Vec::new()
            };
            let link = Self::link(settings, &alert.service);
            store
                .resolve_alert(&alert, &targets, link.as_deref(), now)
                .await?;
            report.resolved += 1;
        }
        Ok(report)
    }

    /// A channel that keeps failing raises an alert of its own, sent
    /// through the other channels (a dead webhook must not be the only
    /// one to know), and resolves when its messages go out again. Takes
    /// its alerts out of `firing`.
    async fn watch_channels(
        &self,
        settings: &AlertSettings,
        firing: &mut HashMap<(String, String), StoredAlert>,
        report: &mut EvaluationReport,
        now: i64,
    ) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let failing = failing_channels(
            &store.delivery_targets().await?,
            &store.oldest_waiting().await?,
            ms_of(settings.channel_failing_after),
            now,
        );
        let others = |target: &str| -> Vec<String> {
            settings
                .channels
                .iter()
                .map(|c| target_of(&c.name))
                .filter(|t| t != target)
                .collect()
        };
        for (target, since) in &failing {
            if firing
                .remove(&(CHANNEL_FAILING_RULE.to_string(), target.clone()))
                .is_some()
            {
                continue;
            }
            let name = target.trim_start_matches("channel:");
            let summary = format!(
                "alert channel `{name}` has delivered nothing for {}: its messages are waiting",
                shipshape_types::health::duration_words(now - since)
            );
            store
                .fire_alert(
                    &NewAlert {
                        rule: CHANNEL_FAILING_RULE,
                        service: target,
                        team: "shipshape",
                        severity: "critical",
                        summary: &summary,
                        held_reason: None,
                        link: None,
                    },
                    &others(target),
                    now,
                )
                .await?;
            tracing::error!(delivery.target = %target, "{summary}");
            report.fired += 1;
        }
        let recovered: Vec<(String, String)> = firing
            .keys()
            .filter(|(rule, _)| rule == CHANNEL_FAILING_RULE)
            .cloned()
            .collect();
        for key in recovered {
            if let Some(alert) = firing.remove(&key) {
                store
                    .resolve_alert(&alert, &others(&alert.service), None, now)
                    .await?;
                report.resolved += 1;
            }
        }
        Ok(())
    }

    /// The channels failing now, as the Overview shows them: name and
    /// what their last attempt said.
    pub async fn failing_channels(&self) -> Result<Vec<String>, StoreError> {
        let store = &self.inner.store;
        let targets = store.delivery_targets().await?;
        let failing = failing_channels(
            &targets,
            &store.oldest_waiting().await?,
            ms_of(self.configured().settings.channel_failing_after),
            self.inner.clock.now_ms(),
        );
        Ok(failing
            .into_iter()
            .map(|(target, _)| {
                let name = target.trim_start_matches("channel:").to_string();
                match targets.get(&target).and_then(|t| t.last_error.clone()) {
                    Some(error) => format!("{name}: {error}"),
                    None => name,
                }
            })
            .collect())
    }

    /// Moves the journal's new events into each subscriber's outbox;
    /// returns a sender per subscriber.
    async fn fan_out_to_subscribers(
        &self,
        now: i64,
    ) -> Result<Vec<(String, Result<Arc<dyn Channel>, String>)>, StoreError> {
        let store = &self.inner.store;
        let mut senders = Vec::new();
        for subscription in store.subscriptions().await? {
            // Up to FAN_OUT_READ events a pass; a backlog drains a pass a second.
            store.fan_out(&subscription, FAN_OUT_READ, now).await?;
            let channel: Arc<dyn Channel> = Arc::new(WebhookChannel {
                client: self.inner.subscriber_http.clone(),
                url: Secret::new(subscription.url.clone()),
                secret: subscription.secret.clone().map(Secret::new),
            });
            senders.push((format!("subscription:{}", subscription.id), Ok(channel)));
        }
        Ok(senders)
    }

    /// Moves journal events to subscribers' outboxes, then sends every
    /// message that is due, one per target and group, targets in parallel.
    pub async fn deliver(&self) -> Result<DeliveryReport, StoreError> {
        let _one_at_a_time = self.inner.delivering.lock().await;
        let configured = self.configured();
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        let mut senders = configured.channels.clone();
        senders.extend(self.fan_out_to_subscribers(now).await?);
        let pending = store.pending_deliveries(OUTBOX_READ, now).await?;
        if pending.is_empty() {
            return Ok(DeliveryReport::default());
        }
        let open_until: BTreeMap<String, i64> = store
            .delivery_targets()
            .await?
            .into_values()
            .filter_map(|t| t.open_until_ms.map(|until| (t.target, until)))
            .collect();
        let by_id: HashMap<i64, &PendingDelivery> =
            pending.iter().map(|p| (p.pending.id, p)).collect();
        let plain: Vec<_> = pending.iter().map(|p| p.pending.clone()).collect();
        let group_wait = ms_of(configured.settings.group_wait);
        // Subscribers take the raw stream as it comes; alerts wait for
        // their team's others.
        let wait_for = |target: &str| {
            if target.starts_with("subscription:") {
                0
            } else {
                group_wait
            }
        };
        let batches = due_batches(&plain, wait_for, &open_until, now);

        // One message at a time per target (in order), targets in parallel.
        let mut per_target: BTreeMap<String, Vec<(Outgoing, Vec<i64>)>> = BTreeMap::new();
        for batch in batches {
            let items: Vec<Item> = batch
                .deliveries
                .iter()
                .filter_map(|d| by_id.get(&d.id))
                .map(|p| Item {
                    kind: p.kind.clone(),
                    event: p.event.clone(),
                })
                .collect();
            let ids = batch.deliveries.iter().map(|d| d.id).collect();
            let message = Outgoing {
                target: batch.target.clone(),
                group_key: batch.group_key,
                items,
                dashboard_url: configured.settings.dashboard_url.clone(),
            };
            per_target
                .entry(batch.target)
                .or_default()
                .push((message, ids));
        }
        let sends = per_target.into_iter().map(|(target, messages)| {
            let sender = senders.get(&target).cloned();
            let by_id = &by_id;
            async move {
                let mut report = DeliveryReport::default();
                if sender.is_none() {
                    // Removed from the config, or a deleted subscription:
                    // its rows end here instead of being retried for ever.
                    let reason = "not delivered: the target was removed";
                    let ended = store.end_deliveries(&target, reason, self.inner.clock.now_ms()).await?;
                    tracing::info!(delivery.target = %target, "ended {ended} delivery(ies) of a removed target");
                    return Ok::<_, StoreError>(report);
                }
                for (message, ids) in messages {
                    let result = match &sender {
                        // Each channel bounds its own attempt; this is the
                        // backstop for one that does not.
                        Some(Ok(channel)) => tokio::time::timeout(ATTEMPT_LIMIT, channel.send(&message))
                            .await
                            .unwrap_or_else(|_| {
                                Err(format!("gave up after {} s", ATTEMPT_LIMIT.as_secs()))
                            }),
                        Some(Err(problem)) => Err(format!("not configured: {problem}")),
                        None => Err("the channel is no longer configured".to_string()),
                    };
                    let now = self.inner.clock.now_ms();
                    match result {
                        Ok(()) => {
                            store.record_delivered(&target, &ids, now).await?;
                            report.messages_sent += 1;
                        }
                        Err(error) => {
                            let retries: Vec<(i64, i64)> = ids
                                .iter()
                                .map(|id| {
                                    let attempts = by_id[id].pending.attempts + 1;
                                    (*id, now + retry_delay_ms(attempts, fastrand::f64()))
                                })
                                .collect();
                            let failures = store
                                .record_failed(&target, &retries, &error, now, breaker_open_for_ms)
                                .await?;
                            tracing::warn!(
                                delivery.target = %target,
                                "could not deliver {} event(s) ({failures} failure(s) in a row): {error}",
                                ids.len()
                            );
                            report.messages_failed += 1;
                            // The rest for this target waits for the retry.
                            break;
                        }
                    }
                }
                Ok::<_, StoreError>(report)
            }
        });
        let mut total = DeliveryReport::default();
        for result in futures::future::join_all(sends).await {
            let report = result?;
            total.messages_sent += report.messages_sent;
            total.messages_failed += report.messages_failed;
        }
        Ok(total)
    }

    /// Evaluates on the configured interval and delivers every second,
    /// until `cancel`. Pending deliveries stay in the outbox for the next
    /// start.
    pub async fn run(self, cancel: CancellationToken, pulse: Pulse) {
        let mut next_evaluation = tokio::time::Instant::now();
        let mut deliver = tokio::time::interval(DELIVER_EVERY);
        deliver.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep_until(next_evaluation) => {
                    if let Err(error) = self.evaluate().await {
                        tracing::error!("could not evaluate alert rules: {error}");
                    }
                    next_evaluation = tokio::time::Instant::now() + self.configured().settings.evaluate_every;
                }
                _ = deliver.tick() => {
                    pulse.beat();
                    if let Err(error) = self.deliver().await {
                        tracing::error!("could not deliver notifications: {error}");
                    }
                }
            }
        }
    }

    /// Everything the Alerts page shows (assembled by `report`).
    pub async fn overview(&self) -> Result<AlertsOverview, StoreError> {
        let configured = self.configured();
        let store = &self.inner.store;
        let now_ms = self.inner.clock.now_ms();
        let facts = PageFacts {
            now_ms,
            settings: &configured.settings,
            channel_problems: configured
                .channels
                .iter()
                .filter_map(|(target, channel)| {
                    channel.as_ref().err().map(|e| (target.clone(), e.clone()))
                })
                .collect(),
            firing: store.firing_alerts().await?,
            resolved: store.resolved_alerts(HISTORY).await?,
            targets: store.delivery_targets().await?,
            subscriptions: store.subscriptions().await?,
            silences: store.silences(now_ms - SILENCES_SHOWN_MS).await?,
            events: store.recent_events(None, HISTORY).await?,
        };
        Ok(report::alerts_page(&facts))
    }

    /// Active silences and those that ended in the last day, newest first.
    pub async fn silences(&self) -> Result<Vec<SilenceView>, StoreError> {
        let now = self.inner.clock.now_ms();
        Ok(self
            .inner
            .store
            .silences(now - SILENCES_SHOWN_MS)
            .await?
            .iter()
            .map(|silence| report::silence_view(silence, now))
            .collect())
    }

    /// The firing alerts of one service (or all), for the Overview and
    /// service pages.
    pub async fn firing(&self, service: Option<&str>) -> Result<Vec<AlertView>, StoreError> {
        Ok(self
            .inner
            .store
            .firing_alerts()
            .await?
            .iter()
            .filter(|a| service.is_none_or(|s| a.service == s))
            .map(report::alert_view)
            .collect())
    }

    pub async fn create_silence(&self, new: &NewSilence) -> Result<i64, AlertError> {
        let clean = |value: &Option<String>| {
            value
                .as_ref()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (rule, service, team) = (clean(&new.rule), clean(&new.service), clean(&new.team));
        if rule.is_none() && service.is_none() && team.is_none() {
            return Err(AlertError::Invalid(
                "a silence needs a rule, a service or a team to match".into(),
            ));
        }
        let comment = new.comment.trim();
        if comment.is_empty() {
            return Err(AlertError::Invalid(
                "say why in the comment: the next person on call will read it".into(),
            ));
        }
        let duration = parse_duration(new.duration.trim())
            .map_err(|m| AlertError::Invalid(format!("duration: {m}")))?;
        if duration.is_zero() {
            return Err(AlertError::Invalid(
                "duration: must be longer than 0".into(),
            ));
        }
        let now = self.inner.clock.now_ms();
        let id = self
            .inner
            .store
            .create_silence(&Silence {
                id: 0,
                rule,
                service,
                team,
                comment: comment.to_string(),
                created_ms: now,
                ends_ms: now.saturating_add(ms_of(duration)),
            })
            .await?;
        Ok(id)
    }

    pub async fn expire_silence(&self, id: i64) -> Result<(), AlertError> {
        let now = self.inner.clock.now_ms();
        if self.inner.store.expire_silence(id, now).await? {
            Ok(())
        } else {
            Err(AlertError::NotFound(format!("active silence {id}")))
        }
    }

    /// Sends the events journaled from now on (of `types`, or all) to
    /// `url`, signed when a secret is given. The URL is checked by the
    /// caller's outbound policy before it gets here.
    pub async fn subscribe(&self, new: &NewSubscription) -> Result<SubscriptionView, AlertError> {
        let url = new.url.trim();
        // The URL may carry a token: the message does not repeat it.
        validate_http_url(url)
            .map_err(|_| AlertError::Invalid("url: must be an http:// or https:// URL".into()))?;
        let types = event_types_from(&new.types)?;
        let secret = new.secret.as_deref().filter(|s| !s.is_empty());
        let now = self.inner.clock.now_ms();
        let id = self
            .inner
            .store
            .create_subscription(url, secret, &types, now)
            .await?;
        Ok(SubscriptionView {
            id,
            url: redacted_url(url),
            types,
            signed: secret.is_some(),
            created_ms: now,
        })
    }

    /// Every subscription, each URL reduced to its host, no secret.
    pub async fn subscriptions(&self) -> Result<Vec<SubscriptionView>, AlertError> {
        Ok(self
            .inner
            .store
            .subscriptions()
            .await?
            .into_iter()
            .map(|s| SubscriptionView {
                id: s.id,
                url: redacted_url(&s.url),
                signed: s.secret.is_some(),
                types: s.types,
                created_ms: s.created_ms,
            })
            .collect())
    }

    pub async fn unsubscribe(&self, id: i64) -> Result<(), AlertError> {
        let now = self.inner.clock.now_ms();
        if self.inner.store.delete_subscription(id, now).await? {
            Ok(())
        } else {
            Err(AlertError::NotFound(format!("subscription {id}")))
        }
    }
}

/// Event type names, each checked against the journal's.
pub fn event_types_from(names: &[String]) -> Result<Vec<EventType>, AlertError> {
    let mut types = Vec::new();
    for name in names.iter().flat_map(|n| n.split(',')).map(str::trim) {
        if name.is_empty() {
            continue;
        }
        let Some(event_type) = EventType::parse(name) else {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.name()).collect();
            return Err(AlertError::Invalid(format!(
                "`{name}` is not an event type; use one of {}",
                known.join(", ")
            )));
        };
        types.push(event_type);
    }
    Ok(types)
}
