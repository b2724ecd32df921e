//! Dependency drift: a service's drift, its dependencies and snapshots, a
//! refresh now (operators), and the fleet's packages.

use shipshape_types::auth::{Caller, Role};
use shipshape_types::drift::{
    DependencyFilter, DependencyView, DriftSummary, PackageUse, ServiceDrift,
};
use shipshape_types::page::{Page, PageRequest};

use super::{OperationError, Operations, Result};
use crate::deps::query::PackageQuery;

impl Operations {
    /// Latest totals, rows, problems, history and the refresh's state.
    pub async fn service_drift(&self, caller: &Caller, slug: &str) -> Result<ServiceDrift> {
        caller.require(Role::Viewer)?;
        self.drift
            .service_drift(slug)
            .await?
            .ok_or_else(|| OperationError::no_service(slug))
    }

    pub async fn dependencies(
        &self,
        caller: &Caller,
        slug: &str,
        filter: &DependencyFilter,
        page: &PageRequest,
    ) -> Result<Page<DependencyView>> {
        if let Some(problem) = filter.problem() {
            return Err(OperationError::Invalid(problem));
        }
        let rows: Vec<DependencyView> = self
            .service_drift(caller, slug)
            .await?
            .dependencies
            .into_iter()
            .filter(|d| filter.matches(d))
            .collect();
        Page::of(rows, page).map_err(OperationError::Invalid)
    }

    /// The totals of each refresh, oldest first.
    pub async fn snapshots(
        &self,
        caller: &Caller,
        slug: &str,
        page: &PageRequest,
    ) -> Result<Page<DriftSummary>> {
        let history = self.service_drift(caller, slug).await?.history;
        Page::of(history, page).map_err(OperationError::Invalid)
    }

    /// Queues a refresh of one service ("Refresh now").
    pub async fn refresh_service(&self, caller: &Caller, slug: &str) -> Result<()> {
        caller.require(Role::Operator)?;
        Ok(self.drift.request_refresh(slug).await?)
    }

    /// Packages across the fleet matching a search such as
    /// `serde <1.0.200` (all of them when the query is empty).
    pub async fn packages(&self, caller: &Caller, query: &str) -> Result<Vec<PackageUse>> {
        caller.require(Role::Viewer)?;
        let query = query.trim();
        let parsed = if query.is_empty() {
            None
        } else {
            Some(PackageQuery::parse(query).map_err(OperationError::Invalid)?)
        };
        Ok(self.drift.packages(parsed.as_ref()).await?)
    }
}
