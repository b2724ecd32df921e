//! The UI's server functions reach the service layers through this.

use futures::FutureExt;
use futures::future::BoxFuture;
use shipshape_app::alerts::{AlertView, AlertsOverview, NewSilence, SilenceOutcome};
use shipshape_app::auth::{AdminOverview, TokenOutcome};
use shipshape_app::backend::{BackendError, UiBackend};
use shipshape_app::drift::{PackageSearch, ServiceDrift};
use shipshape_app::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_app::model::{FleetOverview, ServiceDetail};
use shipshape_app::upgrades::{RunOutcomeView, UpgradesOverview, WaveView};

use crate::alert::service::{AlertError, AlertService};
use crate::auth::Role;
use crate::auth::service::{AccountError, AuthService};
use crate::deps::query::PackageQuery;
use crate::deps::service::{DriftError, DriftService};
use crate::fleet::FleetService;
use crate::health::service::HealthService;
use crate::upgrade::service::{NewWave, RunCause, UpgradeError, UpgradeService};

/// The service layers the pages use.
pub struct UiServices {
    pub fleet: FleetService,
    pub drift: DriftService,
    pub health: HealthService,
    pub upgrades: UpgradeService,
    pub alerts: AlertService,
    pub auth: AuthService,
}

impl UiBackend for UiServices {
    fn fleet_overview(&self) -> BoxFuture<'_, Result<FleetOverview, BackendError>> {
        async move {
            let mut overview = self
                .fleet
                .overview()
                .await
                .map_err(|e| logged("loading the fleet", e))?;
            self.drift
                .annotate(&mut overview.services)
                .await
                .map_err(|e| logged("loading the fleet's drift", e))?;
            self.health
                .annotate(&mut overview.services)
                .await
                .map_err(|e| logged("loading the fleet's health", e))?;
            Ok(overview)
        }
        .boxed()
    }

    fn service_detail(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceDetail>, BackendError>> {
        async move {
            self.fleet
                .service(&slug)
                .await
                .map_err(|e| logged("loading the service", e))
        }
        .boxed()
    }

    fn service_drift(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceDrift>, BackendError>> {
        async move {
            self.drift
                .service_drift(&slug)
                .await
                .map_err(|e| logged("loading the service's dependencies", e))
        }
        .boxed()
    }

    fn refresh_service(&self, slug: String) -> BoxFuture<'_, Result<(), BackendError>> {
        async move {
            match self.drift.request_refresh(&slug).await {
                Ok(()) => Ok(()),
                Err(error @ (DriftError::UnknownService(_) | DriftError::NoRepository(_))) => {
                    Err(BackendError {
                        message: error.to_string(),
                    })
                }
                Err(error) => Err(logged("starting a refresh", error)),
            }
        }
        .boxed()
    }

    fn service_health(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceHealth>, BackendError>> {
        async move {
            self.health
                .service_health(&slug)
                .await
                .map_err(|e| logged("loading the service's health", e))
        }
        .boxed()
    }

    fn status_page(
        &self,
        grouping: StatusGrouping,
    ) -> BoxFuture<'_, Result<StatusPageView, BackendError>> {
        async move {
            self.health
                .status_page(grouping)
                .await
                .map_err(|e| logged("loading the status page", e))
        }
        .boxed()
    }

    fn packages(&self, query: String) -> BoxFuture<'_, Result<PackageSearch, BackendError>> {
        async move {
            let parsed = if query.trim().is_empty() {
                None
            } else {
                match PackageQuery::parse(&query) {
                    Ok(parsed) => Some(parsed),
                    Err(problem) => {
                        return Ok(PackageSearch {
                            packages: Vec::new(),
                            query_error: Some(problem),
                        });
                    }
                }
            };
            let packages = self
                .drift
                .packages(parsed.as_ref())
                .await
                .map_err(|e| logged("searching packages", e))?;
            Ok(PackageSearch {
                packages,
                query_error: None,
            })
        }
        .boxed()
    }

    fn upgrades(&self) -> BoxFuture<'_, Result<UpgradesOverview, BackendError>> {
        async move {
            self.upgrades
                .overview()
                .await
                .map_err(|e| logged("loading upgrades", e))
        }
        .boxed()
    }

    fn run_upgrades(
        &self,
        service: Option<String>,
        dry_run: bool,
    ) -> BoxFuture<'_, Result<RunOutcomeView, BackendError>> {
        async move {
            self.upgrades
                .run(RunCause::Manual, service.as_deref(), dry_run, false)
                .await
                .map_err(|error| match error {
                    // Said as is: the person can act on these.
                    UpgradeError::Busy | UpgradeError::UnknownService(_) => BackendError {
                        message: error.to_string(),
                    },
                    other => logged("running upgrades", other),
                })
        }
        .boxed()
    }

    fn create_wave(
        &self,
        ecosystem: String,
        package: String,
        target: String,
        soak: String,
    ) -> BoxFuture<'_, Result<WaveView, BackendError>> {
        async move {
            let soak = match soak.trim() {
                "" => None,
                text => Some(crate::fleet::spec::parse_duration(text).map_err(|message| {
                    BackendError {
                        message: format!("soak: {message}"),
                    }
                })?),
            };
            self.upgrades
                .create_wave(&NewWave {
                    ecosystem: &ecosystem,
                    package: &package,
                    target: &target,
                    soak,
                })
                .await
                .map_err(|error| match error {
                    UpgradeError::Invalid(_) | UpgradeError::Busy => BackendError {
                        message: error.to_string(),
                    },
                    other => logged("starting an upgrade wave", other),
                })
        }
        .boxed()
    }

    fn alerts(&self) -> BoxFuture<'_, Result<AlertsOverview, BackendError>> {
        async move {
            self.alerts
                .overview()
                .await
                .map_err(|e| logged("loading alerts", e))
        }
        .boxed()
    }

    fn firing_alerts(
        &self,
        service: Option<String>,
    ) -> BoxFuture<'_, Result<Vec<AlertView>, BackendError>> {
        async move {
            self.alerts
                .firing(service.as_deref())
                .await
                .map_err(|e| logged("loading firing alerts", e))
        }
        .boxed()
    }

    fn create_silence(
        &self,
        silence: NewSilence,
    ) -> BoxFuture<'_, Result<SilenceOutcome, BackendError>> {
        async move {
            match self.alerts.create_silence(&silence).await {
                Ok(id) => Ok(SilenceOutcome {
                    id: Some(id),
                    problem: None,
                }),
                Err(error @ (AlertError::Invalid(_) | AlertError::NotFound(_))) => {
                    Ok(SilenceOutcome {
                        id: None,
                        problem: Some(error.to_string()),
                    })
                }
                Err(AlertError::Store(cause)) => Err(logged("creating a silence", cause)),
            }
        }
        .boxed()
    }

    fn expire_silence(&self, id: i64) -> BoxFuture<'_, Result<(), BackendError>> {
        async move {
            self.alerts
                .expire_silence(id)
                .await
                .map_err(|error| match error {
                    AlertError::Invalid(_) | AlertError::NotFound(_) => BackendError {
                        message: error.to_string(),
                    },
                    AlertError::Store(cause) => logged("expiring a silence", cause),
                })
        }
        .boxed()
    }

    fn admin(&self) -> BoxFuture<'_, Result<AdminOverview, BackendError>> {
        async move {
            Ok(AdminOverview {
                accounts: self
                    .auth
                    .accounts()
                    .await
                    .map_err(|e| logged("reading accounts", e))?,
                tokens: self
                    .auth
                    .tokens()
                    .await
                    .map_err(|e| logged("reading API tokens", e))?,
                audit: self
                    .auth
                    .audit(None, 100)
                    .await
                    .map_err(|e| logged("reading the audit trail", e))?,
            })
        }
        .boxed()
    }

    fn create_token(
        &self,
        name: String,
        role: String,
        created_by: String,
    ) -> BoxFuture<'_, Result<TokenOutcome, BackendError>> {
        async move {
            let problem = |text: String| TokenOutcome {
                created: None,
                problem: Some(text),
            };
            let Some(role) = Role::parse(&role) else {
                return Ok(problem(AccountError::BadRole(role).to_string()));
            };
            match self.auth.create_token(name.trim(), role, &created_by).await {
                Ok(created) => Ok(TokenOutcome {
                    created: Some(created),
                    problem: None,
                }),
                Err(AccountError::Store(cause)) => Err(logged("creating an API token", cause)),
                Err(other) => Ok(problem(other.to_string())),
            }
        }
        .boxed()
    }

    fn revoke_token(&self, id: i64) -> BoxFuture<'_, Result<(), BackendError>> {
        async move {
            self.auth
                .revoke_token(id)
                .await
                .map(|_| ())
                .map_err(|e| logged("revoking an API token", e))
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
