//! The GitHub REST API client the whole server shares (octocrab): fleet
//! discovery lists organisations, drift reads repositories (the repository
//! for its default branch, the recursive tree, then only the blobs it
//! needs), and upgrades write branches, commits and PRs.
//! - Conditional requests: each URL's `ETag` is kept and sent back as
//!   `If-None-Match`; GitHub answers 304, which costs no rate limit, when
//!   nothing changed. Blobs are immutable and cached by SHA.
//! - Rate limits: `x-ratelimit-remaining`/`x-ratelimit-reset` are tracked;
//!   when the primary limit is spent, requests wait for the reset (up to
//!   `max_wait`, else fail with the time it resets); a secondary limit's
//!   `retry-after` is honoured.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use http::header::{ETAG, HeaderMap, HeaderValue, IF_NONE_MATCH, RETRY_AFTER};
use octocrab::Octocrab;
use serde::Deserialize;

use crate::common::secret::Secret;

pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// GitHub documents about 80 content-creating requests a minute as the
/// secondary limit; staying a little under it keeps writes from being refused.
pub const DEFAULT_WRITES_PER_MINUTE: u32 = 75;

struct Cached {
    etag: String,
    body: String,
}

#[derive(Default)]
struct RateLimit {
    remaining: Option<u64>,
    reset_epoch_s: Option<u64>,
}

/// A failed GitHub request: the HTTP status when there was one, and a
/// message without anything secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GitHubError {
    pub status: Option<u16>,
    pub message: String,
}

/// One per server: shares the rate limit and the caches across repositories.
pub struct GitHubClient {
    /// The time of the last write; held while a write is under way.
    write_gate: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    write_interval: Duration,
    octocrab: Octocrab,
    api: String,
    /// The longest wait for a rate limit to reset before giving up.
    max_wait: Duration,
    conditional: Mutex<HashMap<String, Cached>>,
    blobs: Mutex<HashMap<String, String>>,
    rate: Mutex<RateLimit>,
    /// Requests sent, and of those answered 304.
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct GitHubRepo {
    pub name: String,
    pub full_name: String,
    pub default_branch: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub fork: bool,
    /// Kilobytes; GitHub reports 0 for a repository without a commit.
    #[serde(default)]
    pub size: Option<u64>,
}

/// A branch's whole tree, as one recursive listing.
#[derive(Deserialize)]
pub struct Tree {
    /// The tree's SHA: it changes whenever any file of the branch does.
    pub sha: String,
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    truncated: bool,
}

#[derive(Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
}

impl Tree {
    /// The paths of the files (not folders or submodules), with their blob SHAs.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tree
            .iter()
            .filter(|e| e.kind == "blob")
            .map(|e| (e.path.as_str(), e.sha.as_str()))
    }
}

#[derive(Deserialize)]
struct Blob {
    content: String,
    encoding: String,
}

impl GitHubClient {
    pub fn new(api: &str, token: Option<&Secret>, max_wait: Duration) -> Result<Self, String> {
        crate::common::tls::install_crypto_provider();
        let mut builder = Octocrab::builder()
            .base_uri(api)
            .map_err(|e| format!("the GitHub API URL `{api}` is not valid: {e}"))?
            .set_read_timeout(Some(Duration::from_secs(30)))
            .set_connect_timeout(Some(Duration::from_secs(10)));
        if let Some(token) = token {
            builder = builder.personal_token(token.expose().to_string());
        }
        let octocrab = builder
            .build()
            .map_err(|e| format!("cannot set up the GitHub client: {e}"))?;
        Ok(GitHubClient {
            write_gate: tokio::sync::Mutex::new(None),
            write_interval: Duration::from_secs(60) / DEFAULT_WRITES_PER_MINUTE,
            octocrab,
            api: api.trim_end_matches('/').to_string(),
            max_wait,
            conditional: Mutex::new(HashMap::new()),
            blobs: Mutex::new(HashMap::new()),
            rate: Mutex::new(RateLimit::default()),
            requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        })
    }

    /// Spaces writes so that at most `per_minute` are sent in a minute.
    pub fn with_writes_per_minute(mut self, per_minute: u32) -> Self {
        self.write_interval = Duration::from_secs(60) / per_minute.max(1);
        self
    }

    fn now_epoch_s() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// Waits for a spent primary limit to reset, if that is soon enough.
    async fn respect_primary_limit(&self) -> Result<(), String> {
        let wait = {
            let rate = self.rate.lock().map_err(|_| "rate-limit state poisoned")?;
            match (rate.remaining, rate.reset_epoch_s) {
                (Some(0), Some(reset)) => reset.saturating_sub(Self::now_epoch_s()),
                _ => 0,
            }
        };
        if wait == 0 {
            return Ok(());
        }
        if Duration::from_secs(wait) > self.max_wait {
            return Err(format!(
                "GitHub's API rate limit is spent and resets in {wait}s; repositories will be read after it resets"
            ));
        }
        tokio::time::sleep(Duration::from_secs(wait)).await;
        Ok(())
    }

    fn note_rate_limit(&self, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
        };
        if let Ok(mut rate) = self.rate.lock()
            && let Some(remaining) = number("x-ratelimit-remaining")
        {
            rate.remaining = Some(remaining);
            rate.reset_epoch_s = number("x-ratelimit-reset");
        }
    }

    /// GETs an API path (`/repos/…`), conditionally when `conditional`
    /// (a 304 answers with the body cached beside its ETag).
    async fn get(&self, path: &str, conditional: bool) -> Result<String, String> {
        self.send(http::Method::GET, path, None, conditional)
            .await
            .map_err(|e| e.message)
    }

    /// Sends a request to an API path. Writes (anything but GET) go one at
    /// a time and at most `writes_per_minute`, below GitHub's secondary
    /// limit on content creation; a 403/429 with `retry-after` is waited
    /// for (up to `max_wait`), a spent primary limit until its reset.
    pub async fn send(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        conditional: bool,
    ) -> Result<String, GitHubError> {
        let write = method != http::Method::GET;
        // Held for the whole write: one content-creating request at a time.
        let mut gate = if write {
            let gate = self.write_gate.lock().await;
            if let Some(last) = *gate {
                let due = last + self.write_interval;
                if due > tokio::time::Instant::now() {
                    tokio::time::sleep_until(due).await;
                }
            }
            Some(gate)
        } else {
            None
        };
        let result = self.send_now(&method, path, body, conditional).await;
        if let Some(gate) = gate.as_mut() {
            **gate = Some(tokio::time::Instant::now());
        }
        result
    }

    async fn send_now(
        &self,
        method: &http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        conditional: bool,
    ) -> Result<String, GitHubError> {
        let url = format!("{}{path}", self.api);
        let fail = |status: Option<u16>, message: String| GitHubError { status, message };
        for attempt in 1..=3 {
            self.respect_primary_limit()
                .await
                .map_err(|m| fail(None, m))?;
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            );
            headers.insert(
                "x-github-api-version",
                HeaderValue::from_static("2022-11-28"),
            );
            let known_etag = conditional
                .then(|| {
                    self.conditional
                        .lock()
                        .ok()
                        .and_then(|c| c.get(&url).map(|c| c.etag.clone()))
                })
                .flatten();
            if let Some(etag) = &known_etag
                && let Ok(value) = HeaderValue::from_str(etag)
            {
                headers.insert(IF_NONE_MATCH, value);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = match *method {
                http::Method::GET => {
                    self.octocrab
                        ._get_with_headers(url.as_str(), Some(headers))
                        .await
                }
                http::Method::POST => self.octocrab._post(url.as_str(), body).await,
                http::Method::PATCH => self.octocrab._patch(url.as_str(), body).await,
                http::Method::PUT => self.octocrab._put(url.as_str(), body).await,
                _ => self.octocrab._delete(url.as_str(), body).await,
            };
            let response = sent.map_err(|e| {
                fail(
                    None,
                    format!("GitHub could not be reached: {}", describe(&e)),
                )
            })?;
            let status = response.status();
            let headers = response.headers().clone();
            self.note_rate_limit(&headers);
            if status == http::StatusCode::NOT_MODIFIED {
                self.not_modified.fetch_add(1, Ordering::Relaxed);
                let cached = self
                    .conditional
                    .lock()
                    .ok()
                    .and_then(|c| c.get(&url).map(|c| c.body.clone()));
                if let Some(body) = cached {
                    return Ok(body);
                }
            }
            let text = self.octocrab.body_to_string(response).await.map_err(|e| {
                fail(
                    None,
                    format!("GitHub's answer was cut off: {}", describe(&e)),
                )
            })?;
            if status.is_success() {
                if conditional
                    && let Some(etag) = headers.get(ETAG).and_then(|v| v.to_str().ok())
                    && let Ok(mut cache) = self.conditional.lock()
                {
                    cache.insert(
                        url.clone(),
                        Cached {
                            etag: etag.to_string(),
                            body: text.clone(),
                        },
                    );
                }
                return Ok(text);
            }
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .map(|v| {
                    let mut message = v
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or_default()
                        .to_string();
                    // 422s say what failed in `errors[].message`.
                    for detail in v
                        .get("errors")
                        .and_then(|e| e.as_array())
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                    {
                        message.push_str(": ");
                        message.push_str(detail);
                    }
                    message
                })
                .unwrap_or_default();
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let spent = headers
                .get("x-ratelimit-remaining")
                .and_then(|v| v.to_str().ok())
                == Some("0");
            let code = Some(status.as_u16());
            match status.as_u16() {
                403 | 429 if retry_after.is_some() || spent => {
                    if let Some(seconds) = retry_after {
                        if Duration::from_secs(seconds) > self.max_wait {
                            return Err(fail(
                                code,
                                format!(
                                    "GitHub asked to wait {seconds}s (secondary rate limit): {message}"
                                ),
                            ));
                        }
                        tokio::time::sleep(Duration::from_secs(seconds)).await;
                    }
                    // A spent primary limit is waited for at the top of the loop.
                    if attempt == 3 {
                        return Err(fail(code, format!("GitHub's rate limit: {message}")));
                    }
                }
                401 => {
                    return Err(fail(
                        code,
                        format!("GitHub rejected the token (401 {message})"),
                    ));
                }
                404 => {
                    return Err(fail(
                        code,
                        "not found on GitHub (or the token cannot see it)".to_string(),
                    ));
                }
                500..=599 if attempt < 3 => {
                    tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
                }
                _ => return Err(fail(code, format!("GitHub answered {status}: {message}"))),
            }
        }
        Err(fail(None, "GitHub did not answer after 3 attempts".into()))
    }

    pub async fn repository(&self, full_name: &str) -> Result<GitHubRepo, String> {
        let body = self.get(&format!("/repos/{full_name}"), true).await?;
        serde_json::from_str(&body)
            .map_err(|e| format!("GitHub's repository answer is not in the documented shape: {e}"))
    }

    /// The whole tree of `branch`, listed recursively in one request.
    pub async fn tree(&self, full_name: &str, branch: &str) -> Result<Tree, String> {
        let answer = self
            .get(
                &format!("/repos/{full_name}/git/trees/{branch}?recursive=1"),
                true,
            )
            .await?;
        let tree: Tree = serde_json::from_str(&answer)
            .map_err(|e| format!("GitHub's tree answer is not in the documented shape: {e}"))?;
        if tree.truncated {
            return Err(format!(
                "the tree of {branch} is too large for GitHub to list in one answer; use a git URL for this repository"
            ));
        }
        Ok(tree)
    }

    /// A file's text by its blob SHA; blobs never change, so each is asked once.
    pub async fn blob(&self, full_name: &str, sha: &str) -> Result<String, String> {
        if let Some(text) = self.blobs.lock().ok().and_then(|b| b.get(sha).cloned()) {
            return Ok(text);
        }
        let body = self
            .get(&format!("/repos/{full_name}/git/blobs/{sha}"), false)
            .await?;
        let blob: Blob = serde_json::from_str(&body)
            .map_err(|e| format!("GitHub's blob answer is not in the documented shape: {e}"))?;
        if blob.encoding != "base64" {
            return Err(format!(
                "blob {sha} has encoding `{}`, not base64",
                blob.encoding
            ));
        }
        let packed: String = blob.content.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|e| format!("blob {sha} is not valid base64: {e}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Ok(mut blobs) = self.blobs.lock() {
            blobs.insert(sha.to_string(), text.clone());
        }
        Ok(text)
    }

    /// Every repository of an organisation, following `Link` pagination.
    pub async fn org_repositories(&self, org: &str) -> Result<Vec<GitHubRepo>, String> {
        let mut repos = Vec::new();
        let mut page = 1;
        loop {
            let path = format!("/orgs/{org}/repos?per_page=100&type=all&page={page}");
            let body = self.get(&path, true).await?;
            let batch: Vec<GitHubRepo> = serde_json::from_str(&body).map_err(|e| {
                format!("GitHub's repository list is not in the documented shape: {e}")
            })?;
            let full = batch.len() == 100;
            repos.extend(batch);
            if !full {
                return Ok(repos);
            }
            page += 1;
        }
    }
}

/// octocrab's errors, without anything that could carry a token.
fn describe(error: &octocrab::Error) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or("unknown error").to_string()
}
