//! Check results rolled up per minute, hour and day, and the uptime and
//! latency figures read from them. Pure. Latencies go into a fixed
//! histogram so that rollups merge exactly (percentiles of percentiles
//! would not) and each rollup row has the same small size.

use super::state::HealthState;

/// Upper bounds of the latency bins, in milliseconds; the last bin is open.
pub const LATENCY_BOUNDS_MS: [u64; 18] = [
    5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500,
    10_000,
];

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// How long each resolution is kept. Storage per endpoint is bounded:
/// at a 30 s interval, 5,760 raw rows, 20,160 minutes, 2,880 hours and
/// 400 days at most, whatever the age of the install.
pub struct Retention {
    pub raw_ms: i64,
    pub minutes_ms: i64,
    pub hours_ms: i64,
    pub days_ms: i64,
}

pub const RETENTION: Retention = Retention {
    raw_ms: 2 * DAY_MS,
    minutes_ms: 14 * DAY_MS,
    hours_ms: 120 * DAY_MS,
    days_ms: 400 * DAY_MS,
};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// One count per bound, plus the open bin above the last.
    pub bins: [u64; LATENCY_BOUNDS_MS.len() + 1],
    pub max_ms: u64,
}

impl LatencyHistogram {
    pub fn add(&mut self, ms: u64) {
        let bin = LATENCY_BOUNDS_MS.partition_point(|bound| *bound < ms);
        self.bins[bin] += 1;
        self.max_ms = self.max_ms.max(ms);
    }

    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.bins.iter_mut().zip(other.bins.iter()) {
            *mine += theirs;
        }
        self.max_ms = self.max_ms.max(other.max_ms);
    }

    pub fn count(&self) -> u64 {
        self.bins.iter().sum()
    }

    /// The `q` quantile (0 < q ≤ 1), as the upper bound of the bin that
    /// holds it (never above the slowest answer seen); `None` when empty.
    pub fn percentile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (bin, count) in self.bins.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let bound = LATENCY_BOUNDS_MS.get(bin).copied().unwrap_or(self.max_ms);
                return Some(bound.min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub unknown: u64,
    pub no_data: u64,
}

impl StateCounts {
    pub fn add(&mut self, state: HealthState, n: u64) {
        match state {
            HealthState::Up => self.up += n,
            HealthState::Degraded => self.degraded += n,
            HealthState::Down => self.down += n,
            HealthState::Unknown => self.unknown += n,
            HealthState::NoData => self.no_data += n,
        }
    }

    pub fn merge(&mut self, other: &StateCounts) {
        self.up += other.up;
        self.degraded += other.degraded;
        self.down += other.down;
        self.unknown += other.unknown;
        self.no_data += other.no_data;
    }

    /// The share of conclusive checks that found the service working
    /// (degraded counts as working). Unknown and no-data are left out:
    /// Shipshape's own downtime is never the service's.
    pub fn uptime(&self) -> Option<f64> {
        let conclusive = self.up + self.degraded + self.down;
        (conclusive > 0).then(|| (self.up + self.degraded) as f64 / conclusive as f64)
    }
}

/// One rollup row: every check of an endpoint in `[start_ms, start_ms + width_ms)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub start_ms: i64,
    pub width_ms: i64,
    pub counts: StateCounts,
    pub latency: LatencyHistogram,
}

/// One raw result as rollups need it: when, what state the check alone
/// pointed to, and how long it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at_ms: i64,
    pub state: HealthState,
    pub latency_ms: u64,
}

/// Counts one sample; no-data has no latency to count.
pub fn tally(counts: &mut StateCounts, latency: &mut LatencyHistogram, sample: &Sample) {
    counts.add(sample.state, 1);
    if sample.state != HealthState::NoData {
        latency.add(sample.latency_ms);
    }
}

/// Rolls samples up into buckets of `width_ms`, oldest first.
pub fn roll_up(samples: &[Sample], width_ms: i64) -> Vec<Bucket> {
    let mut buckets: std::collections::BTreeMap<i64, Bucket> = std::collections::BTreeMap::new();
    for sample in samples {
        let start = sample.at_ms.div_euclid(width_ms) * width_ms;
        let bucket = buckets.entry(start).or_insert_with(|| Bucket {
            start_ms: start,
            width_ms,
            counts: StateCounts::default(),
            latency: LatencyHistogram::default(),
        });
        tally(&mut bucket.counts, &mut bucket.latency, sample);
    }
    buckets.into_values().collect()
}

/// Merges finer buckets into coarser ones (minutes into hours, hours into
/// days); `width_ms` must be a multiple of theirs.
pub fn coarsen(buckets: &[Bucket], width_ms: i64) -> Vec<Bucket> {
    let mut merged: std::collections::BTreeMap<i64, Bucket> = std::collections::BTreeMap::new();
    for bucket in buckets {
        let start = bucket.start_ms.div_euclid(width_ms) * width_ms;
        let target = merged.entry(start).or_insert_with(|| Bucket {
            start_ms: start,
            width_ms,
            counts: StateCounts::default(),
            latency: LatencyHistogram::default(),
        });
        target.counts.merge(&bucket.counts);
        target.latency.merge(&bucket.latency);
    }
    merged.into_values().collect()
}

/// Totals of the buckets that start in `[from_ms, to_ms)`.
pub fn summarise(buckets: &[Bucket], from_ms: i64, to_ms: i64) -> (StateCounts, LatencyHistogram) {
    let mut counts = StateCounts::default();
    let mut latency = LatencyHistogram::default();
    for bucket in buckets
        .iter()
        .filter(|b| b.start_ms >= from_ms && b.start_ms < to_ms)
    {
        counts.merge(&bucket.counts);
        latency.merge(&bucket.latency);
    }
    (counts, latency)
}

/// A stretch of time and where to read it: rollups of a width, or the raw
/// checks (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub width_ms: Option<i64>,
    pub from_ms: i64,
    pub until_ms: i64,
}

/// Covers `[from_ms, until_ms)` with the coarsest rollups that fit whole
/// inside it, finer ones at the edges, and raw checks last. `levels` are
/// `(width, rolled up until)`, coarsest first. Segments never overlap, so
/// every check is counted once.
pub fn cover(from_ms: i64, until_ms: i64, levels: &[(i64, i64)]) -> Vec<Segment> {
    fn go(from: i64, until: i64, levels: &[(i64, i64)], out: &mut Vec<Segment>) {
        if from >= until {
            return;
        }
        let Some(((width, mark), finer)) = levels.split_first() else {
            out.push(Segment {
                width_ms: None,
                from_ms: from,
                until_ms: until,
            });
            return;
        };
        let start = from.div_euclid(*width) * width
            + if from.rem_euclid(*width) == 0 {
                0
            } else {
                *width
            };
        let end = until.min(*mark).div_euclid(*width) * width;
        if end > start {
            go(from, start, finer, out);
            out.push(Segment {
                width_ms: Some(*width),
                from_ms: start,
                until_ms: end,
            });
            go(end, until, finer, out);
        } else {
            go(from, until, finer, out);
        }
    }
    let mut out = Vec::new();
    go(from_ms, until_ms, levels, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: i64, state: HealthState, latency_ms: u64) -> Sample {
        Sample {
            at_ms,
            state,
            latency_ms,
        }
    }

    #[test]
    fn percentiles_come_from_the_bins_and_never_exceed_the_slowest_answer() {
        let mut histogram = LatencyHistogram::default();
        assert_eq!(histogram.percentile(0.5), None);
        // 100 answers: 90 at 20 ms, 9 at 180 ms, 1 at 4,200 ms.
        for _ in 0..90 {
            histogram.add(20);
        }
        for _ in 0..9 {
            histogram.add(180);
        }
        histogram.add(4_200);
        assert_eq!(histogram.count(), 100);
        assert_eq!(histogram.percentile(0.50), Some(25));
        assert_eq!(histogram.percentile(0.95), Some(200));
        assert_eq!(histogram.percentile(0.99), Some(200));
        assert_eq!(
            histogram.percentile(1.0),
            Some(4_200),
            "capped at the max seen"
        );
        let mut slow = LatencyHistogram::default();
        slow.add(60_000);
        assert_eq!(
            slow.percentile(0.99),
            Some(60_000),
            "the open bin answers the max"
        );
    }

    #[test]
    fn uptime_leaves_out_unknown_and_no_data_and_counts_degraded_as_up() {
        let mut counts = StateCounts::default();
        assert_eq!(counts.uptime(), None);
        counts.add(HealthState::Up, 2_870);
        counts.add(HealthState::Degraded, 10);
        counts.add(HealthState::Down, 0);
        counts.add(HealthState::NoData, 500);
        counts.add(HealthState::Unknown, 3);
        assert_eq!(counts.uptime(), Some(1.0));
        counts.add(HealthState::Down, 8);
        // 2,880 working of 2,888 conclusive.
        let uptime = counts.uptime().expect("uptime");
        assert!((uptime - 2_880.0 / 2_888.0).abs() < 1e-12, "{uptime}");
    }

    #[test]
    fn a_day_rolled_up_by_minute_then_coarsened_matches_the_raw_totals() {
        // Every 30 s for a day; down from 10:00 to 10:15, slow at noon.
        let day_start = 1_795_392_000_000; // 2026-11-23T00:00Z
        let samples: Vec<Sample> = (0..2_880)
            .map(|i| {
                let at = day_start + i * 30_000;
                let minute_of_day = (i / 2) as u64;
                let state = if (600..615).contains(&minute_of_day) {
                    HealthState::Down
                } else {
                    HealthState::Up
                };
                let latency = if minute_of_day == 720 { 2_500 } else { 40 };
                sample(at, state, latency)
            })
            .collect();
        let minutes = roll_up(&samples, MINUTE_MS);
        assert_eq!(minutes.len(), 1_440);
        assert_eq!(minutes[600].counts.down, 2);
        let hours = coarsen(&minutes, HOUR_MS);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[10].counts.down, 30);
        assert_eq!(hours[10].counts.up, 90);
        let days = coarsen(&hours, DAY_MS);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].start_ms, day_start);
        assert_eq!(days[0].counts.down, 30);
        assert_eq!(days[0].counts.up, 2_850);
        let (counts, latency) = summarise(&days, day_start, day_start + DAY_MS);
        assert!((counts.uptime().expect("uptime") - 2_850.0 / 2_880.0).abs() < 1e-12);
        assert_eq!(latency.count(), 2_880);
        assert_eq!(latency.percentile(0.5), Some(50));
        assert_eq!(latency.percentile(0.9995), Some(2_500));
        assert_eq!(days, roll_up(&samples, DAY_MS), "coarsening is exact");
    }

    #[test]
    fn no_data_is_counted_but_has_no_latency() {
        let buckets = roll_up(
            &[
                sample(0, HealthState::NoData, 0),
                sample(1, HealthState::Up, 30),
            ],
            MINUTE_MS,
        );
        assert_eq!(buckets[0].counts.no_data, 1);
        assert_eq!(buckets[0].latency.count(), 1);
    }

    #[test]
    fn a_window_is_covered_by_whole_rollups_with_finer_data_at_its_edges() {
        let levels = [
            (DAY_MS, 3 * DAY_MS),
            (HOUR_MS, 3 * DAY_MS),
            (MINUTE_MS, 3 * DAY_MS + 50 * MINUTE_MS),
        ];
        // An hour inside day 2: the hour rollup, not the day it sits in.
        assert_eq!(
            cover(DAY_MS + 5 * HOUR_MS, DAY_MS + 6 * HOUR_MS, &levels),
            [Segment {
                width_ms: Some(HOUR_MS),
                from_ms: DAY_MS + 5 * HOUR_MS,
                until_ms: DAY_MS + 6 * HOUR_MS
            }]
        );
        // From 23:30 on day 0 to now (past every mark).
        let now = 3 * DAY_MS + 52 * MINUTE_MS + 10_000;
        let segments = cover(DAY_MS - 30 * MINUTE_MS, now, &levels);
        assert_eq!(
            segments,
            [
                Segment {
                    width_ms: Some(MINUTE_MS),
                    from_ms: DAY_MS - 30 * MINUTE_MS,
                    until_ms: DAY_MS
                },
                Segment {
                    width_ms: Some(DAY_MS),
                    from_ms: DAY_MS,
                    until_ms: 3 * DAY_MS
                },
                Segment {
                    width_ms: Some(MINUTE_MS),
                    from_ms: 3 * DAY_MS,
                    until_ms: 3 * DAY_MS + 50 * MINUTE_MS
                },
                Segment {
                    width_ms: None,
                    from_ms: 3 * DAY_MS + 50 * MINUTE_MS,
                    until_ms: now
                },
            ]
        );
        let total: i64 = segments.iter().map(|s| s.until_ms - s.from_ms).sum();
        assert_eq!(total, now - (DAY_MS - 30 * MINUTE_MS), "no gap, no overlap");
        assert_eq!(cover(5, 5, &levels), []);
    }
}
