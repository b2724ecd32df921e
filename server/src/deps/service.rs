//! The drift service layer: refreshes (the whole fleet on an interval, or
//! one service on demand), progress while they run, and the queries the
//! API and the UI make. A refresh, for a batch of services:
//! 1. reads each repository from its source (an unchanged revision is not
//!    read or parsed again: its stored dependencies are reused);
//! 2. asks each registry once per package for the whole batch;
//! 3. measures every dependency and stores one snapshot per service,
//!    atomically. A service whose repository cannot be read keeps its
//!    previous snapshot, and the error is recorded on it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;
use shipshape_types::drift::{DependencyView, PackageUse, ServiceDrift};

use super::crawl::{Registries, found_from_row, measure_all, with_lock_problems};
use super::model::Ecosystem;
use super::query::PackageQuery;
use super::read::{FoundDependency, read_snapshot};
use super::registry::client::{HttpRegistry, default_base_url, registry_name};
use super::source::git::{GitCredentials, GitRepository};
use super::source::github::GitHubRepository;
use super::source::local::LocalFolder;
use super::source::{Fetched, RepositoryReader};
use crate::common::clock::Clock;
use crate::common::secret::Secret;
use crate::deps::settings::DriftConfig;
use crate::fleet::spec::RepositorySource;
use crate::fleet::spec::StoredService;
use crate::integrations::github::GitHubClient;
use crate::integrations::registry::{FetchPolicy, Fetcher, http_client};
use crate::store::{Store, StoreError};

/// Repositories read at once.
const SOURCE_CONCURRENCY: usize = 16;
const HISTORY_SHOWN: i64 = 90;

#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no service `{0}`")]
    UnknownService(String),
    #[error("service `{0}` has no repository to read")]
    NoRepository(String),
}

/// Makes a reader for each kind of repository source.
#[derive(Clone)]
pub struct Sources {
    pub github: Option<Arc<GitHubClient>>,
    pub cache_dir: PathBuf,
    pub git_credentials: GitCredentials,
    pub git_timeout: Duration,
}

impl Sources {
    pub fn reader(&self, source: &RepositorySource) -> Result<Box<dyn RepositoryReader>, String> {
        Ok(match source {
            RepositorySource::Local { path } => Box::new(LocalFolder { path: path.clone() }),
            RepositorySource::Git { url } => Box::new(GitRepository {
                url: url.clone(),
                cache_dir: self.cache_dir.clone(),
                credentials: self.git_credentials.clone(),
                timeout: self.git_timeout,
            }),
            RepositorySource::GitHub { owner, repo } => Box::new(GitHubRepository {
                client: self
                    .github
                    .clone()
                    .ok_or("the GitHub client could not be set up (see the server's log)")?,
                full_name: format!("{owner}/{repo}"),
            }),
        })
    }
}

/// Builds the registries from config; `env` supplies the tokens named there.
pub fn registries_from_config(config: &DriftConfig, env: &BTreeMap<String, String>) -> Registries {
    let client = http_client(concat!("shipshape/", env!("CARGO_PKG_VERSION")));
    let policy = FetchPolicy {
        timeout: config.request_timeout,
        concurrency: usize::try_from(config.concurrency).unwrap_or(16),
        cache_ttl: config.cache_ttl,
        ..FetchPolicy::default()
    };
    let mut registries = HashMap::new();
    for ecosystem in Ecosystem::ALL {
        let configured = config.registries.get(&ecosystem);
        let base = configured
            .and_then(|r| r.url.clone())
            .unwrap_or_else(|| default_base_url(ecosystem).to_string());
        let token = configured
            .and_then(|r| r.token_env.as_ref())
            .and_then(|var| env.get(var))
            .map(Secret::new);
        let fetcher = Fetcher::new(
            format!(
                "{} ({})",
                registry_name(ecosystem),
                crate::common::secret::redact_url_password(&base)
            ),
            client.clone(),
            token,
            policy.clone(),
        );
        registries.insert(
            ecosystem,
            Arc::new(HttpRegistry::new(ecosystem, &base, fetcher))
                as Arc<dyn super::registry::client::Registry>,
        );
    }
    Registries(registries)
}

pub fn sources_from_config(config: &DriftConfig, env: &BTreeMap<String, String>) -> Sources {
    let secret = |var: &Option<String>| var.as_ref().and_then(|v| env.get(v)).map(Secret::new);
    let github = match GitHubClient::new(
        &config.github_api_url,
        secret(&config.github_token_env).as_ref(),
        Duration::from_secs(120),
    ) {
        Ok(client) => Some(Arc::new(
            client.with_writes_per_minute(config.github_writes_per_minute),
        )),
        Err(error) => {
            tracing::error!("GitHub repositories cannot be read: {error}");
            None
        }
    };
    Sources {
        github,
        cache_dir: config.cache_dir.clone(),
        git_credentials: GitCredentials {
            token: secret(&config.git_token_env),
            token_hosts: config
                .git_token_hosts
                .iter()
                .map(|host| host.to_ascii_lowercase())
                .collect(),
            ssh_key: config.git_ssh_key.clone(),
        },
        git_timeout: Duration::from_secs(300),
    }
}

#[derive(Clone)]
pub struct DriftService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    registries: Registries,
    sources: Sources,
    /// Libyears over which a service's drift is journaled as over budget.
    libyear_budget: Option<f64>,
    /// Service id → what its running refresh is doing.
    progress: RwLock<HashMap<i64, String>>,
    /// One fleet refresh at a time; a refresh-now waits its turn.
    running: tokio::sync::Mutex<()>,
    /// Services with a refresh-now queued or running: asking again while
    /// one is adds nothing (clicks and scripts cannot pile refreshes up).
    requested: std::sync::Mutex<std::collections::HashSet<i64>>,
}

/// Takes a service's refresh-now off the list when dropped.
struct ForgetRequest(Arc<Inner>, i64);

impl Drop for ForgetRequest {
    fn drop(&mut self) {
        self.0
            .requested
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.1);
    }
}

/// What one refresh did, for logs and the benchmark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefreshReport {
    pub services: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub packages: usize,
}

/// A service's repository as read in step 1 of a refresh.
enum Read {
    Failed(String),
    Read {
        revision: String,
        found: Vec<FoundDependency>,
        problems: Vec<String>,
        unchanged: bool,
    },
}

impl DriftService {
    /// The GitHub client shared by every GitHub repository, when it could
    /// be set up; organisation discovery goes through it too.
    pub fn github(&self) -> Option<Arc<GitHubClient>> {
        self.inner.sources.github.clone()
    }

    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        registries: Registries,
        sources: Sources,
        libyear_budget: Option<f64>,
    ) -> Self {
        DriftService {
            inner: Arc::new(Inner {
                requested: std::sync::Mutex::default(),
                store,
                clock,
                registries,
                sources,
                libyear_budget,
                progress: RwLock::new(HashMap::new()),
                running: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn set_progress(&self, service_id: i64, what: Option<&str>) {
        if let Ok(mut progress) = self.inner.progress.write() {
            match what {
                Some(what) => progress.insert(service_id, what.to_string()),
                None => progress.remove(&service_id),
            };
        }
    }

    fn progress_of(&self, service_id: i64) -> Option<String> {
        self.inner
            .progress
            .read()
            .ok()
            .and_then(|p| p.get(&service_id).cloned())
    }

    /// Refreshes every active service that has a repository.
    pub async fn refresh_fleet(&self) -> Result<RefreshReport, DriftError> {
        let services: Vec<StoredService> = self
            .inner
            .store
            .active_services()
            .await?
            .into_iter()
            .filter(|s| s.spec.repository.is_some())
            .collect();
        self.refresh(services).await
    }

    /// Marks a service as queued and refreshes it in the background,
    /// revalidating registry answers ("refresh now").
    pub async fn request_refresh(&self, slug: &str) -> Result<(), DriftError> {
        let service = self
            .inner
            .store
            .active_service(slug)
            .await?
            .ok_or_else(|| DriftError::UnknownService(slug.to_string()))?;
        if service.spec.repository.is_none() {
            return Err(DriftError::NoRepository(slug.to_string()));
        }
        let id = service.id;
        let newly_requested = self
            .inner
            .requested
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id);
        if !newly_requested {
            return Ok(());
        }
        self.set_progress(id, Some("queued"));
        let this = self.clone();
        tokio::spawn(async move {
            // Forgotten however the refresh ends, a panic included.
            let _forget = ForgetRequest(this.inner.clone(), id);
            this.inner.registries.expire_caches();
            if let Err(error) = this.refresh(vec![service]).await {
                tracing::error!("refresh failed: {error}");
            }
        });
        Ok(())
    }

    /// Refreshes `services` as one batch (see the module's comment).
    pub async fn refresh(&self, services: Vec<StoredService>) -> Result<RefreshReport, DriftError> {
        let _turn = self.inner.running.lock().await;
        let mut report = RefreshReport {
            services: services.len(),
            ..RefreshReport::default()
        };
        for service in &services {
            self.set_progress(service.id, Some("waiting to read the repository"));
        }
        let reads: Vec<(StoredService, Read)> = futures::stream::iter(services)
            .map(|service| async move {
                let read = self.read_service(&service).await;
                (service, read)
            })
            .buffer_unordered(SOURCE_CONCURRENCY)
            .collect()
            .await;

        for (service, _) in &reads {
            self.set_progress(service.id, Some("asking the registries"));
        }
        let answers = self
            .inner
            .registries
            .ask(reads.iter().flat_map(|(_, read)| match read {
                Read::Read { found, .. } => found.as_slice(),
                Read::Failed(_) => &[],
            }))
            .await;
        report.packages = answers.len();

        let now = self.inner.clock.now_ms();
        for (service, read) in reads {
            let result = match read {
                Read::Failed(error) => {
                    report.failed += 1;
                    tracing::warn!(service = %service.spec.slug, "refresh failed: {error}");
                    self.inner
                        .store
                        .record_refresh_failed(service.id, now, &error)
                        .await
                }
                Read::Read {
                    revision,
                    found,
                    problems,
                    unchanged,
                } => {
                    report.unchanged += usize::from(unchanged);
                    let rows = measure_all(&found, &answers, now);
                    let problems = with_lock_problems(problems, &rows);
                    self.inner
                        .store
                        .record_snapshot(
                            service.id,
                            now,
                            &revision,
                            &problems,
                            &rows,
                            self.inner.libyear_budget,
                        )
                        .await
                        .map(|_| ())
                }
            };
            self.set_progress(service.id, None);
            result?;
        }
        Ok(report)
    }

    async fn read_service(&self, service: &StoredService) -> Read {
        let now = self.inner.clock.now_ms();
        if let Err(error) = self
            .inner
            .store
            .record_refresh_started(service.id, now)
            .await
        {
            return Read::Failed(error.to_string());
        }
        self.set_progress(service.id, Some("reading the repository"));
        let Some(source) = &service.spec.repository else {
            return Read::Failed("the service has no repository".into());
        };
        let reader = match self.inner.sources.reader(source) {
            Ok(reader) => reader,
            Err(error) => return Read::Failed(error),
        };
        let previous = match self.inner.store.latest_drift(service.id).await {
            Ok(previous) => previous,
            Err(error) => return Read::Failed(error.to_string()),
        };
        match reader
            .fetch(previous.as_ref().map(|p| p.revision.as_str()))
            .await
        {
            Err(error) => Read::Failed(error.to_string()),
            Ok(Fetched::Unchanged { revision }) => {
                let previous = previous.unwrap_or_default();
                Read::Read {
                    revision,
                    found: previous.dependencies.iter().map(found_from_row).collect(),
                    problems: previous.problems,
                    unchanged: true,
                }
            }
            Ok(Fetched::Changed(snapshot)) => {
                let reading = read_snapshot(&snapshot);
                let mut problems: Vec<String> = reading.problems();
                if snapshot.manifests.is_empty() {
                    problems.push(
                        "no manifest found (Cargo.toml, package.json, pyproject.toml, Pipfile, requirements*.txt, go.mod, Gemfile or pom.xml)"
                            .into(),
                    );
                }
                Read::Read {
                    revision: snapshot.revision,
                    found: reading.dependencies,
                    problems,
                    unchanged: false,
                }
            }
        }
    }

    /// Drift of one service, with its running refresh if any.
    pub async fn service_drift(&self, slug: &str) -> Result<Option<ServiceDrift>, DriftError> {
        let Some(service) = self.inner.store.active_service(slug).await? else {
            return Ok(None);
        };
        let mut drift = self
            .inner
            .store
            .service_drift(service.id, HISTORY_SHOWN)
            .await?;
        drift.refresh.progress = self.progress_of(service.id);
        drift.refresh.running = drift.refresh.progress.is_some();
        Ok(Some(drift))
    }

    /// Packages in the fleet matching `query` (all when `None`), with the
    /// versions in use that match and the services on each.
    pub async fn packages(
        &self,
        query: Option<&PackageQuery>,
    ) -> Result<Vec<PackageUse>, DriftError> {
        let rows = self.inner.store.fleet_dependencies().await?;
        let rows = rows
            .into_iter()
            .filter(|(_, row)| match query {
                None => true,
                Some(query) => {
                    query.matches_package(row.ecosystem, &row.name)
                        && row
                            .current
                            .as_deref()
                            .is_some_and(|v| query.matches_version(row.ecosystem, v))
                }
            })
            .collect();
        Ok(group_packages(rows))
    }

    /// Adds each service's latest drift totals to an overview.
    pub async fn annotate(
        &self,
        services: &mut [shipshape_types::model::ServiceSummary],
    ) -> Result<(), DriftError> {
        let mut summaries = self.inner.store.latest_drift_summaries().await?;
        for service in services {
            if let Some((summary, error)) = summaries.remove(&service.slug) {
                service.drift = summary;
                service.drift_error = error;
            }
        }
        Ok(())
    }
}

/// Groups dependency rows by package, then by version in use.
pub fn group_packages(rows: Vec<(String, DependencyView)>) -> Vec<PackageUse> {
    let mut packages: BTreeMap<(Ecosystem, String), PackageUse> = BTreeMap::new();
    for (slug, row) in rows {
        let Some(current) = row.current.clone() else {
            continue;
        };
        // A version assumed from a range is not one in use: it is listed
        // under the range, so "who uses it?" still finds the service.
        let current = if row.version_source == shipshape_types::drift::VersionSource::RangeOnly {
            format!(
                "not locked ({})",
                row.requirement.as_deref().unwrap_or("any version")
            )
        } else {
            current
        };
        let package = packages
            .entry((row.ecosystem, row.name.clone()))
            .or_insert_with(|| PackageUse {
                ecosystem: row.ecosystem,
                name: row.name.clone(),
                latest: row.latest.clone(),
                versions: Vec::new(),
            });
        match package.versions.iter_mut().find(|(v, _)| *v == current) {
            Some((_, slugs)) => {
                if !slugs.contains(&slug) {
                    slugs.push(slug);
                }
            }
            None => package.versions.push((current, vec![slug])),
        }
    }
    packages.into_values().collect()
}
