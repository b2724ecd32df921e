//! Weekly upgrade pull requests. Pure: which bumps to propose (`plan`,
//! `policy`, `requirement`, `versions`), the manifests edited in place
//! (`edit`), the PR texts (`body`), previews (`diff`), waves (`wave`), the
//! command line's report (`report`). I/O: the code host behind a trait
//! (`github`), each repository's groups prepared (`prepare`), the service
//! layer (`service/`: runs, PR writing and sync, read views, waves) that
//! records every step in the database so that a run killed anywhere is
//! finished, not repeated (`store`), and the `scheduler` loop.

pub mod body;
pub mod diff;
pub mod edit;
pub mod github;
pub mod plan;
pub mod policy;
pub mod prepare;
pub mod report;
pub mod requirement;
pub mod scheduler;
pub mod service;
pub mod settings;
pub mod store;
pub mod versions;
pub mod wave;
