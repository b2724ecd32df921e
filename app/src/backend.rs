//! The one door from the UI's server functions into the server's service
//! layer. The server crate implements [`UiBackend`] over its `AppState` and
//! provides it as context; this crate never sees a database, so nothing
//! server-only can reach the browser bundle.

use std::sync::Arc;

use futures::future::BoxFuture;

use shipshape_types::alerts::{AlertView, AlertsOverview, NewSilence, SilenceOutcome};
use shipshape_types::auth::{AccountOutcome, AdminOverview, CurrentUser, MyAccount, TokenOutcome};
use shipshape_types::drift::{PackageSearch, ServiceDrift};
use shipshape_types::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_types::model::{FleetOverview, ServiceDetail};
use shipshape_types::upgrades::{RunOutcomeView, UpgradesOverview, WaveView};

/// Why a UI request could not be answered, in words fit for the person who
/// asked. The internal cause has already been logged by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendError {
    pub message: String,
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub trait UiBackend: Send + Sync {
    fn fleet_overview(&self) -> BoxFuture<'_, Result<FleetOverview, BackendError>>;
    fn service_detail(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceDetail>, BackendError>>;
    fn service_drift(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceDrift>, BackendError>>;
    /// Queues a refresh of one service ("refresh now").
    fn refresh_service(&self, slug: String) -> BoxFuture<'_, Result<(), BackendError>>;
    /// Packages matching a search such as `serde <1.0.200` (all when empty).
    fn packages(&self, query: String) -> BoxFuture<'_, Result<PackageSearch, BackendError>>;
    fn service_health(
        &self,
        slug: String,
    ) -> BoxFuture<'_, Result<Option<ServiceHealth>, BackendError>>;
    /// The public status page.
    fn status_page(
        &self,
        grouping: StatusGrouping,
    ) -> BoxFuture<'_, Result<StatusPageView, BackendError>>;
    /// The Upgrades page: schedule, runs, PRs and waves.
    fn upgrades(&self) -> BoxFuture<'_, Result<UpgradesOverview, BackendError>>;
    /// Runs upgrades now for one service or (`None`) the fleet.
    fn run_upgrades(
        &self,
        service: Option<String>,
        dry_run: bool,
    ) -> BoxFuture<'_, Result<RunOutcomeView, BackendError>>;
    /// Starts an upgrade wave; `soak` like `24h` (empty: the configured default).
    fn create_wave(
        &self,
        ecosystem: String,
        package: String,
        target: String,
        soak: String,
    ) -> BoxFuture<'_, Result<WaveView, BackendError>>;
    /// The Alerts page: alerts, rules, channels, silences, events.
    fn alerts(&self) -> BoxFuture<'_, Result<AlertsOverview, BackendError>>;
    /// Alerts firing now, of one service or (`None`) all.
    fn firing_alerts(
        &self,
        service: Option<String>,
    ) -> BoxFuture<'_, Result<Vec<AlertView>, BackendError>>;
    /// Creates a silence; a request that is not valid is answered with
    /// its problem in the outcome.
    fn create_silence(
        &self,
        silence: NewSilence,
    ) -> BoxFuture<'_, Result<SilenceOutcome, BackendError>>;
    fn expire_silence(&self, id: i64) -> BoxFuture<'_, Result<(), BackendError>>;
    /// The Admin page: accounts, tokens, the audit trail.
    fn admin(&self) -> BoxFuture<'_, Result<AdminOverview, BackendError>>;
    /// A new API token; `role` is a role's name, checked here.
    fn create_token(
        &self,
        name: String,
        role: String,
        created_by: String,
    ) -> BoxFuture<'_, Result<TokenOutcome, BackendError>>;
    fn revoke_token(&self, id: i64) -> BoxFuture<'_, Result<(), BackendError>>;
    /// Account changes an admin makes; a change that cannot be made (a
    /// taken name, the last admin) is answered in the outcome.
    fn manage_account(
        &self,
        change: AccountAction,
    ) -> BoxFuture<'_, Result<AccountOutcome, BackendError>>;
    /// The signed-in caller's account and sessions (`None` for a token or
    /// an anonymous caller).
    fn my_account(
        &self,
        user: CurrentUser,
    ) -> BoxFuture<'_, Result<Option<MyAccount>, BackendError>>;
    /// A change the signed-in caller makes to their own account.
    fn change_my_account(
        &self,
        user: CurrentUser,
        change: OwnAccountAction,
    ) -> BoxFuture<'_, Result<AccountOutcome, BackendError>>;
}

/// What an admin does to accounts from the Admin page.
#[derive(Clone, Debug)]
pub enum AccountAction {
    Create {
        username: String,
        password: String,
        role: String,
    },
    SetRole {
        id: i64,
        role: String,
    },
    SetDisabled {
        id: i64,
        disabled: bool,
    },
    SetPassword {
        id: i64,
        password: String,
    },
    EndSessions {
        id: i64,
    },
    Delete {
        id: i64,
    },
}

/// What a signed-in person does to their own account.
#[derive(Clone, Debug)]
pub enum OwnAccountAction {
    ChangePassword {
        current: String,
        new: String,
    },
    /// One session by id, or (`None`) every session but this one.
    EndSessions {
        only: Option<String>,
    },
}

/// What the server puts into Leptos' context for server functions and
/// server-side rendering.
#[derive(Clone)]
pub struct UiBackendHandle(pub Arc<dyn UiBackend>);
