//! Accounts, sign-in, sessions, API tokens and the audit trail over the
//! store. The web layer asks this service who a caller is; the policy
//! decides what they may do.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use shipshape_types::auth::{
    AccountView, AuditEntryView, CreatedToken, MyAccount, SessionView, TokenView,
};
use shipshape_types::format::utc_timestamp;

use super::Role;
use super::hashing::HashingPool;
use super::limiter::AttemptLimiter;
use super::password::{PasswordError, decoy_hash, hash_password, verify_password};
use super::secret::{TOKEN_PREFIX, digest, new_secret};
use super::{Caller, Via};
use crate::auth::settings::AuthSettings;
use crate::auth::store::{
    AccountChange, AuditEntry, NewTokenRow, StoredSession, StoredToken, StoredUser, session_id,
};
use crate::common::clock::Clock;
use crate::store::{Store, StoreError};

/// Failed sign-ins allowed per account, and per client address, in a window.
/// Failures of one account from one address in the window. Counted per
/// pair, so that an attacker guessing from elsewhere never locks the
/// owner out; the address limit slows one guessing from many accounts.
const ACCOUNT_FAILURES: usize = 5;
/// Password hashes computed at once. Argon2 as configured takes 19 MiB
/// and tens of milliseconds each: a burst of sign-ins waits here instead
/// of taking gigabytes.
const PARALLEL_HASHES: usize = 4;
/// How long a sign-in waits for a turn to hash before it is told to retry.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const ADDRESS_FAILURES: usize = 20;
const FAILURE_WINDOW_MS: i64 = 15 * 60_000;

/// The environment variables that create the first admin on first start.
pub const ADMIN_USER_ENV: &str = "SHIPSHAPE_ADMIN_USER";
pub const ADMIN_PASSWORD_ENV: &str = "SHIPSHAPE_ADMIN_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("`{0}` is not a valid account name: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`")]
    BadName(String),
    #[error("an account named `{0}` already exists")]
    Taken(String),
    #[error("no account named `{0}`")]
    Unknown(String),
    #[error("no account with id {0}")]
    NoSuchId(i64),
    #[error("`{0}` is the last enabled admin: make another account an admin first")]
    LastAdmin(String),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("an API token has no account or password of its own")]
    NotAnAccount,
    #[error("`{0}` is not a role: use viewer, operator or admin")]
    BadRole(String),
    #[error("a live API token named `{0}` exists already: revoke it or choose another name")]
    TokenTaken(String),
    #[error("expires_in: {0}")]
    BadExpiry(String),
    #[error("{0}")]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The same answer for an unknown name and a wrong password.
    #[error("the account name or the password is wrong")]
    Refused,
    /// Said only to someone who gave the right password.
    #[error("this account is disabled: ask an admin to enable it")]
    Disabled,
    #[error("too many failed sign-ins: try again in {} minute(s)", (retry_after_ms + 59_999) / 60_000)]
    TooMany { retry_after_ms: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A session just started: the cookie's value and when it ends.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub secret: String,
    pub max_age_secs: i64,
}

struct Limiters {
    /// Keyed by account and address.
    accounts: AttemptLimiter,
    addresses: AttemptLimiter,
}

#[derive(Clone)]
pub struct AuthService {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Arc<AuthSettings>,
    limiters: Arc<Mutex<Limiters>>,
    /// Turns to hash during sign-in, so a burst waits a bounded time.
    hashing_turns: Arc<tokio::sync::Semaphore>,
    hashing: HashingPool,
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

impl AuthService {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: AuthSettings) -> AuthService {
        AuthService {
            store,
            clock,
            settings: Arc::new(settings),
            limiters: Arc::new(Mutex::new(Limiters {
                accounts: AttemptLimiter::new(ACCOUNT_FAILURES, FAILURE_WINDOW_MS),
                addresses: AttemptLimiter::new(ADDRESS_FAILURES, FAILURE_WINDOW_MS),
            })),
            hashing_turns: Arc::new(tokio::sync::Semaphore::new(PARALLEL_HASHES)),
            hashing: HashingPool::new(PARALLEL_HASHES),
        }
    }

    /// Argon2 takes tens of milliseconds of CPU and 19 MiB: on the
    /// hashing threads, off the async ones.
    async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_string();
        self.hashing
            .run(move || hash_password(&password))
            .await
            .unwrap_or_else(|| Err(PasswordError::Hashing("the hashing thread stopped".into())))
    }

    /// Whether `given` is the password `stored` was made from (the decoy
    /// when there is none); `false` when it could not be checked.
    async fn verify(&self, given: &str, stored: Option<String>) -> bool {
        let given = given.to_string();
        self.hashing
            .run(move || match stored {
                Some(stored) => verify_password(&given, &stored),
                None => verify_password(&given, decoy_hash()),
            })
            .await
            .unwrap_or(false)
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// A caller who is not signed in, with what `[auth] anonymous` grants.
    pub fn anonymous(&self) -> Caller {
        Caller::anonymous(self.settings.anonymous)
    }

    pub async fn add_user(
        &self,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<i64, AccountError> {
        if !valid_name(username) {
            return Err(AccountError::BadName(username.to_string()));
        }
        let hash = self.hash(password).await?;
        self.store
            .create_user(username, &hash, role.name(), self.clock.now_ms())
            .await?
            .ok_or_else(|| AccountError::Taken(username.to_string()))
    }

    /// Sets a new password and signs the account out everywhere.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), AccountError> {
        let user = self
            .store
            .user_by_name(username)
            .await?
            .ok_or_else(|| AccountError::Unknown(username.to_string()))?;
        let hash = self.hash(password).await?;
        self.store
            .set_password(user.id, &hash, self.clock.now_ms(), None)
            .await?;
        Ok(())
    }

    /// On a database without accounts, creates the admin named by
    /// `SHIPSHAPE_ADMIN_USER` with `SHIPSHAPE_ADMIN_PASSWORD`. There is
    /// never a default password: without both variables nobody is created.
    /// Returns the name created, if any.
    pub async fn ensure_first_admin(
        &self,
        env: &BTreeMap<String, String>,
    ) -> Result<Option<String>, AccountError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let (Some(user), Some(password)) = (env.get(ADMIN_USER_ENV), env.get(ADMIN_PASSWORD_ENV))
        else {
            return Ok(None);
        };
        self.add_user(user, password, Role::Admin).await?;
        Ok(Some(user.clone()))
    }

    /// Checks a name and password, limited per account and per address.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
        user_agent: Option<&str>,
    ) -> Result<NewSession, SignInError> {
        let now = self.clock.now_ms();
        let account_key = format!("{}|{address}", username.to_lowercase());
        {
            // Counted now, before any work: parallel guesses cannot pass
            // the limit while the first ones are still being hashed.
            let mut limiters = self.lock_limiters();
            limiters
                .addresses
                .check(address, now)
                .and_then(|()| limiters.accounts.check(&account_key, now))
                .map_err(|retry_after_ms| SignInError::TooMany { retry_after_ms })?;
            limiters.accounts.record_failure(&account_key, now);
            limiters.addresses.record_failure(address, now);
        }
        let Ok(Ok(_turn)) = tokio::time::timeout(HASH_WAIT, self.hashing_turns.acquire()).await
        else {
            tracing::warn!(
                address,
                "a sign-in waited too long to be checked; the server is busy"
            );
            return Err(SignInError::TooMany {
                retry_after_ms: i64::try_from(HASH_WAIT.as_millis()).unwrap_or(10_000),
            });
        };
        let user = self.store.user_by_name(username).await?;
        // An unknown name is checked against a decoy, so that it takes
        // as long as a wrong password.
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self.verify(password, stored).await;
        let user = match (user, matches) {
            (Some(user), true) => user,
            _ => {
                // The name typed is not logged: it is often a password
                // typed in the wrong field.
                tracing::warn!(address, "a sign-in was refused");
                return Err(SignInError::Refused);
            }
        };
        {
            let mut limiters = self.lock_limiters();
            limiters.accounts.clear(&account_key);
            limiters.addresses.forgive_last(address);
        }
        if user.disabled_ms.is_some() {
            tracing::warn!(account = %user.username, address, "a disabled account tried to sign in");
            return Err(SignInError::Disabled);
        }
        let secret = new_secret("");
        let ttl_ms = i64::try_from(self.settings.session_ttl.as_millis()).unwrap_or(i64::MAX / 2);
        // A browser's own description, kept short: it is shown, not trusted.
        let user_agent = user_agent.map(|agent| agent.chars().take(200).collect::<String>());
        self.store
            .create_session(
                &digest(&secret),
                user.id,
                now,
                now.saturating_add(ttl_ms),
                address,
                user_agent.as_deref(),
            )
            .await?;
        tracing::info!(account = %user.username, "signed in");
        Ok(NewSession {
            secret,
            max_age_secs: ttl_ms / 1000,
        })
    }

    fn lock_limiters(&self) -> std::sync::MutexGuard<'_, Limiters> {
        self.limiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The caller behind a session cookie; `None` when it is not (or no
    /// longer) a live session.
    pub async fn session_caller(&self, secret: &str) -> Result<Option<Caller>, StoreError> {
        let digest = digest(secret);
        let user = self
            .store
            .session_user(&digest, self.clock.now_ms())
            .await?;
        Ok(user.map(|user| Caller {
            role: Role::parse(&user.role),
            name: user.username,
            via: Via::Session,
            session: Some(session_id(&digest)),
        }))
    }

    pub async fn sign_out(&self, secret: &str) -> Result<(), StoreError> {
        self.store
            .revoke_session(&digest(secret), self.clock.now_ms())
            .await
    }

    /// The caller behind a bearer token; `None` for an unknown or revoked one.
    pub async fn token_caller(&self, secret: &str) -> Result<Option<Caller>, StoreError> {
        let Some(presented) = self
            .store
            .use_token(&digest(secret), self.clock.now_ms())
            .await?
        else {
            return Ok(None);
        };
        let token = presented.token;
        let role = match presented.creator_role {
            // The command line's: its own role.
            None => Role::parse(&token.role),
            // Its creator's account is gone or disabled: so is the token.
            Some(None) => {
                tracing::warn!(token = %token.name, "a token whose creator is deleted or disabled was refused");
                return Ok(None);
            }
            // Never more than its creator may do now.
            Some(Some(creator)) => Role::parse(&token.role)
                .zip(Role::parse(&creator))
                .map(|(own, creator)| if own.allows(creator) { creator } else { own }),
        };
        Ok(Some(Caller {
            role,
            name: format!("token:{}", token.name),
            via: Via::Token,
            session: None,
        }))
    }

    /// Creates a token for `caller`'s account (`None`: the command line),
    /// expiring after `expires_in` when given.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        created_by: &str,
        creator_id: Option<i64>,
        expires_in: Option<std::time::Duration>,
    ) -> Result<CreatedToken, AccountError> {
        if !valid_name(name) {
            return Err(AccountError::BadName(name.to_string()));
        }
        let secret = new_secret(TOKEN_PREFIX);
        let now = self.clock.now_ms();
        let expires_ms = expires_in
            .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
        let token_digest = digest(&secret);
        let id = self
            .store
            .create_token(&NewTokenRow {
                name,
                digest: &token_digest,
                role: role.name(),
                created_by,
                creator_id,
                expires_ms,
                now_ms: now,
            })
            .await?
            .ok_or_else(|| AccountError::TokenTaken(name.to_string()))?;
        Ok(CreatedToken {
            token: token_view(StoredToken {
                id,
                name: name.to_string(),
                role: role.name().to_string(),
                created_by: created_by.to_string(),
                created_ms: now,
                last_used_ms: None,
                revoked_ms: None,
                expires_ms,
                creator_id,
            }),
            secret,
        })
    }

    /// The account a new token made by `caller` answers to: a person's
    /// own, or, for a token making a token, its creator's (so a token can
    /// never outlive, through another, the rights it was capped at).
    pub async fn creator_of(&self, caller: &Caller) -> Result<Option<i64>, StoreError> {
        match caller.via {
            Via::Token => {
                let name = caller.name.strip_prefix("token:").unwrap_or(&caller.name);
                self.store.token_creator(name).await
            }
            Via::Session => Ok(self
                .store
                .user_by_name(&caller.name)
                .await?
                .map(|user| user.id)),
            Via::Anonymous | Via::System => Ok(None),
        }
    }

    pub async fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        self.store.revoke_token(id, self.clock.now_ms()).await
    }

    pub async fn tokens(&self) -> Result<Vec<TokenView>, StoreError> {
        Ok(self
            .store
            .tokens()
            .await?
            .into_iter()
            .map(token_view)
            .collect())
    }

    pub async fn accounts(&self) -> Result<Vec<AccountView>, StoreError> {
        Ok(self
            .store
            .users(self.clock.now_ms())
            .await?
            .into_iter()
            .map(|(user, live_sessions)| AccountView {
                id: user.id,
                role: Role::parse(&user.role).unwrap_or(Role::Viewer),
                username: user.username,
                created: utc_timestamp(user.created_ms),
                disabled: user.disabled_ms.map(utc_timestamp),
                last_sign_in: user.last_sign_in_ms.map(utc_timestamp),
                live_sessions,
            })
            .collect())
    }

    /// The id of the account named `name`.
    pub async fn account_id(&self, name: &str) -> Result<i64, AccountError> {
        self.store
            .user_by_name(name)
            .await?
            .map(|user| user.id)
            .ok_or_else(|| AccountError::Unknown(name.to_string()))
    }

    async fn account(&self, id: i64) -> Result<StoredUser, AccountError> {
        self.store
            .user_by_id(id)
            .await?
            .ok_or(AccountError::NoSuchId(id))
    }

    /// Turns a guarded change's result into an error that names the account.
    fn changed(change: AccountChange, user: &StoredUser) -> Result<(), AccountError> {
        match change {
            AccountChange::Done => Ok(()),
            AccountChange::Unknown => Err(AccountError::NoSuchId(user.id)),
            AccountChange::LastAdmin => Err(AccountError::LastAdmin(user.username.clone())),
        }
    }

    /// Gives an account another role; it applies from that account's next
    /// request. Returns the account's name.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<String, AccountError> {
        let user = self.account(id).await?;
        Self::changed(self.store.set_role(id, role.name()).await?, &user)?;
        Ok(user.username)
    }

    /// Disables an account (its sessions end and it cannot sign in), or
    /// enables it again. Returns the account's name.
    pub async fn set_disabled(&self, id: i64, disabled: bool) -> Result<String, AccountError> {
        let user = self.account(id).await?;
        let change = self
            .store
            .set_disabled(id, disabled, self.clock.now_ms())
            .await?;
        Self::changed(change, &user)?;
        Ok(user.username)
    }

    /// Deletes an account and its sessions. Returns its name.
    pub async fn delete_account(&self, id: i64) -> Result<String, AccountError> {
        let user = self.account(id).await?;
        Self::changed(self.store.delete_user(id).await?, &user)?;
        Ok(user.username)
    }

    /// An admin sets an account's password; every session it has ends.
    pub async fn reset_password(&self, id: i64, password: &str) -> Result<String, AccountError> {
        let user = self.account(id).await?;
        let hash = self.hash(password).await?;
        self.store
            .set_password(id, &hash, self.clock.now_ms(), None)
            .await?;
        Ok(user.username)
    }

    /// A signed-in person changes their own password, proving the current
    /// one; their other sessions end, the one they asked from stays.
    pub async fn change_own_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
    ) -> Result<(), AccountError> {
        let user = self.own_account(caller).await?;
        let matches = self.verify(current, Some(user.password_hash.clone())).await;
        if !matches {
            return Err(AccountError::WrongPassword);
        }
        let hash = self.hash(new).await?;
        self.store
            .set_password(
                user.id,
                &hash,
                self.clock.now_ms(),
                caller.session.as_deref(),
            )
            .await?;
        tracing::info!(account = %user.username, "changed their password");
        Ok(())
    }

    async fn own_account(&self, caller: &Caller) -> Result<StoredUser, AccountError> {
        if caller.via != Via::Session {
            return Err(AccountError::NotAnAccount);
        }
        self.store
            .user_by_name(&caller.name)
            .await?
            .ok_or_else(|| AccountError::Unknown(caller.name.clone()))
    }

    /// An account's live sessions, `current` marking the caller's own.
    pub async fn sessions(
        &self,
        id: i64,
        current: Option<&str>,
    ) -> Result<Vec<SessionView>, AccountError> {
        self.account(id).await?;
        Ok(self
            .store
            .sessions_of(id, self.clock.now_ms())
            .await?
            .into_iter()
            .map(|session| session_view(session, current))
            .collect())
    }

    /// Ends one session of an account (`only`), or all of them but `keep`.
    /// Returns how many were live.
    pub async fn end_sessions(
        &self,
        id: i64,
        only: Option<&str>,
        keep: Option<&str>,
    ) -> Result<u64, AccountError> {
        self.account(id).await?;
        Ok(self
            .store
            .end_sessions(id, self.clock.now_ms(), only, keep)
            .await?)
    }

    /// The caller's own account and sessions.
    pub async fn my_account(&self, caller: &Caller) -> Result<MyAccount, AccountError> {
        let user = self.own_account(caller).await?;
        let sessions = self.sessions(user.id, caller.session.as_deref()).await?;
        Ok(MyAccount {
            role: Role::parse(&user.role).unwrap_or(Role::Viewer),
            username: user.username,
            sessions,
        })
    }

    /// Ends one of the caller's own sessions, or (`None`) all but the one
    /// they asked from. Returns how many ended.
    pub async fn end_my_sessions(
        &self,
        caller: &Caller,
        only: Option<&str>,
    ) -> Result<u64, AccountError> {
        let user = self.own_account(caller).await?;
        let keep = if only.is_some() {
            None
        } else {
            caller.session.as_deref()
        };
        self.end_sessions(user.id, only, keep).await
    }

    pub async fn record(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        status: u16,
    ) -> Result<(), StoreError> {
        self.store
            .append_audit(self.clock.now_ms(), actor, action, target, status)
            .await
    }

    pub async fn audit(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntryView>, StoreError> {
        Ok(self
            .store
            .audit_entries(before, limit.clamp(1, 1000))
            .await?
            .into_iter()
            .map(audit_view)
            .collect())
    }
}

fn token_view(token: StoredToken) -> TokenView {
    TokenView {
        id: token.id,
        role: Role::parse(&token.role).unwrap_or(Role::Viewer),
        name: token.name,
        created_by: token.created_by,
        created: utc_timestamp(token.created_ms),
        last_used: token.last_used_ms.map(utc_timestamp),
        revoked: token.revoked_ms.map(utc_timestamp),
        expires: token.expires_ms.map(utc_timestamp),
    }
}

fn session_view(session: StoredSession, current: Option<&str>) -> SessionView {
    SessionView {
        current: current == Some(session.id.as_str()),
        id: session.id,
        started: utc_timestamp(session.created_ms),
        last_seen: session.last_seen_ms.map(utc_timestamp),
        expires: utc_timestamp(session.expires_ms),
        address: session.address,
        user_agent: session.user_agent,
    }
}

fn audit_view(entry: AuditEntry) -> AuditEntryView {
    AuditEntryView {
        id: entry.id,
        at: utc_timestamp(entry.at_ms),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        status: entry.status,
    }
}
