//! Accounts, sessions, API tokens and the audit trail. Sessions and tokens
//! are looked up by the SHA-256 digest of their secret; the secret itself
//! is never stored.

use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Row, Transaction};

use crate::store::{Backend, QueryContext, Store, StoreError};

/// The advisory lock key that orders account changes on PostgreSQL, so two
/// admins demoting each other at once cannot leave the server without one.
const ACCOUNTS_LOCK: i64 = 0x5348_4950_4143_4354;

/// How many characters of a session's digest name it to people. The
/// digest is not the secret (it is its SHA-256), and 64 bits do not collide
/// among one account's sessions.
const SESSION_ID_LEN: usize = 16;

/// A live session a person may see and end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    /// The first characters of the digest: never the cookie's secret.
    pub id: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub last_seen_ms: Option<i64>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// What a guarded account change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountChange {
    Done,
    /// There is no account with that id.
    Unknown,
    /// The change would leave no enabled admin.
    LastAdmin,
}

/// True for a row `u` whose change (demotion, disabling, deletion) still
/// leaves an enabled admin.
const LEAVES_AN_ADMIN: &str = "(u.role <> 'admin' OR u.disabled_ms IS NOT NULL OR EXISTS (
    SELECT 1 FROM users o WHERE o.role = 'admin' AND o.disabled_ms IS NULL AND o.id <> u.id))";

/// Read straight from its columns (`sqlx::FromRow`).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredUser {
    pub id: i64,
    pub username: String,
    /// An Argon2id PHC string.
    pub password_hash: String,
    /// A role name (`viewer`, `operator`, `admin`).
    pub role: String,
    pub created_ms: i64,
    /// Set while the account is disabled: it cannot sign in.
    pub disabled_ms: Option<i64>,
    pub last_sign_in_ms: Option<i64>,
}

/// Read straight from its columns (`sqlx::FromRow`).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub created_by: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub expires_ms: Option<i64>,
    /// The account that created it; `None` for the command line.
    pub creator_id: Option<i64>,
}

/// A live token as a request presents it, with what its creator may do
/// now: `None` for the command line's tokens; `Some(None)` when the
/// account is gone or disabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentedToken {
    pub token: StoredToken,
    pub creator_role: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub status: u16,
}

/// A token to store.
pub struct NewTokenRow<'a> {
    pub name: &'a str,
    pub digest: &'a str,
    pub role: &'a str,
    pub created_by: &'a str,
    pub creator_id: Option<i64>,
    pub expires_ms: Option<i64>,
    pub now_ms: i64,
}

/// The name people see for the session with this digest.
pub fn session_id(digest: &str) -> String {
    digest.chars().take(SESSION_ID_LEN).collect()
}

fn session_from_row(row: &AnyRow) -> Result<StoredSession, sqlx::Error> {
    let digest: String = row.try_get("digest")?;
    Ok(StoredSession {
        id: session_id(&digest),
        created_ms: row.try_get("created_ms")?,
        expires_ms: row.try_get("expires_ms")?,
        last_seen_ms: row.try_get("last_seen_ms")?,
        address: row.try_get("address")?,
        user_agent: row.try_get("user_agent")?,
    })
}

const USER_COLUMNS: &str =
    "u.id, u.username, u.password_hash, u.role, u.created_ms, u.disabled_ms, u.last_sign_in_ms";
const TOKEN_COLUMNS: &str =
    "id, name, role, created_by, created_ms, last_used_ms, revoked_ms, expires_ms, creator_id";

impl Store {
    /// Creates an account; `None` when the name is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "INSERT INTO users (username, password_hash, role, created_ms)
             VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await
        .during("creating an account")?;
        row.map(|row| row.try_get("id"))
            .transpose()
            .during("creating an account")
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await
        .during("reading an account")?
        .as_ref()
        .map(StoredUser::from_row)
        .transpose()
        .during("reading an account")
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<StoredUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .during("reading an account")?
        .as_ref()
        .map(StoredUser::from_row)
        .transpose()
        .during("reading an account")
    }

    /// Every account, with how many live sessions it has at `now_ms`.
    pub async fn users(&self, now_ms: i64) -> Result<Vec<(StoredUser, i64)>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, (SELECT COUNT(*) FROM sessions s
                 WHERE s.user_id = u.id AND s.revoked_ms IS NULL AND s.expires_ms > $1) AS live
             FROM users u ORDER BY u.username"
        ))
        .bind(now_ms)
        .fetch_all(self.pool())
        .await
        .during("reading accounts")?
        .iter()
        .map(|row| Ok((StoredUser::from_row(row)?, row.try_get("live")?)))
        .collect::<Result<_, sqlx::Error>>()
        .during("reading accounts")
    }

    /// A transaction for a change that must not leave the server without
    /// an admin; on PostgreSQL such changes take turns.
    async fn begin_account_change(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.begin_write().await.during("changing an account")?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(ACCOUNTS_LOCK)
                .execute(&mut *tx)
                .await
                .during("ordering account changes")?;
        }
        Ok(tx)
    }

    /// Finishes a guarded change that touched `affected` rows: when none,
    /// tells an unknown account from one the guard kept.
    async fn finish_account_change(
        &self,
        tx: Transaction<'static, Any>,
        user_id: i64,
        affected: u64,
    ) -> Result<AccountChange, StoreError> {
        if affected > 0 {
            tx.commit().await.during("changing an account")?;
            return Ok(AccountChange::Done);
        }
        tx.rollback().await.during("changing an account")?;
        Ok(match self.user_by_id(user_id).await? {
            Some(_) => AccountChange::LastAdmin,
            None => AccountChange::Unknown,
        })
    }

    /// Gives an account another role, unless that demotes the last
    /// enabled admin.
    pub async fn set_role(&self, user_id: i64, role: &str) -> Result<AccountChange, StoreError> {
        let mut tx = self.begin_account_change().await?;
        let done = sqlx::query(&format!(
            "UPDATE users AS u SET role = $1 WHERE u.id = $2 AND ($1 = 'admin' OR {LEAVES_AN_ADMIN})"
        ))
        .bind(role)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .during("changing an account's role")?;
        self.finish_account_change(tx, user_id, done.rows_affected())
            .await
    }

    /// Disables an account and ends its sessions (unless it is the last
    /// enabled admin), or enables it again. Disabling a disabled account,
    /// or enabling an enabled one, changes nothing and is done.
    pub async fn set_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        now_ms: i64,
    ) -> Result<AccountChange, StoreError> {
        let mut tx = self.begin_account_change().await?;
        let done = if disabled {
            let done = sqlx::query(&format!(
                "UPDATE users AS u SET disabled_ms = COALESCE(u.disabled_ms, $1)
                 WHERE u.id = $2 AND {LEAVES_AN_ADMIN}"
            ))
            .bind(now_ms)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .during("disabling an account")?;
            revoke_sessions(&mut tx, user_id, now_ms, None, None).await?;
            done
        } else {
            sqlx::query("UPDATE users SET disabled_ms = NULL WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .during("enabling an account")?
        };
        self.finish_account_change(tx, user_id, done.rows_affected())
            .await
    }

    /// Deletes an account and its sessions, unless it is the last enabled
    /// admin. The audit trail keeps its name.
    pub async fn delete_user(&self, user_id: i64) -> Result<AccountChange, StoreError> {
        let mut tx = self.begin_account_change().await?;
        // Rolled back with the rest when the guard keeps the account.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .during("deleting an account's sessions")?;
        let done = sqlx::query(&format!(
            "DELETE FROM users AS u WHERE u.id = $1 AND {LEAVES_AN_ADMIN}"
        ))
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .during("deleting an account")?;
        self.finish_account_change(tx, user_id, done.rows_affected())
            .await
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await
            .during("counting accounts")?
            .try_get("n")
            .during("counting accounts")
    }

    /// Changes an account's password and ends every session it has but
    /// `keep` (the id of the session that asked, if any).
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        now_ms: i64,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("changing a password")?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .during("changing a password")?;
        revoke_sessions(&mut tx, user_id, now_ms, None, keep).await?;
        tx.commit().await.during("changing a password")
    }

    /// Starts a session and notes the account's sign-in.
    pub async fn create_session(
        &self,
        digest: &str,
        user_id: i64,
        now_ms: i64,
        expires_ms: i64,
        address: &str,
        user_agent: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a session")?;
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_ms, expires_ms, address, user_agent, last_seen_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $3)",
        )
        .bind(digest)
        .bind(user_id)
        .bind(now_ms)
        .bind(expires_ms)
        .bind(address)
        .bind(user_agent)
        .execute(&mut *tx)
        .await
        .during("starting a session")?;
        sqlx::query("UPDATE users SET last_sign_in_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .during("noting a sign-in")?;
        tx.commit().await.during("starting a session")
    }

    /// The account of a live session (not revoked, not expired at `now_ms`,
    /// its account not disabled), marked as seen at `now_ms`.
    pub async fn session_user(
        &self,
        digest: &str,
        now_ms: i64,
    ) -> Result<Option<StoredUser>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.last_seen_ms AS seen
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.digest = $1 AND s.revoked_ms IS NULL AND s.expires_ms > $2
               AND u.disabled_ms IS NULL"
        ))
        .bind(digest)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await
        .during("reading a session")?;
        let Some(row) = row else { return Ok(None) };
        let seen: Option<i64> = row.try_get("seen").during("reading a session")?;
        // Once a minute is precise enough, and keeps reads from writing.
        if seen.is_none_or(|seen| now_ms - seen > 60_000) {
            sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE digest = $2")
                .bind(now_ms)
                .bind(digest)
                .execute(self.pool())
                .await
                .during("marking a session seen")?;
        }
        StoredUser::from_row(&row)
            .map(Some)
            .during("reading a session")
    }

    /// An account's live sessions at `now_ms`, the newest first.
    pub async fn sessions_of(
        &self,
        user_id: i64,
        now_ms: i64,
    ) -> Result<Vec<StoredSession>, StoreError> {
        sqlx::query(
            "SELECT digest, created_ms, expires_ms, last_seen_ms, address, user_agent
             FROM sessions WHERE user_id = $1 AND revoked_ms IS NULL AND expires_ms > $2
             ORDER BY created_ms DESC",
        )
        .bind(user_id)
        .bind(now_ms)
        .fetch_all(self.pool())
        .await
        .during("reading sessions")?
        .iter()
        .map(session_from_row)
        .collect::<Result<_, _>>()
        .during("reading sessions")
    }

    /// Ends an account's sessions: the one whose id is `only`, or all of
    /// them but the one whose id is `keep`. Returns how many were live.
    pub async fn end_sessions(
        &self,
        user_id: i64,
        now_ms: i64,
        only: Option<&str>,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await.during("ending sessions")?;
        let ended = revoke_sessions(&mut tx, user_id, now_ms, only, keep).await?;
        tx.commit().await.during("ending sessions")?;
        Ok(ended)
    }

    pub async fn revoke_session(&self, digest: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_ms = $1 WHERE digest = $2 AND revoked_ms IS NULL")
            .bind(now_ms)
            .bind(digest)
            .execute(self.pool())
            .await
            .during("ending a session")?;
        Ok(())
    }

    /// Creates a token; `None` when a live token has that name already.
    pub async fn create_token(&self, new: &NewTokenRow<'_>) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await.during("creating an API token")?;
        let taken = sqlx::query("SELECT id FROM api_tokens WHERE name = $1 AND revoked_ms IS NULL")
            .bind(new.name)
            .fetch_optional(&mut *tx)
            .await
            .during("creating an API token")?
            .is_some();
        if taken {
            return Ok(None);
        }
        let id = sqlx::query(
            "INSERT INTO api_tokens (name, digest, role, created_by, created_ms, expires_ms, creator_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.name)
        .bind(new.digest)
        .bind(new.role)
        .bind(new.created_by)
        .bind(new.now_ms)
        .bind(new.expires_ms)
        .bind(new.creator_id)
        .fetch_one(&mut *tx)
        .await
        .during("creating an API token")?
        .try_get("id")
        .during("creating an API token")?;
        tx.commit().await.during("creating an API token")?;
        Ok(Some(id))
    }

    /// The account id of a live token's creator, by the token's name.
    pub async fn token_creator(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("SELECT creator_id FROM api_tokens WHERE name = $1 AND revoked_ms IS NULL")
                .bind(name)
                .fetch_optional(self.pool())
                .await
                .during("reading an API token's creator")?;
        Ok(match row {
            Some(row) => row
                .try_get("creator_id")
                .during("reading an API token's creator")?,
            None => None,
        })
    }

    /// A token that is neither revoked nor expired, with its creator's
    /// role now, marked as used at `now_ms`.
    pub async fn use_token(
        &self,
        digest: &str,
        now_ms: i64,
    ) -> Result<Option<PresentedToken>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens
             WHERE digest = $1 AND revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > $2)"
        ))
        .bind(digest)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await
        .during("reading an API token")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = StoredToken::from_row(&row).during("reading an API token")?;
        let creator_role = match token.creator_id {
            None => None,
            Some(creator) => Some(
                sqlx::query("SELECT role FROM users WHERE id = $1 AND disabled_ms IS NULL")
                    .bind(creator)
                    .fetch_optional(self.pool())
                    .await
                    .during("reading an API token's creator")?
                    .map(|row| row.try_get::<String, _>("role"))
                    .transpose()
                    .during("reading an API token's creator")?,
            ),
        };
        let token = Some(PresentedToken {
            token,
            creator_role,
        });
        if let Some(PresentedToken { token, .. }) = &token {
            // Once a minute is precise enough, and keeps reads from writing.
            if token.last_used_ms.is_none_or(|used| now_ms - used > 60_000) {
                sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE id = $2")
                    .bind(now_ms)
                    .bind(token.id)
                    .execute(self.pool())
                    .await
                    .during("marking an API token used")?;
            }
        }
        Ok(token)
    }

    pub async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC"
        ))
        .fetch_all(self.pool())
        .await
        .during("reading API tokens")?
        .iter()
        .map(StoredToken::from_row)
        .collect::<Result<_, _>>()
        .during("reading API tokens")
    }

    /// Revokes a token; false when there is no live token with that id.
    pub async fn revoke_token(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(id)
        .execute(self.pool())
        .await
        .during("revoking an API token")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn append_audit(
        &self,
        at_ms: i64,
        actor: &str,
        action: &str,
        target: &str,
        status: u16,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at_ms, actor, action, target, status) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(at_ms)
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(i64::from(status))
        .execute(self.pool())
        .await
        .during("recording an audit entry")?;
        Ok(())
    }

    /// The newest entries first, at most `limit`, older than `before` when given.
    pub async fn audit_entries(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(
            "SELECT id, at_ms, actor, action, target, status FROM audit_log
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .during("reading the audit trail")?
        .iter()
        .map(|row| {
            let status: i64 = row.try_get("status")?;
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at_ms: row.try_get("at_ms")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                status: u16::try_from(status).unwrap_or(0),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .during("reading the audit trail")
    }
}

/// Revokes an account's live sessions: the one whose id is `only`, or all
/// but the one whose id is `keep`.
async fn revoke_sessions(
    tx: &mut Transaction<'static, Any>,
    user_id: i64,
    now_ms: i64,
    only: Option<&str>,
    keep: Option<&str>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(&format!(
        "UPDATE sessions SET revoked_ms = $1
         WHERE user_id = $2 AND revoked_ms IS NULL
           AND ($3 IS NULL OR substr(digest, 1, {SESSION_ID_LEN}) = $3)
           AND ($4 IS NULL OR substr(digest, 1, {SESSION_ID_LEN}) <> $4)"
    ))
    .bind(now_ms)
    .bind(user_id)
    .bind(only)
    .bind(keep)
    .execute(&mut **tx)
    .await
    .during("ending an account's sessions")?;
    Ok(done.rows_affected())
}
