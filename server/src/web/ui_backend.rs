//! The UI's server functions reach the service layer through this.

use futures::FutureExt;
use futures::future::BoxFuture;
use shipshape_app::backend::{BackendError, UiBackend};
use shipshape_app::model::{FleetOverview, ServiceDetail};

use crate::fleet::FleetService;

impl UiBackend for FleetService {
    fn fleet_overview(&self) -> BoxFuture<'_, Result<FleetOverview, BackendError>> {
        async move {
            self.overview()
                .await
                .map_err(|e| logged("loading the fleet", e))
        }
        .boxed()
    }

    fn service_detail(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceDetail>, BackendError>> {
        async move {
            self.service(&slug)
                .await
                .map_err(|e| logged("loading the service", e))
        }
        .boxed()
    }
}

fn logged(what: &str, error: impl std::fmt::Display) -> BackendError {
    tracing::error!("page request failed while {what}: {error}");
    BackendError {
        message: format!("Shipshape could not finish {what}; the server log has the cause."),
    }
}
