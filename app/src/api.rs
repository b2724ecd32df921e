//! Server functions: thin edges that call one backend function each.

use leptos::prelude::*;

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
