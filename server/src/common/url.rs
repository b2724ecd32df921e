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

#[cfg(test)]
mod tests {
    use super::*;

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
