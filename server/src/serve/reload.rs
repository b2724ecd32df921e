//! Keeps the running server in step with the fleet file: when the file
//! changes, its fleet is reconciled in the store and its upgrade and alert
//! settings are handed to those services. The composition root does this,
//! so that no capability holds another to push settings into it.

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::alert::service::AlertService;
use crate::config::{FileSettings, parse_fleet_file};
use crate::fleet::FleetService;
use crate::upgrade::service::UpgradeService;

/// The fleet file as loaded at start-up, and who takes its parts when it
/// changes: the fleet, the upgrade settings and the alert settings.
pub struct FleetFileWatch {
    pub fleet: FleetService,
    pub path: PathBuf,
    /// How often the file is checked.
    pub interval: Duration,
    pub startup_text: String,
    pub startup_settings: FileSettings,
    pub upgrades: UpgradeService,
    pub alerts: AlertService,
}

/// Checks the file every `interval`; when its text changes, reads it again
/// and reconciles. A file that no longer parses leaves the fleet as it was
/// and is reported (once per change) in the log and on the Overview.
pub async fn watch_fleet_file(watch: FleetFileWatch, cancel: CancellationToken) {
    let FleetFileWatch {
        fleet,
        path,
        interval,
        startup_text,
        startup_settings,
        upgrades,
        alerts,
    } = watch;
    let mut last_text = Some(startup_text);
    let mut last_read_error: Option<String> = None;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => {
                last_read_error = None;
                text
            }
            Err(error) => {
                let message = format!("could not read {}: {error}", path.display());
                if last_read_error.as_ref() != Some(&message) {
                    tracing::warn!(fleet.file = %path.display(), "{message}; keeping the fleet as last loaded");
                    fleet.record_file_error(&path, message.clone());
                    last_read_error = Some(message);
                }
                continue;
            }
        };
        if last_text.as_ref() == Some(&text) {
            continue;
        }
        match parse_fleet_file(&path, &text) {
            Err(error) => {
                tracing::warn!(fleet.file = %path.display(), "the fleet file changed but is not valid, keeping the fleet as last loaded: {error}");
                fleet.record_file_error(&path, error.to_string());
                last_text = Some(text);
            }
            Ok(file) => {
                fleet.set_org_rules(file.github_orgs.clone()).await;
                upgrades.set_settings(file.upgrades.clone());
                alerts.set_settings(file.alerts.clone());
                match fleet.sync_from_file(&path, &file.services).await {
                    Ok(plan) => {
                        tracing::info!(fleet.file = %path.display(), "fleet file reloaded: {}", plan.summary());
                        if file.settings != startup_settings {
                            tracing::warn!(
                                fleet.file = %path.display(),
                                "the [server], [database] or [fleet] settings changed; they take effect when Shipshape restarts"
                            );
                        }
                        last_text = Some(text);
                    }
                    Err(error) => {
                        // Not remembered as loaded: the next tick tries again.
                        tracing::error!(fleet.file = %path.display(), "could not store the reloaded fleet: {error}");
                        last_text = None;
                    }
                }
            }
        }
    }
}
