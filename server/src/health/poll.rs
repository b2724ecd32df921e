//! One check of one healthcheck endpoint over HTTP: bounded in time and in
//! how much of the body is read, through one pooled client so connections
//! are reused across checks.

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use super::format::{Reading, Verdict, interpret_expecting};
use crate::common::secret::Secret;

/// More than any healthcheck needs; the rest of a bigger body is not read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// What is kept of the body so a person can see why a check failed.
pub const EXCERPT_BYTES: usize = 2 * 1024;
const MAX_REDIRECTS: usize = 5;

/// What to ask and what counts as a good answer.
#[derive(Clone, Debug)]
pub struct Probe {
    pub url: String,
    pub method: String,
    pub timeout: Duration,
    /// Codes that count as answering; `None` keeps the format's own rule.
    pub expected_status: Option<Vec<RangeInclusive<u16>>>,
    /// Sent with every check; values are secrets (tokens), never shown.
    pub headers: Vec<(String, Secret)>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub latency: Duration,
    pub status: Option<u16>,
    /// `None` when no answer came (timeout, refused, reset).
    pub reading: Option<Reading>,
    /// Why the check did not pass.
    pub reason: Option<String>,
    /// The start of the body, for the service page.
    pub excerpt: String,
    pub body_truncated: bool,
}

impl Outcome {
    /// A check that could not be sent (its configuration is incomplete).
    pub fn not_sent(reason: String) -> Self {
        failed(Duration::ZERO, reason)
    }

    /// `None` when no answer came: the state machine counts it as a failure.
    pub fn verdict(&self) -> Option<Verdict> {
        self.reading.as_ref().map(|r| r.verdict)
    }
}

/// The client every check goes through (one pool, keep-alive).
/// With `guard`, every connection and redirect is held to that policy (for
/// endpoints registered through the API).
pub fn health_client(
    guard: Option<&std::sync::Arc<crate::common::outbound::NetworkPolicy>>,
) -> reqwest::Client {
    crate::common::tls::install_crypto_provider();
    let builder = reqwest::Client::builder()
        .user_agent(concat!("shipshape-healthcheck/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(90))
        .connect_timeout(Duration::from_secs(5));
    if let Some(policy) = guard {
        return policy
            .guard(builder, MAX_REDIRECTS)
            .build()
            // Never fall back to a client without the policy.
            .expect("the TLS backend of the guarded health client could not start");
    }
    builder
        .redirect(crate::common::outbound::redirect_rule(None, MAX_REDIRECTS))
        .build()
        .unwrap_or_default()
}

pub async fn check(client: &reqwest::Client, probe: &Probe) -> Outcome {
    let started = Instant::now();
    let result = tokio::time::timeout(probe.timeout, ask(client, probe)).await;
    let latency = started.elapsed();
    match result {
        Ok(Ok(answer)) => judge(probe, answer, latency),
        Ok(Err(reason)) => failed(latency, reason),
        Err(_) => failed(
            latency,
            format!("no answer within {} s", probe.timeout.as_secs_f64()),
        ),
    }
}

struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
    truncated: bool,
}

async fn ask(client: &reqwest::Client, probe: &Probe) -> Result<Answer, String> {
    let method = reqwest::Method::from_bytes(probe.method.as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", probe.method))?;
    let mut request = client.request(method, &probe.url);
    for (name, value) in &probe.headers {
        request = request.header(name, value.expose());
    }
    let mut response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break; // dropping the response closes the connection
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        content_type,
        body,
        truncated,
    })
}

/// reqwest's errors, said without the URL (it may hold credentials).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let cause = std::error::Error::source(&error)
        .map(|s| {
            let mut deepest = s;
            while let Some(next) = deepest.source() {
                deepest = next;
            }
            deepest.to_string()
        })
        .unwrap_or_default();
    if error.is_redirect() {
        // The policy above says why it stopped.
        cause
    } else if error.is_connect() {
        format!("could not connect: {cause}")
    } else if error.is_timeout() {
        "no answer in time".into()
    } else if error.is_body() || error.is_decode() {
        format!("the connection broke while reading the answer: {cause}")
    } else {
        format!("the request failed: {cause}")
    }
}

fn failed(latency: Duration, reason: String) -> Outcome {
    Outcome {
        latency,
        status: None,
        reading: None,
        reason: Some(reason),
        excerpt: String::new(),
        body_truncated: false,
    }
}

fn judge(probe: &Probe, answer: Answer, latency: Duration) -> Outcome {
    let mut reading = interpret_expecting(
        answer.status,
        probe.expected_status.as_deref(),
        answer.content_type.as_deref(),
        &answer.body,
    );
    if let Some(wanted) = &probe.body_contains {
        let text = String::from_utf8_lossy(&answer.body);
        if !text.contains(wanted.as_str()) {
            reading.verdict = Verdict::Fail;
            reading.reason = Some(match reading.reason.take() {
                Some(other) => format!("{other}; the answer does not contain `{wanted}`"),
                None => format!("the answer does not contain `{wanted}`"),
            });
        }
    }
    let excerpt_end = answer.body.len().min(EXCERPT_BYTES);
    let excerpt = String::from_utf8_lossy(&answer.body[..excerpt_end]).into_owned();
    Outcome {
        latency,
        status: Some(answer.status),
        reason: reading.reason.clone(),
        reading: Some(reading),
        excerpt,
        body_truncated: answer.truncated || answer.body.len() > EXCERPT_BYTES,
    }
}
