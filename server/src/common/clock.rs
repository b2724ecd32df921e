//! The time, behind a trait so that tests can fix it.

use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + 'static {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;

    /// Milliseconds on a clock that never steps back: for schedules, which
    /// a wall clock set backwards would pause and one set forwards would
    /// rush. Close to Unix time, not equal to it: never stored. A test's
    /// clock keeps its one time.
    fn steady_ms(&self) -> i64 {
        self.now_ms()
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    /// Unix time when first asked, plus the monotonic time since.
    fn steady_ms(&self) -> i64 {
        static START: std::sync::OnceLock<(i64, std::time::Instant)> = std::sync::OnceLock::new();
        let (wall, instant) = START.get_or_init(|| (self.now_ms(), std::time::Instant::now()));
        wall.saturating_add(i64::try_from(instant.elapsed().as_millis()).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steady_clock_starts_at_the_wall_clock_and_never_goes_back() {
        let clock = SystemClock;
        let first = clock.steady_ms();
        assert!((first - clock.now_ms()).abs() < 1_000);
        let mut last = first;
        for _ in 0..1_000 {
            let next = clock.steady_ms();
            assert!(next >= last);
            last = next;
        }
    }
}
