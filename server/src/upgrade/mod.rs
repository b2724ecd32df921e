//! Weekly upgrade pull requests: which bumps to propose (pure `plan`,
//! `policy`, `requirement`, `cron`), the manifests edited in place
//! (`edit`), the GitHub side (`github`), and runs recorded step by step in
//! the database so that a run killed anywhere is finished, not repeated
//! (`run`).

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
