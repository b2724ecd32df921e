//! The fleet's service layer: the one place the REST API, the UI's server
//! functions and the fleet-file watcher go through.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, RwLock};

use shipshape_types::model::{
    FleetFileStatus, FleetOverview, HealthEndpointView, OrgDiscoveryStatus, RepositoryView,
    ServiceDetail, ServiceOrigin, ServiceSummary,
};

use super::github_org::{self, OrgRule};
use super::reconcile::{self, DeclaredService, FleetPlan};
use super::spec::{RepositorySource, ServiceSpec};
use crate::common::clock::Clock;
use crate::fleet::spec::StoredService;
use crate::integrations::github::GitHubClient;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a service could not be registered or removed through the API.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("`{slug}` is declared in the {owner}; change it there")]
    DeclaredElsewhere { slug: String, owner: &'static str },
    #[error("no service with slug `{0}` was registered through the API")]
    NotRegistered(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct FleetService {
    store: Store,
    clock: Arc<dyn Clock>,
    file_status: Arc<RwLock<Option<FleetFileStatus>>>,
    /// What the configuration declares; held while reconciling so that the
    /// file watcher and discovery never store half of each other's fleet.
    declared: Arc<tokio::sync::Mutex<Declared>>,
    discovery_status: Arc<RwLock<BTreeMap<String, OrgDiscoveryStatus>>>,
    /// Woken when the file names organisations it did not name before.
    discovery_wanted: Arc<tokio::sync::Notify>,
}

#[derive(Default)]
struct Declared {
    file_services: Vec<ServiceSpec>,
    org_rules: Vec<OrgRule>,
    /// Organisation → the services its last successful discovery found.
    discovered: BTreeMap<String, Vec<ServiceSpec>>,
}

impl Declared {
    /// The file's services, then each organisation's in the file's order.
    /// The file wins: a discovered repository it already declares, or a
    /// slug it already uses, is left out.
    fn merged(&self) -> Vec<DeclaredService> {
        let mut slugs: HashSet<String> = HashSet::new();
        let mut repositories: HashSet<String> = HashSet::new();
        let mut all = Vec::new();
        for spec in &self.file_services {
            slugs.insert(spec.slug.clone());
            if let Some(repository) = github_repository(spec) {
                repositories.insert(repository);
            }
            all.push(DeclaredService {
                spec: spec.clone(),
                origin: ServiceOrigin::FleetFile,
            });
        }
        for rule in &self.org_rules {
            for spec in self.discovered.get(&rule.org).into_iter().flatten() {
                let declared = github_repository(spec).is_some_and(|r| repositories.contains(&r));
                if declared || !slugs.insert(spec.slug.clone()) {
                    continue;
                }
                all.push(DeclaredService {
                    spec: spec.clone(),
                    origin: ServiceOrigin::GitHubOrg,
                });
            }
        }
        all
    }
}

/// `owner/repo` in lower case (GitHub ignores case), for a service read
/// from GitHub.
fn github_repository(spec: &ServiceSpec) -> Option<String> {
    match &spec.repository {
        Some(RepositorySource::GitHub { owner, repo }) => {
            Some(format!("{owner}/{repo}").to_lowercase())
        }
        _ => None,
    }
}

impl FleetService {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        FleetService {
            store,
            clock,
            file_status: Arc::new(RwLock::new(None)),
            declared: Arc::default(),
            discovery_status: Arc::default(),
            discovery_wanted: Arc::default(),
        }
    }

    pub async fn overview(&self) -> Result<FleetOverview, FleetError> {
        let services = self.store.active_services().await?;
        Ok(FleetOverview {
            services: services.iter().map(summary).collect(),
            fleet_file: self.fleet_file_status(),
            discovery: self.discovery_statuses(),
            failing_channels: Vec::new(),
        })
    }

    pub async fn service(&self, slug: &str) -> Result<Option<ServiceDetail>, FleetError> {
        let Some(stored) = self.store.active_service(slug).await? else {
            return Ok(None);
        };
        Ok(Some(ServiceDetail {
            summary: summary(&stored),
            origin: stored.origin,
            health_endpoints: stored
                .spec
                .health_endpoints
                .iter()
                .map(|e| HealthEndpointView {
                    url: crate::common::url::shown_url(&e.url),
                    method: e.method.clone(),
                    interval_secs: e.interval.as_secs(),
                    timeout_secs: e.timeout.as_secs(),
                })
                .collect(),
            first_seen_ms: stored.created_ms,
            updated_ms: stored.updated_ms,
        }))
    }

    pub async fn count(&self) -> Result<i64, FleetError> {
        Ok(self.store.count_active_services().await?)
    }

    /// Makes the stored fleet match the services of the fleet file (plus
    /// what its organisations were last found to hold), in one transaction,
    /// and records the load as successful.
    pub async fn sync_from_file(
        &self,
        path: &Path,
        services: &[ServiceSpec],
    ) -> Result<FleetPlan, FleetError> {
        let mut declared = self.declared.lock().await;
        declared.file_services = services.to_vec();
        let plan = self.reconcile(&declared).await?;
        self.set_file_status(FleetFileStatus {
            path: path.display().to_string(),
            error: None,
            last_loaded_ms: Some(self.clock.now_ms()),
        });
        Ok(plan)
    }

    /// Sets the GitHub organisations to discover (from the fleet file).
    /// Services of an organisation no longer named are retired at the next
    /// reconcile; a newly named one wakes the discovery loop.
    pub async fn set_org_rules(&self, rules: Vec<OrgRule>) {
        let mut declared = self.declared.lock().await;
        let named: HashSet<&str> = rules.iter().map(|r| r.org.as_str()).collect();
        declared
            .discovered
            .retain(|org, _| named.contains(org.as_str()));
        if let Ok(mut statuses) = self.discovery_status.write() {
            statuses.retain(|org, _| named.contains(org.as_str()));
        }
        let new_org = rules
            .iter()
            .any(|rule| !declared.org_rules.iter().any(|known| known == rule));
        declared.org_rules = rules;
        if new_org {
            self.discovery_wanted.notify_one();
        }
    }

    /// Resolves when the fleet file names organisations (or changes their
    /// rules) so that discovery need not wait for the next interval.
    pub async fn discovery_wanted(&self) {
        self.discovery_wanted.notified().await;
    }

    pub async fn has_org_rules(&self) -> bool {
        !self.declared.lock().await.org_rules.is_empty()
    }

    /// Lists every organisation the fleet file names and stores what they
    /// hold. An organisation that cannot be listed keeps the services it was
    /// last found to have, and the Overview says why.
    /// `is_manifest` says which repository paths are manifests (see
    /// [`github_org::discover`]).
    pub async fn discover_orgs(
        &self,
        github: &GitHubClient,
        is_manifest: fn(&str) -> bool,
    ) -> Result<FleetPlan, FleetError> {
        let rules = self.declared.lock().await.org_rules.clone();
        let mut found = BTreeMap::new();
        for rule in &rules {
            let outcome = github_org::discover(github, rule, is_manifest).await;
            let now = self.clock.now_ms();
            let previous = self.discovery_statuses_by_org(&rule.org);
            let status = match &outcome {
                Ok(discovery) => OrgDiscoveryStatus {
                    org: rule.org.clone(),
                    listed: discovery.listed,
                    services: discovery.services.len(),
                    skipped: discovery.skipped.clone(),
                    error: None,
                    last_success_ms: Some(now),
                },
                Err(error) => {
                    tracing::warn!(github.org = %rule.org, "discovery failed, keeping the services found before: {error}");
                    OrgDiscoveryStatus {
                        org: rule.org.clone(),
                        error: Some(error.clone()),
                        ..previous.unwrap_or_default()
                    }
                }
            };
            if let Ok(mut statuses) = self.discovery_status.write() {
                statuses.insert(rule.org.clone(), status);
            }
            if let Ok(discovery) = outcome {
                found.insert(rule.org.clone(), discovery.services);
            }
        }
        let mut declared = self.declared.lock().await;
        for (org, services) in found {
            // The rules may have changed while GitHub was being asked.
            if declared.org_rules.iter().any(|rule| rule.org == org) {
                declared.discovered.insert(org, services);
            }
        }
        self.reconcile(&declared).await
    }

    /// Registers a service through the API, or replaces one registered so
    /// (its health history stays when its endpoints do). A slug the fleet
    /// file or a discovered organisation declares belongs to them. Returns
    /// whether the service is new.
    pub async fn register(&self, spec: ServiceSpec) -> Result<bool, RegisterError> {
        // Held so the file watcher never reconciles in between.
        let _declared = self.declared.lock().await;
        let current: Vec<StoredService> = self
            .store
            .all_services()
            .await?
            .into_iter()
            .filter(|s| s.spec.slug == spec.slug)
            .collect();
        if let Some(owned) = current
            .iter()
            .find(|s| s.retired_ms.is_none() && s.origin != ServiceOrigin::Api)
        {
            return Err(RegisterError::DeclaredElsewhere {
                slug: spec.slug,
                owner: match owned.origin {
                    ServiceOrigin::GitHubOrg => "fleet file's GitHub organisations",
                    _ => "fleet file",
                },
            });
        }
        let is_new = current.iter().all(|s| s.retired_ms.is_some());
        let plan = reconcile::plan(
            &[DeclaredService {
                spec,
                origin: ServiceOrigin::Api,
            }],
            &current,
        );
        if !plan.is_empty() {
            self.store
                .apply_fleet_plan(&plan, self.clock.now_ms())
                .await?;
        }
        Ok(is_new)
    }

    /// Retires a service registered through the API (its history stays).
    pub async fn deregister(&self, slug: &str) -> Result<(), RegisterError> {
        let _declared = self.declared.lock().await;
        let stored = self
            .store
            .active_service(slug)
            .await?
            .ok_or_else(|| RegisterError::NotRegistered(slug.to_string()))?;
        if stored.origin != ServiceOrigin::Api {
            return Err(RegisterError::DeclaredElsewhere {
                slug: slug.to_string(),
                owner: "fleet file",
            });
        }
        let plan = FleetPlan {
            retire: vec![reconcile::RetiredService {
                id: stored.id,
                slug: slug.to_string(),
            }],
            ..FleetPlan::default()
        };
        self.store
            .apply_fleet_plan(&plan, self.clock.now_ms())
            .await?;
        Ok(())
    }

    async fn reconcile(&self, declared: &Declared) -> Result<FleetPlan, FleetError> {
        let current = self.store.all_services().await?;
        let plan = reconcile::plan(&declared.merged(), &current);
        if !plan.is_empty() {
            self.store
                .apply_fleet_plan(&plan, self.clock.now_ms())
                .await?;
        }
        Ok(plan)
    }

    pub fn discovery_statuses(&self) -> Vec<OrgDiscoveryStatus> {
        match self.discovery_status.read() {
            Ok(statuses) => statuses.values().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().values().cloned().collect(),
        }
    }

    fn discovery_statuses_by_org(&self, org: &str) -> Option<OrgDiscoveryStatus> {
        self.discovery_status
            .read()
            .ok()
            .and_then(|statuses| statuses.get(org).cloned())
    }

    /// Records that the fleet file could not be loaded; the fleet stays as
    /// last loaded and the Overview says why.
    pub fn record_file_error(&self, path: &Path, error: String) {
        let last_loaded_ms = self.fleet_file_status().and_then(|s| s.last_loaded_ms);
        self.set_file_status(FleetFileStatus {
            path: path.display().to_string(),
            error: Some(error),
            last_loaded_ms,
        });
    }

    pub fn fleet_file_status(&self) -> Option<FleetFileStatus> {
        match self.file_status.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_file_status(&self, status: FleetFileStatus) {
        match self.file_status.write() {
            Ok(mut guard) => *guard = Some(status),
            Err(poisoned) => *poisoned.into_inner() = Some(status),
        }
    }
}

fn summary(stored: &StoredService) -> ServiceSummary {
    let spec = &stored.spec;
    ServiceSummary {
        slug: spec.slug.clone(),
        name: spec.name.clone(),
        team: spec.team.clone(),
        tags: spec.tags.clone(),
        tier: spec.tier,
        repository: spec.repository.as_ref().map(|source| RepositoryView {
            kind: source.to_stored().0.to_string(),
            display: source.display(),
            web_url: source.web_url(),
        }),
        health_endpoint_count: spec.health_endpoints.len(),
        drift: None,
        drift_error: None,
        health: None,
    }
}
