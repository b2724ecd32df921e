//! Accounts, sessions, API tokens and the audit trail: each person's own
//! (anyone signed in) and everyone's (admins).

use shipshape_types::auth::{
    AccountUpdate, AccountView, AdminOverview, AuditEntryView, Caller, CreatedToken, Ended, Me,
    MyAccount, NewAccount, NewPassword, NewToken, PasswordChange, Role, SessionView, TokenView,
};
use shipshape_types::page::{Page, PageRequest};

use super::{OperationError, Operations, Result};
use crate::auth::service::AccountError;

/// Audit entries the Admin page shows.
const AUDIT_SHOWN: i64 = 100;

fn role_named(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| AccountError::BadRole(text.to_string()).into())
}

impl Operations {
    /// Who the caller is and what they may do: anyone may ask.
    pub fn me(&self, caller: &Caller) -> Me {
        Me {
            name: caller.name.clone(),
            role: caller.role,
            signed_in: caller.signed_in(),
        }
    }

    /// The caller's own account and sessions (a token has none).
    pub async fn my_account(&self, caller: &Caller) -> Result<MyAccount> {
        caller.require(Role::Viewer)?;
        Ok(self.auth.my_account(caller).await?)
    }

    /// Ends one of the caller's sessions, or (`None`) every one but this.
    pub async fn end_my_sessions(&self, caller: &Caller, only: Option<&str>) -> Result<u64> {
        caller.require(Role::Viewer)?;
        let ended = self.auth.end_my_sessions(caller, only).await?;
        match (only, ended) {
            (Some(session), 0) => Err(OperationError::NotFound(format!(
                "you have no live session {session}"
            ))),
            _ => Ok(ended),
        }
    }

    /// Changes the caller's password (proving the current one); their
    /// other sessions end.
    pub async fn change_my_password(&self, caller: &Caller, change: &PasswordChange) -> Result<()> {
        caller.require(Role::Viewer)?;
        Ok(self
            .auth
            .change_own_password(caller, &change.current_password, &change.new_password)
            .await?)
    }

    pub async fn accounts(&self, caller: &Caller, page: &PageRequest) -> Result<Page<AccountView>> {
        caller.require(Role::Admin)?;
        Page::of(self.auth.accounts().await?, page).map_err(OperationError::Invalid)
    }

    /// One account, as the list shows it.
    async fn account_view(&self, id: i64) -> Result<AccountView> {
        self.auth
            .accounts()
            .await?
            .into_iter()
            .find(|account| account.id == id)
            .ok_or_else(|| AccountError::NoSuchId(id).into())
    }

    pub async fn create_account(&self, caller: &Caller, new: &NewAccount) -> Result<AccountView> {
        caller.require(Role::Admin)?;
        let role = role_named(&new.role)?;
        let id = self
            .auth
            .add_user(&new.username, &new.password, role)
            .await?;
        self.account_view(id).await
    }

    /// Changes an account's role, whether it is disabled, or both. The
    /// last enabled admin can be neither demoted nor disabled.
    pub async fn update_account(
        &self,
        caller: &Caller,
        id: i64,
        update: &AccountUpdate,
    ) -> Result<AccountView> {
        caller.require(Role::Admin)?;
        if update.role.is_none() && update.disabled.is_none() {
            return Err(OperationError::Invalid(
                r#"nothing to change: send "role", "disabled" or both"#.to_string(),
            ));
        }
        let role = update.role.as_deref().map(role_named).transpose()?;
        if let Some(role) = role {
            self.auth.set_role(id, role).await?;
        }
        if let Some(disabled) = update.disabled {
            self.auth.set_disabled(id, disabled).await?;
        }
        self.account_view(id).await
    }

    /// Deletes an account and its sessions; the audit trail keeps its
    /// name. Returns the name.
    pub async fn delete_account(&self, caller: &Caller, id: i64) -> Result<String> {
        caller.require(Role::Admin)?;
        Ok(self.auth.delete_account(id).await?)
    }

    /// Sets an account's password; every session of the account ends.
    /// Returns the account's name.
    pub async fn reset_password(
        &self,
        caller: &Caller,
        id: i64,
        password: &NewPassword,
    ) -> Result<String> {
        caller.require(Role::Admin)?;
        Ok(self.auth.reset_password(id, &password.password).await?)
    }

    pub async fn account_sessions(&self, caller: &Caller, id: i64) -> Result<Vec<SessionView>> {
        caller.require(Role::Admin)?;
        Ok(self.auth.sessions(id, caller.session.as_deref()).await?)
    }

    /// Ends one session of an account, or every one.
    pub async fn end_account_sessions(
        &self,
        caller: &Caller,
        id: i64,
        only: Option<&str>,
    ) -> Result<Ended> {
        caller.require(Role::Admin)?;
        let ended = self.auth.end_sessions(id, only, None).await?;
        match (only, ended) {
            (Some(session), 0) => Err(OperationError::NotFound(format!(
                "account {id} has no live session {session}"
            ))),
            _ => Ok(Ended { ended }),
        }
    }

    pub async fn tokens(&self, caller: &Caller, page: &PageRequest) -> Result<Page<TokenView>> {
        caller.require(Role::Admin)?;
        Page::of(self.auth.tokens().await?, page).map_err(OperationError::Invalid)
    }

    /// A new API token; its secret is in this answer only.
    pub async fn create_token(&self, caller: &Caller, new: &NewToken) -> Result<CreatedToken> {
        caller.require(Role::Admin)?;
        let role = role_named(&new.role)?;
        let expires_in = match new.expires_in.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                crate::common::duration::parse_duration(text).map_err(AccountError::BadExpiry)?,
            ),
        };
        let creator = self.auth.creator_of(caller).await?;
        Ok(self
            .auth
            .create_token(new.name.trim(), role, &caller.name, creator, expires_in)
            .await?)
    }

    pub async fn revoke_token(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.require(Role::Admin)?;
        if self.auth.revoke_token(id).await? {
            Ok(())
        } else {
            Err(OperationError::NotFound(format!(
                "no live API token with id {id}"
            )))
        }
    }

    /// The audit trail, newest first; the cursor is the oldest entry's id.
    pub async fn audit(&self, caller: &Caller, page: &PageRequest) -> Result<Page<AuditEntryView>> {
        caller.require(Role::Admin)?;
        let limit = page.length().map_err(OperationError::Invalid)?;
        let before = page
            .after
            .as_deref()
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    OperationError::Invalid(format!(
                        "after: `{text}` is not a cursor this list gave"
                    ))
                })
            })
            .transpose()?;
        let items = self
            .auth
            .audit(before, i64::try_from(limit).unwrap_or(i64::MAX))
            .await?;
        let next_cursor = (items.len() == limit)
            .then(|| items.last().map(|entry| entry.id.to_string()))
            .flatten();
        Ok(Page { items, next_cursor })
    }

    /// The Admin page: accounts, tokens and the newest audit entries.
    pub async fn admin_overview(&self, caller: &Caller) -> Result<AdminOverview> {
        caller.require(Role::Admin)?;
        Ok(AdminOverview {
            accounts: self.auth.accounts().await?,
            tokens: self.auth.tokens().await?,
            audit: self.auth.audit(None, AUDIT_SHOWN).await?,
        })
    }
}
