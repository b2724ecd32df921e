//! Polite HTTP for registries: one `Fetcher` per registry, with
//! - a cache of parsed answers keyed by URL, fresh for a TTL, then
//!   revalidated with `If-None-Match` / `If-Modified-Since` (a 304 costs the
//!   registry nothing and keeps the parsed answer);
//! - bounded concurrency (a semaphore), a timeout on every request;
//! - retries with exponential backoff and jitter on 429, 5xx and network
//!   errors, honouring `Retry-After`;
//! - a circuit breaker: after `breaker_threshold` failures in a row the
//!   registry is not asked again until `breaker_cooldown` has passed, so a
//!   dead registry fails fast instead of stalling a refresh.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    AUTHORIZATION, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use tokio::sync::Semaphore;

use crate::common::http::without_url;
use crate::common::secret::{Secret, redact_url_password};

#[derive(Clone, Debug)]
pub struct FetchPolicy {
    pub timeout: Duration,
    pub concurrency: usize,
    /// Attempts per request, the first included.
    pub attempts: u32,
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a registry asking for more is
    /// treated as failing for this refresh.
    pub max_retry_after: Duration,
    /// How long an answer is used without asking the registry again.
    pub cache_ttl: Duration,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(15),
            concurrency: 16,
            attempts: 3,
            backoff: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(15 * 60),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(60),
        }
    }
}

/// Why a registry gave no usable answer. Messages name the registry and
/// the URL (without credentials) and say what went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{registry}: {url} was not found (404)")]
    NotFound { registry: String, url: String },
    #[error("{registry}: {url} answered {status} after {attempts} attempt(s)")]
    Status {
        registry: String,
        url: String,
        status: String,
        attempts: u32,
    },
    #[error("{registry}: {url} could not be reached after {attempts} attempt(s): {reason}")]
    Network {
        registry: String,
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("{registry}: {url}: {reason}")]
    Garbage {
        registry: String,
        url: String,
        reason: String,
    },
    #[error(
        "{registry} is not being asked for {seconds}s after {failures} failures in a row (last: {last})"
    )]
    CircuitOpen {
        registry: String,
        failures: u32,
        seconds: u64,
        last: String,
    },
}

impl FetchError {
    /// Failures that say the registry is unwell (as opposed to a package
    /// that does not exist or an answer that is garbage for one package).
    fn counts_against_registry(&self) -> bool {
        matches!(self, FetchError::Status { .. } | FetchError::Network { .. })
    }
}

/// What the fetcher did, for metrics and the benchmark.
#[derive(Debug, Default)]
pub struct FetchCounters {
    /// Requests sent over the network, retries included.
    pub requests: AtomicU64,
    /// Of those, answered 304 Not Modified.
    pub not_modified: AtomicU64,
    /// Answers served from the cache without a request.
    pub cache_hits: AtomicU64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    pub requests: u64,
    pub not_modified: u64,
    pub cache_hits: u64,
}

impl FetchCounters {
    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            not_modified: self.not_modified.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
        }
    }
}

struct CacheEntry {
    value: Arc<dyn Any + Send + Sync>,
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
    checked: Instant,
    /// Immutable answers (a Go version's `.info`) are never asked again.
    immutable: bool,
}

#[derive(Default)]
struct Breaker {
    failures_in_a_row: u32,
    open_until: Option<Instant>,
    last_error: String,
}

pub struct Fetcher {
    /// Shown in errors: "npm registry (https://registry.npmjs.org)".
    registry: String,
    client: reqwest::Client,
    token: Option<Secret>,
    policy: FetchPolicy,
    permits: Semaphore,
    cache: Mutex<HashMap<String, CacheEntry>>,
    breaker: Mutex<Breaker>,
    pub counters: FetchCounters,
}

/// The HTTP client all registries share (one connection pool).
pub fn http_client(user_agent: &str) -> reqwest::Client {
    crate::common::tls::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(32)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

impl Fetcher {
    pub fn new(
        registry: impl Into<String>,
        client: reqwest::Client,
        token: Option<Secret>,
        policy: FetchPolicy,
    ) -> Self {
        Fetcher {
            registry: registry.into(),
            client,
            token,
            permits: Semaphore::new(policy.concurrency.max(1)),
            policy,
            cache: Mutex::new(HashMap::new()),
            breaker: Mutex::new(Breaker::default()),
            counters: FetchCounters::default(),
        }
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// GETs `url` and parses the body with `parse`, through the cache.
    /// `immutable` answers are kept for good once fetched.
    pub async fn get<T: Send + Sync + 'static>(
        &self,
        url: &str,
        accept: &str,
        immutable: bool,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Arc<T>, FetchError> {
        let cached = self.cached(url);
        if let Some((value, fresh)) = &cached
            && *fresh
        {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(value));
        }
        self.check_breaker()?;
        let result = self.fetch(url, accept, immutable, parse).await;
        self.record_outcome(&result);
        result
    }

    fn cached<T: Send + Sync + 'static>(&self, url: &str) -> Option<(Arc<T>, bool)> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(url)?;
        let value = Arc::clone(&entry.value).downcast::<T>().ok()?;
        let fresh = entry.immutable || entry.checked.elapsed() < self.policy.cache_ttl;
        Some((value, fresh))
    }

    fn check_breaker(&self) -> Result<(), FetchError> {
        let Ok(mut breaker) = self.breaker.lock() else {
            return Ok(());
        };
        match breaker.open_until {
            Some(until) if Instant::now() < until => Err(FetchError::CircuitOpen {
                registry: self.registry.clone(),
                failures: breaker.failures_in_a_row,
                seconds: until.saturating_duration_since(Instant::now()).as_secs(),
                last: breaker.last_error.clone(),
            }),
            Some(_) => {
                // Half-open: this request is the trial; one more failure
                // opens the circuit again at once.
                breaker.open_until = None;
                breaker.failures_in_a_row = self.policy.breaker_threshold.saturating_sub(1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn record_outcome<T>(&self, result: &Result<T, FetchError>) {
        let Ok(mut breaker) = self.breaker.lock() else {
            return;
        };
        match result {
            Err(error) if error.counts_against_registry() => {
                breaker.failures_in_a_row += 1;
                breaker.last_error = error.to_string();
                if breaker.failures_in_a_row >= self.policy.breaker_threshold {
                    breaker.open_until = Some(Instant::now() + self.policy.breaker_cooldown);
                    tracing::warn!(
                        registry = %self.registry,
                        failures = breaker.failures_in_a_row,
                        "registry circuit opened"
                    );
                }
            }
            Err(FetchError::CircuitOpen { .. }) => {}
            _ => breaker.failures_in_a_row = 0,
        }
    }

    async fn fetch<T: Send + Sync + 'static>(
        &self,
        url: &str,
        accept: &str,
        immutable: bool,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Arc<T>, FetchError> {
        let shown_url = redact_url_password(url);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| FetchError::Network {
                registry: self.registry.clone(),
                url: shown_url.clone(),
                reason: "shutting down".into(),
                attempts: 0,
            })?;
        let validators = self.validators(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let mut request = self
                .client
                .get(url)
                .timeout(self.policy.timeout)
                .header(reqwest::header::ACCEPT, accept)
                .headers(validators.clone());
            if let Some(token) = &self.token
                && let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            {
                let mut value = value;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::NOT_MODIFIED
                        && let Some((value, _)) = self.cached::<T>(url)
                    {
                        self.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                        self.touch(url);
                        return Ok(value);
                    }
                    if status.is_success() {
                        let headers = response.headers().clone();
                        let body = response.text().await.map_err(|e| FetchError::Network {
                            registry: self.registry.clone(),
                            url: shown_url.clone(),
                            reason: format!("the answer was cut off: {}", without_url(e)),
                            attempts: attempt,
                        })?;
                        let value =
                            Arc::new(parse(&body).map_err(|reason| FetchError::Garbage {
                                registry: self.registry.clone(),
                                url: shown_url.clone(),
                                reason,
                            })?);
                        self.store(url, &value, &headers, immutable);
                        return Ok(value);
                    }
                    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
                        return Err(FetchError::NotFound {
                            registry: self.registry.clone(),
                            url: shown_url,
                        });
                    }
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::REQUEST_TIMEOUT
                        || status.is_server_error();
                    let error = FetchError::Status {
                        registry: self.registry.clone(),
                        url: shown_url.clone(),
                        status: status.to_string(),
                        attempts: attempt,
                    };
                    if !retryable {
                        return Err(error);
                    }
                    (error, retry_after(response.headers()))
                }
                Err(e) => (
                    FetchError::Network {
                        registry: self.registry.clone(),
                        url: shown_url.clone(),
                        reason: if e.is_timeout() {
                            format!("no answer within {:?}", self.policy.timeout)
                        } else {
                            without_url(e)
                        },
                        attempts: attempt,
                    },
                    None,
                ),
            };
            let (error, asked_wait) = failure;
            if attempt >= self.policy.attempts {
                return Err(error);
            }
            let wait = match asked_wait {
                Some(wait) if wait > self.policy.max_retry_after => return Err(error),
                Some(wait) => wait,
                None => backoff_with_jitter(self.policy.backoff, attempt),
            };
            tokio::time::sleep(wait).await;
        }
    }

    fn validators(&self, url: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(cache) = self.cache.lock()
            && let Some(entry) = cache.get(url)
        {
            if let Some(etag) = &entry.etag {
                headers.insert(IF_NONE_MATCH, etag.clone());
            }
            if let Some(modified) = &entry.last_modified {
                headers.insert(IF_MODIFIED_SINCE, modified.clone());
            }
        }
        headers
    }

    fn store<T: Send + Sync + 'static>(
        &self,
        url: &str,
        value: &Arc<T>,
        headers: &HeaderMap,
        immutable: bool,
    ) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                url.to_string(),
                CacheEntry {
                    value: Arc::clone(value) as Arc<dyn Any + Send + Sync>,
                    etag: headers.get(ETAG).cloned(),
                    last_modified: headers.get(LAST_MODIFIED).cloned(),
                    checked: Instant::now(),
                    immutable,
                },
            );
        }
    }

    fn touch(&self, url: &str) {
        if let Ok(mut cache) = self.cache.lock()
            && let Some(entry) = cache.get_mut(url)
        {
            entry.checked = Instant::now();
        }
    }

    /// Forgets freshness (not the validators): the next `get` of every URL
    /// asks the registry, conditionally. Used by "refresh now".
    pub fn expire_cache(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            let long_ago = Instant::now()
                .checked_sub(self.policy.cache_ttl)
                .unwrap_or_else(Instant::now);
            for entry in cache.values_mut() {
                entry.checked = long_ago;
            }
        }
    }
}

/// `Retry-After` in seconds (the form registries and GitHub use).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// `base * 2^(attempt-1)`, plus up to as much again at random, so that many
/// clients retrying at once do not arrive together.
pub fn backoff_with_jitter(base: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let jitter_ms = fastrand::u64(0..=u64::try_from(exponential.as_millis()).unwrap_or(0));
    exponential + Duration::from_millis(jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_jitter_stays_within_one_step() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let floor = base * (1 << (attempt - 1));
            for _ in 0..50 {
                let wait = backoff_with_jitter(base, attempt);
                assert!(wait >= floor && wait <= floor * 2, "{attempt}: {wait:?}");
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
