//! When each endpoint is checked. Pure. Endpoints are spread over their
//! interval by a stable offset, so a thousand endpoints with the same
//! interval do not fire in the same second, and a restart keeps the spread.

/// The first time to check an endpoint at or after `now_ms`: the next
/// instant whose position in the interval is the endpoint's own offset.
pub fn first_due(endpoint_id: i64, interval_ms: i64, now_ms: i64) -> i64 {
    let interval = interval_ms.max(1);
    let offset = spread(endpoint_id).rem_euclid(interval);
    let base = now_ms.div_euclid(interval) * interval + offset;
    if base >= now_ms {
        base
    } else {
        base + interval
    }
}

/// The check after one due at `due_ms`. A check that could not start on
/// time (the machine was busy or asleep) is not repeated to catch up: the
/// next one keeps the endpoint's offset.
pub fn next_due(due_ms: i64, interval_ms: i64, now_ms: i64) -> i64 {
    let interval = interval_ms.max(1);
    let next = due_ms + interval;
    if next > now_ms {
        next
    } else {
        next + (now_ms - next).div_euclid(interval) * interval + interval
    }
}

/// A well-mixed number from an id (SplitMix64's finaliser), so that
/// consecutive ids land far apart in the interval.
fn spread(id: i64) -> i64 {
    let mut z = (id as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_endpoints_spread_over_their_interval() {
        let interval = 30_000;
        let now = 1_795_424_000_123;
        let mut per_second = [0u32; 30];
        for id in 1..=1_000 {
            let due = first_due(id, interval, now);
            assert!(due >= now && due < now + interval);
            per_second[((due - now) / 1_000) as usize] += 1;
        }
        let busiest = per_second.iter().max().copied().unwrap_or(0);
        assert!(
            busiest < 60,
            "at most about twice the even share in any second: {per_second:?}"
        );
        assert!(per_second.iter().all(|n| *n > 0), "{per_second:?}");
    }

    #[test]
    fn the_offset_survives_a_restart_and_missed_checks_are_not_repeated() {
        let a = first_due(42, 30_000, 1_000_000);
        let b = first_due(42, 30_000, 1_000_000 + 7 * 30_000 + 5);
        assert_eq!((b - a) % 30_000, 0, "same position in the interval");
        assert_eq!(next_due(100_000, 30_000, 100_010), 130_000);
        // Asleep for 95 s: the next check is the next slot, not three catch-ups.
        assert_eq!(next_due(100_000, 30_000, 195_000), 220_000);
        assert_eq!(next_due(100_000, 30_000, 130_000), 160_000);
    }
}
