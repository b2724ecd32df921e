//! The upgrade loop: sleeps until the next service is due by its cron
//! schedule and runs it, and in between checks open PRs for merges and
//! closes every `sync_interval` (waves move on those).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::service::{RunCause, UpgradeService};
use crate::common::clock::Clock;

/// Services due at the earliest next run: (when, slugs).
async fn next_due(upgrades: &UpgradeService) -> Option<(i64, Vec<String>)> {
    let schedule = match upgrades.schedule().await {
        Ok(schedule) => schedule,
        Err(error) => {
            tracing::error!("could not read the upgrade schedule: {error}");
            return None;
        }
    };
    let mut by_time: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for entry in schedule {
        if let Some(at) = entry.next_run_ms {
            by_time.entry(at).or_default().push(entry.service);
        }
    }
    by_time.into_iter().next()
}

pub async fn run_on_schedule(
    upgrades: UpgradeService,
    clock: std::sync::Arc<dyn Clock>,
    cancel: CancellationToken,
) {
    loop {
        let sync_every = upgrades.settings().sync_interval;
        let due = next_due(&upgrades).await;
        let now = clock.now_ms();
        let wait_ms = due
            .as_ref()
            .map_or(i64::MAX, |(at, _)| at - now)
            .clamp(0, i64::try_from(sync_every.as_millis()).unwrap_or(i64::MAX));
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0))) => {}
        }
        match due {
            Some((at, services)) if clock.now_ms() >= at => {
                for slug in services {
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        result = upgrades.run(RunCause::Schedule, Some(&slug), false, true) => match result {
                            Ok(outcome) => tracing::info!(
                                service.slug = %slug,
                                run = outcome.run.id,
                                status = %outcome.run.status,
                                "scheduled upgrade run finished"
                            ),
                            Err(error) => tracing::error!(service.slug = %slug, "scheduled upgrade run failed: {error}"),
                        },
                    }
                }
            }
            _ => {
                match upgrades.sync_open_prs().await {
                    Ok(0) => {}
                    Ok(changed) => {
                        tracing::info!("{changed} upgrade PR(s) were merged or closed on GitHub")
                    }
                    Err(error) => tracing::warn!("could not check upgrade PRs on GitHub: {error}"),
                }
                // Merges and health move waves on.
                match upgrades.advance_waves().await {
                    Ok(0) => {}
                    Ok(opened) => tracing::info!("upgrade waves opened {opened} PR(s)"),
                    Err(error) => tracing::warn!("could not move upgrade waves on: {error}"),
                }
            }
        }
    }
}
