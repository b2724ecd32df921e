//! Accounts, sessions, API tokens and the audit trail. Sessions and tokens
//! are looked up by the SHA-256 digest of their secret; the secret itself
//! is never stored.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{QueryContext, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    pub id: i64,
    pub username: String,
    /// An Argon2id PHC string.
    pub password_hash: String,
    /// A role name (`viewer`, `operator`, `admin`).
    pub role: String,
    pub created_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub created_by: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
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

fn user_from_row(row: &AnyRow) -> Result<StoredUser, sqlx::Error> {
    Ok(StoredUser {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        created_ms: row.try_get("created_ms")?,
    })
}

fn token_from_row(row: &AnyRow) -> Result<StoredToken, sqlx::Error> {
    Ok(StoredToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        created_by: row.try_get("created_by")?,
        created_ms: row.try_get("created_ms")?,
        last_used_ms: row.try_get("last_used_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
    })
}

const USER_COLUMNS: &str = "id, username, password_hash, role, created_ms";
const TOKEN_COLUMNS: &str = "id, name, role, created_by, created_ms, last_used_ms, revoked_ms";

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
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await
        .during("reading an account")?
        .as_ref()
        .map(user_from_row)
        .transpose()
        .during("reading an account")
    }

    pub async fn users(&self) -> Result<Vec<StoredUser>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))
        .fetch_all(self.pool())
        .await
        .during("reading accounts")?
        .iter()
        .map(user_from_row)
        .collect::<Result<_, _>>()
        .during("reading accounts")
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await
            .during("counting accounts")?
            .try_get("n")
            .during("counting accounts")
    }

    /// Changes an account's password and ends every session it has.
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.during("changing a password")?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .during("changing a password")?;
        sqlx::query(
            "UPDATE sessions SET revoked_ms = $1 WHERE user_id = $2 AND revoked_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .during("ending an account's sessions")?;
        tx.commit().await.during("changing a password")
    }

    pub async fn create_session(
        &self,
        digest: &str,
        user_id: i64,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest)
        .bind(user_id)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(self.pool())
        .await
        .during("starting a session")?;
        Ok(())
    }

    /// The account of a live session (not revoked, not expired at `now_ms`).
    pub async fn session_user(
        &self,
        digest: &str,
        now_ms: i64,
    ) -> Result<Option<StoredUser>, StoreError> {
        sqlx::query(
            "SELECT u.id, u.username, u.password_hash, u.role, u.created_ms
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.digest = $1 AND s.revoked_ms IS NULL AND s.expires_ms > $2",
        )
        .bind(digest)
        .bind(now_ms)
        .fetch_optional(self.pool())
        .await
        .during("reading a session")?
        .as_ref()
        .map(user_from_row)
        .transpose()
        .during("reading a session")
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

    pub async fn create_token(
        &self,
        name: &str,
        digest: &str,
        role: &str,
        created_by: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (name, digest, role, created_by, created_ms)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(digest)
        .bind(role)
        .bind(created_by)
        .bind(now_ms)
        .fetch_one(self.pool())
        .await
        .during("creating an API token")?
        .try_get("id")
        .during("creating an API token")
    }

    /// A token that is not revoked, marked as used at `now_ms`.
    pub async fn use_token(
        &self,
        digest: &str,
        now_ms: i64,
    ) -> Result<Option<StoredToken>, StoreError> {
        let token = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE digest = $1 AND revoked_ms IS NULL"
        ))
        .bind(digest)
        .fetch_optional(self.pool())
        .await
        .during("reading an API token")?
        .as_ref()
        .map(token_from_row)
        .transpose()
        .during("reading an API token")?;
        if let Some(token) = &token {
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
        .map(token_from_row)
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
