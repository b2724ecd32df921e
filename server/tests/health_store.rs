//! Health history on SQLite and PostgreSQL: three days of checks every
//! 30 s through the state machine, rolled up hour by hour as the server
//! would, then uptime, incidents and retention checked against figures
//! computed by hand.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{ManualClock, TestDb, services};
use shipshape_server::fleet::FleetService;
use shipshape_server::health::format::Verdict;
use shipshape_server::health::rollup::{DAY_MS, HOUR_MS, MINUTE_MS};
use shipshape_server::health::state::{CheckResult, HealthState, Thresholds, Tracker, classify};
use shipshape_server::health::store::RecordedCheck;

/// 2026-11-20T00:00Z.
const START: i64 = 1_795_132_800_000;

fn fleet(interval: &str) -> String {
    format!(
        r#"
[[service]]
slug = "checkout-api"
team = "payments"
[[service.health]]
url = "http://127.0.0.1:7101/_internal_/healthcheck"
interval = "{interval}"
[[service.health]]
url = "http://127.0.0.1:7101/ready"
"#
    )
}

/// Down for 15 minutes from 10:00 on day 1 and for 5 minutes from 06:00
/// on day 3; up otherwise.
fn failing(at_ms: i64) -> bool {
    let minute = (at_ms - START) / MINUTE_MS;
    (600..615).contains(&minute) || (2 * 1440 + 360..2 * 1440 + 365).contains(&minute)
}

#[tokio::test]
async fn three_days_of_checks_give_hand_computed_uptime_incidents_and_bounded_storage() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let clock = ManualClock::at(START);
        let fleet_service = FleetService::new(store.clone(), clock.clone());
        let path = Path::new("/fleet/shipshape.toml");
        fleet_service
            .sync_from_file(path, &services(&fleet("30s")))
            .await
            .expect("sync");
        let endpoints = store.endpoints_to_poll().await.expect("endpoints");
        assert_eq!(endpoints.len(), 2);
        assert_eq!(endpoints[0].state, None, "never checked yet");
        let endpoint = endpoints[0].id;

        let thresholds = Thresholds::default();
        let mut tracker = Tracker::default();
        let mut batch = Vec::new();
        let checks_per_day = 2_880;
        for i in 0..3 * checks_per_day {
            let at_ms = START + i * 30_000;
            let result = CheckResult {
                at_ms,
                verdict: Some(if failing(at_ms) {
                    Verdict::Fail
                } else {
                    Verdict::Pass
                }),
                latency: Duration::from_millis(40),
                detail: failing(at_ms).then(|| "answered HTTP 503".to_string()),
            };
            let transition = tracker.observe(&result, &thresholds);
            batch.push(RecordedCheck {
                endpoint_id: endpoint,
                checked_ms: at_ms,
                check_state: classify(&result, &thresholds),
                latency_ms: 40,
                status_code: Some(if failing(at_ms) { 503 } else { 200 }),
                format: Some("standard".into()),
                reason: result.detail.clone(),
                excerpt: String::new(),
                components_json: "[]".into(),
                conforming: true,
                state: tracker.state,
                since_ms: tracker.since_ms.unwrap_or(at_ms),
                transition,
            });
            // Written every hour, rolled up just after, as the server does.
            if batch.len() == 120 {
                store.record_checks(&batch).await.expect("record");
                batch.clear();
                store
                    .roll_up_health(at_ms + 30_000 + 2 * MINUTE_MS)
                    .await
                    .expect("roll up");
            }
        }
        let now = START + 3 * DAY_MS;

        // Day 1 is older than the 48 h of raw checks: read from rollups.
        let day_one = store
            .health_window(START, START + DAY_MS, None)
            .await
            .expect("window");
        let (counts, latency) = &day_one[&endpoint];
        assert_eq!((counts.up, counts.down), (2_850, 30));
        assert_eq!(latency.count(), 2_880);
        assert_eq!(
            latency.percentile(0.99),
            Some(40),
            "never above the slowest answer"
        );
        let last_day = store
            .health_window(now - DAY_MS, now, None)
            .await
            .expect("window");
        assert_eq!(
            (last_day[&endpoint].0.up, last_day[&endpoint].0.down),
            (2_870, 10)
        );
        let ninety = store
            .health_window(now - 90 * DAY_MS, now, None)
            .await
            .expect("window");
        let all = &ninety[&endpoint].0;
        assert_eq!((all.up, all.down), (8_600, 40));
        let uptime = all.uptime().expect("uptime");
        assert!((uptime - 8_600.0 / 8_640.0).abs() < 1e-12, "{uptime}");
        // An hour in the middle of day 2 (hour rollups and minute rollups agree).
        let hour = store
            .health_window(
                START + DAY_MS + 5 * HOUR_MS,
                START + DAY_MS + 6 * HOUR_MS,
                None,
            )
            .await
            .expect("window");
        assert_eq!(hour[&endpoint].0.up, 120);

        // Incidents open at the first failure of the run and close when
        // two passes bring the endpoint back up.
        let incidents = store.incidents(endpoint).await.expect("incidents");
        assert_eq!(incidents.len(), 2);
        let first = &incidents[1];
        assert_eq!(first.started_ms, START + 600 * MINUTE_MS);
        assert_eq!(first.ended_ms, Some(START + 615 * MINUTE_MS + 30_000));
        assert_eq!(first.first_detail.as_deref(), Some("answered HTTP 503"));

        // Storage stays bounded: raw checks older than 48 h are gone.
        let resumed = store.endpoints_to_poll().await.expect("endpoints");
        assert_eq!(
            resumed[0].state,
            Some((
                HealthState::Up,
                START + 2 * DAY_MS + 365 * MINUTE_MS + 30_000
            ))
        );
        store
            .roll_up_health(now + 2 * MINUTE_MS)
            .await
            .expect("roll up");
        let raw_only = store
            .health_window(START, START + DAY_MS, None)
            .await
            .expect("window");
        assert_eq!(raw_only[&endpoint].0.up + raw_only[&endpoint].0.down, 2_880);

        // A changed interval keeps the endpoint, and so its history.
        fleet_service
            .sync_from_file(path, &services(&fleet("60s")))
            .await
            .expect("sync");
        let after = store.endpoints_to_poll().await.expect("endpoints");
        assert_eq!(after[0].id, endpoint);
        assert_eq!(after[0].interval_ms, 60_000);
        assert_eq!(store.incidents(endpoint).await.expect("incidents").len(), 2);
        db.cleanup().await;
    }
}
