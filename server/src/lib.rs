//! Shipshape's server, in layers that point one way (each folder imports
//! only folders of the layers below it; `tests/architecture.rs` checks it):
//! - `common`, `telemetry`: shared leaves (clock, secrets, cron, durations,
//!   URLs, the outbound policy; logging and metrics);
//! - `store`: the database connection, migrations and the event journal;
//! - `integrations`: the GitHub client and the registries' HTTP fetcher;
//! - `auth`: accounts, sessions, tokens, the audit trail;
//! - `fleet`: services and where their code lives;
//! - `health`, `deps`: each service's health, and its dependencies' drift;
//! - `upgrade`, `demo`: upgrade PRs and waves; the demo's healthchecks;
//! - `alert`: rules, the engine, the outbox and its channels;
//! - `operations`, `config`: what callers may ask for (the one service
//!   layer both web doors call); the typed configuration;
//! - `web`: routes, the access check and thin handlers;
//! - `serve`: the composition root (start-up, loops, shutdown, commands).
//!
//! Each capability keeps its settings (`settings`), its SQL (`store`, an
//! `impl Store` block) and its rules, pure modules apart from I/O.

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
