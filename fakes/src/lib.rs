//! Local stand-ins for the services Shipshape talks to, answering over real
//! HTTP in the shapes their documentation gives:
//! - crates.io sparse index (`/cargo/…`): one JSON line per version with
//!   `name`, `vers`, `deps`, `cksum`, `features`, `yanked`, `pubtime`;
//! - npm registry (`/npm/{name}`): the full packument with `dist-tags`,
//!   `versions` (and their `deprecated`) and `time`;
//! - PyPI JSON API (`/pypi/pypi/{name}/json`): `info`, `releases` with files
//!   (`upload_time_iso_8601`, `yanked`), `vulnerabilities`; and its simple
//!   index with wheels for installers (`/pypi/simple/…`, `pypi_simple`);
//! - Go module proxy (`/go/{module}/@v/list`, `/@v/{version}.info`);
//! - RubyGems (`/ruby/api/v1/versions/{name}.json`);
//! - Maven (`/maven/{group path}/{artifact}/maven-metadata.xml`);
//! - GitHub REST (`/github/…`): repositories, recursive git trees, blobs
//!   (base64, wrapped at 60 columns), organisation repositories with `Link`
//!   pagination, `ETag`/304 (which cost no rate limit), the primary rate
//!   limit (`x-ratelimit-*`, 403 when spent) and the secondary one (429 with
//!   `retry-after`);
//! - healthchecks (`/health/{name}`): the standard `{"status":"healthy"}`,
//!   IETF `application/health+json`, Spring Boot Actuator and plain status
//!   codes, switchable while running, plus hangs, huge bodies and redirects;
//! - webhook receivers (generic, and Slack's incoming webhooks) and an SMTP
//!   server with STARTTLS and AUTH, for alert channels (`receivers`, `smtp`).
//!
//! Every registry answer carries an `ETag` and honours `If-None-Match`. Faults can be
//! injected per package (status codes, garbage, hangs, `Retry-After`), and a
//! latency added to every request, for tests and benchmarks.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use base64::Engine;
use serde_json::{Value, json};

pub mod demo;
pub mod github_write;
pub mod health;
pub mod pypi_simple;
pub mod receivers;
pub mod smtp;

pub use github_write::{FakeGit, FakePull};
pub use health::FakeHealth;
pub use receivers::{ReceiverKind, ReceiverMode, WebhookReceiver};
pub use smtp::{FakeSmtp, SmtpMode};

/// One published version of a fake package.
#[derive(Clone, Debug)]
pub struct FakeRelease {
    pub version: String,
    /// `YYYY-MM-DD`; answered as noon UTC that day.
    pub date: String,
    pub yanked: bool,
    pub deprecated: Option<String>,
    /// (name, requirement) of what this version depends on, served in the
    /// Cargo index's `deps` and the npm packument's `dependencies`, so
    /// that package managers resolve transitive packages from the fakes.
    pub dependencies: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct FakePackage {
    pub releases: Vec<FakeRelease>,
    /// Cargo features every release offers (the index's `features`), so
    /// that manifests asking for them resolve.
    pub features: Vec<String>,
    /// PyPI `vulnerabilities` entries, as the API gives them.
    pub vulnerabilities: Vec<Value>,
}

impl FakePackage {
    /// Releases from `"1.2.3@2024-01-31"` strings; a `!` after the version
    /// marks it yanked (`"1.2.4!@2024-02-01"`).
    pub fn of(releases: &[&str]) -> Self {
        FakePackage {
            releases: releases
                .iter()
                .map(|spec| {
                    let (version, date) = spec.split_once('@').unwrap_or((spec, "2024-01-01"));
                    let yanked = version.ends_with('!');
                    FakeRelease {
                        version: version.trim_end_matches('!').to_string(),
                        date: date.to_string(),
                        yanked,
                        deprecated: None,
                        dependencies: Vec::new(),
                    }
                })
                .collect(),
            vulnerabilities: Vec::new(),
            features: Vec::new(),
        }
    }

    /// Every release offers these Cargo features.
    pub fn with_features(mut self, features: &[&str]) -> Self {
        self.features = features.iter().map(|f| (*f).to_string()).collect();
        self
    }

    /// `version` depends on `dependencies` ((name, requirement) pairs).
    pub fn requires(mut self, version: &str, dependencies: &[(&str, &str)]) -> Self {
        for release in self.releases.iter_mut().filter(|r| r.version == version) {
            release.dependencies = dependencies
                .iter()
                .map(|(name, requirement)| ((*name).to_string(), (*requirement).to_string()))
                .collect();
        }
        self
    }
}

/// What a registry does instead of answering well.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Always answers this status.
    Status(u16),
    /// Answers this status `times` times, then answers well.
    FailFirst { times: u32, status: u16 },
    /// Answers 200 with a body that is not the documented shape.
    Garbage,
    /// Never answers.
    Hang,
    /// Answers 429 with `Retry-After: seconds` once, then answers well.
    RetryAfterOnce { seconds: u64 },
}

#[derive(Clone, Debug)]
pub struct FakeRepo {
    pub default_branch: String,
    pub archived: bool,
    pub fork: bool,
    /// Path → content of the default branch.
    pub files: BTreeMap<String, String>,
    /// Blobs, trees, commits, other branches and PRs written through the API.
    pub git: FakeGit,
}

impl FakeRepo {
    pub fn with_files(files: &[(&str, &str)]) -> Self {
        FakeRepo {
            default_branch: "main".into(),
            archived: false,
            fork: false,
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            git: FakeGit::default(),
        }
    }
}

/// Everything the fakes know and count; tests change it while they run.
#[derive(Default)]
pub struct FakeState {
    /// (registry, package name) → package. Registries: `cargo`, `npm`,
    /// `pypi`, `go`, `ruby`, `maven` (Maven names are `group:artifact`).
    pub packages: HashMap<(String, String), FakePackage>,
    pub faults: HashMap<(String, String), Fault>,
    /// Added to every answer.
    pub latency: Duration,
    /// `owner/repo` → repository.
    pub repos: BTreeMap<String, FakeRepo>,
    /// Name → the healthcheck answered at `/health/NAME`.
    pub health: HashMap<String, FakeHealth>,
    /// When set, GitHub answers 401 to any other bearer token.
    pub github_token: Option<String>,
    /// GitHub's primary limit: requests left (304s are free). `None`: unlimited.
    pub github_remaining: Option<u32>,
    /// The next GitHub request meets the secondary limit (429 + retry-after).
    pub github_secondary_limit_once: Option<u64>,
    /// GitHub's secondary limit on content-creating requests (POST, PATCH,
    /// PUT, DELETE) per minute: one more is answered 403 with `retry-after`.
    pub github_writes_per_minute: Option<u32>,
    /// When each content-creating request arrived.
    pub github_write_times: Vec<std::time::Instant>,
    /// Writes (POST, PATCH, PUT, DELETE) answered so far.
    pub github_writes: usize,
    /// Simulates a crash: the Nth write (from 1) never answers; with `true`
    /// it is carried out first (GitHub did it, the caller never heard).
    pub github_hang_on_write: Option<(usize, bool)>,
    /// Set once a write has hung.
    pub github_hung: bool,
    /// Every request, as `METHOD path?query`.
    pub log: Vec<String>,
    pub not_modified: u64,
}

impl FakeState {
    pub fn add(&mut self, registry: &str, name: &str, package: FakePackage) {
        self.packages
            .insert((registry.to_string(), name.to_string()), package);
    }

    pub fn fault(&mut self, registry: &str, name: &str, fault: Fault) {
        self.faults
            .insert((registry.to_string(), name.to_string()), fault);
    }

    /// Requests whose path starts with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.log
            .iter()
            .filter(|line| {
                line.split_once(' ')
                    .is_some_and(|(_, path)| path.starts_with(prefix))
            })
            .count()
    }
}

/// Running fakes on a loopback port.
#[derive(Clone)]
pub struct Fakes {
    pub state: Arc<Mutex<FakeState>>,
    pub addr: SocketAddr,
}

impl Fakes {
    /// Serves `state` on `listen` (port 0 picks a free one) until the
    /// runtime ends.
    pub async fn start(state: FakeState, listen: SocketAddr) -> std::io::Result<Fakes> {
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::clone(&state);
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let shared = Arc::clone(&shared);
            async move { answer(&shared, request).await }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Fakes { state, addr })
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of one registry (`cargo`, `npm`, …) or of `github`.
    pub fn url(&self, service: &str) -> String {
        format!("{}/{service}", self.base())
    }

    pub fn lock(&self) -> MutexGuard<'_, FakeState> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<FakeState>) -> MutexGuard<'_, FakeState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn timestamp(date: &str, millis: bool) -> String {
    if millis {
        format!("{date}T12:00:00.000Z")
    } else {
        format!("{date}T12:00:00Z")
    }
}

/// A stable tag for a body (FNV-1a), as an ETag or a fake git SHA.
pub(crate) fn digest(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}{:016x}{:08x}", hash.rotate_left(17), hash >> 32)
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len() + 1
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(value) = u8::from_str_radix(hex, 16)
        {
            out.push(value);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

enum Answer {
    Json(Value),
    Text(String, &'static str),
    Bytes(Vec<u8>, &'static str),
    Status(StatusCode, Value),
    Hang,
}

async fn answer(shared: &Arc<Mutex<FakeState>>, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let latency = {
        let mut state = lock(shared);
        state.log.push(format!(
            "{} {path}{}{query}",
            request.method(),
            if query.is_empty() { "" } else { "?" }
        ));
        state.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let headers = request.headers().clone();
    let method = request.method().clone();
    let (service, rest) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path.trim_start_matches('/'), ""));
    let rest = rest.to_string();
    if service == "github" {
        let body = axum::body::to_bytes(request.into_body(), 1 << 24)
            .await
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .unwrap_or(Value::Null);
        let response = github(shared, &method, &rest, &query, &headers, &body).await;
        let hung = lock(shared).github_hung;
        if hung && method != axum::http::Method::GET {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        return response;
    }
    if service == "health" {
        let endpoint = lock(shared).health.get(&rest).cloned();
        return match endpoint.map(|e| e.response()) {
            Some(Some(response)) => response,
            Some(None) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Response::default()
            }
            None => Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Body::from("no such healthcheck"))
                .unwrap_or_default(),
        };
    }
    if service == "cargo" && rest == "config.json" {
        // A sparse registry's first answer: where crates are downloaded.
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
            .to_string();
        let mut state = lock(shared);
        return respond(
            Answer::Json(json!({ "dl": format!("http://{host}/cargo/dl"), "api": null })),
            &headers,
            &mut state,
        );
    }
    if service == "pypi" && (rest.starts_with("simple/") || rest.starts_with("files/")) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1")
            .to_string();
        let json = headers
            .get(header::ACCEPT)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|accept| accept.contains("application/vnd.pypi.simple.v1+json"));
        let mut state = lock(shared);
        let answer = pypi_index_answer(&state, &format!("http://{host}/pypi"), &rest, json);
        return respond(answer, &headers, &mut state);
    }
    let (registry, name, answer) = {
        let mut state = lock(shared);
        registry_answer(&mut state, service, &rest)
    };
    let faulted = name.and_then(|name| {
        let mut state = lock(shared);
        let key = (registry.clone(), name);
        let fault = state.faults.get(&key).cloned()?;
        let (answer, next) = match fault {
            Fault::Status(code) => (status_answer(code), Some(fault)),
            Fault::FailFirst { times, status } => (
                status_answer(status),
                (times > 1).then_some(Fault::FailFirst {
                    times: times - 1,
                    status,
                }),
            ),
            Fault::Garbage => (
                Answer::Text(
                    "<html><body>502 Bad Gateway</body></html>".into(),
                    "text/html",
                ),
                Some(fault),
            ),
            Fault::Hang => (Answer::Hang, Some(fault)),
            Fault::RetryAfterOnce { seconds } => {
                let mut response = respond(status_answer(429), &HeaderMap::new(), &mut state);
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_str(&seconds.to_string())
                        .unwrap_or(HeaderValue::from_static("1")),
                );
                state.faults.remove(&key);
                return Some(Err(response));
            }
        };
        match next {
            Some(next) => state.faults.insert(key, next),
            None => state.faults.remove(&key),
        };
        Some(Ok(answer))
    });
    let answer = match faulted {
        Some(Err(response)) => return response,
        Some(Ok(answer)) => answer,
        None => answer,
    };
    if let Answer::Hang = answer {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let mut state = lock(shared);
    respond(answer, &headers, &mut state)
}

fn status_answer(code: u16) -> Answer {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Answer::Status(
        status,
        json!({ "error": status.canonical_reason().unwrap_or("error") }),
    )
}

fn not_found() -> Answer {
    Answer::Status(StatusCode::NOT_FOUND, json!({ "error": "Not Found" }))
}

/// PyPI's simple index, wheels and their metadata (`pypi_simple`).
fn pypi_index_answer(state: &FakeState, base: &str, rest: &str, json: bool) -> Answer {
    let pypi = || {
        state
            .packages
            .iter()
            .filter(|((registry, _), _)| registry == "pypi")
            .map(|((_, name), package)| (name, package))
    };
    if let Some(project) = rest.strip_prefix("simple/") {
        let wanted = pypi_simple::normalize(project.trim_end_matches('/'));
        return match pypi().find(|(name, _)| pypi_simple::normalize(name) == wanted) {
            Some((name, package)) => {
                let (page, content_type) = pypi_simple::project_page(base, name, package, json);
                Answer::Text(page, content_type)
            }
            None => not_found(),
        };
    }
    let file = rest.strip_prefix("files/").unwrap_or_default();
    match pypi_simple::find_file(pypi(), file) {
        Some((name, release, true)) => {
            Answer::Text(pypi_simple::metadata(&name, &release), "text/plain")
        }
        Some((name, release, false)) => Answer::Bytes(
            pypi_simple::wheel(&name, &release),
            "application/octet-stream",
        ),
        None => not_found(),
    }
}

/// Builds the answer for a registry path; returns the registry and package
/// name so that faults can be applied.
fn registry_answer(
    state: &mut FakeState,
    service: &str,
    rest: &str,
) -> (String, Option<String>, Answer) {
    let registry = service.to_string();
    let find = |name: &str| state.packages.get(&(registry.clone(), name.to_string()));
    match service {
        "cargo" => {
            let name = rest.rsplit('/').next().unwrap_or_default().to_string();
            let found = state
                .packages
                .iter()
                .find(|((r, n), _)| r == "cargo" && n.to_ascii_lowercase() == name)
                .map(|((_, n), p)| (n.clone(), p.clone()));
            let answer = match &found {
                Some((real_name, package)) => Answer::Text(
                    package
                        .releases
                        .iter()
                        .map(|r| {
                            let deps: Vec<Value> = r
                                .dependencies
                                .iter()
                                .map(|(dep, req)| json!({
                                    "name": dep, "req": req, "features": [], "optional": false,
                                    "default_features": true, "target": null, "kind": "normal",
                                }))
                                .collect();
                            json!({
                                "name": real_name, "vers": r.version, "deps": deps,
                                "cksum": format!("{}{}", digest(&format!("{real_name} {}", r.version)), digest(&r.version))[..64].to_string(),
                                "features": package.features.iter().map(|f| (f.clone(), json!([]))).collect::<serde_json::Map<String, Value>>(),
                                "yanked": r.yanked, "links": null, "v": 2,
                                "pubtime": timestamp(&r.date, false),
                            })
                            .to_string()
                                + "\n"
                        })
                        .collect(),
                    "text/plain",
                ),
                None => not_found(),
            };
            (registry, Some(name), answer)
        }
        "npm" => {
            let name = percent_decode(rest);
            let answer = match find(&name) {
                Some(package) => {
                    let stable_latest = package
                        .releases
                        .iter()
                        .rfind(|r| !r.version.contains('-'))
                        .map(|r| r.version.clone());
                    let mut versions = serde_json::Map::new();
                    let mut time = serde_json::Map::new();
                    if let Some(first) = package.releases.first() {
                        time.insert("created".into(), json!(timestamp(&first.date, true)));
                    }
                    for r in &package.releases {
                        let dependencies: serde_json::Map<String, Value> = r
                            .dependencies
                            .iter()
                            .map(|(dep, req)| (dep.clone(), json!(req)))
                            .collect();
                        let mut manifest = json!({
                            "name": name, "version": r.version,
                            "dependencies": dependencies,
                            "dist": {
                                "tarball": format!("https://registry.npmjs.org/{name}/-/{name}-{}.tgz", r.version),
                                "integrity": format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(digest(&format!("{name}@{}", r.version)).repeat(2).as_bytes().get(..64).unwrap_or_default())),
                            },
                        });
                        if let Some(message) = &r.deprecated {
                            manifest["deprecated"] = json!(message);
                        }
                        versions.insert(r.version.clone(), manifest);
                        time.insert(r.version.clone(), json!(timestamp(&r.date, true)));
                    }
                    Answer::Json(json!({
                        "_id": name, "name": name,
                        "dist-tags": { "latest": stable_latest },
                        "versions": versions, "time": time,
                    }))
                }
                None => not_found(),
            };
            (registry, Some(name), answer)
        }
        "pypi" => {
            let name = rest
                .strip_prefix("pypi/")
                .and_then(|r| r.strip_suffix("/json"))
                .unwrap_or_default()
                .to_string();
            let answer = match find(&name) {
                Some(package) => {
                    let mut releases = serde_json::Map::new();
                    for r in &package.releases {
                        releases.insert(
                            r.version.clone(),
                            json!([{
                                "filename": format!("{name}-{}.tar.gz", r.version),
                                "packagetype": "sdist",
                                "upload_time": format!("{}T12:00:00", r.date),
                                "upload_time_iso_8601": format!("{}T12:00:00.000000Z", r.date),
                                "yanked": r.yanked,
                                "yanked_reason": null,
                            }]),
                        );
                    }
                    Answer::Json(json!({
                        "info": { "name": name, "version": package.releases.last().map(|r| r.version.clone()) },
                        "releases": releases,
                        "vulnerabilities": package.vulnerabilities,
                    }))
                }
                None => not_found(),
            };
            (registry, Some(name), answer)
        }
        "go" => {
            let Some((module, tail)) = rest.split_once("/@v/") else {
                return (registry, None, not_found());
            };
            let module = unescape_go(module);
            let answer = match find(&module) {
                Some(package) if tail == "list" => Answer::Text(
                    package
                        .releases
                        .iter()
                        .map(|r| format!("{}\n", r.version))
                        .collect(),
                    "text/plain",
                ),
                Some(package) => match tail
                    .strip_suffix(".info")
                    .and_then(|v| package.releases.iter().find(|r| r.version == v))
                {
                    Some(r) => Answer::Json(
                        json!({ "Version": r.version, "Time": timestamp(&r.date, false) }),
                    ),
                    None => not_found(),
                },
                None => not_found(),
            };
            (registry, Some(module), answer)
        }
        "ruby" => {
            let name = rest
                .strip_prefix("api/v1/versions/")
                .and_then(|r| r.strip_suffix(".json"))
                .unwrap_or_default()
                .to_string();
            let answer = match find(&name) {
                Some(package) => Answer::Json(Value::Array(
                    package
                        .releases
                        .iter()
                        .rev()
                        .map(|r| {
                            json!({
                                "number": r.version, "platform": "ruby",
                                "created_at": timestamp(&r.date, true),
                                "prerelease": r.version.chars().any(|c| c.is_ascii_alphabetic()),
                                "licenses": ["MIT"],
                            })
                        })
                        .collect(),
                )),
                None => not_found(),
            };
            (registry, Some(name), answer)
        }
        "maven" => {
            let Some(coordinates) = rest.strip_suffix("/maven-metadata.xml") else {
                return (registry, None, not_found());
            };
            let (group, artifact) = coordinates.rsplit_once('/').unwrap_or(("", coordinates));
            let name = format!("{}:{artifact}", group.replace('/', "."));
            let answer = match find(&name) {
                Some(package) => {
                    let versions: String = package
                        .releases
                        .iter()
                        .map(|r| format!("      <version>{}</version>\n", r.version))
                        .collect();
                    let last = package
                        .releases
                        .last()
                        .map(|r| r.version.clone())
                        .unwrap_or_default();
                    Answer::Text(
                        format!(
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n  <groupId>{}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <versioning>\n    <latest>{last}</latest>\n    <release>{last}</release>\n    <versions>\n{versions}    </versions>\n    <lastUpdated>20240101120000</lastUpdated>\n  </versioning>\n</metadata>\n",
                            group.replace('/', ".")
                        ),
                        "application/xml",
                    )
                }
                None => not_found(),
            };
            (registry, Some(name), answer)
        }
        _ => (registry, None, not_found()),
    }
}

fn unescape_go(module: &str) -> String {
    let mut out = String::with_capacity(module.len());
    let mut capital = false;
    for c in module.chars() {
        if c == '!' {
            capital = true;
        } else if capital {
            out.push(c.to_ascii_uppercase());
            capital = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Serialises an answer with an ETag, answering 304 when the client
/// already has it.
fn respond(answer: Answer, request_headers: &HeaderMap, state: &mut FakeState) -> Response<Body> {
    let (status, body, content_type) = match answer {
        Answer::Json(value) => (
            StatusCode::OK,
            value.to_string().into_bytes(),
            "application/json",
        ),
        Answer::Text(text, content_type) => (StatusCode::OK, text.into_bytes(), content_type),
        Answer::Bytes(bytes, content_type) => (StatusCode::OK, bytes, content_type),
        Answer::Status(status, value) => {
            (status, value.to_string().into_bytes(), "application/json")
        }
        Answer::Hang => (StatusCode::GATEWAY_TIMEOUT, Vec::new(), "text/plain"),
    };
    let etag = format!("\"{}\"", &digest(&String::from_utf8_lossy(&body))[..20]);
    let mut builder = Response::builder().header(header::CONTENT_TYPE, content_type);
    if status.is_success() {
        builder = builder.header(header::ETAG, &etag);
        let matches = request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
        if matches {
            state.not_modified += 1;
            return builder
                .status(StatusCode::NOT_MODIFIED)
                .body(Body::empty())
                .unwrap_or_default();
        }
    }
    builder
        .status(status)
        .body(Body::from(body))
        .unwrap_or_default()
}

fn repo_json(base: &str, full_name: &str, repo: &FakeRepo) -> Value {
    let (owner, name) = full_name.split_once('/').unwrap_or(("", full_name));
    json!({
        "id": digest(full_name)[..8].chars().filter(char::is_ascii_digit).collect::<String>().parse::<u64>().unwrap_or(1),
        "name": name, "full_name": full_name,
        "owner": { "login": owner, "type": "Organization" },
        "private": false, "fork": repo.fork, "archived": repo.archived,
        "default_branch": repo.default_branch,
        // Kilobytes, as GitHub reports it; 0 for an empty repository.
        "size": repo.files.values().map(String::len).sum::<usize>().div_ceil(1024),
        "html_url": format!("https://github.com/{full_name}"),
        "url": format!("{base}/repos/{full_name}"),
    })
}

async fn github(
    shared: &Arc<Mutex<FakeState>>,
    method: &axum::http::Method,
    rest: &str,
    query: &str,
    headers: &HeaderMap,
    body: &Value,
) -> Response<Body> {
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}/github"))
        .unwrap_or_default();
    let mut state = lock(shared);
    if let Some(expected) = &state.github_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("token "))
            });
        if given != Some(expected.as_str()) {
            return respond(
                Answer::Status(
                    StatusCode::UNAUTHORIZED,
                    json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest" }),
                ),
                headers,
                &mut state,
            );
        }
    }
    if let Some(seconds) = state.github_secondary_limit_once.take() {
        let mut response = respond(
            Answer::Status(
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }),
            ),
            headers,
            &mut state,
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).unwrap_or(HeaderValue::from_static("1")),
        );
        return response;
    }
    let writes = method != axum::http::Method::GET;
    if writes && let Some(limit) = state.github_writes_per_minute {
        let now = std::time::Instant::now();
        state
            .github_write_times
            .retain(|t| now.duration_since(*t) < Duration::from_secs(60));
        if state.github_write_times.len() >= limit as usize {
            let mut response = respond(
                Answer::Status(
                    StatusCode::FORBIDDEN,
                    json!({ "message": "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" }),
                ),
                headers,
                &mut state,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
        state.github_write_times.push(now);
    }
    let parts: Vec<&str> = rest.split('/').collect();
    if let ["repos", owner, name, more @ ..] = parts.as_slice()
        && !more.is_empty()
    {
        let full_name = format!("{owner}/{name}");
        let hang = if writes {
            state.github_writes += 1;
            state
                .github_hang_on_write
                .filter(|(nth, _)| *nth == state.github_writes)
                .map(|(_, applied)| applied)
        } else {
            None
        };
        if hang.is_some() {
            // The caller (`answer`) never sends the response.
            state.github_hung = true;
        }
        if hang == Some(false) {
            return Response::default();
        }
        let written = state.repos.get_mut(&full_name).and_then(|repo| {
            github_write::answer(&base, &full_name, repo, method, more, query, body)
        });
        if let Some((status, value)) = written {
            let response = if status == StatusCode::NO_CONTENT {
                Response::builder()
                    .status(status)
                    .body(Body::empty())
                    .unwrap_or_default()
            } else {
                respond(Answer::Status(status, value), headers, &mut state)
            };
            return with_rate_limit(response, &mut state);
        }
    }
    let answer = match parts.as_slice() {
        ["repos", owner, repo] => match state.repos.get(&format!("{owner}/{repo}")) {
            Some(found) => Answer::Json(repo_json(&base, &format!("{owner}/{repo}"), found)),
            None => github_not_found(),
        },
        ["repos", owner, repo, "git", "trees", reference] => {
            match state.repos.get(&format!("{owner}/{repo}")) {
                // What GitHub answers for a repository without a commit.
                Some(found) if found.files.is_empty() => Answer::Status(
                    StatusCode::CONFLICT,
                    json!({ "message": "Git Repository is empty.", "documentation_url": "https://docs.github.com/rest/git/trees#get-a-tree" }),
                ),
                Some(found) => {
                    // A branch name or a tree SHA.
                    let tree_sha = found
                        .branch_head(reference)
                        .and_then(|head| found.git.commits.get(&head).map(|c| c.tree.clone()))
                        .or_else(|| {
                            (*reference == found.default_branch).then(|| found.default_tree_sha())
                        })
                        .unwrap_or_else(|| (*reference).to_string());
                    match found.tree_files(&tree_sha) {
                        Some(files) => {
                            let tree: Vec<Value> = files
                                .iter()
                                .map(|(path, text)| {
                                    let sha = digest(&format!("blob\0{text}"))[..40].to_string();
                                    json!({
                                        "path": path, "mode": "100644", "type": "blob", "sha": sha,
                                        "size": text.len(),
                                        "url": format!("{base}/repos/{owner}/{repo}/git/blobs/{sha}"),
                                    })
                                })
                                .collect();
                            Answer::Json(json!({
                                "sha": tree_sha,
                                "url": format!("{base}/repos/{owner}/{repo}/git/trees/{tree_sha}"),
                                "tree": tree, "truncated": false,
                            }))
                        }
                        None => github_not_found(),
                    }
                }
                None => github_not_found(),
            }
        }
        ["repos", owner, repo, "git", "blobs", sha] => {
            match state.repos.get(&format!("{owner}/{repo}")).and_then(|r| {
                r.git
                    .trees
                    .values()
                    .chain(std::iter::once(&r.files))
                    .flat_map(|files| files.iter())
                    .find(|(_, text)| digest(&format!("blob\0{text}")).starts_with(sha))
            }) {
                Some((_, text)) => {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                    let wrapped: Vec<String> = encoded
                        .as_bytes()
                        .chunks(60)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    Answer::Json(json!({
                        "sha": sha, "node_id": "B_fake", "size": text.len(),
                        "url": format!("{base}/repos/{owner}/{repo}/git/blobs/{sha}"),
                        "content": wrapped.join("\n") + "\n", "encoding": "base64",
                    }))
                }
                None => github_not_found(),
            }
        }
        ["orgs", org, "repos"] => {
            let per_page: usize = query_param(query, "per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(30);
            let page: usize = query_param(query, "page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let all: Vec<Value> = state
                .repos
                .iter()
                .filter(|(name, _)| name.split('/').next() == Some(*org))
                .map(|(name, repo)| repo_json(&base, name, repo))
                .collect();
            if all.is_empty() {
                github_not_found()
            } else {
                let start = (page - 1).saturating_mul(per_page);
                let slice: Vec<Value> = all.iter().skip(start).take(per_page).cloned().collect();
                let more = start + per_page < all.len();
                let mut response = respond(Answer::Json(Value::Array(slice)), headers, &mut state);
                if more {
                    let link = format!(
                        "<{base}/orgs/{org}/repos?per_page={per_page}&page={}>; rel=\"next\"",
                        page + 1
                    );
                    if let Ok(value) = HeaderValue::from_str(&link) {
                        response.headers_mut().insert(header::LINK, value);
                    }
                }
                return with_rate_limit(response, &mut state);
            }
        }
        _ => github_not_found(),
    };
    let response = respond(answer, headers, &mut state);
    with_rate_limit(response, &mut state)
}

fn github_not_found() -> Answer {
    Answer::Status(
        StatusCode::NOT_FOUND,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }),
    )
}

pub(crate) fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Applies the primary rate limit: a 304 is free; when nothing is left the
/// answer becomes GitHub's documented 403.
fn with_rate_limit(mut response: Response<Body>, state: &mut FakeState) -> Response<Body> {
    let limit = 5000;
    let reset = 1_900_000_000u64;
    if let Some(remaining) = state.github_remaining.as_mut() {
        if response.status() != StatusCode::NOT_MODIFIED {
            if *remaining == 0 {
                response = Response::builder()
                    .status(StatusCode::FORBIDDEN)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        json!({ "message": "API rate limit exceeded for installation.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" })
                            .to_string(),
                    ))
                    .unwrap_or_default();
            } else {
                *remaining -= 1;
            }
        }
        let left = *remaining;
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", limit.to_string()),
            ("x-ratelimit-remaining", left.to_string()),
            ("x-ratelimit-used", (limit - left.min(limit)).to_string()),
            ("x-ratelimit-reset", reset.to_string()),
            ("x-ratelimit-resource", "core".to_string()),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
    response
}
