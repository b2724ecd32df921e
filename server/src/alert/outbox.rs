//! The delivery rules of the outbox, pure: which pending deliveries go out
//! together, when a failed one is tried again, and when a target that
//! keeps failing is left alone for a while (its circuit breaker).

use std::collections::BTreeMap;

/// A delivery waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: i64,
    /// `channel:NAME` or `subscription:ID`.
    pub target: String,
    /// The team, for alerts: one message per team and channel.
    pub group_key: String,
    pub event_id: i64,
    pub created_ms: i64,
    pub next_attempt_ms: i64,
    pub attempts: i64,
}

/// Deliveries that go out in one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub target: String,
    pub group_key: String,
    pub deliveries: Vec<Pending>,
}

/// The rule of the alert a failing channel raises.
pub const CHANNEL_FAILING_RULE: &str = "alert-channel-failing";

/// The channels (`channel:NAME` targets) that fail: their last attempts
/// failed and their oldest waiting message has waited `failing_after` or
/// longer. With when that message was queued. Pure.
pub fn failing_channels(
    targets: &BTreeMap<String, crate::alert::records::TargetState>,
    oldest_waiting: &BTreeMap<String, i64>,
    failing_after_ms: i64,
    now_ms: i64,
) -> Vec<(String, i64)> {
    oldest_waiting
        .iter()
        .filter(|(target, _)| target.starts_with("channel:"))
        .filter(|(target, since)| {
            now_ms - **since >= failing_after_ms
                && targets
                    .get(*target)
                    .is_some_and(|state| state.consecutive_failures > 0)
        })
        .map(|(target, since)| (target.clone(), *since))
        .collect()
}

/// At most this many events in one message.
pub const MAX_BATCH: usize = 100;

/// The batches due at `now_ms`. Deliveries of one target and group wait
/// until the oldest is `group_wait_ms(target)` old, so that alerts firing
/// together (a fleet-wide outage) go out as one message; a retry goes as
/// soon as it is due. Targets whose breaker is open (`open_until` later
/// than now) are skipped.
pub fn due_batches(
    pending: &[Pending],
    group_wait_ms: impl Fn(&str) -> i64,
    open_until: &BTreeMap<String, i64>,
    now_ms: i64,
) -> Vec<Batch> {
    let mut groups: BTreeMap<(&str, &str), Vec<&Pending>> = BTreeMap::new();
    for delivery in pending {
        groups
            .entry((&delivery.target, &delivery.group_key))
            .or_default()
            .push(delivery);
    }
    let mut batches = Vec::new();
    for ((target, group_key), mut deliveries) in groups {
        if open_until.get(target).is_some_and(|until| *until > now_ms) {
            continue;
        }
        // In the order they were queued: a resolution after its firing.
        deliveries.sort_by_key(|d| d.id);
        let retrying = deliveries.iter().any(|d| d.attempts > 0);
        let oldest = deliveries
            .iter()
            .map(|d| d.created_ms)
            .min()
            .unwrap_or(now_ms);
        let grouped_long_enough = now_ms - oldest >= group_wait_ms(target);
        let all_due = deliveries.iter().all(|d| d.next_attempt_ms <= now_ms);
        if !(all_due && (retrying || grouped_long_enough)) {
            continue;
        }
        for chunk in deliveries.chunks(MAX_BATCH) {
            batches.push(Batch {
                target: target.to_string(),
                group_key: group_key.to_string(),
                deliveries: chunk.iter().map(|d| (*d).clone()).collect(),
            });
        }
    }
    batches
}

const FIRST_RETRY_MS: i64 = 5_000;
const LONGEST_RETRY_MS: i64 = 15 * 60_000;

/// When to try again after the `attempts`-th failed attempt: exponential
/// (5 s, 10 s, 20 s, ... up to 15 min), with "equal jitter": half the delay
/// is fixed and half random (`random` in 0..1), so that receivers coming
/// back are not hit by every sender at once.
pub fn retry_delay_ms(attempts: i64, random: f64) -> i64 {
    let exponent = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
    let delay = FIRST_RETRY_MS
        .saturating_mul(1_i64 << exponent)
        .min(LONGEST_RETRY_MS);
    let half = delay / 2;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a fraction of a delay under 15 minutes"
    )]
    let jitter = (half as f64 * random.clamp(0.0, 1.0)) as i64;
    half + jitter
}

/// Failures in a row that open a target's breaker.
pub const BREAKER_THRESHOLD: i64 = 5;
const BREAKER_FIRST_OPEN_MS: i64 = 30_000;
const BREAKER_LONGEST_OPEN_MS: i64 = 10 * 60_000;

/// After `consecutive_failures`, how long the target is left alone (no
/// attempts at all); `None` while the breaker stays closed. Each further
/// failure (the one trial let through when it half-opens) doubles the
/// wait, up to 10 minutes.
pub fn breaker_open_for_ms(consecutive_failures: i64) -> Option<i64> {
    if consecutive_failures < BREAKER_THRESHOLD {
        return None;
    }
    let exponent =
        u32::try_from((consecutive_failures - BREAKER_THRESHOLD).clamp(0, 10)).unwrap_or(10);
    Some(
        BREAKER_FIRST_OPEN_MS
            .saturating_mul(1_i64 << exponent)
            .min(BREAKER_LONGEST_OPEN_MS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_fails_when_its_attempts_fail_and_a_message_waits_too_long() {
        use crate::alert::records::TargetState;
        let state = |target: &str, failures: i64| TargetState {
            target: target.to_string(),
            consecutive_failures: failures,
            open_until_ms: None,
            last_attempt_ms: None,
            last_success_ms: None,
            last_failure_ms: None,
            last_error: None,
            delivered: 0,
            failed: failures,
            pending: 1,
        };
        let targets = BTreeMap::from([
            ("channel:ops".to_string(), state("channel:ops", 4)),
            ("channel:mail".to_string(), state("channel:mail", 0)),
            ("channel:new".to_string(), state("channel:new", 1)),
            ("subscription:3".to_string(), state("subscription:3", 9)),
        ]);
        let waiting = BTreeMap::from([
            ("channel:ops".to_string(), 0),
            // Waiting long, but its last attempt went through: a backlog.
            ("channel:mail".to_string(), 0),
            // Failing, but not for long yet.
            ("channel:new".to_string(), 800_000),
            // Subscribers are the reader's own business.
            ("subscription:3".to_string(), 0),
        ]);
        assert_eq!(
            failing_channels(&targets, &waiting, 900_000, 1_000_000),
            [("channel:ops".to_string(), 0)]
        );
    }

    const NOW: i64 = 1_800_000_000_000;

    fn pending(id: i64, target: &str, team: &str, created: i64) -> Pending {
        Pending {
            id,
            target: target.into(),
            group_key: team.into(),
            event_id: id * 10,
            created_ms: created,
            next_attempt_ms: created,
            attempts: 0,
        }
    }

    #[test]
    fn alerts_of_one_team_wait_for_each_other_and_go_as_one_message() {
        // A fleet-wide outage: five services of two teams fire within 3 s.
        let outage = [
            pending(1, "channel:ops", "payments", NOW),
            pending(2, "channel:ops", "payments", NOW + 1000),
            pending(3, "channel:ops", "search", NOW + 1000),
            pending(4, "channel:ops", "payments", NOW + 2000),
            pending(5, "channel:ops", "search", NOW + 3000),
        ];
        let none = BTreeMap::new();
        assert!(due_batches(&outage, |_| 10_000, &none, NOW + 5_000).is_empty());
        let batches = due_batches(&outage, |_| 10_000, &none, NOW + 11_000);
        assert_eq!(batches.len(), 2, "one message per team");
        assert_eq!(batches[0].group_key, "payments");
        assert_eq!(
            batches[0]
                .deliveries
                .iter()
                .map(|d| d.id)
                .collect::<Vec<_>>(),
            [1, 2, 4]
        );
        assert_eq!(batches[1].deliveries.len(), 2);
    }

    #[test]
    fn retries_go_when_due_and_open_breakers_are_skipped() {
        let mut retry = pending(1, "channel:ops", "payments", NOW);
        retry.attempts = 2;
        retry.next_attempt_ms = NOW + 20_000;
        let none = BTreeMap::new();
        assert!(due_batches(std::slice::from_ref(&retry), |_| 0, &none, NOW + 19_999).is_empty());
        assert_eq!(
            due_batches(std::slice::from_ref(&retry), |_| 0, &none, NOW + 20_000).len(),
            1
        );
        let open = BTreeMap::from([("channel:ops".to_string(), NOW + 60_000)]);
        assert!(due_batches(&[retry], |_| 0, &open, NOW + 30_000).is_empty());
    }

    #[test]
    fn big_groups_are_split() {
        let many: Vec<Pending> = (1..=250)
            .map(|i| pending(i, "subscription:1", "", NOW))
            .collect();
        let batches = due_batches(&many, |_| 0, &BTreeMap::new(), NOW);
        assert_eq!(
            batches
                .iter()
                .map(|b| b.deliveries.len())
                .collect::<Vec<_>>(),
            [100, 100, 50]
        );
    }

    #[test]
    fn retry_delays_grow_with_jitter_and_stop_growing() {
        assert_eq!(retry_delay_ms(1, 0.0), 2_500);
        assert_eq!(retry_delay_ms(1, 1.0), 5_000);
        assert_eq!(retry_delay_ms(2, 0.0), 5_000);
        assert_eq!(retry_delay_ms(4, 0.5), 30_000);
        assert_eq!(retry_delay_ms(30, 1.0), 15 * 60_000);
        let spread: std::collections::BTreeSet<i64> = [0.1, 0.4, 0.9]
            .iter()
            .map(|r| retry_delay_ms(3, *r))
            .collect();
        assert_eq!(spread.len(), 3, "jitter spreads retries");
    }

    #[test]
    fn the_breaker_opens_after_five_failures_and_backs_off() {
        assert_eq!(breaker_open_for_ms(4), None);
        assert_eq!(breaker_open_for_ms(5), Some(30_000));
        assert_eq!(breaker_open_for_ms(6), Some(60_000));
        assert_eq!(breaker_open_for_ms(50), Some(10 * 60_000));
    }
}
