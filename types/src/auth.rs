//! Who is asking, and what they may do: the roles and the views of accounts,
//! tokens and the audit trail, shared by the server and the pages.

use serde::{Deserialize, Serialize};

/// What a caller may do. Each role includes the ones before it.
/// In JSON a role is its lower-case name, as in the config and the CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads every page and API answer.
    Viewer,
    /// Also refreshes drift, runs upgrades and silences alerts.
    Operator,
    /// Also manages accounts, tokens, subscriptions and reads the audit trail.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == text)
    }

    /// True when this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// The caller of a request as the pages see it. Anonymous callers have a
/// role only when anonymous access is turned on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The account's name, `token:NAME` for an API token, or `anonymous`.
    pub name: String,
    pub role: Option<Role>,
    /// Signed in with an account (and so can sign out).
    pub signed_in: bool,
    /// The id of the session this request came with: the server's own
    /// business (which session "this one" is), never sent to the page.
    #[serde(skip)]
    pub session: Option<String>,
}

impl CurrentUser {
    pub fn anonymous(role: Option<Role>) -> CurrentUser {
        CurrentUser {
            name: "anonymous".to_string(),
            role,
            signed_in: false,
            session: None,
        }
    }

    pub fn may(&self, needed: Role) -> bool {
        self.role.is_some_and(|role| role.allows(needed))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub created: String,
    /// When the account was disabled; a disabled account cannot sign in.
    pub disabled: Option<String>,
    pub last_sign_in: Option<String>,
    /// Sessions that are neither ended nor expired.
    pub live_sessions: i64,
}

/// A live session of an account: where and when it is used. Its id names
/// it for ending; it is not the cookie's secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub started: String,
    pub last_seen: Option<String>,
    pub expires: String,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// The session the request that read this list came with.
    pub current: bool,
}

/// The Account page: who is signed in, and their sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyAccount {
    pub username: String,
    pub role: Role,
    pub sessions: Vec<SessionView>,
}

/// What a change to an account made from a page did: a line to show,
/// or why it could not be done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOutcome {
    pub done: Option<String>,
    pub problem: Option<String>,
}

impl AccountOutcome {
    pub fn done(text: impl Into<String>) -> AccountOutcome {
        AccountOutcome {
            done: Some(text.into()),
            problem: None,
        }
    }

    pub fn problem(text: impl Into<String>) -> AccountOutcome {
        AccountOutcome {
            done: None,
            problem: Some(text.into()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// A token just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// `METHOD /route/{pattern}`, or the server function's name.
    pub action: String,
    /// The concrete path and, for a page's action, its arguments.
    pub target: String,
    pub status: u16,
}

/// What creating a token from the Admin page gave: the token (its secret
/// shown once) or why it could not be created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenOutcome {
    pub created: Option<CreatedToken>,
    pub problem: Option<String>,
}

/// The Admin page: accounts, tokens and the newest audit entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub accounts: Vec<AccountView>,
    pub tokens: Vec<TokenView>,
    pub audit: Vec<AuditEntryView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_includes_the_ones_before_it() {
        assert!(Role::Admin.allows(Role::Operator));
        assert!(Role::Operator.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert!(!Role::Operator.allows(Role::Admin));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert!(!CurrentUser::anonymous(None).may(Role::Viewer));
        assert!(CurrentUser::anonymous(Some(Role::Viewer)).may(Role::Viewer));
    }
}
