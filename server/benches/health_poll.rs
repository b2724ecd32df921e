//! Polling 10,000 healthcheck endpoints every 30 s, as the server does,
//! against a local server in a separate process (so that its CPU is not
//! counted as Shipshape's), with results written to a real SQLite file.
//! Run with `cargo bench -p shipshape-server --bench health_poll`
//! (`-- --endpoints N --seconds N --interval-s N` to change the shape).
//!
//! Prints what the issue asks to be reported: Shipshape's CPU as a share
//! of one core, peak memory, how late checks started against their
//! schedule (p50, p99, worst, as histogram bounds), checks made against
//! checks due (none missed), rows written and whether the database kept
//! up, and storage per endpoint per day.

mod support;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shipshape_server::common::clock::{Clock, SystemClock};
use shipshape_server::common::secret::DatabaseUrl;
use shipshape_server::config::parse_fleet_file;
use shipshape_server::fleet::FleetService;
use shipshape_server::health::monitor::HealthMonitor;
use shipshape_server::health::schedule::first_due;
use shipshape_server::health::state::Thresholds;
use shipshape_server::store::Store;
use shipshape_server::telemetry::check_metrics::CheckMetrics;
use tokio_util::sync::CancellationToken;

/// The child process: answers `{"status":"healthy"}` on every path, a
/// few milliseconds later, and prints its address.
async fn serve_healthchecks() -> anyhow::Result<()> {
    use axum::http::header;
    use axum::routing::get;
    let app = axum::Router::new().fallback(get(|| async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"healthy"}"#,
        )
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// User plus system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    let clock_ticks = 100; // USER_HZ on Linux
    Duration::from_millis((ticks(11) + ticks(12)) * 1000 / clock_ticks)
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|suffix| {
            std::fs::metadata(format!("{}{suffix}", path.display()))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--serve-healthchecks") {
        return serve_healthchecks().await;
    }
    let endpoints = support::arg("--endpoints", 10_000);
    let seconds = support::arg("--seconds", 150);
    let interval_s = support::arg("--interval-s", 30);

    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve-healthchecks")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let addr = line.trim().to_string();

    let work = tempfile::tempdir()?;
    let database = work.path().join("bench.db");
    let url = DatabaseUrl::new(format!("sqlite://{}", database.display()));
    let store = Store::connect(&url, 8).await?;
    store.migrate().await?;

    // Five endpoints per service, as a fleet would declare them.
    let mut fleet = String::new();
    for service in 0..endpoints.div_ceil(5) {
        let _ = writeln!(
            fleet,
            "[[service]]\nslug = \"svc-{service:05}\"\nteam = \"bench\""
        );
        for e in 0..5.min(endpoints - service * 5) {
            let _ = writeln!(
                fleet,
                "[[service.health]]\nurl = \"http://{addr}/health/{service}/{e}\"\ninterval = \"{interval_s}s\"\ntimeout = \"5s\""
            );
        }
    }
    let parsed = parse_fleet_file(Path::new("bench.toml"), &fleet)?;
    let clock = Arc::new(SystemClock);
    FleetService::new(store.clone(), clock.clone())
        .sync_from_file(Path::new("bench.toml"), &parsed.services)
        .await?;
    let polled = store.endpoints_to_poll().await?;
    anyhow::ensure!(
        polled.len() as u64 == endpoints,
        "{} endpoints stored",
        polled.len()
    );
    let size_before = file_size(&database);

    let metrics = Arc::new(CheckMetrics::default());
    let cancel = CancellationToken::new();
    let monitor = HealthMonitor {
        store: store.clone(),
        clock: clock.clone(),
        concurrency: 64,
        thresholds: Thresholds::default(),
        env: Arc::default(),
        metrics: metrics.clone(),
        changes: tokio::sync::broadcast::channel(1024).0,
        outbound: Arc::new(shipshape_server::common::outbound::NetworkPolicy::open()),
        api_header_env: Default::default(),
        pulse: shipshape_server::telemetry::heartbeat::Pulse::detached("health monitor"),
    };
    println!(
        "polling {endpoints} endpoints every {interval_s} s for {seconds} s against {addr} (SQLite at {})",
        database.display()
    );
    let cpu_start = cpu_time();
    let started = Instant::now();
    let start_ms = clock.now_ms();
    let running = tokio::spawn(monitor.run(cancel.clone()));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let end_ms = clock.now_ms();
    cancel.cancel();
    running.await?;
    let wall = started.elapsed();
    let cpu = cpu_time() - cpu_start;
    let _ = child.kill();

    // Due checks: every due time of each endpoint from 2 s after the start
    // (the monitor has read the fleet by then) to 6 s before the end (the
    // timeout and a flush), against the checks stored for those times
    // (a result is stored at the time it was due).
    let interval_ms = i64::try_from(interval_s * 1000)?;
    let (window_from, window_until) = (start_ms + 2_000, end_ms - 6_000);
    let stored = store.raw_samples(window_from, window_until, None).await?;
    let mut due = 0u64;
    let mut missed = 0u64;
    let totals = metrics.totals();
    for endpoint in &polled {
        let first = first_due(endpoint.id, interval_ms, window_from);
        let expected = if first >= window_until {
            0
        } else {
            ((window_until - 1 - first) / interval_ms + 1) as u64
        };
        due += expected;
        let made = stored.get(&endpoint.id).map_or(0, |s| s.len() as u64);
        missed += expected.saturating_sub(made);
    }
    let rows: i64 = stored_results(&store).await?;
    let size_after = file_size(&database);
    let raw_bytes = size_after.saturating_sub(size_before);
    let bytes_per_row = raw_bytes as f64 / rows.max(1) as f64;
    let per_day = 86_400 / interval_s;

    println!("wall time: {:.1} s", wall.as_secs_f64());
    println!(
        "CPU: {:.1} s = {:.1}% of one core (Shipshape only; the healthcheck server is another process)",
        cpu.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    );
    if let Some(kib) = support::peak_rss_kib() {
        println!("peak memory (VmHWM): {} MiB", kib / 1024);
    }
    let bound =
        |b: Option<f64>| b.map_or("over 10 s".to_string(), |s| format!("≤ {} ms", s * 1000.0));
    println!(
        "lateness against schedule: p50 {}, p99 {}, worst {}",
        bound(totals.lateness_p50),
        bound(totals.lateness_p99),
        bound(totals.lateness_max_bound)
    );
    println!(
        "checks: {} made; {due} due from 2 s after the start to 6 s before the end, {missed} of them missed; {} failed",
        totals.checks, totals.failures
    );
    println!(
        "rows in health_results: {rows} (checks + one no-data row per endpoint on stop: {})",
        totals.checks + endpoints
    );
    println!(
        "storage: {bytes_per_row:.0} bytes per raw result (file growth incl. indexes); at one check per {interval_s} s that is {per_day} rows and {:.0} KiB per endpoint per day, kept 48 h before rollups",
        bytes_per_row * per_day as f64 / 1024.0
    );
    Ok(())
}

async fn stored_results(store: &Store) -> anyhow::Result<i64> {
    let windows = store.health_window(0, i64::MAX, None).await?;
    Ok(windows
        .values()
        .map(|(c, _)| (c.up + c.degraded + c.down + c.unknown + c.no_data) as i64)
        .sum())
}
