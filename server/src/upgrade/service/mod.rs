//! The upgrade service layer: runs (scheduled, "run now", dry), the PRs
//! they keep on GitHub, and the queries the API and the UI make. One job
//! per file: `run` plans and carries out a run, `prs` writes and syncs the
//! PRs step by step, `views` answers the pages and the API, `campaign`
//! moves waves on.
//!
//! A run is recorded before anything is written to GitHub. Each PR's row
//! is created before its first write and saved after every step (commit,
//! branch, PR, labels), and the PR is looked for on GitHub by its branch
//! before one is opened, so a run killed at any point and started again
//! finishes what was begun: never a second PR for a group, never a PR
//! Shipshape has lost track of.

use std::sync::{Arc, RwLock};

use crate::common::clock::Clock;
use crate::deps::crawl::Registries;
use crate::deps::service::Sources;
use crate::integrations::github::GitHubClient;
use crate::store::{Store, StoreError};
use crate::upgrade::locks::LockRefresher;
use crate::upgrade::settings::UpgradeSettings;

mod campaign;
mod prs;
mod run;
mod views;

pub use shipshape_types::upgrades::RunCause;

const RUNS_SHOWN: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no service `{0}`")]
    UnknownService(String),
    #[error("an upgrade run is under way; try again when it has finished")]
    Busy,
    #[error("no upgrade run {0}")]
    UnknownRun(i64),
    #[error("no upgrade wave {0}")]
    UnknownWave(i64),
    /// The request cannot be done as asked; said so the person can fix it.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct UpgradeService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    registries: Registries,
    sources: Sources,
    locks: LockRefresher,
    settings: RwLock<UpgradeSettings>,
    /// One run at a time: two runs could both think a group has no PR.
    running: tokio::sync::Mutex<()>,
}

impl UpgradeService {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        registries: Registries,
        sources: Sources,
        locks: LockRefresher,
        settings: UpgradeSettings,
    ) -> Self {
        UpgradeService {
            inner: Arc::new(Inner {
                store,
                clock,
                registries,
                sources,
                locks,
                settings: RwLock::new(settings),
                running: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Replaces the settings (the fleet file was read again).
    pub fn set_settings(&self, settings: UpgradeSettings) {
        if let Ok(mut current) = self.inner.settings.write() {
            *current = settings;
        }
    }

    pub fn settings(&self) -> UpgradeSettings {
        self.inner
            .settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    fn github(&self) -> Option<Arc<GitHubClient>> {
        self.inner.sources.github.clone()
    }

    /// Closes runs a stopped server left `running`; called at start-up.
    pub async fn recover(&self) -> Result<u64, UpgradeError> {
        Ok(self
            .inner
            .store
            .interrupt_unfinished_runs(self.inner.clock.now_ms())
            .await?)
    }
}
