//! Request counts and latencies by route, rendered in Prometheus' text
//! format. Written by hand: a handful of series do not justify a metrics
//! framework in the build.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
pub struct HttpMetrics {
    inner: Mutex<Series>,
}

#[derive(Default, Clone)]
struct Series {
    /// (route, method, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// (route, method) → histogram
    latency: BTreeMap<(String, String), Histogram>,
}

/// A Prometheus histogram over [`LATENCY_BUCKETS`]; each bucket counts
/// the observations at or under its bound (cumulative, as exposed).
#[derive(Default, Clone, Debug)]
pub struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Histogram {
    pub fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The bound under which at least `q` of the observations fall;
    /// `None` when empty or beyond the last bound.
    pub fn quantile_bound(&self, q: f64) -> Option<f64> {
        let rank = (q * self.count as f64).ceil() as u64;
        LATENCY_BUCKETS
            .iter()
            .zip(self.buckets)
            .find(|(_, count)| self.count > 0 && *count >= rank)
            .map(|(bound, _)| *bound)
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of one series.
    pub fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braced = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braced} {}", self.sum_seconds);
        let _ = writeln!(out, "{name}_count{braced} {}", self.count);
    }
}

/// Gauges read at scrape time.
#[derive(Clone, Copy, Debug, Default)]
pub struct FleetGauges {
    /// `None` when the database could not be asked.
    pub services: Option<i64>,
    pub database_up: bool,
}

impl HttpMetrics {
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut series = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *series
            .requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        series
            .latency
            .entry((route.to_string(), method.to_string()))
            .or_default()
            .observe(elapsed);
    }

    pub fn render(&self, gauges: FleetGauges) -> String {
        let series = match self.inner.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let mut out = String::new();
        out.push_str("# HELP shipshape_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE shipshape_http_requests_total counter\n");
        for ((route, method, status), count) in &series.requests {
            let _ = writeln!(
                out,
                "shipshape_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                escape(route),
                escape(method)
            );
        }
        out.push_str("# HELP shipshape_http_request_duration_seconds Time to answer HTTP requests, by route and method.\n");
        out.push_str("# TYPE shipshape_http_request_duration_seconds histogram\n");
        for ((route, method), histogram) in &series.latency {
            let labels = format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
            histogram.write(&mut out, "shipshape_http_request_duration_seconds", &labels);
        }
        out.push_str("# HELP shipshape_database_up Whether the database answered the last scrape (1) or not (0).\n");
        out.push_str("# TYPE shipshape_database_up gauge\n");
        let _ = writeln!(
            out,
            "shipshape_database_up {}",
            u8::from(gauges.database_up)
        );
        if let Some(services) = gauges.services {
            out.push_str(
                "# HELP shipshape_services Services in the fleet (retired ones not counted).\n",
            );
            out.push_str("# TYPE shipshape_services gauge\n");
            let _ = writeln!(out, "shipshape_services {services}");
        }
        out
    }
}

/// Escapes a label value as the exposition format asks.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_histogram_buckets_are_cumulative() {
        let metrics = HttpMetrics::default();
        metrics.record("/services/{slug}", "GET", 200, Duration::from_millis(3));
        metrics.record("/services/{slug}", "GET", 404, Duration::from_millis(300));
        let text = metrics.render(FleetGauges {
            services: Some(6),
            database_up: true,
        });
        assert!(text.contains("shipshape_http_requests_total{route=\"/services/{slug}\",method=\"GET\",status=\"200\"} 1\n"));
        assert!(text.contains("shipshape_http_requests_total{route=\"/services/{slug}\",method=\"GET\",status=\"404\"} 1\n"));
        assert!(
            text.contains("_bucket{route=\"/services/{slug}\",method=\"GET\",le=\"0.001\"} 0\n")
        );
        assert!(
            text.contains("_bucket{route=\"/services/{slug}\",method=\"GET\",le=\"0.005\"} 1\n")
        );
        assert!(text.contains("_bucket{route=\"/services/{slug}\",method=\"GET\",le=\"0.5\"} 2\n"));
        assert!(
            text.contains("_bucket{route=\"/services/{slug}\",method=\"GET\",le=\"+Inf\"} 2\n")
        );
        assert!(text.contains("shipshape_http_request_duration_seconds_count{route=\"/services/{slug}\",method=\"GET\"} 2\n"));
        assert!(text.contains("shipshape_services 6\n"));
        assert!(text.contains("shipshape_database_up 1\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let metrics = HttpMetrics::default();
        metrics.record("a\"b\\c", "GET", 200, Duration::ZERO);
        let text = metrics.render(FleetGauges::default());
        assert!(text.contains("route=\"a\\\"b\\\\c\""), "{text}");
        assert!(
            !text.contains("shipshape_services "),
            "no service gauge without a count"
        );
        assert!(text.contains("shipshape_database_up 0\n"));
    }
}
