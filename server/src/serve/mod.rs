//! Putting the server together: config → store → fleet → HTTP, plus the
//! background loops, all stopped in order on SIGINT or SIGTERM.

mod reload;

use crate::alert::service::AlertService;
use crate::auth::service::{ADMIN_PASSWORD_ENV, ADMIN_USER_ENV, AuthService};
use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use leptos::prelude::LeptosOptions;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::common::clock::SystemClock;
use crate::config::Config;
use crate::deps::service::{DriftService, registries_from_config, sources_from_config};
use crate::fleet::FleetService;
use crate::health::monitor::HealthMonitor;
use crate::health::service::HealthService;
use crate::health::state::Thresholds;
use crate::operations::Operations;
use crate::store::Store;
use crate::telemetry::check_metrics::CheckMetrics;
use crate::telemetry::metrics::HttpMetrics;
use crate::upgrade::service::UpgradeService;
use crate::web::{AppState, routes};
use reload::{FleetFileWatch, watch_fleet_file};

/// Opens the database and applies migrations; used by `serve` and `migrate`.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.url, config.database.max_connections).await?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating {}", config.database.url))?;
    Ok(store)
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("shipshape")
        .site_root(config.server.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.server.listen)
        .build()
}

/// One upgrade run from the command line, against the server's database
/// and fleet file (`shipshape upgrade`).
pub async fn upgrade_once(
    config: &Config,
    env: &BTreeMap<String, String>,
    service: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<shipshape_types::upgrades::RunOutcomeView> {
    let store = open_store(config).await?;
    if let Some(path) = &config.fleet.file {
        FleetService::new(store.clone(), Arc::new(SystemClock))
            .sync_from_file(path, &config.fleet.initial.services)
            .await
            .with_context(|| format!("storing the fleet from {}", path.display()))?;
    }
    let upgrades = UpgradeService::new(
        store.clone(),
        Arc::new(SystemClock),
        registries_from_config(&config.drift, env),
        sources_from_config(&config.drift, env),
        config.fleet.initial.upgrades.clone(),
    );
    upgrades.recover().await?;
    let outcome = upgrades
        .run(
            crate::upgrade::service::RunCause::Manual,
            service,
            dry_run,
            true,
        )
        .await?;
    store.close().await;
    Ok(outcome)
}

/// Runs the server until SIGINT or SIGTERM.
/// `env` is the environment the config was loaded from; credentials named
/// in the config (`token_env`) are looked up in it.
pub async fn serve(
    config: Config,
    fleet_file_text: Option<String>,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    tracing::info!(
        listen = %config.server.listen,
        database = %config.database.url,
        fleet.file = %config.fleet.file.as_ref().map_or("(none)".to_string(), |p| p.display().to_string()),
        site_root = %config.server.site_root.display(),
        "starting Shipshape"
    );
    if !config.server.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %config.server.site_root.display(),
            "no built front end under the site root: pages render but will not become interactive; build with `cargo leptos build` or set SHIPSHAPE_SITE_ROOT"
        );
    }
    let store = open_store(&config).await?;
    tracing::info!(database = %config.database.url, backend = store.backend().name(), "database ready");

    let fleet = FleetService::new(store.clone(), Arc::new(SystemClock));
    if let Some(path) = &config.fleet.file {
        fleet
            .set_org_rules(config.fleet.initial.github_orgs.clone())
            .await;
        let plan = fleet
            .sync_from_file(path, &config.fleet.initial.services)
            .await
            .with_context(|| format!("storing the fleet from {}", path.display()))?;
        tracing::info!(fleet.file = %path.display(), "fleet loaded: {}", plan.summary());
    }

    // One set of sources and registries: drift and upgrades share the
    // GitHub client (its rate limits and write pacing) and the caches.
    let sources = sources_from_config(&config.drift, env);
    let registries = registries_from_config(&config.drift, env);
    let drift = DriftService::new(
        store.clone(),
        Arc::new(SystemClock),
        registries.clone(),
        sources.clone(),
        config.drift.libyear_budget,
    );
    let upgrades = UpgradeService::new(
        store.clone(),
        Arc::new(SystemClock),
        registries,
        sources,
        config.fleet.initial.upgrades.clone(),
    );
    let interrupted = upgrades.recover().await?;
    if interrupted > 0 {
        tracing::warn!(
            "{interrupted} upgrade run(s) were cut short when the server last stopped; the next run finishes their PRs"
        );
    }
    let health = HealthService::new(store.clone(), Arc::new(SystemClock));
    let alerts = AlertService::new(
        store.clone(),
        Arc::new(SystemClock),
        config.fleet.initial.alerts.clone(),
        Arc::new(env.clone()),
    );
    let auth = AuthService::new(
        store.clone(),
        Arc::new(SystemClock),
        config.fleet.initial.auth.clone(),
    );
    match auth.ensure_first_admin(env).await {
        Ok(Some(name)) => {
            tracing::info!(account = %name, "created the first admin from {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV}")
        }
        Ok(None) => {
            if store.user_count().await? == 0 {
                tracing::warn!(
                    "there are no accounts yet: create an admin with `shipshape user add --admin NAME`, or start with {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV} set"
                );
            }
        }
        Err(error) => {
            anyhow::bail!("could not create the first admin from {ADMIN_USER_ENV}: {error}")
        }
    }
    let checks = Arc::new(CheckMetrics::default());
    let state = AppState {
        leptos_options: leptos_options(&config),
        ops: Operations {
            fleet: fleet.clone(),
            drift: drift.clone(),
            health: health.clone(),
            upgrades: upgrades.clone(),
            alerts: alerts.clone(),
            auth,
            outbound: Arc::new(config.fleet.initial.outbound.clone()),
            store: store.clone(),
        },
        metrics: Arc::new(HttpMetrics::default()),
        checks: checks.clone(),
    };
    let app = routes::build(state);
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("could not listen on {}", config.server.listen))?;
    tracing::info!(
        "Shipshape is listening on http://{}",
        listener.local_addr()?
    );

    let cancel = CancellationToken::new();
    let mut background = JoinSet::new();
    if let (Some(path), Some(text)) = (config.fleet.file.clone(), fleet_file_text) {
        background.spawn(watch_fleet_file(
            FleetFileWatch {
                fleet: fleet.clone(),
                path,
                interval: config.fleet.watch_interval,
                startup_text: text,
                startup_settings: config.fleet.initial.settings.clone(),
                upgrades: upgrades.clone(),
                alerts: alerts.clone(),
            },
            cancel.clone(),
        ));
    }
    background.spawn(alerts.run(cancel.clone()));

    if !config.demo_healthchecks.is_empty() {
        background.spawn(crate::demo::run_simulated(
            config.demo_healthchecks.clone(),
            cancel.clone(),
        ));
    }
    background.spawn(
        HealthMonitor {
            store: store.clone(),
            clock: Arc::new(SystemClock),
            concurrency: 64,
            thresholds: Thresholds::default(),
            env: Arc::new(env.clone()),
            metrics: checks,
            changes: health.publisher(),
        }
        .run(cancel.clone()),
    );

    background.spawn(crate::upgrade::scheduler::run_on_schedule(
        upgrades,
        Arc::new(SystemClock),
        cancel.clone(),
    ));
    background.spawn(refresh_on_interval(
        fleet.clone(),
        drift,
        config.drift.refresh_interval,
        cancel.clone(),
    ));

    let shutdown = {
        let cancel = cancel.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            cancel.cancel();
            health.close_streams();
        }
    };
    // Sign-in attempts are limited per client address.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the HTTP server failed")?;

    cancel.cancel();
    while background.join_next().await.is_some() {}
    store.close().await;
    tracing::info!("Shipshape stopped");
    Ok(())
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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!("could not listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!("could not listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
