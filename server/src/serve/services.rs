//! Every service of the server, built once from the config at start-up and
//! shared by the HTTP app and the background loops.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use leptos::prelude::LeptosOptions;

use crate::alert::service::AlertService;
use crate::auth::service::{ADMIN_PASSWORD_ENV, ADMIN_USER_ENV, AuthService};
use crate::common::clock::SystemClock;
use crate::config::Config;
use crate::deps::service::{DriftService, registries_from_config, sources_from_config};
use crate::fleet::FleetService;
use crate::health::service::HealthService;
use crate::operations::Operations;
use crate::store::Store;
use crate::telemetry::check_metrics::CheckMetrics;
use crate::telemetry::heartbeat::Heartbeats;
use crate::telemetry::metrics::HttpMetrics;
use crate::upgrade::locks::{LockRefresher, LockSettings};
use crate::upgrade::service::UpgradeService;
use crate::web::AppState;

/// Opens the database and applies migrations; used by `serve` and the
/// commands.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.url, config.database.max_connections).await?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating {}", config.database.url))?;
    Ok(store)
}

#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub fleet: FleetService,
    pub drift: DriftService,
    pub health: HealthService,
    pub upgrades: UpgradeService,
    pub alerts: AlertService,
    pub auth: AuthService,
    /// Written by the health monitor, read by `/metrics`.
    pub checks: Arc<CheckMetrics>,
    /// The background loops' liveness, read by `/_internal_/ready`.
    pub heartbeats: Heartbeats,
}

impl Services {
    /// Opens the database, loads the fleet file's services, builds every
    /// service, finishes what a stopped server left (interrupted runs) and
    /// creates the first admin when the environment names one.
    pub async fn start(
        config: &Config,
        env: &BTreeMap<String, String>,
    ) -> anyhow::Result<Services> {
        let store = open_store(config).await?;
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
        let (drift, upgrades) = drift_and_upgrades(&store, config, env);
        let interrupted = upgrades.recover().await?;
        if interrupted > 0 {
            tracing::warn!(
                "{interrupted} upgrade run(s) were cut short when the server last stopped; the next run finishes their PRs"
            );
        }
        let auth = AuthService::new(
            store.clone(),
            Arc::new(SystemClock),
            config.fleet.initial.auth.clone(),
        );
        ensure_first_admin(&auth, &store, env).await?;
        Ok(Services {
            health: HealthService::new(store.clone(), Arc::new(SystemClock)),
            alerts: AlertService::new(
                store.clone(),
                Arc::new(SystemClock),
                config.fleet.initial.alerts.clone(),
                Arc::new(env.clone()),
                Arc::new(config.fleet.initial.outbound.clone()),
            ),
            auth,
            checks: Arc::default(),
            heartbeats: Heartbeats::default(),
            store,
            fleet,
            drift,
            upgrades,
        })
    }

    /// The HTTP app's state over these services.
    pub fn app_state(&self, config: &Config) -> AppState {
        AppState {
            leptos_options: leptos_options(config),
            ops: Operations {
                fleet: self.fleet.clone(),
                drift: self.drift.clone(),
                health: self.health.clone(),
                upgrades: self.upgrades.clone(),
                alerts: self.alerts.clone(),
                auth: self.auth.clone(),
                outbound: Arc::new(config.fleet.initial.outbound.clone()),
                registration: Arc::new(config.fleet.initial.registration.clone()),
                store: self.store.clone(),
            },
            metrics: Arc::new(HttpMetrics::default()),
            checks: self.checks.clone(),
            heartbeats: self.heartbeats.clone(),
        }
    }
}

/// Drift and upgrades over one set of sources and registries: they share
/// the GitHub client (its rate limits and write pacing) and the caches.
pub fn drift_and_upgrades(
    store: &Store,
    config: &Config,
    env: &BTreeMap<String, String>,
) -> (DriftService, UpgradeService) {
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
        LockRefresher::new(LockSettings::from_config(
            &config.drift,
            &config.fleet.initial.upgrades,
        )),
        config.fleet.initial.upgrades.clone(),
    );
    (drift, upgrades)
}

async fn ensure_first_admin(
    auth: &AuthService,
    store: &Store,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
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
    Ok(())
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("shipshape")
        .site_root(config.server.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.server.listen)
        .build()
}
