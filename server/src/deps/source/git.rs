//! Any git URL, cloned shallow into a cache folder and fetched again on
//! each refresh. Credentials never reach the command line or the messages:
//! an HTTPS token goes in an `http.extraHeader` passed through git's
//! `GIT_CONFIG_*` environment, an SSH key through `GIT_SSH_COMMAND`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use futures::future::BoxFuture;
use tokio::process::Command;

use super::local::read_folder;
use super::{Fetched, RepositoryReader, SourceError, fnv1a_hex};
use crate::common::secret::{Secret, redact_url_password};

#[derive(Clone, Debug, Default)]
pub struct GitCredentials {
    /// Sent as HTTP basic auth (`x-access-token:TOKEN`), as GitHub, GitLab
    /// and Gitea accept.
    pub token: Option<Secret>,
    /// The hosts (lower case) the token belongs to: it is sent to no other,
    /// not even when a repository there redirects elsewhere.
    pub token_hosts: std::collections::BTreeSet<String>,
    pub ssh_key: Option<PathBuf>,
}

/// The transport a git URL names: `https`, `ssh` (also `user@host:path`),
/// `http`, `git` or `file`. Pure.
pub fn transport_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, _)) => scheme,
        None => "ssh",
    }
}

/// The `git -c` settings for fetching `url`, as (key, value) pairs: only the
/// URL's own transport is allowed (a submodule or a redirect cannot switch
/// to `file://` or `ext::`), and the token goes only to its own hosts, as
/// a header scoped to that host's `https://` URLs. Pure.
pub fn git_settings(url: &str, credentials: &GitCredentials) -> Vec<(String, String)> {
    let mut settings = vec![
        ("protocol.allow".to_string(), "never".to_string()),
        (
            format!("protocol.{}.allow", transport_of(url)),
            "always".to_string(),
        ),
    ];
    if let Some(token) = &credentials.token
        && let Some(host) = crate::common::url::https_host(url)
        && credentials.token_hosts.contains(&host)
    {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("x-access-token:{}", token.expose()));
        settings.push((
            format!("http.https://{host}/.extraHeader"),
            format!("Authorization: Basic {basic}"),
        ));
    }
    settings
}

pub struct GitRepository {
    pub url: String,
    pub cache_dir: PathBuf,
    pub credentials: GitCredentials,
    pub timeout: Duration,
}

impl GitRepository {
    fn error(&self, reason: impl Into<String>) -> SourceError {
        SourceError {
            repository: redact_url_password(&self.url),
            reason: reason.into(),
        }
    }

    /// The clone's folder: one per URL, named so a person can tell which.
    pub fn checkout_dir(&self) -> PathBuf {
        let readable: String = redact_url_password(&self.url)
            .rsplit(['/', ':'])
            .next()
            .unwrap_or("repo")
            .trim_end_matches(".git")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let hash = fnv1a_hex(self.url.bytes());
        self.cache_dir.join(format!("{readable}-{hash}"))
    }

    async fn git(&self, dir: Option<&Path>, args: &[&str]) -> Result<String, SourceError> {
        let mut command = Command::new("git");
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        command
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .kill_on_drop(true);
        let settings = git_settings(&self.url, &self.credentials);
        command.env("GIT_CONFIG_COUNT", settings.len().to_string());
        for (index, (key, value)) in settings.into_iter().enumerate() {
            command
                .env(format!("GIT_CONFIG_KEY_{index}"), key)
                .env(format!("GIT_CONFIG_VALUE_{index}"), value);
        }
        if let Some(key) = &self.credentials.ssh_key {
            command.env(
                "GIT_SSH_COMMAND",
                format!(
                    "ssh -i '{}' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
                    key.display()
                ),
            );
        }
        let output = tokio::time::timeout(self.timeout, command.output())
            .await
            .map_err(|_| {
                self.error(format!(
                    "git {} took longer than {:?}",
                    args[0], self.timeout
                ))
            })?
            .map_err(|e| self.error(format!("cannot run git: {e}")))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message");
            Err(self.error(format!(
                "git {} failed: {}",
                args[0],
                redact_url_password(last.trim())
            )))
        }
    }
}

impl RepositoryReader for GitRepository {
    fn fetch<'a>(
        &'a self,
        known_revision: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            let dir = self.checkout_dir();
            if dir.join(".git").is_dir() {
                self.git(
                    Some(&dir),
                    &["fetch", "--depth", "1", "--quiet", "origin", "HEAD"],
                )
                .await?;
                self.git(Some(&dir), &["reset", "--hard", "--quiet", "FETCH_HEAD"])
                    .await?;
            } else {
                tokio::fs::create_dir_all(&self.cache_dir)
                    .await
                    .map_err(|e| {
                        self.error(format!(
                            "cannot create the cache folder {}: {e}",
                            self.cache_dir.display()
                        ))
                    })?;
                let target = dir.to_string_lossy().into_owned();
                self.git(
                    None,
                    &[
                        "clone",
                        "--depth",
                        "1",
                        "--quiet",
                        "--no-tags",
                        // The URL is never read as an option (`-oProxyCommand=…`).
                        "--",
                        &self.url,
                        &target,
                    ],
                )
                .await?;
            }
            let revision = self.git(Some(&dir), &["rev-parse", "HEAD"]).await?;
            if known_revision == Some(revision.as_str()) {
                return Ok(Fetched::Unchanged { revision });
            }
            let mut snapshot = tokio::task::spawn_blocking(move || read_folder(&dir))
                .await
                .map_err(|e| self.error(format!("reading was interrupted: {e}")))?
                .map_err(|e| self.error(e.reason))?;
            snapshot.revision = revision;
            Ok(Fetched::Changed(snapshot))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_only_to_its_host_and_only_the_urls_transport_is_allowed() {
        let credentials = GitCredentials {
            token: Some(Secret::new("t0ken".to_string())),
            token_hosts: ["git.acme.dev".to_string()].into(),
            ssh_key: None,
        };
        let settings = git_settings("https://git.acme.dev/team/repo.git", &credentials);
        assert_eq!(settings[0], ("protocol.allow".into(), "never".into()));
        assert_eq!(
            settings[1],
            ("protocol.https.allow".into(), "always".into())
        );
        assert_eq!(settings[2].0, "http.https://git.acme.dev/.extraHeader");
        for elsewhere in [
            "https://evil.example/team/repo.git",
            "http://git.acme.dev/team/repo.git",
            "https://git.acme.dev.evil.example/repo.git",
        ] {
            let settings = git_settings(elsewhere, &credentials);
            assert!(
                settings.iter().all(|(key, _)| !key.contains("extraHeader")),
                "{elsewhere}: {settings:?}"
            );
        }
        assert_eq!(
            git_settings("git@git.acme.dev:team/repo.git", &credentials)[1].0,
            "protocol.ssh.allow"
        );
    }
}
