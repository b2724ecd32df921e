//! Server functions: thin edges that call one backend function each.

use leptos::prelude::*;

use crate::drift::{PackageSearch, ServiceDrift};
use crate::health::{ServiceHealth, StatusGrouping, StatusPageView};
use crate::model::{FleetOverview, ServiceDetail};

#[cfg(feature = "ssr")]
fn backend() -> Result<crate::backend::UiBackendHandle, ServerFnError> {
    use_context::<crate::backend::UiBackendHandle>()
        .ok_or_else(|| ServerFnError::new("the server is not ready to answer yet"))
}

#[server]
pub async fn load_fleet_overview() -> Result<FleetOverview, ServerFnError> {
    backend()?
        .0
        .fleet_overview()
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn load_service_detail(slug: String) -> Result<Option<ServiceDetail>, ServerFnError> {
    backend()?
        .0
        .service_detail(slug)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn load_service_drift(slug: String) -> Result<Option<ServiceDrift>, ServerFnError> {
    backend()?
        .0
        .service_drift(slug)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn refresh_service_now(slug: String) -> Result<(), ServerFnError> {
    backend()?
        .0
        .refresh_service(slug)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn search_packages(query: String) -> Result<PackageSearch, ServerFnError> {
    backend()?
        .0
        .packages(query)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn load_service_health(slug: String) -> Result<Option<ServiceHealth>, ServerFnError> {
    backend()?
        .0
        .service_health(slug)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn load_status_page(grouping: StatusGrouping) -> Result<StatusPageView, ServerFnError> {
    backend()?
        .0
        .status_page(grouping)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}
