//! Server functions: thin edges that call one backend function each.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{AccountAction, OwnAccountAction};
#[cfg(feature = "ssr")]
use shipshape_types::alerts::NewSilence;
use shipshape_types::alerts::{AlertView, AlertsOverview, SilenceOutcome};
use shipshape_types::auth::{AccountOutcome, AdminOverview, CurrentUser, MyAccount, TokenOutcome};
use shipshape_types::drift::{PackageSearch, ServiceDrift};
use shipshape_types::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_types::model::{FleetOverview, ServiceDetail};
use shipshape_types::upgrades::{RunOutcomeView, UpgradesOverview, WaveView};

#[cfg(feature = "ssr")]
fn backend() -> Result<crate::backend::UiBackendHandle, ServerFnError> {
    use_context::<crate::backend::UiBackendHandle>()
        .ok_or_else(|| ServerFnError::new("the server is not ready to answer yet"))
}

/// The caller of this request, as the server's access check found them.
#[cfg(feature = "ssr")]
fn current_user() -> CurrentUser {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
        .unwrap_or_else(|| CurrentUser::anonymous(None))
}

#[server]
pub async fn load_current_user() -> Result<CurrentUser, ServerFnError> {
    Ok(current_user())
}

#[server]
pub async fn load_admin() -> Result<AdminOverview, ServerFnError> {
    backend()?
        .0
        .admin()
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn create_api_token(name: String, role: String) -> Result<TokenOutcome, ServerFnError> {
    backend()?
        .0
        .create_token(name, role, current_user().name)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn revoke_api_token(id: i64) -> Result<(), ServerFnError> {
    backend()?
        .0
        .revoke_token(id)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[cfg(feature = "ssr")]
async fn manage_account(action: AccountAction) -> Result<AccountOutcome, ServerFnError> {
    backend()?
        .0
        .manage_account(action)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn create_account(
    username: String,
    password: String,
    role: String,
) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::Create {
        username,
        password,
        role,
    })
    .await
}

#[server]
pub async fn change_account_role(id: i64, role: String) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::SetRole { id, role }).await
}

#[server]
pub async fn set_account_disabled(
    id: i64,
    disabled: bool,
) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::SetDisabled { id, disabled }).await
}

#[server]
pub async fn set_account_password(
    id: i64,
    password: String,
) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::SetPassword { id, password }).await
}

#[server]
pub async fn end_account_sessions(id: i64) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::EndSessions { id }).await
}

#[server]
pub async fn delete_account(id: i64) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::Delete { id }).await
}

#[server]
pub async fn load_my_account() -> Result<Option<MyAccount>, ServerFnError> {
    backend()?
        .0
        .my_account(current_user())
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[cfg(feature = "ssr")]
async fn change_my_account(change: OwnAccountAction) -> Result<AccountOutcome, ServerFnError> {
    backend()?
        .0
        .change_my_account(current_user(), change)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
) -> Result<AccountOutcome, ServerFnError> {
    change_my_account(OwnAccountAction::ChangePassword {
        current: current_password,
        new: new_password,
    })
    .await
}

/// Ends one of the caller's sessions, or every other one when `session`
/// is empty.
#[server]
pub async fn end_my_sessions(session: String) -> Result<AccountOutcome, ServerFnError> {
    let only = Some(session).filter(|id| !id.is_empty());
    change_my_account(OwnAccountAction::EndSessions { only }).await
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

#[server]
pub async fn load_upgrades() -> Result<UpgradesOverview, ServerFnError> {
    backend()?
        .0
        .upgrades()
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

/// `service` empty: the whole fleet.
#[server]
pub async fn run_upgrades_now(
    service: String,
    dry_run: bool,
) -> Result<RunOutcomeView, ServerFnError> {
    let service = Some(service).filter(|s| !s.is_empty());
    backend()?
        .0
        .run_upgrades(service, dry_run)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn create_upgrade_wave(
    ecosystem: String,
    package: String,
    target: String,
    soak: String,
) -> Result<WaveView, ServerFnError> {
    backend()?
        .0
        .create_wave(ecosystem, package, target, soak)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn load_alerts() -> Result<AlertsOverview, ServerFnError> {
    backend()?
        .0
        .alerts()
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

/// `service` empty: every service.
#[server]
pub async fn load_firing_alerts(service: String) -> Result<Vec<AlertView>, ServerFnError> {
    let service = Some(service).filter(|s| !s.is_empty());
    backend()?
        .0
        .firing_alerts(service)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

/// Empty matchers match everything of their kind.
#[server]
pub async fn create_silence(
    rule: String,
    service: String,
    team: String,
    duration: String,
    comment: String,
) -> Result<SilenceOutcome, ServerFnError> {
    let given = |text: String| Some(text).filter(|t| !t.trim().is_empty());
    backend()?
        .0
        .create_silence(NewSilence {
            rule: given(rule),
            service: given(service),
            team: given(team),
            duration,
            comment,
        })
        .await
        .map_err(|e| ServerFnError::new(e.message))
}

#[server]
pub async fn expire_silence(id: i64) -> Result<(), ServerFnError> {
    backend()?
        .0
        .expire_silence(id)
        .await
        .map_err(|e| ServerFnError::new(e.message))
}
