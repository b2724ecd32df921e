//! The fleet: which services exist, who owns them, where their code lives.
//! `spec` and `reconcile` are pure; `github_org` turns an organisation's
//! repositories into services; `service` is the service layer the web
//! edges call (and the fleet-file reload in `serve::reload`).

pub mod github_org;
pub mod reconcile;
pub mod registration;
pub mod service;
pub mod spec;
pub mod store;

pub use service::{FleetError, FleetService};
