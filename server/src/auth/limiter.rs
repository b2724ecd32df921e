//! Failed sign-ins counted per key (an account name, a client address) in a
//! sliding window: after `max_failures` within `window_ms`, further attempts
//! are refused until the oldest failure leaves the window. A success clears
//! the account's count, not the address's.

use std::collections::{HashMap, VecDeque};

#[derive(Debug)]
pub struct AttemptLimiter {
    max_failures: usize,
    window_ms: i64,
    failures: HashMap<String, VecDeque<i64>>,
}

impl AttemptLimiter {
    pub fn new(max_failures: usize, window_ms: i64) -> AttemptLimiter {
        AttemptLimiter {
            max_failures,
            window_ms,
            failures: HashMap::new(),
        }
    }

    /// `Err(ms)`: refused; the next attempt is allowed in `ms`.
    pub fn check(&mut self, key: &str, now_ms: i64) -> Result<(), i64> {
        let Some(times) = self.failures.get_mut(key) else {
            return Ok(());
        };
        while times.front().is_some_and(|&t| now_ms - t >= self.window_ms) {
            times.pop_front();
        }
        if times.is_empty() {
            self.failures.remove(key);
            return Ok(());
        }
        if times.len() >= self.max_failures {
            let oldest = times.front().copied().unwrap_or(now_ms);
            return Err((oldest + self.window_ms - now_ms).max(1));
        }
        Ok(())
    }

    pub fn record_failure(&mut self, key: &str, now_ms: i64) {
        self.failures
            .entry(key.to_string())
            .or_default()
            .push_back(now_ms);
        // Keys that only ever failed once long ago must not pile up.
        if self.failures.len() > 100_000 {
            let window = self.window_ms;
            self.failures
                .retain(|_, times| times.back().is_some_and(|&t| now_ms - t < window));
        }
    }

    /// Takes back the latest failure of `key`: an attempt is counted as a
    /// failure before the password is checked (so that parallel guesses
    /// are counted too), and forgiven when it turns out right.
    pub fn forgive_last(&mut self, key: &str) {
        if let Some(times) = self.failures.get_mut(key) {
            times.pop_back();
            if times.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    pub fn clear(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_limit_are_refused_until_the_window_moves_on() {
        let mut limiter = AttemptLimiter::new(3, 60_000);
        for t in [0, 1_000, 2_000] {
            assert_eq!(limiter.check("ada", t), Ok(()));
            limiter.record_failure("ada", t);
        }
        assert_eq!(limiter.check("ada", 3_000), Err(57_000));
        assert_eq!(
            limiter.check("bob", 3_000),
            Ok(()),
            "other keys are not affected"
        );
        assert_eq!(
            limiter.check("ada", 60_000),
            Ok(()),
            "the first failure has left"
        );
        limiter.record_failure("ada", 60_000);
        assert!(limiter.check("ada", 60_500).is_err());
        limiter.clear("ada");
        assert_eq!(limiter.check("ada", 60_500), Ok(()));
    }
}
