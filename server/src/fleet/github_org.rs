//! GitHub organisation discovery: every repository of an organisation that
//! holds a manifest becomes a service, without anyone listing it in the
//! fleet file. Choosing repositories and naming their services is pure;
//! `discover` does the listing through the shared [`GitHubClient`].

use futures::StreamExt;

use super::spec::{self, RepositorySource, ServiceSpec};
use crate::integrations::github::{GitHubClient, GitHubRepo};

/// One `[[github.orgs]]` table of the fleet file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgRule {
    pub org: String,
    /// The team that owns the services found (the fleet file can still
    /// declare a repository itself to give it another owner).
    pub team: String,
    /// Repository-name patterns (`*` and `?`, case-insensitive); empty
    /// means every repository.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub include_archived: bool,
    pub include_forks: bool,
    pub tier: u8,
    pub tags: Vec<String>,
    /// Put before each slug, for organisations whose repository names clash.
    pub slug_prefix: String,
}

/// What one organisation's discovery found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgDiscovery {
    pub services: Vec<ServiceSpec>,
    /// Repositories the organisation lists.
    pub listed: usize,
    /// Repositories passed over, each with the reason, for the Overview.
    pub skipped: Vec<(String, String)>,
}

/// `*` matches any run of characters, `?` exactly one; case is ignored,
/// as GitHub ignores it in repository names.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let name: Vec<char> = name.to_lowercase().chars().collect();
    // Iterative matching with one backtrack point per `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Why a repository is not a candidate, or `None` when it is.
pub fn reason_to_skip(rule: &OrgRule, repo: &GitHubRepo) -> Option<String> {
    if repo.archived && !rule.include_archived {
        return Some("archived (set include_archived = true to keep it)".into());
    }
    if repo.fork && !rule.include_forks {
        return Some("a fork (set include_forks = true to keep it)".into());
    }
    if !rule.include.is_empty() && !rule.include.iter().any(|p| glob_matches(p, &repo.name)) {
        return Some(format!(
            "matches none of the include patterns {:?}",
            rule.include
        ));
    }
    if let Some(pattern) = rule.exclude.iter().find(|p| glob_matches(p, &repo.name)) {
        return Some(format!("excluded by `{pattern}`"));
    }
    if repo.size == Some(0) {
        return Some("empty (no commit yet)".into());
    }
    None
}

/// A slug from a repository name: lowercase, runs of anything else than
/// letters and digits become one hyphen (`Billing_API.v2` → `billing-api-v2`).
pub fn slug_for(rule: &OrgRule, repo_name: &str) -> Result<String, String> {
    let mut slug = rule.slug_prefix.to_lowercase();
    let mut pending_hyphen = false;
    for c in repo_name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    spec::validate_slug(&slug).map_err(|problem| {
        format!("cannot name a service after `{repo_name}`: {problem}; set slug_prefix")
    })?;
    Ok(slug)
}

pub fn service_for(rule: &OrgRule, repo: &GitHubRepo) -> Result<ServiceSpec, String> {
    Ok(ServiceSpec {
        slug: slug_for(rule, &repo.name)?,
        name: repo.name.clone(),
        team: rule.team.clone(),
        tags: rule.tags.clone(),
        tier: rule.tier,
        repository: Some(RepositorySource::GitHub {
            owner: rule.org.clone(),
            repo: repo.name.clone(),
        }),
        health_endpoints: Vec::new(),
        public: false,
    })
}

/// Lists the organisation, keeps the candidates, and reads each candidate's
/// tree (8 at a time) to keep those that hold a manifest. Listing and trees
/// are conditional requests, so an unchanged organisation costs 304s.
///
/// A repository whose tree cannot be read is kept: its service page then
/// shows why, which is more use than a service silently missing.
///
/// `is_manifest` says which paths are manifests Shipshape reads; the
/// dependency readers know, and the caller passes their answer in.
pub async fn discover(
    client: &GitHubClient,
    rule: &OrgRule,
    is_manifest: fn(&str) -> bool,
) -> Result<OrgDiscovery, String> {
    let repos = client
        .org_repositories(&rule.org)
        .await
        .map_err(|e| format!("cannot list the repositories of `{}`: {e}", rule.org))?;
    let mut found = OrgDiscovery {
        listed: repos.len(),
        ..OrgDiscovery::default()
    };
    let mut candidates = Vec::new();
    for repo in repos {
        match reason_to_skip(rule, &repo) {
            Some(reason) => found.skipped.push((repo.full_name, reason)),
            None => candidates.push(repo),
        }
    }
    // The tree answers are cached under their ETags, so the snapshot that
    // follows for a discovered repository costs a 304.
    let checked: Vec<(GitHubRepo, Result<bool, String>)> = futures::stream::iter(candidates)
        .map(|repo| async move {
            let branch = repo.default_branch.clone().unwrap_or_else(|| "main".into());
            let holds_manifest = client
                .tree(&repo.full_name, &branch)
                .await
                .map(|tree| tree.files().any(|(path, _)| is_manifest(path)));
            (repo, holds_manifest)
        })
        .buffered(8)
        .collect()
        .await;
    for (repo, holds_manifest) in checked {
        if holds_manifest == Ok(false) {
            found
                .skipped
                .push((repo.full_name, "holds no manifest Shipshape reads".into()));
            continue;
        }
        match service_for(rule, &repo) {
            Ok(service) => found.services.push(service),
            Err(reason) => found.skipped.push((repo.full_name, reason)),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> OrgRule {
        OrgRule {
            org: "acme".into(),
            team: "platform".into(),
            include: vec![],
            exclude: vec![],
            include_archived: false,
            include_forks: false,
            tier: 3,
            tags: vec![],
            slug_prefix: String::new(),
        }
    }

    fn repo(name: &str) -> GitHubRepo {
        GitHubRepo {
            name: name.into(),
            full_name: format!("acme/{name}"),
            default_branch: Some("main".into()),
            archived: false,
            fork: false,
            size: Some(12),
        }
    }

    #[test]
    fn globs_match_like_shell_patterns_without_case() {
        assert!(glob_matches("*-service", "Billing-Service"));
        assert!(glob_matches("api-?", "api-2"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(glob_matches("a*b*c", "abcbc"));
        assert!(!glob_matches("a*b*c", "aXXbYY"));
        assert!(!glob_matches("api-?", "api-12"));
        assert!(!glob_matches("svc", "svc-2"));
    }

    #[test]
    fn archived_forks_and_empty_repositories_are_skipped_unless_asked_for() {
        let mut archived = repo("old");
        archived.archived = true;
        let mut fork = repo("theirs");
        fork.fork = true;
        let mut empty = repo("new");
        empty.size = Some(0);
        let r = rule();
        assert!(reason_to_skip(&r, &archived).unwrap().contains("archived"));
        assert!(reason_to_skip(&r, &fork).unwrap().contains("fork"));
        assert!(reason_to_skip(&r, &empty).unwrap().contains("empty"));
        assert_eq!(reason_to_skip(&r, &repo("billing")), None);

        let keep_all = OrgRule {
            include_archived: true,
            include_forks: true,
            ..rule()
        };
        assert_eq!(reason_to_skip(&keep_all, &archived), None);
        assert_eq!(reason_to_skip(&keep_all, &fork), None);
    }

    #[test]
    fn include_then_exclude_patterns_choose_repositories() {
        let r = OrgRule {
            include: vec!["*-service".into(), "gateway".into()],
            exclude: vec!["legacy-*".into()],
            ..rule()
        };
        assert_eq!(reason_to_skip(&r, &repo("billing-service")), None);
        assert_eq!(reason_to_skip(&r, &repo("Gateway")), None);
        assert!(
            reason_to_skip(&r, &repo("docs"))
                .unwrap()
                .contains("include patterns")
        );
        assert_eq!(
            reason_to_skip(&r, &repo("legacy-service")).unwrap(),
            "excluded by `legacy-*`"
        );
    }

    #[test]
    fn slugs_come_from_repository_names() {
        assert_eq!(
            slug_for(&rule(), "Billing_API.v2").unwrap(),
            "billing-api-v2"
        );
        assert_eq!(slug_for(&rule(), "--edge--proxy--").unwrap(), "edge-proxy");
        let prefixed = OrgRule {
            slug_prefix: "acme-".into(),
            ..rule()
        };
        assert_eq!(slug_for(&prefixed, "42-tools").unwrap(), "acme-42-tools");
        let error = slug_for(&rule(), "42-tools").unwrap_err();
        assert!(
            error.contains("`42-tools`") && error.contains("slug_prefix"),
            "{error}"
        );
    }

    #[test]
    fn a_service_is_owned_by_the_rules_team_and_read_through_github() {
        let r = OrgRule {
            tier: 2,
            tags: vec!["discovered".into()],
            ..rule()
        };
        let service = service_for(&r, &repo("Billing")).unwrap();
        assert_eq!(service.slug, "billing");
        assert_eq!(service.name, "Billing");
        assert_eq!(service.team, "platform");
        assert_eq!(service.tier, 2);
        assert_eq!(service.tags, ["discovered"]);
        assert_eq!(
            service.repository,
            Some(RepositorySource::GitHub {
                owner: "acme".into(),
                repo: "Billing".into()
            })
        );
    }
}
