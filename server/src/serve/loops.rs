//! The background work beside the HTTP app: the fleet-file reload, the
//! health monitor, the drift refresh (with organisation discovery), the
//! upgrade scheduler, alert evaluation and delivery, and the demo's
//! simulated healthchecks. Each is a named loop that logs and carries on
//! when a round fails, and stops on the cancellation token.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Services;
use super::reload::{FleetFileWatch, watch_fleet_file};
use crate::common::clock::SystemClock;
use crate::config::Config;
use crate::deps::service::DriftService;
use crate::fleet::FleetService;
use crate::health::monitor::HealthMonitor;
use crate::health::state::Thresholds;
use crate::telemetry::heartbeat::{Heartbeats, Pulse};

/// Starts every loop; they end when `cancel` is.
pub fn spawn(
    services: &Services,
    config: &Config,
    fleet_file_text: Option<String>,
    env: &BTreeMap<String, String>,
    cancel: &CancellationToken,
) -> JoinSet<()> {
    let mut background = JoinSet::new();
    let heartbeats = &services.heartbeats;
    if let (Some(path), Some(text)) = (config.fleet.file.clone(), fleet_file_text) {
        background.spawn(watch_fleet_file(
            FleetFileWatch {
                fleet: services.fleet.clone(),
                path,
                interval: config.fleet.watch_interval,
                startup_text: text,
                startup_settings: config.fleet.initial.settings.clone(),
                upgrades: services.upgrades.clone(),
                alerts: services.alerts.clone(),
            },
            cancel.clone(),
        ));
    }
    let alerts = services.alerts.clone();
    let pulse = heartbeats.register("alerts", Duration::from_secs(120));
    background.spawn(supervise("alerts", heartbeats.clone(), cancel.clone(), {
        let cancel = cancel.clone();
        move || alerts.clone().run(cancel.clone(), pulse.clone())
    }));
    if !config.demo_healthchecks.is_empty() {
        background.spawn(crate::demo::run_simulated(
            config.demo_healthchecks.clone(),
            cancel.clone(),
        ));
    }
    let monitor = HealthMonitor {
        store: services.store.clone(),
        clock: Arc::new(SystemClock),
        concurrency: 64,
        thresholds: Thresholds::default(),
        env: Arc::new(env.clone()),
        metrics: services.checks.clone(),
        changes: services.health.publisher(),
        outbound: Arc::new(config.fleet.initial.outbound.clone()),
        api_header_env: Arc::new(config.fleet.initial.registration.header_env.clone()),
        pulse: heartbeats.register("health monitor", Duration::from_secs(30)),
    };
    background.spawn(supervise(
        "health monitor",
        heartbeats.clone(),
        cancel.clone(),
        {
            let cancel = cancel.clone();
            move || monitor.clone().run(cancel.clone())
        },
    ));
    // The scheduler sleeps until its cron says; it is watched for dying,
    // not for beats.
    heartbeats.register("upgrade scheduler", Duration::MAX);
    let upgrades = services.upgrades.clone();
    background.spawn(supervise(
        "upgrade scheduler",
        heartbeats.clone(),
        cancel.clone(),
        {
            let cancel = cancel.clone();
            move || {
                crate::upgrade::scheduler::run_on_schedule(
                    upgrades.clone(),
                    Arc::new(SystemClock),
                    cancel.clone(),
                )
            }
        },
    ));
    // A refresh of a large fleet can take a while: it beats before and
    // after each one.
    let pulse = heartbeats.register(
        "drift refresh",
        config.drift.refresh_interval + Duration::from_secs(2 * 3600),
    );
    let (fleet, drift, interval) = (
        services.fleet.clone(),
        services.drift.clone(),
        config.drift.refresh_interval,
    );
    background.spawn(supervise(
        "drift refresh",
        heartbeats.clone(),
        cancel.clone(),
        {
            let cancel = cancel.clone();
            move || {
                refresh_on_interval(
                    fleet.clone(),
                    drift.clone(),
                    interval,
                    cancel.clone(),
                    pulse.clone(),
                )
            }
        },
    ));
    background
}

/// Runs the loop `make` starts until `cancel`. A loop that ends before
/// (it panicked, or returned when it should not) is logged, counted on
/// its heartbeat, and started again after a pause that doubles up to a
/// minute: background work never dies silently.
async fn supervise<F, Fut>(
    name: &'static str,
    heartbeats: Heartbeats,
    cancel: CancellationToken,
    make: F,
) where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut pause = Duration::from_secs(1);
    loop {
        let ended = tokio::spawn(make()).await;
        if cancel.is_cancelled() {
            return;
        }
        let why = match ended {
            Ok(()) => "it returned".to_string(),
            Err(error) if error.is_panic() => {
                let panic = error.into_panic();
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_string());
                format!("it panicked: {text}")
            }
            Err(error) => format!("it was stopped: {error}"),
        };
        tracing::error!(background.loop = name, "a background loop ended ({why}); starting it again in {pause:?}");
        heartbeats.restarted(name, why);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// Discovers the GitHub organisations the fleet file names, then refreshes
/// the fleet's drift: at start-up, every `interval`, and as soon as the
/// file names a new organisation. A refresh under way when the server stops
/// is dropped; its transaction never commits, so the previous snapshots stay.
async fn refresh_on_interval(
    fleet: FleetService,
    drift: DriftService,
    interval: Duration,
    cancel: CancellationToken,
    pulse: Pulse,
) {
    loop {
        pulse.beat();
        if fleet.has_org_rules().await {
            match drift.github() {
                Some(github) => {
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        result = fleet.discover_orgs(&github, crate::deps::discover::is_manifest) => match result {
                            Ok(plan) => tracing::info!("GitHub organisations discovered: {}", plan.summary()),
                            Err(error) => tracing::error!("could not store the discovered services: {error}"),
                        },
                    }
                }
                None => tracing::error!(
                    "the fleet file names GitHub organisations but the GitHub client could not be set up"
                ),
            }
        }
        let started = std::time::Instant::now();
        tokio::select! {
            () = cancel.cancelled() => return,
            result = drift.refresh_fleet() => match result {
                Ok(report) => tracing::info!(
                    services = report.services,
                    unchanged = report.unchanged,
                    failed = report.failed,
                    packages = report.packages,
                    took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "drift refreshed"
                ),
                Err(error) => tracing::error!("drift refresh failed: {error}"),
            },
        }
        pulse.beat();
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
            () = fleet.discovery_wanted() => {}
        }
    }
}
