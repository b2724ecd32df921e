//! Dependencies and drift. Pure:
//! - `model`: what a manifest declares;
//! - `discover`: which files of a repository are manifests, with their lock files;
//! - `version`: each ecosystem's version scheme behind one trait (Cargo,
//!   npm, PEP 440, Go, RubyGems, Maven);
//! - `drift`: from a version in use and a registry's releases to the
//!   wanted/latest versions, the gap, releases behind and libyears;
//! - `manifest`: reading manifests and lock files of the six ecosystems,
//!   each from text, with errors that name the file and line;
//! - `read`: a repository's files to its declared dependencies and locks;
//! - `analyze`: one declared dependency, its locked versions and its
//!   registry answer to a drift report, with the ecosystem's own rules;
//! - `changes`: what the journal records between two snapshots;
//! - `query`: the package search (`serde <1.0.200`);
//! - `registry::answers`: each registry's documented answer as releases,
//!   deprecations and advisories.
//!
//! I/O: `source` reads local, git and GitHub repositories; `registry`
//! asks the registries (over `integrations::registry`); `crawl` measures
//! a fleet's dependencies against them; `store` keeps snapshots; `service`
//! refreshes the fleet and answers the pages; `scan` is the command line's.

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
