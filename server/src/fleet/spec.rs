//! What a service *should* be, as declared by a person (fleet file, API).
//! Pure types and validation; no I/O.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use shipshape_types::model::ServiceOrigin;

/// A service as Shipshape keeps it: what was declared, where it came
/// from, and when it was retired (removed services keep their history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredService {
    pub id: i64,
    pub spec: ServiceSpec,
    pub origin: ServiceOrigin,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub retired_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub slug: String,
    pub name: String,
    pub team: String,
    /// Sorted and without repeats, so that order in the file is not a change.
    pub tags: Vec<String>,
    pub tier: u8,
    pub repository: Option<RepositorySource>,
    pub health_endpoints: Vec<HealthEndpointSpec>,
    /// Shown on the public status page.
    pub public: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepositorySource {
    /// Read through GitHub's API without cloning.
    GitHub { owner: String, repo: String },
    /// Cloned (shallow) from any git URL.
    Git { url: String },
    /// A folder on the machine Shipshape runs on.
    Local { path: PathBuf },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthEndpointSpec {
    pub url: String,
    pub method: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub expect: Expectations,
}

/// What a good answer looks like beyond its format's own rules, and what
/// to send. Stored as JSON beside the endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Expectations {
    /// Inclusive ranges of status codes that count as answering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<(u16, u16)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, HeaderSource)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// A passing check slower than this is degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_after_ms: Option<u64>,
    /// Results in a row before the state gets worse (default 3) or
    /// better (default 2), for an endpoint that flaps more or less.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_after: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_after: Option<u32>,
}

/// A header's value: written in the file, or read from an environment
/// variable when checks are made. Either way a secret: never shown.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderSource {
    Value(String),
    Env(String),
}

impl std::fmt::Debug for HeaderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderSource::Value(_) => f.write_str("Value(<redacted>)"),
            HeaderSource::Env(name) => write!(f, "Env({name})"),
        }
    }
}

/// `200`, `"204"` or `"200-299"` as an inclusive range of status codes.
pub fn parse_status_range(text: &str) -> Result<(u16, u16), String> {
    let code = |part: &str| -> Result<u16, String> {
        part.trim()
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(|| format!("`{}` is not an HTTP status code (100-599)", part.trim()))
    };
    let (low, high) = match text.split_once('-') {
        Some((low, high)) => (code(low)?, code(high)?),
        None => (code(text)?, code(text)?),
    };
    if low > high {
        return Err(format!("`{text}` goes from high to low"));
    }
    Ok((low, high))
}

pub const TIERS: std::ops::RangeInclusive<u8> = 1..=5;
pub const DEFAULT_TIER: u8 = 3;
pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_SLUG_LEN: usize = 63;

/// A slug names a service in URLs: lowercase letters, digits and single
/// hyphens, starting with a letter.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    if slug.is_empty() {
        return Err("a slug cannot be empty".into());
    }
    if slug.len() > MAX_SLUG_LEN {
        return Err(format!("`{slug}` is longer than {MAX_SLUG_LEN} characters"));
    }
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("`{slug}` must start with a lowercase letter"));
    }
    if let Some(bad) = slug
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "`{slug}` contains `{bad}`; use lowercase letters, digits and hyphens"
        ));
    }
    if slug.ends_with('-') || slug.contains("--") {
        return Err(format!(
            "`{slug}` must not end with a hyphen or contain two in a row"
        ));
    }
    Ok(())
}

pub fn validate_tier(tier: i64) -> Result<u8, String> {
    u8::try_from(tier)
        .ok()
        .filter(|t| TIERS.contains(t))
        .ok_or_else(|| {
            format!(
                "tier {tier} is out of range; use {} (most critical) to {}",
                TIERS.start(),
                TIERS.end()
            )
        })
}

pub fn validate_method(method: &str) -> Result<String, String> {
    let upper = method.to_ascii_uppercase();
    match upper.as_str() {
        "GET" | "HEAD" | "POST" => Ok(upper),
        _ => Err(format!(
            "method `{method}` is not supported for healthchecks; use GET, HEAD or POST"
        )),
    }
}

impl RepositorySource {
    /// Reads the `repository` value of a service: `github:owner/repo`, a
    /// GitHub web URL, any other git URL, or a path (relative paths are taken
    /// from `base_dir`, the folder of the fleet file).
    pub fn parse(text: &str, base_dir: &Path) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(
                "the repository is empty; leave the key out if the service has none".into(),
            );
        }
        if text.starts_with('-') {
            return Err(format!(
                "`{text}` starts with `-`, which git would read as an option"
            ));
        }
        if let Some(rest) = text.strip_prefix("github:") {
            return parse_github_name(rest).ok_or_else(|| {
                format!("`{text}` is not a GitHub repository; write it as github:owner/repo")
            });
        }
        for prefix in ["https://github.com/", "http://github.com/"] {
            if let Some(rest) = text.strip_prefix(prefix) {
                let name = rest.trim_end_matches('/');
                let name = name.strip_suffix(".git").unwrap_or(name);
                if let Some(github) = parse_github_name(name) {
                    return Ok(github);
                }
            }
        }
        let is_url = ["https://", "http://", "ssh://", "git://", "file://"]
            .iter()
            .any(|p| text.starts_with(p));
        let is_scp_like = !text.contains("://")
            && text
                .split_once(':')
                .is_some_and(|(host, _)| host.contains('@'));
        if is_url || is_scp_like {
            return Ok(RepositorySource::Git {
                url: text.to_string(),
            });
        }
        let path = Path::new(text);
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            base_dir.join(path)
        };
        Ok(RepositorySource::Local {
            path: normalize(&joined),
        })
    }

    /// The two columns the store keeps: a kind and a location.
    pub fn to_stored(&self) -> (&'static str, String) {
        match self {
            RepositorySource::GitHub { owner, repo } => ("github", format!("{owner}/{repo}")),
            RepositorySource::Git { url } => ("git", url.clone()),
            RepositorySource::Local { path } => ("local", path.display().to_string()),
        }
    }

    pub fn from_stored(kind: &str, location: &str) -> Option<Self> {
        match kind {
            "github" => parse_github_name(location),
            "git" => Some(RepositorySource::Git {
                url: location.to_string(),
            }),
            "local" => Some(RepositorySource::Local {
                path: PathBuf::from(location),
            }),
            _ => None,
        }
    }

    /// A URL a browser can open, where there is one. Git URLs may carry
    /// credentials, so only plain https URLs without a user part are linked.
    pub fn web_url(&self) -> Option<String> {
        match self {
            RepositorySource::GitHub { owner, repo } => {
                Some(format!("https://github.com/{owner}/{repo}"))
            }
            RepositorySource::Git { url } if url.starts_with("https://") && !url.contains('@') => {
                Some(url.trim_end_matches(".git").to_string())
            }
            _ => None,
        }
    }

    /// What to show a person. Credentials in a git URL are never shown.
    pub fn display(&self) -> String {
        match self {
            RepositorySource::GitHub { owner, repo } => format!("{owner}/{repo}"),
            RepositorySource::Git { url } => crate::common::secret::redact_url_password(url),
            RepositorySource::Local { path } => path.display().to_string(),
        }
    }
}

fn parse_github_name(name: &str) -> Option<RepositorySource> {
    let (owner, repo) = name.split_once('/')?;
    let valid = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (valid(owner) && valid(repo)).then(|| RepositorySource::GitHub {
        owner: owner.to_string(),
        repo: repo.to_string(),
    })
}

/// Removes `.` and resolves `..` lexically, without touching the disk (the
/// folder may not exist yet; that is reported when it is crawled).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(validate_slug("checkout-api").is_ok());
        assert!(validate_slug("a1").is_ok());
        for bad in [
            "",
            "Checkout",
            "1st",
            "with space",
            "under_score",
            "trailing-",
            "dou--ble",
        ] {
            assert!(validate_slug(bad).is_err(), "{bad} should be refused");
        }
        assert!(validate_slug(&"a".repeat(64)).is_err());
    }

    #[test]
    fn tiers() {
        assert_eq!(validate_tier(1), Ok(1));
        assert_eq!(validate_tier(5), Ok(5));
        assert!(validate_tier(0).unwrap_err().contains("out of range"));
        assert!(validate_tier(300).is_err());
        assert!(validate_tier(-1).is_err());
    }

    #[test]
    fn health_methods() {
        assert_eq!(validate_method("get"), Ok("GET".to_string()));
        assert!(validate_method("DELETE").is_err());
    }

    #[test]
    fn repository_sources() {
        let base = Path::new("/srv/fleet");
        assert_eq!(
            RepositorySource::parse("github:acme/checkout", base),
            Ok(RepositorySource::GitHub {
                owner: "acme".into(),
                repo: "checkout".into()
            })
        );
        assert_eq!(
            RepositorySource::parse("https://github.com/acme/checkout.git", base),
            Ok(RepositorySource::GitHub {
                owner: "acme".into(),
                repo: "checkout".into()
            })
        );
        assert_eq!(
            RepositorySource::parse("https://git.example.com/team/ledger.git", base),
            Ok(RepositorySource::Git {
                url: "https://git.example.com/team/ledger.git".into()
            })
        );
        assert_eq!(
            RepositorySource::parse("git@gitlab.com:team/ledger.git", base),
            Ok(RepositorySource::Git {
                url: "git@gitlab.com:team/ledger.git".into()
            })
        );
        assert_eq!(
            RepositorySource::parse("./examples/../examples/checkout", base),
            Ok(RepositorySource::Local {
                path: PathBuf::from("/srv/fleet/examples/checkout")
            })
        );
        assert!(RepositorySource::parse("github:acme", base).is_err());
        assert!(RepositorySource::parse("  ", base).is_err());
    }

    #[test]
    fn repository_round_trips_through_the_store_columns() {
        for source in [
            RepositorySource::GitHub {
                owner: "acme".into(),
                repo: "checkout".into(),
            },
            RepositorySource::Git {
                url: "https://git.example.com/a.git".into(),
            },
            RepositorySource::Local {
                path: PathBuf::from("/srv/a"),
            },
        ] {
            let (kind, location) = source.to_stored();
            assert_eq!(RepositorySource::from_stored(kind, &location), Some(source));
        }
    }

    #[test]
    fn git_credentials_are_never_displayed_or_linked() {
        let source = RepositorySource::Git {
            url: "https://bot:tok3n@git.example.com/a.git".into(),
        };
        assert!(!source.display().contains("tok3n"));
        assert_eq!(source.web_url(), None);
    }
}
