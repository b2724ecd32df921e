//! The HTTP edge: routes, middleware and the thin handlers over the service
//! layer. `routes::build` makes exactly the app that runs, so tests drive it.

pub mod access;
mod alert_api;
mod api;
mod auth_api;
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
use crate::auth::service::AuthService;
use crate::common::outbound::NetworkPolicy;
use crate::deps::service::DriftService;
use crate::fleet::FleetService;
use crate::health::service::HealthService;
use crate::store::Store;
use crate::telemetry::check_metrics::CheckMetrics;
use crate::telemetry::metrics::HttpMetrics;
use crate::upgrade::service::UpgradeService;

/// Request bodies larger than this are refused (413): nothing Shipshape
/// accepts comes near it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub fleet: FleetService,
    pub drift: DriftService,
    pub health: HealthService,
    pub upgrades: UpgradeService,
    pub alerts: AlertService,
    pub auth: AuthService,
    /// Where URLs entered through the API may lead.
    pub outbound: Arc<NetworkPolicy>,
    pub metrics: Arc<HttpMetrics>,
    /// Written by the health monitor, read by `/metrics`.
    pub checks: Arc<CheckMetrics>,
}
