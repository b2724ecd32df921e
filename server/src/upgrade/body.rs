//! The texts of an upgrade PR: its title, its body (every bump with its
//! gap, release age and links; what the lock files need; how to steer
//! Shipshape) and its commit message. Pure.

use super::plan::{PlannedGroup, Proposal};
use super::policy::Policy;
use crate::deps::model::Ecosystem;

const DAY_MS: i64 = 86_400_000;

/// What the edit of a group's manifests left for people to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditNotes {
    /// Lock files that still pin the old versions, with the command that
    /// refreshes them.
    pub stale_locks: Vec<(String, String)>,
    /// (package, why its manifest was not changed).
    pub not_changed: Vec<(String, String)>,
}

/// The registry's page for a version.
pub fn registry_page(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    match ecosystem {
        Ecosystem::Cargo => format!("https://crates.io/crates/{name}/{version}"),
        Ecosystem::Npm => format!("https://www.npmjs.com/package/{name}/v/{version}"),
        Ecosystem::Python => format!("https://pypi.org/project/{name}/{version}/"),
        Ecosystem::Go => format!("https://pkg.go.dev/{name}@{version}"),
        Ecosystem::Ruby => format!("https://rubygems.org/gems/{name}/versions/{version}"),
        Ecosystem::Maven => {
            let (group, artifact) = name.split_once(':').unwrap_or((name, name));
            format!("https://central.sonatype.com/artifact/{group}/{artifact}/{version}")
        }
    }
}

/// Where the changes between two versions are listed, when the registry
/// gives a place that has them.
pub fn changes_page(ecosystem: Ecosystem, name: &str, from: &str, to: &str) -> Option<String> {
    match ecosystem {
        // A Go module on GitHub tags its releases: compare the two tags.
        Ecosystem::Go if name.starts_with("github.com/") => {
            let repo: Vec<&str> = name.split('/').take(3).collect();
            Some(format!("https://{}/compare/{from}...{to}", repo.join("/")))
        }
        _ => None,
    }
}

/// The command that refreshes a lock file for `names`.
pub fn lock_command(ecosystem: Ecosystem, names: &[&str]) -> String {
    match ecosystem {
        Ecosystem::Cargo => format!(
            "cargo update {}",
            names
                .iter()
                .map(|n| format!("-p {n}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Ecosystem::Npm => "npm install".into(),
        Ecosystem::Python => "pip-compile (or poetry lock --no-update, uv lock)".into(),
        Ecosystem::Go => "go mod tidy".into(),
        Ecosystem::Ruby => format!("bundle update --conservative {}", names.join(" ")),
        Ecosystem::Maven => "nothing (Maven has no lock file)".into(),
    }
}

fn age(proposal: &Proposal, now_ms: i64) -> String {
    match proposal.published_ms {
        Some(published) => {
            let days = (now_ms - published).max(0) / DAY_MS;
            match days {
                0 => "today".into(),
                1 => "1 day ago".into(),
                n => format!("{n} days ago"),
            }
        }
        None => "not dated by the registry".into(),
    }
}

/// The marker Shipshape finds its PRs by.
pub fn marker(service: &str, group: &str) -> String {
    format!("<!-- shipshape: service={service} group={group} -->")
}

#[derive(Clone, Debug)]
pub struct PrTexts {
    pub title: String,
    pub body: String,
    pub commit_message: String,
}

pub fn pr_texts(
    service: &str,
    group: &PlannedGroup,
    policy: &Policy,
    notes: &EditNotes,
    dashboard_url: Option<&str>,
    now_ms: i64,
) -> PrTexts {
    let mut body = String::new();
    body.push_str(&format!(
        "Shipshape proposes {} for **{service}**.\n\n",
        match group.proposals.len() {
            1 => "this update".to_string(),
            n => format!("these {n} updates"),
        }
    ));
    body.push_str("| Package | From | To | Gap | Released | Links |\n|---|---|---|---|---|---|\n");
    for proposal in &group.proposals {
        let mut links = vec![format!(
            "[registry]({})",
            registry_page(proposal.ecosystem, &proposal.name, &proposal.to)
        )];
        if let Some(changes) = changes_page(
            proposal.ecosystem,
            &proposal.name,
            &proposal.from,
            &proposal.to,
        ) {
            links.push(format!("[changes]({changes})"));
        }
        body.push_str(&format!(
            "| `{}` ({}, `{}`) | {} | **{}** | {} | {} | {} |\n",
            proposal.name,
            proposal.ecosystem.config_name(),
            proposal.manifest,
            proposal.from,
            proposal.to,
            proposal.gap.name(),
            age(proposal, now_ms),
            links.join(" · ")
        ));
    }
    if !notes.stale_locks.is_empty() {
        body.push_str("\n### Lock files\n\nThese lock files still pin the old versions; refresh them on this branch before merging:\n\n");
        for (lock, command) in &notes.stale_locks {
            body.push_str(&format!("- `{lock}`: run `{command}`\n"));
        }
    }
    if !notes.not_changed.is_empty() {
        body.push_str("\n### Not changed\n\n");
        for (name, reason) in &notes.not_changed {
            body.push_str(&format!("- `{name}`: {reason}\n"));
        }
    }
    body.push_str("\n### Controlling Shipshape\n\n");
    body.push_str("- Shipshape updates this PR on its next run when newer versions appear, and closes it with a comment when it is no longer needed.\n");
    body.push_str("- Closing it without merging tells Shipshape not to propose these versions again; a newer release will be proposed.\n");
    body.push_str(&format!(
        "- The schedule is `{}` ({}). Ignore rules, groups, labels and reviewers are set under `[upgrades]` in `shipshape.toml` (globally, per team or per service).\n",
        policy.schedule.expression, policy.schedule.time_zone
    ));
    if let Some(url) = dashboard_url {
        body.push_str(&format!(
            "- See every upgrade PR of the fleet at {}/upgrades.\n",
            url.trim_end_matches('/')
        ));
    }
    body.push('\n');
    body.push_str(&marker(service, &group.key));
    body.push('\n');
    let commit_message = policy
        .commit_message
        .replace("{title}", &group.title)
        .replace("{group}", &group.key);
    let details: Vec<String> = group
        .proposals
        .iter()
        .map(|p| format!("- {} {} -> {} ({})", p.name, p.from, p.to, p.manifest))
        .collect();
    PrTexts {
        title: group.title.clone(),
        body,
        commit_message: format!("{commit_message}\n\n{}\n", details.join("\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::version::Gap;

    #[test]
    fn the_body_lists_every_bump_with_links_and_says_how_to_steer() {
        let group = PlannedGroup {
            key: "minor-patch".into(),
            title: "Update 2 dependencies (patch and minor)".into(),
            branch: "shipshape/minor-patch".into(),
            proposals: vec![
                Proposal {
                    ecosystem: Ecosystem::Cargo,
                    manifest: "Cargo.toml".into(),
                    name: "serde".into(),
                    from: "1.0.190".into(),
                    to: "1.0.210".into(),
                    gap: Gap::Patch,
                    published_ms: Some(1_000 * DAY_MS - 12 * DAY_MS),
                },
                Proposal {
                    ecosystem: Ecosystem::Go,
                    manifest: "go.mod".into(),
                    name: "github.com/google/uuid".into(),
                    from: "v1.4.0".into(),
                    to: "v1.6.0".into(),
                    gap: Gap::Minor,
                    published_ms: None,
                },
            ],
        };
        let notes = EditNotes {
            stale_locks: vec![(
                "Cargo.lock".into(),
                lock_command(Ecosystem::Cargo, &["serde"]),
            )],
            not_changed: vec![],
        };
        let policy = Policy {
            commit_message: "chore(deps): {title}".into(),
            ..Policy::default()
        };
        let texts = pr_texts(
            "checkout",
            &group,
            &policy,
            &notes,
            Some("http://ship.example/"),
            1_000 * DAY_MS,
        );
        let body = &texts.body;
        assert!(body.contains("| `serde` (cargo, `Cargo.toml`) | 1.0.190 | **1.0.210** | patch | 12 days ago | [registry](https://crates.io/crates/serde/1.0.210)"), "{body}");
        assert!(
            body.contains("[changes](https://github.com/google/uuid/compare/v1.4.0...v1.6.0)"),
            "{body}"
        );
        assert!(body.contains("not dated by the registry"));
        assert!(body.contains("`Cargo.lock`: run `cargo update -p serde`"));
        assert!(body.contains("`0 6 * * MON` (UTC)"));
        assert!(body.contains("http://ship.example/upgrades"));
        assert!(body.ends_with("<!-- shipshape: service=checkout group=minor-patch -->\n"));
        assert!(texts.commit_message.starts_with("chore(deps): Update 2 dependencies (patch and minor)\n\n- serde 1.0.190 -> 1.0.210 (Cargo.toml)\n"));
    }
}
