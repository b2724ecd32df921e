//! The background work beside the HTTP app: the fleet-file reload, the
//! health monitor, the drift refresh (with organisation discovery), the
//! upgrade scheduler, alert evaluation and delivery, and the demo's
//! simulated healthchecks. Each is a named loop that logs and carries on
//! when a round fails, and stops on the cancellation token.

use std::collections::BTreeMap;
use std::sync::Arc;

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

/// Starts every loop; they end when `cancel` is.
pub fn spawn(
    services: &Services,
    config: &Config,
    fleet_file_text: Option<String>,
    env: &BTreeMap<String, String>,
    cancel: &CancellationToken,
) -> JoinSet<()> {
    let mut background = JoinSet::new();
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
    background.spawn(services.alerts.clone().run(cancel.clone()));
    if !config.demo_healthchecks.is_empty() {
        background.spawn(crate::demo::run_simulated(
            config.demo_healthchecks.clone(),
            cancel.clone(),
        ));
    }
    background.spawn(
        HealthMonitor {
            store: services.store.clone(),
            clock: Arc::new(SystemClock),
            concurrency: 64,
            thresholds: Thresholds::default(),
            env: Arc::new(env.clone()),
            metrics: services.checks.clone(),
            changes: services.health.publisher(),
        }
        .run(cancel.clone()),
    );
    background.spawn(crate::upgrade::scheduler::run_on_schedule(
        services.upgrades.clone(),
        Arc::new(SystemClock),
        cancel.clone(),
    ));
    background.spawn(refresh_on_interval(
        services.fleet.clone(),
        services.drift.clone(),
        config.drift.refresh_interval,
        cancel.clone(),
    ));
    background
}

/// Discovers the GitHub organisations the fleet file names, then refreshes
/// the fleet's drift: at start-up, every `interval`, and as soon as the
/// file names a new organisation. A refresh under way when the server stops
/// is dropped; its transaction never commits, so the previous snapshots stay.
async fn refresh_on_interval(
    fleet: FleetService,
    drift: DriftService,
    interval: std::time::Duration,
    cancel: CancellationToken,
) {
    loop {
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
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
            () = fleet.discovery_wanted() => {}
        }
    }
}
