//! Values that must never be shown: their `Debug` and `Display` say
//! `[redacted]`, so a config printed to a log or a page cannot leak them.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for the one place that needs it (a connection, a header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret written in the file or named by an environment variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    Value(Secret),
    Env(String),
}

impl SecretSource {
    /// The value, or why there is none (naming the variable, never a value).
    pub fn resolve(&self, env: &BTreeMap<String, String>) -> Result<Secret, String> {
        match self {
            SecretSource::Value(secret) => Ok(secret.clone()),
            SecretSource::Env(name) => env
                .get(name)
                .filter(|v| !v.is_empty())
                .map(|v| Secret::new(v.clone()))
                .ok_or_else(|| format!("the environment variable {name} is not set")),
        }
    }
}

/// A database URL: it may carry a password (`postgres://user:pw@host/db`),
/// so it is shown with the password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(Secret);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(Secret::new(url))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The URL with any password replaced by `[redacted]`.
    pub fn redacted(&self) -> String {
        redact_url_password(self.0.expose())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Replaces the password of `scheme://user:password@host...`, and the value
/// of a `password=` query parameter, with `[redacted]`.
pub fn redact_url_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(userinfo) = super::url::userinfo_range(url)
        && let Some(colon) = url[userinfo.clone()].find(':')
    {
        out.replace_range(userinfo.start + colon + 1..userinfo.end, "[redacted]");
    }
    super::url::redact_query(&out, |name| name.eq_ignore_ascii_case("password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("ghp_supersecret");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
        assert_eq!(secret.expose(), "ghp_supersecret");
    }

    #[test]
    fn database_url_password_is_redacted() {
        let url = DatabaseUrl::new("postgres://shipshape:hunter2@db.internal:5432/shipshape");
        assert_eq!(
            url.to_string(),
            "postgres://shipshape:[redacted]@db.internal:5432/shipshape"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn urls_without_password_are_unchanged() {
        assert_eq!(
            redact_url_password("sqlite://shipshape.db"),
            "sqlite://shipshape.db"
        );
        assert_eq!(
            redact_url_password("postgres://user@host/db"),
            "postgres://user@host/db"
        );
    }

    #[test]
    fn password_query_parameter_is_redacted() {
        assert_eq!(
            redact_url_password("postgres://host/db?user=a&password=pw&sslmode=require"),
            "postgres://host/db?user=a&password=[redacted]&sslmode=require"
        );
    }

    #[test]
    fn at_sign_in_password_is_redacted_whole() {
        assert_eq!(
            redact_url_password("postgres://u:p@ss@host/db"),
            "postgres://u:[redacted]@host/db"
        );
    }
}
