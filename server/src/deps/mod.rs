//! Dependencies and drift (issue 3). What is here so far is the pure core:
//! - `model`: ecosystems, dependency kinds, what a manifest declares;
//! - `discover`: which files of a repository are manifests, with their lock files;
//! - `version`: each ecosystem's version scheme behind one trait (Cargo,
//!   npm, PEP 440, Go, RubyGems, Maven);
//! - `drift`: from a version in use and a registry's releases to the
//!   wanted/latest versions, the gap, releases behind and libyears;
//! - `manifest`: reading manifests and lock files of the six ecosystems,
//!   each from text, with errors that name the file and line;
//! - `analyze`: one declared dependency, its locked versions and its
//!   registry answer to a drift report, with the ecosystem's own rules;
//! - `registry::answers`: each registry's documented answer as releases,
//!   deprecations and advisories.
//!
//! Sources (local, git, GitHub), the registry HTTP clients (cache, retries,
//! circuit breakers) and the crawl that stores snapshots build on these and
//! are not written yet.

pub mod analyze;
pub mod changes;
pub mod crawl;
pub mod discover;
pub mod drift;
pub mod manifest;
pub mod model;
pub mod query;
pub mod read;
pub mod registry;
pub mod scan;
pub mod service;
pub mod settings;
pub mod source;
pub mod store;
pub mod version;
