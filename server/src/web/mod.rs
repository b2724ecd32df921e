//! The HTTP edge: routes, middleware and thin handlers. Two doors lead in,
//! the REST API (`*_api.rs`) and the pages' server functions
//! (`ui_backend.rs`); both call the same `operations`, which check the
//! caller, and render the one `OperationError` their own way (`error.rs`).
//! `routes::build` makes exactly the app that runs, so tests drive it.

pub mod access;
mod alert_api;
mod api;
mod auth_api;
mod error;
mod fallback;
mod health;
mod health_api;
mod metrics;
pub mod openapi;
pub mod routes;
mod ui_backend;
mod upgrade_api;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::operations::Operations;
use crate::telemetry::check_metrics::CheckMetrics;
use crate::telemetry::metrics::HttpMetrics;

/// Request bodies larger than this are refused (413): nothing Shipshape
/// accepts comes near it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub ops: Operations,
    pub metrics: Arc<HttpMetrics>,
    /// Written by the health monitor, read by `/metrics`.
    pub checks: Arc<CheckMetrics>,
    /// The background loops' liveness (`/_internal_/ready`).
    pub heartbeats: crate::telemetry::heartbeat::Heartbeats,
}
