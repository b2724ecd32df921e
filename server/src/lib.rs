//! Shipshape's server. One folder per capability:
//! - `config`: the typed configuration, loaded once;
//! - `fleet`: services and the fleet file (pure `spec`/`reconcile`, the
//!   `service` layer, the `watch` loop);
//! - `deps`: dependency drift (sources, manifests, registries, snapshots);
//! - `health`: healthcheck answers, states and uptime;
//! - `upgrade`: upgrade pull requests and waves;
//! - `alert`: alert rules, silences, the outbox and its channels (the
//!   event journal they read is in `store`);
//! - `store`: the database (SQLite or PostgreSQL) behind one type;
//! - `web`: routes, handlers and middleware over the service layer;
//! - `telemetry`: logging and metrics;
//! - `serve`: start-up, background loops and graceful shutdown.

pub mod alert;
pub mod auth;
pub mod common;
pub mod config;
pub mod demo;
pub mod deps;
pub mod fleet;
pub mod health;
pub mod integrations;
pub mod operations;
pub mod serve;
pub mod store;
pub mod telemetry;
pub mod upgrade;
pub mod web;
