//! Health check counts, failures and latencies per endpoint, and how late
//! checks start against their schedule, for `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::metrics::{Histogram, escape};

#[derive(Default)]
pub struct CheckMetrics {
    inner: Mutex<Checks>,
}

#[derive(Default, Clone)]
struct Checks {
    /// Endpoint id → its series.
    endpoints: BTreeMap<i64, EndpointSeries>,
    lateness: Histogram,
}

#[derive(Default, Clone)]
struct EndpointSeries {
    service: String,
    checks: u64,
    failures: u64,
    latency: Histogram,
}

/// What the benchmark and tests read back.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckTotals {
    pub checks: u64,
    pub failures: u64,
    /// Checks per endpoint id.
    pub per_endpoint: BTreeMap<i64, u64>,
    /// Bounds under which 50 %, 99 % and all of the checks started
    /// (seconds after they were due); `None` beyond the last bound.
    pub lateness_p50: Option<f64>,
    pub lateness_p99: Option<f64>,
    pub lateness_max_bound: Option<f64>,
}

impl CheckMetrics {
    fn lock(&self) -> MutexGuard<'_, Checks> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// One check of an endpoint: whether it failed (its result alone was
    /// down), how long the answer took and how late the check started.
    pub fn record(
        &self,
        endpoint_id: i64,
        service: &str,
        failed: bool,
        latency: Duration,
        lateness: Duration,
    ) {
        let mut checks = self.lock();
        let series = checks.endpoints.entry(endpoint_id).or_default();
        if series.service != service {
            series.service = service.to_string();
        }
        series.checks += 1;
        series.failures += u64::from(failed);
        series.latency.observe(latency);
        checks.lateness.observe(lateness);
    }

    /// Stops exposing endpoints no longer in the fleet.
    pub fn retain(&self, keep: impl Fn(i64) -> bool) {
        self.lock().endpoints.retain(|id, _| keep(*id));
    }

    pub fn totals(&self) -> CheckTotals {
        let checks = self.lock().clone();
        CheckTotals {
            checks: checks.endpoints.values().map(|s| s.checks).sum(),
            failures: checks.endpoints.values().map(|s| s.failures).sum(),
            per_endpoint: checks
                .endpoints
                .iter()
                .map(|(id, s)| (*id, s.checks))
                .collect(),
            lateness_p50: checks.lateness.quantile_bound(0.5),
            lateness_p99: checks.lateness.quantile_bound(0.99),
            lateness_max_bound: checks.lateness.quantile_bound(1.0),
        }
    }

    pub fn render(&self, out: &mut String) {
        let checks = self.lock().clone();
        out.push_str(
            "# HELP shipshape_health_checks_total Health checks made, by service and endpoint.\n",
        );
        out.push_str("# TYPE shipshape_health_checks_total counter\n");
        for (id, series) in &checks.endpoints {
            let _ = writeln!(
                out,
                "shipshape_health_checks_total{{service=\"{}\",endpoint=\"{id}\"}} {}",
                escape(&series.service),
                series.checks
            );
        }
        out.push_str("# HELP shipshape_health_check_failures_total Health checks whose result was down, by service and endpoint.\n");
        out.push_str("# TYPE shipshape_health_check_failures_total counter\n");
        for (id, series) in &checks.endpoints {
            let _ = writeln!(
                out,
                "shipshape_health_check_failures_total{{service=\"{}\",endpoint=\"{id}\"}} {}",
                escape(&series.service),
                series.failures
            );
        }
        out.push_str("# HELP shipshape_health_check_duration_seconds Time healthchecks took to answer, by service and endpoint.\n");
        out.push_str("# TYPE shipshape_health_check_duration_seconds histogram\n");
        for (id, series) in &checks.endpoints {
            let labels = format!("service=\"{}\",endpoint=\"{id}\"", escape(&series.service));
            series
                .latency
                .write(out, "shipshape_health_check_duration_seconds", &labels);
        }
        out.push_str("# HELP shipshape_health_check_lateness_seconds How long after it was due each health check started.\n");
        out.push_str("# TYPE shipshape_health_check_lateness_seconds histogram\n");
        checks
            .lateness
            .write(out, "shipshape_health_check_lateness_seconds", "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_failures_and_latency_are_kept_per_endpoint() {
        let metrics = CheckMetrics::default();
        let ms = Duration::from_millis;
        metrics.record(7, "checkout", false, ms(4), ms(2));
        metrics.record(7, "checkout", true, ms(700), ms(3));
        metrics.record(9, "ledger", false, ms(20), ms(40));
        let mut text = String::new();
        metrics.render(&mut text);
        assert!(
            text.contains("shipshape_health_checks_total{service=\"checkout\",endpoint=\"7\"} 2\n"),
            "{text}"
        );
        assert!(text.contains(
            "shipshape_health_check_failures_total{service=\"checkout\",endpoint=\"7\"} 1\n"
        ));
        assert!(text.contains(
            "shipshape_health_check_failures_total{service=\"ledger\",endpoint=\"9\"} 0\n"
        ));
        assert!(text.contains("shipshape_health_check_duration_seconds_bucket{service=\"checkout\",endpoint=\"7\",le=\"0.005\"} 1\n"));
        assert!(text.contains("shipshape_health_check_duration_seconds_bucket{service=\"checkout\",endpoint=\"7\",le=\"1\"} 2\n"));
        assert!(text.contains("shipshape_health_check_lateness_seconds_bucket{le=\"0.0025\"} 1\n"));
        assert!(text.contains("shipshape_health_check_lateness_seconds_count 3\n"));

        let totals = metrics.totals();
        assert_eq!((totals.checks, totals.failures), (3, 1));
        assert_eq!(totals.lateness_p50, Some(0.005));
        assert_eq!(totals.lateness_max_bound, Some(0.05));

        metrics.retain(|id| id == 9);
        assert_eq!(metrics.totals().per_endpoint, BTreeMap::from([(9, 1)]));
    }
}
