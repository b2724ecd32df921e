//! Where the server may be sent by URLs that people enter through the UI or
//! the API (health endpoints of self-registered services, webhook
//! subscriptions): a deny list of networks (by default the machine itself,
//! link-local addresses such as cloud metadata endpoints, and unspecified
//! addresses) and an optional allow list. URLs from the config file are the
//! admin's own and are not checked.
//!
//! A URL checked once can lead elsewhere later (its name resolves to
//! another address, DNS rebinding), so the clients that follow such URLs
//! are built with [`NetworkPolicy::guard`]: every connection resolves
//! through [`GuardedResolver`], which drops denied addresses, and every
//! redirect is checked again.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// Networks refused unless `[outbound] deny` says otherwise: the machine
/// itself, link-local (cloud metadata), unspecified, carrier-grade NAT
/// (some clouds' metadata and internal gateways), multicast and broadcast.
pub const DEFAULT_DENY: [&str; 12] = [
    "127.0.0.0/8",
    "::1/128",
    "169.254.0.0/16",
    "fe80::/10",
    "0.0.0.0/8",
    "::/128",
    "fd00:ec2::254/128",
    "100.64.0.0/10",
    "224.0.0.0/4",
    "255.255.255.255/32",
    "ff00::/8",
    "240.0.0.0/4",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// When not empty, only these networks may be reached.
    pub allow: Vec<IpNet>,
    pub deny: Vec<IpNet>,
    /// Refuse the addresses of this machine's own interfaces (not only
    /// loopback: a service bound to the host's LAN address is as internal).
    pub deny_own_addresses: bool,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy {
            allow: Vec::new(),
            deny: DEFAULT_DENY
                .iter()
                .filter_map(|net| net.parse().ok())
                .collect(),
            deny_own_addresses: true,
        }
    }
}

/// The IPv4 address an IPv6 one stands for, where it embeds one: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and
/// 6to4 (`2002:AABB:CCDD::/48`). Pure.
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = v6.segments();
    let last =
        |s: &[u16]| Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if segments[..6] == [0, 0, 0, 0, 0, 0] && !(segments[6] == 0 && segments[7] <= 1) {
        return Some(last(&segments));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(last(&segments));
    }
    if segments[0] == 0x2002 {
        let [a, b] = segments[1].to_be_bytes();
        let [c, d] = segments[2].to_be_bytes();
        return Some(Ipv4Addr::new(a, b, c, d));
    }
    None
}

/// Whether `ip` is one of this machine's own addresses: only an address of
/// one of its interfaces can be bound.
fn is_own_address(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

impl NetworkPolicy {
    /// No limits at all (for tests whose fakes listen on loopback).
    pub fn open() -> NetworkPolicy {
        NetworkPolicy {
            allow: Vec::new(),
            deny: Vec::new(),
            deny_own_addresses: false,
        }
    }

    /// Why `ip` may not be reached, if it may not.
    pub fn refuses(&self, ip: IpAddr) -> Option<String> {
        // An IPv4 address written as IPv6 is checked as the IPv4 one too.
        let candidates: Vec<IpAddr> = match ip {
            IpAddr::V6(v6) => std::iter::once(ip)
                .chain(embedded_ipv4(v6).map(IpAddr::V4))
                .collect(),
            v4 => vec![v4],
        };
        for ip in &candidates {
            if let Some(net) = self.deny.iter().find(|net| net.contains(ip)) {
                return Some(format!("{ip} is in the denied network {net}"));
            }
        }
        let ip = *candidates.last().unwrap_or(&ip);
        if !self.allow.is_empty() && !self.allow.iter().any(|net| net.contains(&ip)) {
            return Some(format!("{ip} is not in an allowed network"));
        }
        if self.deny_own_addresses && self.allow.is_empty() && is_own_address(ip) {
            return Some(format!("{ip} is an address of this machine"));
        }
        None
    }

    /// Why the host of `url` may not be reached, when it is an address
    /// written in the URL (names are checked as they resolve, by
    /// [`GuardedResolver`]).
    pub fn refuses_literal(&self, url: &reqwest::Url) -> Option<String> {
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        self.refuses(host.parse::<IpAddr>().ok()?)
    }

    /// [`Self::refuses_literal`] for a URL as text.
    pub fn refuses_probe(&self, url: &str) -> Option<String> {
        let parsed = reqwest::Url::parse(url).ok()?;
        self.refuses_literal(&parsed).map(|why| {
            format!("this URL may not be reached from here: {why} ([outbound] in the config)")
        })
    }

    /// `builder` with this policy enforced on every connection: names
    /// resolve through [`GuardedResolver`], no proxy stands in between
    /// (it would connect for us, unchecked), and redirects to a denied
    /// address are refused. Followed redirects stay within `same_host`
    /// when given.
    pub fn guard(
        self: &Arc<Self>,
        builder: reqwest::ClientBuilder,
        max_redirects: usize,
    ) -> reqwest::ClientBuilder {
        builder
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: self.clone(),
            }))
            .redirect(redirect_rule(Some(self.clone()), max_redirects))
    }

    /// Checks where `url` leads now: its host's every address must be
    /// allowed. The message names the URL's host, never its path or query
    /// (they may hold tokens).
    pub async fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| "the URL has no host".to_string())?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = parsed.port_or_known_default().unwrap_or(80);
        let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| format!("{host} could not be resolved: {e}"))?
                .map(|address| address.ip())
                .collect(),
        };
        if addresses.is_empty() {
            return Err(format!("{host} has no address"));
        }
        for ip in addresses {
            if let Some(why) = self.refuses(ip) {
                return Err(format!(
                    "{host} may not be reached from here: {why} ([outbound] in the config)"
                ));
            }
        }
        Ok(())
    }
}

/// Resolves names as the system does, then keeps only the addresses the
/// policy allows; a name left with none fails to connect, with the reason.
pub struct GuardedResolver {
    pub policy: Arc<NetworkPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|address| match policy.refuses(address.ip()) {
                    Some(why) => {
                        refused = Some(why);
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let why = refused.unwrap_or_else(|| "it has no address".to_string());
                return Err(format!(
                    "{host} may not be reached from here: {why} ([outbound] in the config)"
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// How a client follows redirects: at most `max_redirects`, only where
/// [`crate::common::url::redirect_refused`] allows from the first URL, and,
/// with a `policy`, never to an address it denies.
pub fn redirect_rule(
    policy: Option<Arc<NetworkPolicy>>,
    max_redirects: usize,
) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            let error = format!("more than {max_redirects} redirects");
            return attempt.error(error);
        }
        if let Some(why) = policy
            .as_ref()
            .and_then(|p| p.refuses_literal(attempt.url()))
        {
            return attempt.error(format!("redirected where it may not go: {why}"));
        }
        if let Some(first) = attempt.previous().first()
            && let Some(why) = crate::common::url::redirect_refused(first, attempt.url())
        {
            return attempt.error(why);
        }
        attempt.follow()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_itself_and_metadata_endpoints_are_refused_by_default() {
        let policy = NetworkPolicy::default();
        let refused = |ip: &str| policy.refuses(ip.parse().expect("ip"));
        assert_eq!(
            refused("169.254.169.254").as_deref(),
            Some("169.254.169.254 is in the denied network 169.254.0.0/16")
        );
        assert!(refused("127.0.0.1").is_some());
        assert!(
            refused("::ffff:127.0.0.1").is_some(),
            "mapped addresses too"
        );
        assert!(refused("::1").is_some());
        assert!(refused("0.0.0.0").is_some());
        assert_eq!(refused("10.1.2.3"), None);
        for hidden in [
            "100.100.100.200",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "224.0.0.1",
        ] {
            assert!(refused(hidden).is_some(), "{hidden}");
        }
        assert_eq!(
            refused("64:ff9b::5db8:d822"),
            None,
            "NAT64 of a public address"
        );
        assert_eq!(refused("93.184.216.34"), None);

        let internal_only = NetworkPolicy {
            allow: vec!["10.0.0.0/8".parse().expect("net")],
            ..NetworkPolicy::default()
        };
        assert_eq!(internal_only.refuses("10.9.9.9".parse().expect("ip")), None);
        assert_eq!(
            internal_only
                .refuses("8.8.8.8".parse().expect("ip"))
                .as_deref(),
            Some("8.8.8.8 is not in an allowed network")
        );
    }

    #[tokio::test]
    async fn urls_are_checked_by_every_address_of_their_host() {
        let policy = NetworkPolicy::default();
        let error = policy
            .check_url("http://localhost:8080/_internal_/healthcheck?token=secret")
            .await
            .expect_err("loopback");
        assert!(
            error.starts_with("localhost may not be reached from here"),
            "{error}"
        );
        assert!(!error.contains("secret"), "{error}");
        assert!(policy.check_url("http://[::1]/").await.is_err());
        assert!(policy.check_url("http://10.0.0.5/health").await.is_ok());
        assert!(
            NetworkPolicy::open()
                .check_url("http://127.0.0.1:1/")
                .await
                .is_ok()
        );
    }
}
