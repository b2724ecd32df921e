//! The access policy: which role each route needs, decided in one place for
//! REST endpoints, server functions and pages alike (whether a caller has
//! it is `Caller::require`). Reads (`GET`, `HEAD`)
//! need a viewer unless a route is declared public; any other method needs
//! the role its route declares, and an undeclared one needs an admin, so a
//! route someone forgets to declare is closed rather than open.

use std::collections::HashMap;

use http::Method;

use super::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: the status page, badges, the healthcheck.
    Public,
    Needs(Role),
}

/// One route's declared access: its method and its pattern as the router
/// matches it (`/api/v1/services/{slug}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRule {
    pub method: Method,
    pub path: String,
    pub access: Access,
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    rules: HashMap<(Method, String), Access>,
}

impl Policy {
    pub fn new(rules: impl IntoIterator<Item = RouteRule>) -> Policy {
        Policy {
            rules: rules
                .into_iter()
                .map(|rule| ((rule.method, rule.path), rule.access))
                .collect(),
        }
    }

    /// What a request needs. `route` is the matched pattern, if any.
    pub fn required(&self, method: &Method, route: Option<&str>) -> Access {
        if let Some(access) = route.and_then(|r| self.rules.get(&(method.clone(), r.to_string()))) {
            return *access;
        }
        let lookup = if method == Method::HEAD {
            route.and_then(|r| self.rules.get(&(Method::GET, r.to_string())))
        } else {
            None
        };
        match lookup {
            Some(access) => *access,
            None if is_read(method) => Access::Needs(Role::Viewer),
            None => Access::Needs(Role::Admin),
        }
    }

    pub fn rules(&self) -> impl Iterator<Item = RouteRule> + '_ {
        self.rules.iter().map(|((method, path), access)| RouteRule {
            method: method.clone(),
            path: path.clone(),
            access: *access,
        })
    }
}

pub fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Cross-site request forgery check for a write made by a browser with a
/// cookie: the browser must say the request comes from this site. Browsers
/// send `Sec-Fetch-Site` (and `Origin` on every POST); a request with
/// neither is not from a page, and scripts use tokens instead of cookies.
pub fn same_origin(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    host: Option<&str>,
) -> Result<(), &'static str> {
    match sec_fetch_site {
        Some("same-origin") | Some("none") => return Ok(()),
        Some(_) => return Err("the request came from another site"),
        None => {}
    }
    let (Some(origin), Some(host)) = (origin, host) else {
        return Err("the request does not say which site it came from (no Origin header)");
    };
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or_default();
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err("the request came from another site")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(method: Method, path: &str, access: Access) -> RouteRule {
        RouteRule {
            method,
            path: path.to_string(),
            access,
        }
    }

    #[test]
    fn undeclared_writes_need_an_admin_and_undeclared_reads_a_viewer() {
        let policy = Policy::new([
            rule(
                Method::POST,
                "/api/v1/silences",
                Access::Needs(Role::Operator),
            ),
            rule(Method::GET, "/status", Access::Public),
        ]);
        assert_eq!(
            policy.required(&Method::POST, Some("/api/v1/silences")),
            Access::Needs(Role::Operator)
        );
        assert_eq!(
            policy.required(&Method::GET, Some("/status")),
            Access::Public
        );
        assert_eq!(
            policy.required(&Method::HEAD, Some("/status")),
            Access::Public
        );
        assert_eq!(
            policy.required(&Method::GET, Some("/api/v1/silences")),
            Access::Needs(Role::Viewer)
        );
        assert_eq!(
            policy.required(&Method::DELETE, Some("/api/v1/silences")),
            Access::Needs(Role::Admin)
        );
        assert_eq!(
            policy.required(&Method::POST, None),
            Access::Needs(Role::Admin)
        );
    }

    #[test]
    fn only_same_site_browser_writes_pass_the_forgery_check() {
        assert!(same_origin(Some("same-origin"), None, None).is_ok());
        assert!(same_origin(Some("cross-site"), Some("http://a:1"), Some("a:1")).is_err());
        assert!(same_origin(Some("same-site"), None, None).is_err());
        assert!(same_origin(None, Some("http://127.0.0.1:3000"), Some("127.0.0.1:3000")).is_ok());
        assert!(same_origin(None, Some("https://evil.example"), Some("127.0.0.1:3000")).is_err());
        assert!(same_origin(None, Some("null"), Some("127.0.0.1:3000")).is_err());
        assert!(same_origin(None, None, Some("127.0.0.1:3000")).is_err());
    }
}
