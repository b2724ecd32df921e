//! Shipshape's server. One folder per capability:
//! - `config`: the typed configuration, loaded once;
//! - `fleet`: services and the fleet file (pure `spec`/`reconcile`, the
//!   `service` layer, the `watch` loop);
//! - `deps`: dependency drift (sources, manifests, registries, snapshots);
//! - `health`: healthcheck answers, states and uptime;
//! - `store`: the database (SQLite or PostgreSQL) behind one type;
//! - `web`: routes, handlers and middleware over the service layer;
//! - `telemetry`: logging and metrics;
//! - `serve`: start-up, background loops and graceful shutdown.

pub mod clock;
pub mod config;
pub mod demo;
pub mod deps;
pub mod fleet;
pub mod health;
pub mod serve;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod upgrade;
pub mod web;
