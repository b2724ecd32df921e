//! The UI's server functions reach the service layers through this.

use futures::FutureExt;
use futures::future::BoxFuture;
use shipshape_app::backend::{AccountAction, BackendError, OwnAccountAction, UiBackend};
use shipshape_types::alerts::{AlertView, AlertsOverview, NewSilence, SilenceOutcome};
use shipshape_types::auth::{AccountOutcome, AdminOverview, CurrentUser, MyAccount, TokenOutcome};
use shipshape_types::drift::{PackageSearch, ServiceDrift};
use shipshape_types::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_types::model::{FleetOverview, ServiceDetail};
use shipshape_types::upgrades::{RunOutcomeView, UpgradesOverview, WaveView};

use crate::alert::service::{AlertError, AlertService};
use crate::auth::Role;
use crate::auth::service::{AccountError, AuthService, Caller, Via};
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
            let soak =
                match soak.trim() {
                    "" => None,
                    text => Some(crate::common::duration::parse_duration(text).map_err(
                        |message| BackendError {
                            message: format!("soak: {message}"),
                        },
                    )?),
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

    fn manage_account(
        &self,
        change: AccountAction,
    ) -> BoxFuture<'_, Result<AccountOutcome, BackendError>> {
        async move {
            let auth = &self.auth;
            let role = |name: &str| {
                Role::parse(name).ok_or_else(|| AccountError::BadRole(name.to_string()))
            };
            match change {
                AccountAction::Create {
                    username,
                    password,
                    role: role_name,
                } => {
                    let result = async {
                        let role = role(&role_name)?;
                        auth.add_user(username.trim(), &password, role).await?;
                        Ok(format!(
                            "Created the {} account {}.",
                            role.name(),
                            username.trim()
                        ))
                    };
                    account_outcome("creating an account", result.await)
                }
                AccountAction::SetRole {
                    id,
                    role: role_name,
                } => {
                    let result = async {
                        let role = role(&role_name)?;
                        let name = auth.set_role(id, role).await?;
                        Ok(format!("{name} is now {}.", role.name()))
                    };
                    account_outcome("changing a role", result.await)
                }
                AccountAction::SetDisabled { id, disabled } => {
                    let result = auth.set_disabled(id, disabled).await.map(|name| {
                        if disabled {
                            format!("Disabled {name} and ended its sessions.")
                        } else {
                            format!("Enabled {name}.")
                        }
                    });
                    account_outcome("disabling an account", result)
                }
                AccountAction::SetPassword { id, password } => {
                    let result = auth.reset_password(id, &password).await.map(|name| {
                        format!("Set a new password for {name} and ended its sessions.")
                    });
                    account_outcome("setting a password", result)
                }
                AccountAction::EndSessions { id } => {
                    let result = async {
                        let ended = auth.end_sessions(id, None, None).await?;
                        let name = auth
                            .accounts()
                            .await?
                            .into_iter()
                            .find(|account| account.id == id)
                            .map_or_else(|| format!("account {id}"), |account| account.username);
                        Ok(format!("Ended {ended} session(s) of {name}."))
                    };
                    account_outcome("ending sessions", result.await)
                }
                AccountAction::Delete { id } => {
                    let result = auth
                        .delete_account(id)
                        .await
                        .map(|name| format!("Deleted {name}."));
                    account_outcome("deleting an account", result)
                }
            }
        }
        .boxed()
    }

    fn my_account(
        &self,
        user: CurrentUser,
    ) -> BoxFuture<'_, Result<Option<MyAccount>, BackendError>> {
        async move {
            if !user.signed_in {
                return Ok(None);
            }
            match self.auth.my_account(&session_caller(user)).await {
                Ok(account) => Ok(Some(account)),
                Err(AccountError::Store(cause)) => Err(logged("reading your account", cause)),
                Err(_) => Ok(None),
            }
        }
        .boxed()
    }

    fn change_my_account(
        &self,
        user: CurrentUser,
        change: OwnAccountAction,
    ) -> BoxFuture<'_, Result<AccountOutcome, BackendError>> {
        async move {
            let caller = session_caller(user);
            match change {
                OwnAccountAction::ChangePassword { current, new } => {
                    let result = self
                        .auth
                        .change_own_password(&caller, &current, &new)
                        .await
                        .map(|()| {
                            "Changed your password; your other sessions have ended.".to_string()
                        });
                    account_outcome("changing your password", result)
                }
                OwnAccountAction::EndSessions { only } => {
                    let all = only.is_none();
                    let result = self
                        .auth
                        .end_my_sessions(&caller, only.as_deref())
                        .await
                        .map(|ended| match (all, ended) {
                            (true, n) => format!("Ended {n} other session(s)."),
                            (false, 0) => "That session had already ended.".to_string(),
                            (false, _) => "Ended the session.".to_string(),
                        });
                    account_outcome("ending your sessions", result)
                }
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

/// The session caller behind a page's request (server functions see the
/// `CurrentUser` the access check made).
fn session_caller(user: CurrentUser) -> Caller {
    Caller {
        via: if user.signed_in {
            Via::Session
        } else {
            Via::Anonymous
        },
        name: user.name,
        role: user.role,
        session: user.session,
    }
}

/// An account change's result as a page shows it: done, or why not (a
/// database failure is logged and answered as an error instead).
fn account_outcome(
    what: &'static str,
    result: Result<String, AccountError>,
) -> Result<AccountOutcome, BackendError> {
    match result {
        Ok(done) => Ok(AccountOutcome::done(done)),
        Err(AccountError::Store(cause)) => Err(logged(what, cause)),
        Err(problem) => Ok(AccountOutcome::problem(problem.to_string())),
    }
}

fn logged(what: &str, error: impl std::fmt::Display) -> BackendError {
    tracing::error!("page request failed while {what}: {error}");
    BackendError {
        message: format!("Shipshape could not finish {what}; the server log has the cause."),
    }
}
