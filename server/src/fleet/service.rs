//! The fleet's service layer: the one place the REST API, the UI's server
//! functions and the fleet-file watcher go through.

use std::path::Path;
use std::sync::{Arc, RwLock};

use shipshape_app::model::{
    FleetFileStatus, FleetOverview, HealthEndpointView, RepositoryView, ServiceDetail,
    ServiceOrigin as OriginView, ServiceSummary,
};

use super::reconcile::{self, FleetPlan};
use super::spec::ServiceSpec;
use crate::clock::Clock;
use crate::store::{ServiceOrigin, Store, StoreError, StoredService};

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct FleetService {
    store: Store,
    clock: Arc<dyn Clock>,
    file_status: Arc<RwLock<Option<FleetFileStatus>>>,
}

impl FleetService {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        FleetService {
            store,
            clock,
            file_status: Arc::new(RwLock::new(None)),
        }
    }

    pub async fn overview(&self) -> Result<FleetOverview, FleetError> {
        let services = self.store.active_services().await?;
        Ok(FleetOverview {
            services: services.iter().map(summary).collect(),
            fleet_file: self.fleet_file_status(),
        })
    }

    pub async fn service(&self, slug: &str) -> Result<Option<ServiceDetail>, FleetError> {
        let Some(stored) = self.store.active_service(slug).await? else {
            return Ok(None);
        };
        Ok(Some(ServiceDetail {
            summary: summary(&stored),
            origin: match stored.origin {
                ServiceOrigin::FleetFile => OriginView::FleetFile,
                ServiceOrigin::Api => OriginView::Api,
            },
            health_endpoints: stored
                .spec
                .health_endpoints
                .iter()
                .map(|e| HealthEndpointView {
                    url: e.url.clone(),
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

    /// Makes the stored fleet match the services of the fleet file, in one
    /// transaction, and records the load as successful.
    pub async fn sync_from_file(
        &self,
        path: &Path,
        services: &[ServiceSpec],
    ) -> Result<FleetPlan, FleetError> {
        let current = self.store.all_services().await?;
        let plan = reconcile::plan(services, &current);
        let now = self.clock.now_ms();
        if !plan.is_empty() {
            self.store.apply_fleet_plan(&plan, now).await?;
        }
        self.set_file_status(FleetFileStatus {
            path: path.display().to_string(),
            error: None,
            last_loaded_ms: Some(now),
        });
        Ok(plan)
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
    }
}
