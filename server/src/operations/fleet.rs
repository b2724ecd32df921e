//! The fleet: the Overview, the services, and services registered by their
//! own CI (operators).

use shipshape_types::auth::{Caller, Role};
use shipshape_types::model::{
    FleetFilter, FleetOverview, ServiceDetail, ServiceRegistration, ServiceSummary,
};
use shipshape_types::page::{Page, PageRequest};

use super::{OperationError, Operations, Result};
use crate::fleet::registration::{Declarer, check_service};

impl Operations {
    /// Every service with its drift and health, the fleet file's state and
    /// the organisations' discovery.
    pub async fn fleet_overview(&self, caller: &Caller) -> Result<FleetOverview> {
        caller.require(Role::Viewer)?;
        let mut overview = self.fleet.overview().await?;
        overview.failing_channels = self.alerts.failing_channels().await?;
        self.drift.annotate(&mut overview.services).await?;
        self.health.annotate(&mut overview.services).await?;
        Ok(overview)
    }

    /// The services the Overview shows, filtered as it filters them.
    pub async fn list_services(
        &self,
        caller: &Caller,
        filter: &FleetFilter,
        page: &PageRequest,
    ) -> Result<Page<ServiceSummary>> {
        let overview = self.fleet_overview(caller).await?;
        let services: Vec<ServiceSummary> = filter
            .apply(&overview.services)
            .into_iter()
            .cloned()
            .collect();
        Page::of(services, page).map_err(OperationError::Invalid)
    }

    pub async fn service_detail(&self, caller: &Caller, slug: &str) -> Result<ServiceDetail> {
        caller.require(Role::Viewer)?;
        self.fleet
            .service(slug)
            .await?
            .ok_or_else(|| OperationError::no_service(slug))
    }

    /// Registers a service (its own CI, with an operator token), or
    /// replaces one registered before; the health URLs must pass the
    /// outbound policy. Returns whether it is new, and the service.
    pub async fn register_service(
        &self,
        caller: &Caller,
        declared: &ServiceRegistration,
    ) -> Result<(bool, ServiceDetail)> {
        caller.require(Role::Operator)?;
        let rules = &self.registration;
        let spec = check_service(declared, Declarer::Api(rules), &rules.limits)
            .map_err(|error| OperationError::Invalid(error.to_string()))?;
        for (index, endpoint) in spec.health_endpoints.iter().enumerate() {
            self.outbound
                .check_url(&endpoint.url)
                .await
                .map_err(|why| OperationError::Invalid(format!("health[{index}].url: {why}")))?;
        }
        let slug = spec.slug.clone();
        let created = self.fleet.register(spec).await?;
        Ok((created, self.service_detail(caller, &slug).await?))
    }

    /// The same for the slug of a path: a body naming another is refused.
    pub async fn replace_service(
        &self,
        caller: &Caller,
        slug: &str,
        mut declared: ServiceRegistration,
    ) -> Result<(bool, ServiceDetail)> {
        caller.require(Role::Operator)?;
        if !declared.slug.is_empty() && declared.slug != slug {
            return Err(OperationError::Invalid(format!(
                "the body names slug `{}` but the path `{slug}`",
                declared.slug
            )));
        }
        declared.slug = slug.to_string();
        self.register_service(caller, &declared).await
    }

    /// Retires a service registered through the API; its history stays.
    pub async fn deregister_service(&self, caller: &Caller, slug: &str) -> Result<()> {
        caller.require(Role::Operator)?;
        Ok(self.fleet.deregister(slug).await?)
    }

    /// How many services the fleet has (for `/metrics`).
    pub async fn count_services(&self, caller: &Caller) -> Result<i64> {
        caller.require(Role::Viewer)?;
        Ok(self.fleet.count().await?)
    }
}
