//! How accounts and sessions behave (`[auth]` in the config file, checked
//! by `config`): anonymous access, session length, `Secure` cookies.

use std::time::Duration;

use super::Role;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthSettings {
    /// The role of callers who are not signed in; `None` (the default)
    /// lets them see only the status page, badges and the healthcheck.
    pub anonymous: Option<Role>,
    /// How long a sign-in lasts.
    pub session_ttl: Duration,
    pub secure_cookies: SecureCookies,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from any
    /// other peer the header is ignored (anyone can write it).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Whether the session cookie carries `Secure` (sent over HTTPS only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecureCookies {
    /// Secure, except for a server reached on a loopback address, where
    /// plain HTTP never leaves the machine.
    Auto,
    Always,
    Never,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            anonymous: None,
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: SecureCookies::Auto,
            trusted_proxies: Vec::new(),
        }
    }
}
