//! Where the server may be sent by URLs that people enter through the UI or
//! the API (health endpoints of self-registered services, webhook
//! subscriptions): a deny list of networks (by default the machine itself,
//! link-local addresses such as cloud metadata endpoints, and unspecified
//! addresses) and an optional allow list. URLs from the config file are the
//! admin's own and are not checked.

use std::net::IpAddr;

use ipnet::IpNet;

/// Networks refused unless `[outbound] deny` says otherwise.
pub const DEFAULT_DENY: [&str; 7] = [
    "127.0.0.0/8",
    "::1/128",
    "169.254.0.0/16",
    "fe80::/10",
    "0.0.0.0/8",
    "::/128",
    "fd00:ec2::254/128",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// When not empty, only these networks may be reached.
    pub allow: Vec<IpNet>,
    pub deny: Vec<IpNet>,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy {
            allow: Vec::new(),
            deny: DEFAULT_DENY
                .iter()
                .filter_map(|net| net.parse().ok())
                .collect(),
        }
    }
}

impl NetworkPolicy {
    /// No limits at all (for tests whose fakes listen on loopback).
    pub fn open() -> NetworkPolicy {
        NetworkPolicy {
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }

    /// Why `ip` may not be reached, if it may not.
    pub fn refuses(&self, ip: IpAddr) -> Option<String> {
        // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is the IPv4 one.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if let Some(net) = self.deny.iter().find(|net| net.contains(&ip)) {
            return Some(format!("{ip} is in the denied network {net}"));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|net| net.contains(&ip)) {
            return Some(format!("{ip} is not in an allowed network"));
        }
        None
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
