//! An endpoint's state from its check results, with thresholds so that one
//! blip does not flap it: by default down after 3 failures in a row, up
//! again after 2 successes. Pure; time comes in with each result.

use std::time::Duration;

use shipshape_types::health::HealthLevel;

use super::format::Verdict;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthState {
    /// Shipshape was not polling (its own downtime is never the service's).
    NoData,
    /// Polled, but nothing conclusive yet (or the service says `UNKNOWN`).
    Unknown,
    Up,
    /// Working with a warning, or slower than its latency threshold.
    Degraded,
    Down,
}

impl HealthState {
    /// The name the database, the API and CSS use (`no-data`), spelt once
    /// in the level the UI shares.
    pub fn name(self) -> &'static str {
        HealthLevel::from(self).name()
    }

    pub fn parse(text: &str) -> Option<Self> {
        HealthLevel::parse(text).map(Self::from)
    }

    /// How bad a state is, for deciding which thresholds apply.
    fn severity(self) -> u8 {
        match self {
            HealthState::Up => 0,
            HealthState::NoData | HealthState::Unknown => 1,
            HealthState::Degraded => 2,
            HealthState::Down => 3,
        }
    }
}

impl From<HealthState> for HealthLevel {
    fn from(state: HealthState) -> Self {
        match state {
            HealthState::NoData => HealthLevel::NoData,
            HealthState::Unknown => HealthLevel::Unknown,
            HealthState::Up => HealthLevel::Up,
            HealthState::Degraded => HealthLevel::Degraded,
            HealthState::Down => HealthLevel::Down,
        }
    }
}

impl From<HealthLevel> for HealthState {
    fn from(level: HealthLevel) -> Self {
        match level {
            HealthLevel::NoData => HealthState::NoData,
            HealthLevel::Unknown => HealthState::Unknown,
            HealthLevel::Up => HealthState::Up,
            HealthLevel::Degraded => HealthState::Degraded,
            HealthLevel::Down => HealthState::Down,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Results in a row needed to move to a worse state.
    pub worse_after: u32,
    /// Results in a row needed to move to a better state.
    pub better_after: u32,
    /// A passing check slower than this counts as degraded.
    pub slow_after: Option<Duration>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            worse_after: 3,
            better_after: 2,
            slow_after: None,
        }
    }
}

/// One check's result, as the state machine needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub at_ms: i64,
    /// `None` when no answer came (timeout, refused, reset): a failure.
    pub verdict: Option<Verdict>,
    pub latency: Duration,
    /// Why it is not a pass, for the incident's first failing detail.
    pub detail: Option<String>,
}

/// The state one result points to on its own.
pub fn classify(result: &CheckResult, thresholds: &Thresholds) -> HealthState {
    match result.verdict {
        None | Some(Verdict::Fail) => HealthState::Down,
        Some(Verdict::Unknown) => HealthState::Unknown,
        Some(Verdict::Warn) => HealthState::Degraded,
        Some(Verdict::Pass) => {
            if thresholds
                .slow_after
                .is_some_and(|slow| result.latency > slow)
            {
                HealthState::Degraded
            } else {
                HealthState::Up
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: HealthState,
    pub to: HealthState,
    pub at_ms: i64,
    /// The first result of the run that caused it (when the run started,
    /// and what it said), so an incident starts when the trouble did.
    pub run_started_ms: i64,
    pub detail: Option<String>,
}

/// What a change of state does to an endpoint's incidents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncidentChange {
    /// Leaving down ends the incident that is open, at the change.
    pub close_open_one: bool,
    /// Going down opens an incident that starts at this time: the first
    /// failure of the run, not the check that crossed the threshold.
    pub open_from_ms: Option<i64>,
}

impl Transition {
    /// An incident is the time an endpoint is down: it opens when the
    /// endpoint goes down and closes when it leaves down, whatever it
    /// becomes (up, degraded, or unknown when Shipshape stops).
    pub fn incident_change(&self) -> IncidentChange {
        IncidentChange {
            close_open_one: self.from == HealthState::Down,
            open_from_ms: (self.to == HealthState::Down).then_some(self.run_started_ms),
        }
    }
}

/// The state of one endpoint, and the run of results pointing elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracker {
    pub state: HealthState,
    pub since_ms: Option<i64>,
    /// (state the run points to, its length, when it started, its first detail).
    run: Option<(HealthState, u32, i64, Option<String>)>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            state: HealthState::Unknown,
            since_ms: None,
            run: None,
        }
    }
}

impl Tracker {
    /// Resumes from a stored state (after a restart).
    pub fn resume(state: HealthState, since_ms: i64) -> Self {
        Tracker {
            state,
            since_ms: Some(since_ms),
            run: None,
        }
    }

    /// Takes one result; returns the transition it completes, if any.
    /// From unknown or no-data the first result decides at once: there is
    /// no earlier state to flap against.
    pub fn observe(&mut self, result: &CheckResult, thresholds: &Thresholds) -> Option<Transition> {
        let target = classify(result, thresholds);
        if target == self.state {
            self.run = None;
            return None;
        }
        let run = match self.run.take() {
            Some((state, length, started, detail)) if state == target => {
                (state, length + 1, started, detail)
            }
            _ => (target, 1, result.at_ms, result.detail.clone()),
        };
        let needed = if matches!(self.state, HealthState::Unknown | HealthState::NoData) {
            1
        } else if target.severity() > self.state.severity() {
            thresholds.worse_after.max(1)
        } else {
            thresholds.better_after.max(1)
        };
        if run.1 >= needed {
            let transition = Transition {
                from: self.state,
                to: target,
                at_ms: result.at_ms,
                run_started_ms: run.2,
                detail: run.3,
            };
            self.state = target;
            self.since_ms = Some(result.at_ms);
            Some(transition)
        } else {
            self.run = Some(run);
            None
        }
    }

    /// Shipshape stops polling (shutdown): the endpoint has no data until
    /// the next result.
    pub fn pause(&mut self, at_ms: i64) -> Option<Transition> {
        if self.state == HealthState::NoData {
            return None;
        }
        let transition = Transition {
            from: self.state,
            to: HealthState::NoData,
            at_ms,
            run_started_ms: at_ms,
            detail: None,
        };
        self.state = HealthState::NoData;
        self.since_ms = Some(at_ms);
        self.run = None;
        Some(transition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transition(from: HealthState, to: HealthState) -> Transition {
        Transition {
            from,
            to,
            at_ms: 50_000,
            run_started_ms: 20_000,
            detail: None,
        }
    }

    #[test]
    fn incidents_open_on_going_down_from_the_run_start_and_close_on_leaving_down() {
        use HealthState::{Degraded, Down, Unknown, Up};
        assert_eq!(
            transition(Up, Down).incident_change(),
            IncidentChange {
                close_open_one: false,
                open_from_ms: Some(20_000)
            }
        );
        assert_eq!(
            transition(Down, Up).incident_change(),
            IncidentChange {
                close_open_one: true,
                open_from_ms: None
            }
        );
        assert!(transition(Down, Unknown).incident_change().close_open_one);
        assert_eq!(
            transition(Up, Degraded).incident_change(),
            IncidentChange::default()
        );
    }

    fn result(at_ms: i64, verdict: Option<Verdict>, latency_ms: u64) -> CheckResult {
        CheckResult {
            at_ms,
            verdict,
            latency: Duration::from_millis(latency_ms),
            detail: verdict
                .is_none_or(|v| v != Verdict::Pass)
                .then(|| format!("failure at {at_ms}")),
        }
    }

    fn feed(
        tracker: &mut Tracker,
        thresholds: &Thresholds,
        results: &[CheckResult],
    ) -> Vec<Transition> {
        results
            .iter()
            .filter_map(|r| tracker.observe(r, thresholds))
            .collect()
    }

    const PASS: Option<Verdict> = Some(Verdict::Pass);
    const FAIL: Option<Verdict> = Some(Verdict::Fail);

    #[test]
    fn the_first_result_decides_then_three_failures_in_a_row_go_down() {
        let t = Thresholds::default();
        let mut tracker = Tracker::default();
        let first = feed(&mut tracker, &t, &[result(0, PASS, 10)]);
        assert_eq!(first.len(), 1);
        assert_eq!(
            (first[0].from, first[0].to),
            (HealthState::Unknown, HealthState::Up)
        );

        let down = feed(
            &mut tracker,
            &t,
            &[
                result(30, FAIL, 10),
                result(60, None, 10_000),
                result(90, FAIL, 10),
            ],
        );
        assert_eq!(down.len(), 1, "down after the third failure, not before");
        let down = &down[0];
        assert_eq!(
            (down.to, down.at_ms, down.run_started_ms),
            (HealthState::Down, 90, 30)
        );
        assert_eq!(
            down.detail.as_deref(),
            Some("failure at 30"),
            "the first failing detail"
        );
        assert_eq!(tracker.since_ms, Some(90));
    }

    #[test]
    fn one_blip_does_not_flap_and_recovery_needs_two_successes() {
        let t = Thresholds::default();
        let mut tracker = Tracker::resume(HealthState::Up, 0);
        let blips = feed(
            &mut tracker,
            &t,
            &[
                result(1, FAIL, 5),
                result(2, FAIL, 5),
                result(3, PASS, 5),
                result(4, FAIL, 5),
                result(5, PASS, 5),
            ],
        );
        assert!(blips.is_empty(), "{blips:?}");
        assert_eq!(tracker.state, HealthState::Up);

        let mut down = Tracker::resume(HealthState::Down, 0);
        assert!(down.observe(&result(1, PASS, 5), &t).is_none());
        assert!(
            down.observe(&result(2, FAIL, 5), &t).is_none(),
            "a failure resets the run"
        );
        assert!(down.observe(&result(3, PASS, 5), &t).is_none());
        let up = down
            .observe(&result(4, PASS, 5), &t)
            .expect("up after two successes");
        assert_eq!(
            (up.from, up.to, up.run_started_ms),
            (HealthState::Down, HealthState::Up, 3)
        );
    }

    #[test]
    fn warnings_and_slow_answers_are_degraded() {
        let t = Thresholds {
            worse_after: 2,
            better_after: 1,
            slow_after: Some(Duration::from_millis(500)),
        };
        assert_eq!(classify(&result(0, PASS, 501), &t), HealthState::Degraded);
        assert_eq!(classify(&result(0, PASS, 500), &t), HealthState::Up);
        assert_eq!(
            classify(&result(0, Some(Verdict::Warn), 5), &t),
            HealthState::Degraded
        );
        assert_eq!(
            classify(&result(0, Some(Verdict::Unknown), 5), &t),
            HealthState::Unknown
        );
        let mut tracker = Tracker::resume(HealthState::Up, 0);
        let changes = feed(
            &mut tracker,
            &t,
            &[
                result(1, PASS, 900),
                result(2, PASS, 900),
                result(3, PASS, 20),
            ],
        );
        let states: Vec<(HealthState, HealthState)> =
            changes.iter().map(|c| (c.from, c.to)).collect();
        assert_eq!(
            states,
            [
                (HealthState::Up, HealthState::Degraded),
                (HealthState::Degraded, HealthState::Up)
            ]
        );
    }

    #[test]
    fn pausing_marks_no_data_and_the_next_result_decides_at_once() {
        let t = Thresholds::default();
        let mut tracker = Tracker::resume(HealthState::Up, 0);
        let paused = tracker.pause(100).expect("a transition to no-data");
        assert_eq!(paused.to, HealthState::NoData);
        assert!(tracker.pause(200).is_none());
        let back = tracker
            .observe(&result(300, FAIL, 5), &t)
            .expect("decides at once");
        assert_eq!(
            (back.from, back.to),
            (HealthState::NoData, HealthState::Down)
        );
    }

    #[test]
    fn state_names_round_trip() {
        for state in [
            HealthState::NoData,
            HealthState::Unknown,
            HealthState::Up,
            HealthState::Degraded,
            HealthState::Down,
        ] {
            assert_eq!(HealthState::parse(state.name()), Some(state));
        }
        assert_eq!(HealthState::parse("sideways"), None);
    }
}
