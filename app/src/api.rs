//! Server functions: thin edges that call one backend function each, as the
//! caller the server's access check found. A failure reaches the page as
//! the problem's words; where a page shows a person's mistake in place (a
//! form), a 4xx problem comes back as the outcome's `problem` instead.

use leptos::prelude::*;
use shipshape_types::alerts::{AlertView, AlertsOverview, SilenceOutcome};
use shipshape_types::auth::{AccountOutcome, AdminOverview, Caller, MyAccount, TokenOutcome};
use shipshape_types::drift::{PackageSearch, ServiceDrift};
use shipshape_types::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_types::model::{FleetOverview, ServiceDetail};
use shipshape_types::upgrades::{RunOutcomeView, UpgradesOverview, WaveView};

#[cfg(feature = "ssr")]
use {
    crate::backend::{AccountAction, OwnAccountAction, UiBackend, UiBackendHandle},
    shipshape_types::alerts::NewSilence,
    shipshape_types::auth::{NewAccount, NewToken, PasswordChange},
    shipshape_types::page::Problem,
    shipshape_types::upgrades::{NewWave, StartRun},
    std::future::Future,
    std::sync::Arc,
};

/// The caller of this request, as the server's access check found them;
/// nobody (with no role) when the check did not run, so every backend
/// call refuses.
#[cfg(feature = "ssr")]
fn current_user() -> Caller {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .unwrap_or_else(|| Caller::anonymous(None))
}

/// Calls the backend as this request's caller.
#[cfg(feature = "ssr")]
async fn answered<T, Fut>(
    call: impl FnOnce(Arc<dyn UiBackend>, Caller) -> Fut,
) -> Result<Result<T, Problem>, ServerFnError>
where
    Fut: Future<Output = Result<T, Problem>>,
{
    let backend = use_context::<UiBackendHandle>()
        .ok_or_else(|| ServerFnError::new("the server is not ready to answer yet"))?;
    Ok(call(backend.0, current_user()).await)
}

/// Calls the backend; any problem is the server function's error.
#[cfg(feature = "ssr")]
async fn ask<T, Fut>(
    call: impl FnOnce(Arc<dyn UiBackend>, Caller) -> Fut,
) -> Result<T, ServerFnError>
where
    Fut: Future<Output = Result<T, Problem>>,
{
    answered(call)
        .await?
        .map_err(|problem| ServerFnError::new(problem.detail))
}

/// Calls the backend; a caller's mistake comes back as `Err(words)` for the
/// page to show in place, a server failure as the server function's error.
#[cfg(feature = "ssr")]
async fn ask_in_place<T, Fut>(
    call: impl FnOnce(Arc<dyn UiBackend>, Caller) -> Fut,
) -> Result<Result<T, String>, ServerFnError>
where
    Fut: Future<Output = Result<T, Problem>>,
{
    match answered(call).await? {
        Ok(value) => Ok(Ok(value)),
        Err(problem) if problem.is_callers() => Ok(Err(problem.detail)),
        Err(problem) => Err(ServerFnError::new(problem.detail)),
    }
}

#[server]
pub async fn load_current_user() -> Result<Caller, ServerFnError> {
    Ok(current_user())
}

#[server]
pub async fn load_admin() -> Result<AdminOverview, ServerFnError> {
    ask(|b, caller| async move { b.admin(caller).await }).await
}

#[server]
pub async fn create_api_token(name: String, role: String) -> Result<TokenOutcome, ServerFnError> {
    let token = NewToken {
        name,
        role,
        expires_in: None,
    };
    let result =
        ask_in_place(|b, caller| async move { b.create_token(caller, token).await }).await?;
    Ok(match result {
        Ok(created) => TokenOutcome {
            created: Some(created),
            problem: None,
        },
        Err(problem) => TokenOutcome {
            created: None,
            problem: Some(problem),
        },
    })
}

#[server]
pub async fn revoke_api_token(id: i64) -> Result<(), ServerFnError> {
    ask(|b, caller| async move { b.revoke_token(caller, id).await }).await
}

#[cfg(feature = "ssr")]
async fn manage_account(action: AccountAction) -> Result<AccountOutcome, ServerFnError> {
    let result =
        ask_in_place(|b, caller| async move { b.manage_account(caller, action).await }).await?;
    Ok(match result {
        Ok(done) => AccountOutcome::done(done),
        Err(problem) => AccountOutcome::problem(problem),
    })
}

#[server]
pub async fn create_account(
    username: String,
    password: String,
    role: String,
) -> Result<AccountOutcome, ServerFnError> {
    manage_account(AccountAction::Create(NewAccount {
        username,
        password,
        role,
    }))
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
    ask(|b, caller| async move { b.my_account(caller).await }).await
}

#[cfg(feature = "ssr")]
async fn change_my_account(change: OwnAccountAction) -> Result<AccountOutcome, ServerFnError> {
    let result =
        ask_in_place(|b, caller| async move { b.change_my_account(caller, change).await }).await?;
    Ok(match result {
        Ok(done) => AccountOutcome::done(done),
        Err(problem) => AccountOutcome::problem(problem),
    })
}

#[server]
pub async fn change_my_password(
    current_password: String,
    new_password: String,
) -> Result<AccountOutcome, ServerFnError> {
    change_my_account(OwnAccountAction::ChangePassword(PasswordChange {
        current_password,
        new_password,
    }))
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
    ask(|b, caller| async move { b.fleet_overview(caller).await }).await
}

#[server]
pub async fn load_service_detail(slug: String) -> Result<Option<ServiceDetail>, ServerFnError> {
    ask(|b, caller| async move { b.service_detail(caller, slug).await }).await
}

#[server]
pub async fn load_service_drift(slug: String) -> Result<Option<ServiceDrift>, ServerFnError> {
    ask(|b, caller| async move { b.service_drift(caller, slug).await }).await
}

#[server]
pub async fn refresh_service_now(slug: String) -> Result<(), ServerFnError> {
    ask(|b, caller| async move { b.refresh_service(caller, slug).await }).await
}

/// A query that cannot be read is an answer too (with why), not a
/// failure of the server.
#[server]
pub async fn search_packages(query: String) -> Result<PackageSearch, ServerFnError> {
    let result = ask_in_place(|b, caller| async move { b.packages(caller, query).await }).await?;
    Ok(match result {
        Ok(packages) => PackageSearch {
            packages,
            query_error: None,
        },
        Err(problem) => PackageSearch {
            packages: Vec::new(),
            query_error: Some(problem),
        },
    })
}

#[server]
pub async fn load_service_health(slug: String) -> Result<Option<ServiceHealth>, ServerFnError> {
    ask(|b, caller| async move { b.service_health(caller, slug).await }).await
}

#[server]
pub async fn load_status_page(grouping: StatusGrouping) -> Result<StatusPageView, ServerFnError> {
    ask(|b, _| async move { b.status_page(grouping).await }).await
}

#[server]
pub async fn load_upgrades() -> Result<UpgradesOverview, ServerFnError> {
    ask(|b, caller| async move { b.upgrades(caller).await }).await
}

/// `service` empty: the whole fleet.
#[server]
pub async fn run_upgrades_now(
    service: String,
    dry_run: bool,
) -> Result<RunOutcomeView, ServerFnError> {
    let run = StartRun {
        service: Some(service),
        dry_run,
    };
    ask(|b, caller| async move { b.run_upgrades(caller, run).await }).await
}

/// `soak` empty: the configured default.
#[server]
pub async fn create_upgrade_wave(
    ecosystem: String,
    package: String,
    target: String,
    soak: String,
) -> Result<WaveView, ServerFnError> {
    let wave = NewWave {
        ecosystem,
        package,
        target,
        soak: Some(soak),
    };
    ask(|b, caller| async move { b.create_wave(caller, wave).await }).await
}

#[server]
pub async fn load_alerts() -> Result<AlertsOverview, ServerFnError> {
    ask(|b, caller| async move { b.alerts(caller).await }).await
}

/// `service` empty: every service.
#[server]
pub async fn load_firing_alerts(service: String) -> Result<Vec<AlertView>, ServerFnError> {
    let service = Some(service).filter(|s| !s.is_empty());
    ask(|b, caller| async move { b.firing_alerts(caller, service).await }).await
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
    let silence = NewSilence {
        rule: given(rule),
        service: given(service),
        team: given(team),
        duration,
        comment,
    };
    let result =
        ask_in_place(|b, caller| async move { b.create_silence(caller, silence).await }).await?;
    Ok(match result {
        Ok(id) => SilenceOutcome {
            id: Some(id),
            problem: None,
        },
        Err(problem) => SilenceOutcome {
            id: None,
            problem: Some(problem),
        },
    })
}

#[server]
pub async fn expire_silence(id: i64) -> Result<(), ServerFnError> {
    ask(|b, caller| async move { b.expire_silence(caller, id).await }).await
}
