//! Who is asking, and what they may do: the roles and the views of accounts,
//! tokens and the audit trail, shared by the server and the pages.

use serde::{Deserialize, Serialize};

/// What a caller may do. Each role includes the ones before it.
/// In JSON a role is its lower-case name, as in the config and the CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Who made a request, once the server checked their credentials. Every
/// operation asks [`Caller::require`] before it does anything, so a door
/// that forgets a check fails closed. Pages see it too (to hide buttons a
/// role cannot use).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Caller {
    /// The account's name, `token:NAME`, `anonymous`, or `shipshape`.
    pub name: String,
    /// `None` for an anonymous caller when anonymous access is off.
    pub role: Option<Role>,
    pub via: Via,
    /// The id of the session a browser came with (not its secret): the
    /// server's own business, never sent to the page.
    #[serde(skip)]
    pub session: Option<String>,
}

/// How a caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Anonymous,
    /// A browser session cookie: writes must pass the forgery check.
    Session,
    /// An API token.
    Token,
    /// Shipshape itself: its schedules and its command line.
    System,
}

/// Why a caller may not do something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Nobody is signed in: the answer is to sign in.
    Unauthenticated,
    Forbidden {
        needed: Role,
        caller: String,
        has: Option<Role>,
    },
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denied::Unauthenticated => {
                f.write_str("sign in, or send an API token as `Authorization: Bearer TOKEN`")
            }
            Denied::Forbidden {
                needed,
                caller,
                has,
            } => write!(
                f,
                "this needs the {} role; {caller} has the {} role",
                needed.name(),
                has.map_or("no", |role| role.name())
            ),
        }
    }
}

impl std::error::Error for Denied {}

impl Caller {
    /// Nobody signed in; `role` is what `[auth] anonymous` grants.
    pub fn anonymous(role: Option<Role>) -> Caller {
        Caller {
            name: "anonymous".to_string(),
            role,
            via: Via::Anonymous,
            session: None,
        }
    }

    /// Shipshape acting on its own (schedules, the command line run by the
    /// machine's operator), with every right.
    pub fn system() -> Caller {
        Caller {
            name: "shipshape".to_string(),
            role: Some(Role::Admin),
            via: Via::System,
            session: None,
        }
    }

    pub fn authenticated(&self) -> bool {
        self.via != Via::Anonymous
    }

    /// Signed in with an account (and so can sign out).
    pub fn signed_in(&self) -> bool {
        self.via == Via::Session
    }

    pub fn may(&self, needed: Role) -> bool {
        self.role.is_some_and(|role| role.allows(needed))
    }

    /// `Ok` when the caller's role includes `needed`. Anonymous callers are
    /// asked to sign in, even when anonymous access lets them read.
    pub fn require(&self, needed: Role) -> Result<(), Denied> {
        if self.may(needed) {
            Ok(())
        } else if !self.authenticated() {
            Err(Denied::Unauthenticated)
        } else {
            Err(Denied::Forbidden {
                needed,
                caller: self.name.clone(),
                has: self.role,
            })
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyAccount {
    pub username: String,
    pub role: Role,
    pub sessions: Vec<SessionView>,
}

/// What a change to an account made from a page did: a line to show,
/// or why it could not be done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
}

/// A token just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenOutcome {
    pub created: Option<CreatedToken>,
    pub problem: Option<String>,
}

/// The Admin page: accounts, tokens and the newest audit entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminOverview {
    pub accounts: Vec<AccountView>,
    pub tokens: Vec<TokenView>,
    pub audit: Vec<AuditEntryView>,
}

/// Who the caller is (`GET /api/v1/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub name: String,
    pub role: Option<Role>,
    pub signed_in: bool,
}

/// An account to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9._@-]{1,64}$"))]
    pub username: String,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12))]
    pub password: String,
    /// `viewer`, `operator` or `admin`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(viewer|operator|admin)$"))]
    pub role: String,
}

/// A change to an account: its role, whether it is disabled, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountUpdate {
    /// `viewer`, `operator` or `admin`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(viewer|operator|admin)$"))]
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// A new password set by an admin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12))]
    pub password: String,
}

/// A person changing their own password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12))]
    pub new_password: String,
}

/// An API token to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(viewer|operator|admin)$"))]
    pub role: String,
    /// How long the token lives (`90d`, `12h`); it never expires when
    /// left out. Whatever it says, a token acts at most with its
    /// creator's role, and ends when the creator's account does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
}

/// How many sessions a request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ended {
    pub ended: u64,
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
        assert!(!Caller::anonymous(None).may(Role::Viewer));
        assert!(Caller::anonymous(Some(Role::Viewer)).may(Role::Viewer));
    }

    #[test]
    fn a_caller_may_what_its_role_includes_and_nobody_is_asked_to_sign_in() {
        let operator = Caller {
            name: "olivia".into(),
            role: Some(Role::Operator),
            via: Via::Session,
            session: None,
        };
        assert_eq!(operator.require(Role::Viewer), Ok(()));
        assert_eq!(operator.require(Role::Operator), Ok(()));
        assert_eq!(
            operator.require(Role::Admin).unwrap_err().to_string(),
            "this needs the admin role; olivia has the operator role"
        );
        assert_eq!(
            Caller::anonymous(None).require(Role::Viewer),
            Err(Denied::Unauthenticated)
        );
        assert_eq!(
            Caller::anonymous(Some(Role::Viewer)).require(Role::Viewer),
            Ok(())
        );
        assert_eq!(
            Caller::anonymous(Some(Role::Viewer)).require(Role::Operator),
            Err(Denied::Unauthenticated),
            "anonymous access never writes; the answer is to sign in"
        );
        assert_eq!(Caller::system().require(Role::Admin), Ok(()));
    }
}
