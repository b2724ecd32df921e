//! Who is asking, and what they may do: the roles and the views of accounts,
//! tokens and the audit trail, shared by the server and the pages.

use serde::{Deserialize, Serialize};

/// What a caller may do. Each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
}

impl CurrentUser {
    pub fn anonymous(role: Option<Role>) -> CurrentUser {
        CurrentUser {
            name: "anonymous".to_string(),
            role,
            signed_in: false,
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
