//! URLs people give Shipshape (health endpoints, webhooks, registries):
//! checking that one is an HTTP URL with a host, and showing one without
//! what may be secret in it.

/// `Ok` for an `http://` or `https://` URL with a host.
pub fn validate_http_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok(())
}

/// A URL as shown to people: scheme and host only (the path or query
/// may hold a token).
pub fn redacted_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = host.rsplit('@').next().unwrap_or_default();
            format!("{scheme}://{host}/…")
        }
        None => "(not a URL)".into(),
    }
}

/// Where the user information (`user:password`) of `scheme://…@host` is,
/// when the URL has one. Pure.
pub fn userinfo_range(url: &str) -> Option<std::ops::Range<usize>> {
    let authority_start = url.find("://")? + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let at = url[authority_start..authority_end].rfind('@')?;
    Some(authority_start..authority_start + at)
}

/// `url` with the value of every query parameter whose name `is_secret`
/// says `[redacted]`; the fragment is kept. Pure.
pub fn redact_query(url: &str, is_secret: impl Fn(&str) -> bool) -> String {
    let Some(query_start) = url.find('?') else {
        return url.to_string();
    };
    let (head, rest) = url.split_at(query_start + 1);
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => format!("{name}=[redacted]"),
            _ => pair.to_string(),
        })
        .collect();
    let mut shown = format!("{head}{}", query.join("&"));
    if let Some(fragment) = fragment {
        shown.push('#');
        shown.push_str(fragment);
    }
    shown
}

/// A URL as shown on a page, in the API or in a log: whole, but with the
/// user information (`user:password@`, or a token as the user) and the
/// values of query parameters that look like credentials (`token`, `key`,
/// `secret`, `password`, `auth`, `sig`…) replaced by `[redacted]`. Pure.
pub fn shown_url(url: &str) -> String {
    const SECRET_WORDS: [&str; 8] = [
        "token",
        "key",
        "secret",
        "password",
        "auth",
        "sig",
        "credential",
        "session",
    ];
    let mut out = url.to_string();
    if let Some(userinfo) = userinfo_range(url) {
        out.replace_range(userinfo, "[redacted]");
    }
    redact_query(&out, |name| {
        let name = name.to_ascii_lowercase();
        SECRET_WORDS.iter().any(|word| name.contains(word))
    })
}

/// The host of an `https://` URL without user information, lower case.
pub fn https_host(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    if parsed.scheme() != "https" || !parsed.username().is_empty() || parsed.password().is_some() {
        return None;
    }
    parsed.host_str().map(str::to_ascii_lowercase)
}

/// Why a redirect from an endpoint's own URL to `next` is not followed:
/// only the endpoint's own host (and port, or HTTPS on its default port)
/// was allowed as a target, so a redirect may not lead anywhere else, such
/// as the machine's metadata service.
pub fn redirect_refused(first: &reqwest::Url, next: &reqwest::Url) -> Option<String> {
    let same_host = first.host_str() == next.host_str();
    let same_port = first.port_or_known_default() == next.port_or_known_default();
    let upgrade = first.scheme() == "http" && next.scheme() == "https" && next.port().is_none();
    if same_host && (same_port || upgrade) {
        None
    } else {
        Some(format!(
            "redirected to another host ({}); redirects are followed only within the endpoint's own host",
            next.host_str().unwrap_or("?")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_shown_urls_are_redacted() {
        assert_eq!(
            shown_url("https://ci:hunter2@status.acme.dev/health?verbose=1&api_key=abc#x"),
            "https://[redacted]@status.acme.dev/health?verbose=1&api_key=[redacted]#x"
        );
        assert_eq!(
            shown_url("http://ghp_T0KEN@10.0.0.5:8080/_internal_/healthcheck"),
            "http://[redacted]@10.0.0.5:8080/_internal_/healthcheck"
        );
        assert_eq!(
            shown_url("http://10.0.0.5/health?token=t&x=1"),
            "http://10.0.0.5/health?token=[redacted]&x=1"
        );
        assert_eq!(
            shown_url("http://10.0.0.5/health"),
            "http://10.0.0.5/health"
        );
    }

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert!(validate_http_url("https://example.com/health").is_ok());
        assert!(validate_http_url("http://10.0.0.1:8080").is_ok());
        assert!(validate_http_url("ftp://example.com").is_err());
        assert!(validate_http_url("https:///path").is_err());
    }

    #[test]
    fn a_shown_url_keeps_scheme_and_host_only() {
        assert_eq!(
            redacted_url("https://user:pw@hooks.example.com/T000/B000/secret?x=1"),
            "https://hooks.example.com/…"
        );
        assert_eq!(redacted_url("nonsense"), "(not a URL)");
    }
}
