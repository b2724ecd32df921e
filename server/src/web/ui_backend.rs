//! The pages' door: the UI's server functions reach the operations through
//! this, as the caller the access check found. Each method calls one
//! operation and renders its error as the problem the page shows; the
//! operations, not this file, check who may do what.

use futures::FutureExt;
use shipshape_app::backend::{AccountAction, Answer, OwnAccountAction, UiBackend};
use shipshape_types::alerts::{AlertView, AlertsOverview, NewSilence};
use shipshape_types::auth::{
    AccountUpdate, AdminOverview, Caller, CreatedToken, MyAccount, NewPassword, NewToken,
};
use shipshape_types::drift::{PackageUse, ServiceDrift};
use shipshape_types::health::{ServiceHealth, StatusGrouping, StatusPageView};
use shipshape_types::model::{FleetOverview, ServiceDetail};
use shipshape_types::page::Problem;
use shipshape_types::upgrades::{NewWave, RunOutcomeView, StartRun, UpgradesOverview, WaveView};

use crate::operations::{OperationError, Operations};

pub struct UiOperations(pub Operations);

fn rendered<T>(result: Result<T, OperationError>) -> Result<T, Problem> {
    result.map_err(|error| error.problem())
}

/// A service the fleet does not have is no page to show (`None`), not a
/// failure.
fn optional<T>(result: Result<T, OperationError>) -> Result<Option<T>, Problem> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(OperationError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.problem()),
    }
}

impl UiBackend for UiOperations {
    fn fleet_overview(&self, caller: Caller) -> Answer<'_, FleetOverview> {
        async move { rendered(self.0.fleet_overview(&caller).await) }.boxed()
    }

    fn service_detail(&self, caller: Caller, slug: String) -> Answer<'_, Option<ServiceDetail>> {
        async move { optional(self.0.service_detail(&caller, &slug).await) }.boxed()
    }

    fn service_drift(&self, caller: Caller, slug: String) -> Answer<'_, Option<ServiceDrift>> {
        async move { optional(self.0.service_drift(&caller, &slug).await) }.boxed()
    }

    fn refresh_service(&self, caller: Caller, slug: String) -> Answer<'_, ()> {
        async move { rendered(self.0.refresh_service(&caller, &slug).await) }.boxed()
    }

    fn packages(&self, caller: Caller, query: String) -> Answer<'_, Vec<PackageUse>> {
        async move { rendered(self.0.packages(&caller, &query).await) }.boxed()
    }

    fn service_health(&self, caller: Caller, slug: String) -> Answer<'_, Option<ServiceHealth>> {
        async move { optional(self.0.service_health(&caller, &slug).await) }.boxed()
    }

    fn status_page(&self, grouping: StatusGrouping) -> Answer<'_, StatusPageView> {
        async move { rendered(self.0.status_page(grouping).await) }.boxed()
    }

    fn upgrades(&self, caller: Caller) -> Answer<'_, UpgradesOverview> {
        async move { rendered(self.0.upgrades_overview(&caller).await) }.boxed()
    }

    fn run_upgrades(&self, caller: Caller, run: StartRun) -> Answer<'_, RunOutcomeView> {
        async move { rendered(self.0.start_upgrade_run(&caller, &run).await) }.boxed()
    }

    fn create_wave(&self, caller: Caller, wave: NewWave) -> Answer<'_, WaveView> {
        async move { rendered(self.0.create_wave(&caller, &wave).await) }.boxed()
    }

    fn alerts(&self, caller: Caller) -> Answer<'_, AlertsOverview> {
        async move { rendered(self.0.alerts_overview(&caller).await) }.boxed()
    }

    fn firing_alerts(&self, caller: Caller, service: Option<String>) -> Answer<'_, Vec<AlertView>> {
        async move { rendered(self.0.firing_alerts(&caller, service.as_deref()).await) }.boxed()
    }

    fn create_silence(&self, caller: Caller, silence: NewSilence) -> Answer<'_, i64> {
        async move { rendered(self.0.create_silence(&caller, &silence).await) }.boxed()
    }

    fn expire_silence(&self, caller: Caller, id: i64) -> Answer<'_, ()> {
        async move { rendered(self.0.expire_silence(&caller, id).await) }.boxed()
    }

    fn admin(&self, caller: Caller) -> Answer<'_, AdminOverview> {
        async move { rendered(self.0.admin_overview(&caller).await) }.boxed()
    }

    fn create_token(&self, caller: Caller, token: NewToken) -> Answer<'_, CreatedToken> {
        async move { rendered(self.0.create_token(&caller, &token).await) }.boxed()
    }

    fn revoke_token(&self, caller: Caller, id: i64) -> Answer<'_, ()> {
        async move { rendered(self.0.revoke_token(&caller, id).await) }.boxed()
    }

    fn manage_account(&self, caller: Caller, change: AccountAction) -> Answer<'_, String> {
        async move {
            let ops = &self.0;
            let done = match change {
                AccountAction::Create(account) => {
                    ops.create_account(&caller, &account).await.map(|created| {
                        format!(
                            "Created the {} account {}.",
                            created.role.name(),
                            created.username
                        )
                    })
                }
                AccountAction::SetRole { id, role } => {
                    let update = AccountUpdate {
                        role: Some(role),
                        disabled: None,
                    };
                    ops.update_account(&caller, id, &update)
                        .await
                        .map(|account| {
                            format!("{} is now {}.", account.username, account.role.name())
                        })
                }
                AccountAction::SetDisabled { id, disabled } => {
                    let update = AccountUpdate {
                        role: None,
                        disabled: Some(disabled),
                    };
                    ops.update_account(&caller, id, &update)
                        .await
                        .map(|account| {
                            if disabled {
                                format!("Disabled {} and ended its sessions.", account.username)
                            } else {
                                format!("Enabled {}.", account.username)
                            }
                        })
                }
                AccountAction::SetPassword { id, password } => ops
                    .reset_password(&caller, id, &NewPassword { password })
                    .await
                    .map(|name| format!("Set a new password for {name} and ended its sessions.")),
                AccountAction::EndSessions { id } => ops
                    .end_account_sessions(&caller, id, None)
                    .await
                    .map(|ended| format!("Ended {} session(s) of account {id}.", ended.ended)),
                AccountAction::Delete { id } => ops
                    .delete_account(&caller, id)
                    .await
                    .map(|name| format!("Deleted {name}.")),
            };
            rendered(done)
        }
        .boxed()
    }

    fn my_account(&self, caller: Caller) -> Answer<'_, Option<MyAccount>> {
        async move {
            if !caller.signed_in() {
                return Ok(None);
            }
            rendered(self.0.my_account(&caller).await.map(Some))
        }
        .boxed()
    }

    fn change_my_account(&self, caller: Caller, change: OwnAccountAction) -> Answer<'_, String> {
        async move {
            let ops = &self.0;
            let done = match change {
                OwnAccountAction::ChangePassword(change) => ops
                    .change_my_password(&caller, &change)
                    .await
                    .map(|()| "Changed your password; your other sessions have ended.".to_string()),
                OwnAccountAction::EndSessions { only } => {
                    let all = only.is_none();
                    match ops.end_my_sessions(&caller, only.as_deref()).await {
                        Ok(ended) if all => Ok(format!("Ended {ended} other session(s).")),
                        Ok(_) => Ok("Ended the session.".to_string()),
                        Err(OperationError::NotFound(_)) => {
                            Ok("That session had already ended.".to_string())
                        }
                        Err(error) => Err(error),
                    }
                }
            };
            rendered(done)
        }
        .boxed()
    }
}
