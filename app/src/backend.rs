//! The one door from the UI's server functions into the server. The server
//! crate implements [`UiBackend`] over its operations (the same ones the
//! REST API calls, which check the caller) and provides it as context; this
//! crate never sees a database, so nothing server-only reaches the browser
//! bundle. Every call names its caller and answers a [`Problem`] when it
//! cannot be done, in words fit for the person who asked.

use std::sync::Arc;

use futures::future::BoxFuture;
use shipshape_types::alerts::{AlertView, AlertsOverview, NewSilence};
use shipshape_types::auth::{
    AdminOverview, Caller, CreatedToken, MyAccount, NewAccount, NewToken, PasswordChange,
};
use shipshape_types::drift::{PackageUse, ServiceDrift};
use shipshape_types::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_types::model::{FleetOverview, ServiceDetail};
use shipshape_types::page::Problem;
use shipshape_types::upgrades::{NewWave, RunOutcomeView, StartRun, UpgradesOverview, WaveView};

pub type Answer<'a, T> = BoxFuture<'a, Result<T, Problem>>;

pub trait UiBackend: Send + Sync {
    fn fleet_overview(&self, caller: Caller) -> Answer<'_, FleetOverview>;
    /// `None` for a slug not in the fleet.
    fn service_detail(&self, caller: Caller, slug: String) -> Answer<'_, Option<ServiceDetail>>;
    fn service_drift(&self, caller: Caller, slug: String) -> Answer<'_, Option<ServiceDrift>>;
    /// Queues a refresh of one service ("refresh now").
    fn refresh_service(&self, caller: Caller, slug: String) -> Answer<'_, ()>;
    /// Packages matching a search such as `serde <1.0.200` (all when empty).
    fn packages(&self, caller: Caller, query: String) -> Answer<'_, Vec<PackageUse>>;
    fn service_health(&self, caller: Caller, slug: String) -> Answer<'_, Option<ServiceHealth>>;
    /// The public status page.
    fn status_page(&self, grouping: StatusGrouping) -> Answer<'_, StatusPageView>;
    fn upgrades(&self, caller: Caller) -> Answer<'_, UpgradesOverview>;
    fn run_upgrades(&self, caller: Caller, run: StartRun) -> Answer<'_, RunOutcomeView>;
    fn create_wave(&self, caller: Caller, wave: NewWave) -> Answer<'_, WaveView>;
    fn alerts(&self, caller: Caller) -> Answer<'_, AlertsOverview>;
    /// Alerts firing now, of one service or (`None`) all.
    fn firing_alerts(&self, caller: Caller, service: Option<String>) -> Answer<'_, Vec<AlertView>>;
    fn create_silence(&self, caller: Caller, silence: NewSilence) -> Answer<'_, i64>;
    fn expire_silence(&self, caller: Caller, id: i64) -> Answer<'_, ()>;
    /// The Admin page: accounts, tokens, the audit trail.
    fn admin(&self, caller: Caller) -> Answer<'_, AdminOverview>;
    fn create_token(&self, caller: Caller, token: NewToken) -> Answer<'_, CreatedToken>;
    fn revoke_token(&self, caller: Caller, id: i64) -> Answer<'_, ()>;
    /// An admin's change to an account; answers a line saying what was done.
    fn manage_account(&self, caller: Caller, change: AccountAction) -> Answer<'_, String>;
    /// The signed-in caller's account and sessions (`None` for a token or
    /// an anonymous caller).
    fn my_account(&self, caller: Caller) -> Answer<'_, Option<MyAccount>>;
    /// A change the signed-in caller makes to their own account; answers a
    /// line saying what was done.
    fn change_my_account(&self, caller: Caller, change: OwnAccountAction) -> Answer<'_, String>;
}

/// What an admin does to accounts from the Admin page.
#[derive(Clone, Debug)]
pub enum AccountAction {
    Create(NewAccount),
    SetRole { id: i64, role: String },
    SetDisabled { id: i64, disabled: bool },
    SetPassword { id: i64, password: String },
    EndSessions { id: i64 },
    Delete { id: i64 },
}

/// What a signed-in person does to their own account.
#[derive(Clone, Debug)]
pub enum OwnAccountAction {
    ChangePassword(PasswordChange),
    /// One session by id, or (`None`) every session but this one.
    EndSessions {
        only: Option<String>,
    },
}

/// What the server puts into Leptos' context for server functions and
/// server-side rendering.
#[derive(Clone)]
pub struct UiBackendHandle(pub Arc<dyn UiBackend>);
