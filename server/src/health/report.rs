//! Stored health turned into what pages and the API show: levels, series
//! with a slot for every stretch of time (empty ones included, so charts
//! show gaps), day cells and groupings. Pure; `service` does the reading.

use std::collections::BTreeMap;

use shipshape_types::health::{ComponentView, DayCell, HealthLevel, LatencyPoint};

use super::rollup::{Bucket, LatencyHistogram, Sample, StateCounts, roll_up};
use super::state::HealthState;

/// A service's level from its endpoints' stored states (never checked is
/// no data), with the time the worst of them entered it.
pub fn service_level(
    endpoints: impl IntoIterator<Item = Option<(HealthState, i64)>>,
) -> Option<(HealthLevel, Option<i64>)> {
    let levels: Vec<(HealthLevel, Option<i64>)> = endpoints
        .into_iter()
        .map(|state| match state {
            Some((state, since)) => (state.into(), Some(since)),
            None => (HealthLevel::NoData, None),
        })
        .collect();
    let worst = HealthLevel::worst(levels.iter().map(|(level, _)| *level))?;
    // Of the endpoints in the worst level, the one that has been there longest.
    let since = levels
        .iter()
        .filter(|(level, _)| *level == worst)
        .filter_map(|(_, since)| *since)
        .min();
    Some((worst, since))
}

/// Samples rolled into `count` slots of `width_ms` from `from_ms`, each
/// slot's histogram (empty where there was no check).
fn latency_slots(
    samples: &[Sample],
    from_ms: i64,
    width_ms: i64,
    count: usize,
) -> Vec<LatencyHistogram> {
    let mut slots = vec![LatencyHistogram::default(); count];
    for bucket in roll_up(samples, width_ms) {
        let offset = bucket.start_ms - from_ms.div_euclid(width_ms) * width_ms;
        if offset < 0 {
            continue;
        }
        if let Some(slot) = usize::try_from(offset / width_ms)
            .ok()
            .and_then(|i| slots.get_mut(i))
        {
            slot.merge(&bucket.latency);
        }
    }
    slots
}

/// The median latency of each slot, for the Overview's sparkline.
pub fn sparkline(
    samples: &[Sample],
    from_ms: i64,
    width_ms: i64,
    count: usize,
) -> Vec<Option<u64>> {
    latency_slots(samples, from_ms, width_ms, count)
        .iter()
        .map(|h| h.percentile(0.5))
        .collect()
}

/// p50, p95 and p99 of each slot, for the service page's latency chart.
pub fn latency_points(
    samples: &[Sample],
    from_ms: i64,
    width_ms: i64,
    count: usize,
) -> Vec<LatencyPoint> {
    let first = from_ms.div_euclid(width_ms) * width_ms;
    latency_slots(samples, from_ms, width_ms, count)
        .iter()
        .enumerate()
        .map(|(i, h)| LatencyPoint {
            start_ms: first + i as i64 * width_ms,
            p50_ms: h.percentile(0.5),
            p95_ms: h.percentile(0.95),
            p99_ms: h.percentile(0.99),
        })
        .collect()
}

pub fn day_cell(start_ms: i64, counts: &StateCounts) -> DayCell {
    DayCell {
        start_ms,
        uptime: counts.uptime(),
        down_checks: counts.down,
        checks: counts.up + counts.degraded + counts.down + counts.unknown,
    }
}

/// One cell per day from `first_day_ms` to the day of `now_ms`, counting
/// every bucket (of any width up to a day) by the day it starts in.
pub fn day_cells(buckets: &[Bucket], first_day_ms: i64, days: usize) -> Vec<DayCell> {
    use super::rollup::DAY_MS;
    let mut counts = vec![StateCounts::default(); days];
    for bucket in buckets {
        let offset = bucket.start_ms - first_day_ms;
        if offset < 0 {
            continue;
        }
        if let Some(slot) = usize::try_from(offset / DAY_MS)
            .ok()
            .and_then(|i| counts.get_mut(i))
        {
            slot.merge(&bucket.counts);
        }
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| day_cell(first_day_ms + i as i64 * DAY_MS, c))
        .collect()
}

/// Component results as stored (`[{"name","verdict","detail"}]`); a
/// column that cannot be read shows as no components.
pub fn components(json: Option<&str>) -> Vec<ComponentView> {
    let Some(json) = json else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            Some(ComponentView {
                name: item.get("name")?.as_str()?.to_string(),
                verdict: item.get("verdict")?.as_str()?.to_string(),
                detail: item
                    .get("detail")
                    .and_then(|d| d.as_str())
                    .filter(|d| !d.is_empty())
                    .map(str::to_string),
            })
        })
        .collect()
}

/// Groups items under names (a service under each of its tags when grouped
/// by tag), groups and members sorted by name; items without any name
/// go under `fallback`.
pub fn group_by<T: Clone>(
    items: &[T],
    names_of: impl Fn(&T) -> Vec<String>,
    name_of_item: impl Fn(&T) -> &str,
    fallback: &str,
) -> Vec<(String, Vec<T>)> {
    let mut groups: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for item in items {
        let mut names = names_of(item);
        if names.is_empty() {
            names.push(fallback.to_string());
        }
        for name in names {
            groups.entry(name).or_default().push(item.clone());
        }
    }
    groups
        .into_iter()
        .map(|(name, mut members)| {
            members.sort_by(|a, b| name_of_item(a).cmp(name_of_item(b)));
            (name, members)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::rollup::{DAY_MS, HOUR_MS, MINUTE_MS};

    fn sample(at_ms: i64, state: HealthState, latency_ms: u64) -> Sample {
        Sample {
            at_ms,
            state,
            latency_ms,
        }
    }

    #[test]
    fn a_service_is_as_healthy_as_its_worst_endpoint_and_since_it_got_there() {
        use HealthState::*;
        assert_eq!(
            service_level([Some((Up, 100)), Some((Down, 500)), Some((Down, 300))]),
            Some((HealthLevel::Down, Some(300)))
        );
        assert_eq!(
            service_level([None, Some((Up, 100))]),
            Some((HealthLevel::Up, Some(100)))
        );
        assert_eq!(service_level([None]), Some((HealthLevel::NoData, None)));
        assert_eq!(service_level([]), None);
    }

    #[test]
    fn sparkline_has_a_slot_per_minute_and_gaps_where_nothing_was_checked() {
        let from = 10 * MINUTE_MS + 30_000; // slots start on whole minutes
        let samples = [
            sample(10 * MINUTE_MS + 40_000, HealthState::Up, 20),
            sample(10 * MINUTE_MS + 50_000, HealthState::Up, 40),
            sample(10 * MINUTE_MS + 55_000, HealthState::Up, 90),
            sample(12 * MINUTE_MS + 1_000, HealthState::Down, 400),
            // No-data has no latency.
            sample(13 * MINUTE_MS, HealthState::NoData, 0),
        ];
        assert_eq!(
            sparkline(&samples, from, MINUTE_MS, 4),
            vec![Some(50), None, Some(400), None]
        );
    }

    #[test]
    fn latency_points_start_on_their_slot_and_carry_three_percentiles() {
        let mut samples: Vec<Sample> = (0..100)
            .map(|i| sample(i * 1000, HealthState::Up, 8))
            .collect();
        samples.push(sample(99_500, HealthState::Up, 2_600));
        let points = latency_points(&samples, 0, 15 * MINUTE_MS, 2);
        assert_eq!(points[0].start_ms, 0);
        assert_eq!(points[1].start_ms, 15 * MINUTE_MS);
        assert_eq!(
            (points[0].p50_ms, points[0].p95_ms, points[0].p99_ms),
            (Some(10), Some(10), Some(10))
        );
        assert_eq!(points[1].p50_ms, None);
        // With one more slow check, p99's rank (101 of 102) is a slow one.
        let mut slow = samples.clone();
        slow.push(sample(99_600, HealthState::Up, 2_600));
        assert_eq!(
            latency_points(&slow, 0, 15 * MINUTE_MS, 1)[0].p99_ms,
            Some(2_600)
        );
    }

    #[test]
    fn day_cells_count_hours_and_days_by_the_day_they_start_in() {
        let counts = |up, down| StateCounts {
            up,
            down,
            ..Default::default()
        };
        let bucket = |start_ms, width_ms, c: StateCounts| Bucket {
            start_ms,
            width_ms,
            counts: c,
            latency: LatencyHistogram::default(),
        };
        let first = 100 * DAY_MS;
        let buckets = [
            bucket(first, DAY_MS, counts(2_870, 10)),
            bucket(first + 2 * DAY_MS, HOUR_MS, counts(120, 0)),
            bucket(first + 2 * DAY_MS + HOUR_MS, HOUR_MS, counts(60, 60)),
            bucket(first - DAY_MS, DAY_MS, counts(1, 1)), // before the bar
        ];
        let cells = day_cells(&buckets, first, 3);
        assert_eq!(cells.len(), 3);
        assert_eq!(cells[0].uptime, Some(2_870.0 / 2_880.0));
        assert_eq!((cells[0].down_checks, cells[0].checks), (10, 2_880));
        assert_eq!(cells[1].uptime, None, "a day without checks has no figure");
        assert_eq!(cells[2].uptime, Some(180.0 / 240.0));
        assert_eq!(cells[2].start_ms, first + 2 * DAY_MS);
    }

    #[test]
    fn components_are_read_from_their_column_and_garbage_is_none() {
        let read = components(Some(
            r#"[{"name":"db","verdict":"fail","detail":"refused"},{"name":"disk","verdict":"pass","detail":""}]"#,
        ));
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].detail.as_deref(), Some("refused"));
        assert_eq!(read[1].detail, None);
        assert!(components(Some("{not json")).is_empty());
        assert!(components(None).is_empty());
    }

    #[test]
    fn grouping_puts_a_service_under_each_tag_and_the_untagged_under_a_fallback() {
        let services = vec![
            ("checkout", vec!["public", "pci"]),
            ("ledger", vec!["pci"]),
            ("search", vec![]),
        ];
        let grouped = group_by(
            &services,
            |(_, tags)| tags.iter().map(|t| t.to_string()).collect(),
            |(name, _)| name,
            "untagged",
        );
        let names: Vec<(String, Vec<&str>)> = grouped
            .into_iter()
            .map(|(g, members)| (g, members.into_iter().map(|(n, _)| n).collect()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("pci".to_string(), vec!["checkout", "ledger"]),
                ("public".to_string(), vec!["checkout"]),
                ("untagged".to_string(), vec!["search"]),
            ]
        );
    }
}
