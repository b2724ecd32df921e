//! The polling loop against local healthchecks: a service that starts
//! failing goes down after three failed checks, an incident opens, and
//! stopping Shipshape records no-data instead of counting its downtime.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{TestDb, services};
use shipshape_fakes::{FakeHealth, FakeState, Fakes};
use shipshape_server::common::clock::SystemClock;
use shipshape_server::fleet::FleetService;
use shipshape_server::health::monitor::HealthMonitor;
use shipshape_server::health::state::{HealthState, Thresholds};
use shipshape_server::store::Store;
use tokio_util::sync::CancellationToken;

async fn state_of(store: &Store, url_end: &str) -> Option<HealthState> {
    store
        .endpoints_to_poll()
        .await
        .expect("endpoints")
        .into_iter()
        .find(|e| e.url.ends_with(url_end))
        .and_then(|e| e.state.map(|(state, _)| state))
}

async fn wait_for(store: &Store, url_end: &str, wanted: HealthState) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while state_of(store, url_end).await != Some(wanted) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url_end} never became {}",
            wanted.name()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn services_are_polled_on_their_interval_and_a_failing_one_goes_down() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let fakes = Fakes::start(FakeState::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("fakes");
    fakes
        .lock()
        .health
        .insert("checkout".into(), FakeHealth::standard(true));
    fakes
        .lock()
        .health
        .insert("ledger".into(), FakeHealth::actuator(true));
    let base = fakes.base();
    let fleet_text = format!(
        "[limits]\nmin_interval = \"1s\"\n\n[[service]]\nslug = \"checkout\"\nteam = \"t\"\n[[service.health]]\nurl = \"{base}/health/checkout\"\ninterval = \"1s\"\ntimeout = \"1s\"\n\n[[service]]\nslug = \"ledger\"\nteam = \"t\"\n[[service.health]]\nurl = \"{base}/health/ledger\"\ninterval = \"1s\"\ntimeout = \"1s\"\n"
    );
    FleetService::new(store.clone(), Arc::new(SystemClock))
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &services(&fleet_text))
        .await
        .expect("sync");

    let cancel = CancellationToken::new();
    let (changes, mut heard) = tokio::sync::broadcast::channel(64);
    let metrics = Arc::new(shipshape_server::telemetry::check_metrics::CheckMetrics::default());
    let monitor = HealthMonitor {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        concurrency: 8,
        thresholds: Thresholds::default(),
        env: Arc::default(),
        metrics: metrics.clone(),
        changes,
        outbound: Arc::new(shipshape_server::common::outbound::NetworkPolicy::open()),
        api_header_env: Default::default(),
        pulse: shipshape_server::telemetry::heartbeat::Pulse::detached("health monitor"),
    };
    let running = tokio::spawn(monitor.run(cancel.clone()));

    wait_for(&store, "/health/checkout", HealthState::Up).await;
    wait_for(&store, "/health/ledger", HealthState::Up).await;

    fakes
        .lock()
        .health
        .insert("checkout".into(), FakeHealth::standard(false));
    let failing_since = std::time::Instant::now();
    wait_for(&store, "/health/checkout", HealthState::Down).await;
    assert!(
        failing_since.elapsed() >= Duration::from_millis(1_500),
        "down only after three failed checks a second apart"
    );
    assert_eq!(
        state_of(&store, "/health/ledger").await,
        Some(HealthState::Up)
    );
    let checkout = store
        .endpoints_to_poll()
        .await
        .expect("endpoints")
        .into_iter()
        .find(|e| e.service_slug == "checkout")
        .expect("checkout");
    let incidents = store.incidents(checkout.id).await.expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].ended_ms, None);
    assert_eq!(
        incidents[0].first_detail.as_deref(),
        Some("answered HTTP 503 (status is `unhealthy`, not `healthy`)")
    );

    // Open pages heard each service come up, then checkout go down, once
    // each change was stored.
    let mut announced = Vec::new();
    while let Ok(change) = heard.try_recv() {
        announced.push((change.slug, change.level));
    }
    use shipshape_types::health::HealthLevel;
    assert!(
        announced.contains(&("ledger".to_string(), HealthLevel::Up)),
        "{announced:?}"
    );
    assert_eq!(
        announced.iter().rev().find(|(slug, _)| slug == "checkout"),
        Some(&("checkout".to_string(), HealthLevel::Down)),
        "{announced:?}"
    );
    // `/metrics` counts each endpoint's checks and failures.
    let totals = metrics.totals();
    assert!(totals.failures >= 3, "{totals:?}");
    assert_eq!(totals.per_endpoint.len(), 2);
    // Lateness is recorded; how late checks run under load is measured by
    // the health_poll bench, not asserted here, where a busy CI machine
    // would make it flaky.
    assert!(totals.lateness_p99.is_some(), "{totals:?}");

    cancel.cancel();
    running.await.expect("the loop stops");
    assert_eq!(
        state_of(&store, "/health/ledger").await,
        Some(HealthState::NoData)
    );
    let counted = store
        .health_window(0, i64::MAX, None)
        .await
        .expect("window");
    let ledger = store
        .endpoints_to_poll()
        .await
        .expect("endpoints")
        .into_iter()
        .find(|e| e.service_slug == "ledger")
        .expect("ledger");
    let (counts, _) = &counted[&ledger.id];
    assert!(counts.up >= 3, "{counts:?}");
    assert_eq!(counts.down, 0);
    assert_eq!(counts.no_data, 1, "stopping is no-data, not downtime");
    db.cleanup().await;
}

const EXPECTING: &str = r#"
[[service]]
slug = "checkout"
team = "payments"
public = true
[[service.health]]
url = "http://127.0.0.1:7101/_internal_/healthcheck"
expect_status = [200, "204-299", 418]
body_contains = "ok"
slow_after = "750ms"
down_after = 5
up_after = 1
headers = { authorization = { env = "HEALTH_TOKEN" }, "x-probe" = "shipshape" }
"#;

#[tokio::test]
async fn expectations_and_the_public_flag_are_read_from_the_file_and_stored() {
    use shipshape_server::fleet::spec::HeaderSource;
    let file =
        shipshape_server::config::parse_fleet_file(Path::new("/fleet/shipshape.toml"), EXPECTING)
            .expect("valid");
    let service = &file.services[0];
    assert!(service.public);
    let expect = &service.health_endpoints[0].expect;
    assert_eq!(expect.status, [(200, 200), (204, 299), (418, 418)]);
    assert_eq!(expect.slow_after_ms, Some(750));
    assert_eq!((expect.down_after, expect.up_after), (Some(5), Some(1)));
    assert_eq!(expect.body_contains.as_deref(), Some("ok"));
    assert_eq!(
        expect.headers[0],
        (
            "authorization".into(),
            HeaderSource::Env("HEALTH_TOKEN".into())
        )
    );
    assert!(
        !format!("{expect:?}").contains("shipshape\""),
        "literal header values are redacted in debug output"
    );

    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let fleet = FleetService::new(store.clone(), Arc::new(SystemClock));
    fleet
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &file.services)
        .await
        .expect("sync");
    let stored = store.endpoints_to_poll().await.expect("endpoints");
    assert_eq!(&stored[0].expect, expect);
    let all = store.all_services().await.expect("services");
    assert!(all[0].spec.public);
    // The same file again changes nothing: the stored spec equals the file's.
    let again = fleet
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &file.services)
        .await
        .expect("sync");
    assert!(again.is_empty(), "{again:?}");
    db.cleanup().await;

    for (bad, key) in [
        ("expect_status = [\"299-200\"]", "expect_status"),
        ("expect_status = [700]", "expect_status"),
        ("slow_after = \"fast\"", "slow_after"),
        ("down_after = 0", "down_after"),
        ("up_after = 1000", "up_after"),
        ("headers = { \"bad header\" = \"x\" }", "headers"),
    ] {
        let text = format!(
            "[[service]]\nslug = \"a\"\nteam = \"t\"\n[[service.health]]\nurl = \"http://127.0.0.1:1/h\"\n{bad}\n"
        );
        let error = shipshape_server::config::parse_fleet_file(Path::new("/f.toml"), &text)
            .expect_err(bad)
            .to_string();
        assert!(
            error.contains(&format!("service[0].health[0].{key}")),
            "{error}"
        );
    }
}

#[tokio::test]
async fn tarpit_endpoints_hold_permits_not_the_healthy_endpoints_checks() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let fakes = Fakes::start(FakeState::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("fakes");
    let base = fakes.base();
    let mut fleet_text = "[limits]\nmin_interval = \"1s\"\n".to_string();
    for index in 0..6 {
        fakes
            .lock()
            .health
            .insert(format!("tarpit{index}"), FakeHealth::Hang);
        fleet_text.push_str(&format!(
            "\n[[service]]\nslug = \"tarpit{index}\"\nteam = \"t\"\n[[service.health]]\nurl = \"{base}/health/tarpit{index}\"\ninterval = \"1s\"\ntimeout = \"1s\"\n"
        ));
    }
    fakes
        .lock()
        .health
        .insert("checkout".into(), FakeHealth::standard(true));
    fleet_text.push_str(&format!(
        "\n[[service]]\nslug = \"checkout\"\nteam = \"t\"\n[[service.health]]\nurl = \"{base}/health/checkout\"\ninterval = \"1s\"\ntimeout = \"1s\"\n"
    ));
    FleetService::new(store.clone(), Arc::new(SystemClock))
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &services(&fleet_text))
        .await
        .expect("sync");

    let cancel = CancellationToken::new();
    let metrics = Arc::new(shipshape_server::telemetry::check_metrics::CheckMetrics::default());
    // Fewer permits than tarpits: each hangs for its whole timeout.
    let monitor = HealthMonitor {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        concurrency: 4,
        thresholds: Thresholds::default(),
        env: Arc::default(),
        metrics,
        changes: tokio::sync::broadcast::channel(64).0,
        outbound: Arc::new(shipshape_server::common::outbound::NetworkPolicy::open()),
        api_header_env: Default::default(),
        pulse: shipshape_server::telemetry::heartbeat::Pulse::detached("health monitor"),
    };
    let running = tokio::spawn(monitor.run(cancel.clone()));
    // The healthy service is still checked and comes up; the tarpits are
    // judged by their timeouts, each checked once at a time.
    wait_for(&store, "/health/checkout", HealthState::Up).await;
    wait_for(&store, "/health/tarpit0", HealthState::Down).await;
    cancel.cancel();
    running.await.expect("the monitor stops");
    db.cleanup().await;
}
