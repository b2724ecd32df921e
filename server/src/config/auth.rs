//! The `[auth]` part of the config file: anonymous access, how long a
//! session lasts, and whether session cookies are marked `Secure`.

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::file::Locator;
use crate::auth::Role;
use crate::auth::settings::{AuthSettings, SecureCookies};
use crate::common::outbound::NetworkPolicy;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    anonymous: Option<Spanned<String>>,
    session_ttl: Option<Spanned<String>>,
    secure_cookies: Option<bool>,
    trusted_proxies: Option<Vec<Spanned<String>>>,
}

pub(super) fn check_auth(locate: &Locator<'_>, raw: RawAuth) -> Result<AuthSettings, ConfigError> {
    let mut settings = AuthSettings::default();
    if let Some(anonymous) = raw.anonymous {
        settings.anonymous = match anonymous.get_ref().as_str() {
            "none" => None,
            "viewer" => Some(Role::Viewer),
            other => {
                return Err(locate.invalid(
                    anonymous.span(),
                    "auth.anonymous",
                    format!(
                        "`{other}` is not allowed: use \"none\" or \"viewer\" (anonymous callers never change anything)"
                    ),
                ));
            }
        };
    }
    if let Some(ttl) = raw.session_ttl {
        settings.session_ttl = locate.duration(&ttl, "auth.session_ttl")?;
    }
    settings.secure_cookies = match raw.secure_cookies {
        None => SecureCookies::Auto,
        Some(true) => SecureCookies::Always,
        Some(false) => SecureCookies::Never,
    };
    if let Some(proxies) = raw.trusted_proxies {
        settings.trusted_proxies = networks(locate, proxies, "auth.trusted_proxies")?;
    }
    Ok(settings)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutbound {
    allow: Option<Vec<Spanned<String>>>,
    deny: Option<Vec<Spanned<String>>>,
    deny_own_addresses: Option<bool>,
}

/// `[outbound]`: `allow` and `deny` lists of networks (`10.0.0.0/8`, or a
/// single address); `deny` replaces the default list when given.
pub(super) fn check_outbound(
    locate: &Locator<'_>,
    raw: RawOutbound,
) -> Result<NetworkPolicy, ConfigError> {
    let networks = |list, key: &str| networks(locate, list, &format!("outbound.{key}"));
    let mut policy = NetworkPolicy::default();
    if let Some(allow) = raw.allow {
        policy.allow = networks(allow, "allow")?;
    }
    if let Some(deny) = raw.deny {
        policy.deny = networks(deny, "deny")?;
    }
    if let Some(deny_own) = raw.deny_own_addresses {
        policy.deny_own_addresses = deny_own;
    }
    Ok(policy)
}

/// A list of networks (`10.0.0.0/8`, or single addresses).
fn networks(
    locate: &Locator<'_>,
    list: Vec<Spanned<String>>,
    key: &str,
) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.into_iter()
        .enumerate()
        .map(|(i, text)| {
            let value = text.get_ref().trim();
            value
                .parse::<ipnet::IpNet>()
                .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    locate.invalid(
                        text.span(),
                        &format!("{key}[{i}]"),
                        format!("`{value}` is not a network like 10.0.0.0/8 or an address"),
                    )
                })
        })
        .collect()
}
