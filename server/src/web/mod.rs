//! The HTTP edge: routes, middleware and the thin handlers over the service
//! layer. `routes::build` makes exactly the app that runs, so tests drive it.

mod alert_api;
mod api;
mod error;
mod health;
mod health_api;
mod metrics;
pub mod routes;
mod ui_backend;
mod upgrade_api;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::alert::service::AlertService;
use crate::deps::service::DriftService;
use crate::fleet::FleetService;
use crate::health::service::HealthService;
use crate::store::Store;
use crate::telemetry::check_metrics::CheckMetrics;
use crate::telemetry::metrics::HttpMetrics;
use crate::upgrade::service::UpgradeService;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub fleet: FleetService,
    pub drift: DriftService,
    pub health: HealthService,
    pub upgrades: UpgradeService,
    pub alerts: AlertService,
    pub metrics: Arc<HttpMetrics>,
    /// Written by the health monitor, read by `/metrics`.
    pub checks: Arc<CheckMetrics>,
}
