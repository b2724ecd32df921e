//! Whether each background loop is alive: a loop beats as it works, its
//! supervisor says when it ended or was restarted, and the readiness
//! endpoint reports them. A loop that stops beating (stuck, or dead in a
//! task nobody awaits) makes the replica unready instead of silent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Clone, Default)]
pub struct Heartbeats {
    loops: Arc<Mutex<BTreeMap<&'static str, Beat>>>,
}

struct Beat {
    last: Instant,
    /// No beat for longer than this is a loop in trouble.
    stale_after: Duration,
    restarts: u32,
    /// Why it last ended, when it did.
    last_failure: Option<String>,
}

/// One loop's handle on its heartbeat.
#[derive(Clone)]
pub struct Pulse {
    name: &'static str,
    heartbeats: Heartbeats,
}

impl Pulse {
    /// A pulse nobody reads (tests, one-shot commands).
    pub fn detached(name: &'static str) -> Pulse {
        Heartbeats::default().register(name, Duration::from_secs(3600))
    }

    pub fn beat(&self) {
        if let Some(beat) = self.heartbeats.lock().get_mut(self.name) {
            beat.last = Instant::now();
        }
    }
}

/// A loop as the readiness endpoint reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoopState {
    pub name: String,
    /// Milliseconds since its last beat.
    pub last_beat_ms_ago: u64,
    pub stale: bool,
    pub restarts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

impl Heartbeats {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, Beat>> {
        self.loops
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts watching a loop; it must beat at least every `stale_after`.
    pub fn register(&self, name: &'static str, stale_after: Duration) -> Pulse {
        self.lock().entry(name).or_insert(Beat {
            last: Instant::now(),
            stale_after,
            restarts: 0,
            last_failure: None,
        });
        Pulse {
            name,
            heartbeats: self.clone(),
        }
    }

    /// The supervisor restarted `name` after it ended with `why`.
    pub fn restarted(&self, name: &'static str, why: String) {
        if let Some(beat) = self.lock().get_mut(name) {
            beat.restarts += 1;
            beat.last_failure = Some(why);
            beat.last = Instant::now();
        }
    }

    pub fn states(&self) -> Vec<LoopState> {
        self.lock()
            .iter()
            .map(|(name, beat)| {
                let age = beat.last.elapsed();
                LoopState {
                    name: (*name).to_string(),
                    last_beat_ms_ago: u64::try_from(age.as_millis()).unwrap_or(u64::MAX),
                    stale: age > beat.stale_after,
                    restarts: beat.restarts,
                    last_failure: beat.last_failure.clone(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_that_stops_beating_is_stale_and_restarts_are_counted() {
        let heartbeats = Heartbeats::default();
        let quick = heartbeats.register("monitor", Duration::from_millis(20));
        let slow = heartbeats.register("drift", Duration::from_secs(3600));
        std::thread::sleep(Duration::from_millis(40));
        slow.beat();
        let states = heartbeats.states();
        assert_eq!(states.len(), 2);
        let monitor = states
            .iter()
            .find(|s| s.name == "monitor")
            .expect("monitor");
        assert!(monitor.stale, "{monitor:?}");
        assert!(
            !states
                .iter()
                .find(|s| s.name == "drift")
                .expect("drift")
                .stale
        );
        quick.beat();
        heartbeats.restarted("monitor", "panicked: boom".into());
        let monitor = heartbeats
            .states()
            .into_iter()
            .find(|s| s.name == "monitor")
            .expect("monitor");
        assert!(!monitor.stale);
        assert_eq!(monitor.restarts, 1);
        assert_eq!(monitor.last_failure.as_deref(), Some("panicked: boom"));
    }
}
