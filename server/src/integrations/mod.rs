//! Clients of the outside services several capabilities use, each built
//! once at start-up and shared: the GitHub REST API (fleet discovery, drift,
//! upgrade PRs) and the package registries' HTTP fetcher (cache,
//! conditional requests, retries, circuit breaker; drift and upgrades).
//! They know HTTP and the services' documented shapes, nothing of the fleet.

pub mod github;
pub mod registry;
