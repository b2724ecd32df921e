//! The writing half of the fake GitHub REST API, as documented:
//! - Git data: `POST /repos/{o}/{r}/git/blobs`, `git/trees` (with
//!   `base_tree`), `git/commits`, `git/refs`; `GET git/ref/heads/{b}`,
//!   `GET git/commits/{sha}`; `PATCH`/`DELETE git/refs/heads/{b}`;
//! - pulls: `POST /pulls`, `GET /pulls?state=&head=owner:branch`,
//!   `GET`/`PATCH /pulls/{n}`, `POST /pulls/{n}/requested_reviewers`;
//! - issues: `POST /issues/{n}/comments`, `POST /issues/{n}/labels`.
//!
//! State is kept between calls as GitHub keeps it: a ref points at a
//! commit, a commit at a tree of files, a PR at a branch; one open PR per
//! head branch (422 otherwise), and a ref that exists cannot be created again.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{FakeRepo, digest};

#[derive(Clone, Debug, Default)]
pub struct FakeGit {
    pub blobs: BTreeMap<String, String>,
    /// Tree SHA → path → content.
    pub trees: BTreeMap<String, BTreeMap<String, String>>,
    pub commits: BTreeMap<String, FakeCommit>,
    /// Branch (other than the default) → commit SHA.
    pub branches: BTreeMap<String, String>,
    pub pulls: Vec<FakePull>,
    /// Comments on issues and PRs: (number, body).
    pub comments: Vec<(u64, String)>,
}

#[derive(Clone, Debug)]
pub struct FakeCommit {
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct FakePull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
    pub merged: bool,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub merged_at: Option<String>,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
}

/// Now as GitHub writes times (`2026-11-23T06:00:00Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl FakeRepo {
    /// The SHA of the default branch's tree, as the tree endpoint gives it.
    pub fn default_tree_sha(&self) -> String {
        digest(&format!("tree\0{:?}", self.files))[..40].to_string()
    }

    /// The default branch's head commit: it names the files as they are.
    pub fn default_commit_sha(&self) -> String {
        digest(&format!("commit\0{}", self.default_tree_sha()))[..40].to_string()
    }

    /// The files of a tree SHA (the default branch's or one written).
    pub fn tree_files(&self, sha: &str) -> Option<BTreeMap<String, String>> {
        if sha == self.default_tree_sha() {
            return Some(self.files.clone());
        }
        self.git.trees.get(sha).cloned()
    }

    fn commit(&self, sha: &str) -> Option<FakeCommit> {
        if sha == self.default_commit_sha() {
            return Some(FakeCommit {
                tree: self.default_tree_sha(),
                parents: Vec::new(),
                message: "initial".into(),
            });
        }
        self.git.commits.get(sha).cloned()
    }

    /// The head commit of a branch.
    pub fn branch_head(&self, branch: &str) -> Option<String> {
        if branch == self.default_branch {
            return Some(self.default_commit_sha());
        }
        self.git.branches.get(branch).cloned()
    }

    /// The files on a branch, for tests to read what was written.
    pub fn branch_files(&self, branch: &str) -> Option<BTreeMap<String, String>> {
        let commit = self.commit(&self.branch_head(branch)?)?;
        self.tree_files(&commit.tree)
    }

    /// Merges PR `number` as the web UI would: its branch's files become
    /// the default branch's.
    pub fn merge_pull(&mut self, number: u64) -> bool {
        let Some(index) = self.git.pulls.iter().position(|p| p.number == number) else {
            return false;
        };
        let head = self.git.pulls[index].head.clone();
        let Some(files) = self.branch_files(&head) else {
            return false;
        };
        self.files = files;
        let pull = &mut self.git.pulls[index];
        pull.state = "closed".into();
        pull.merged = true;
        pull.merged_at = Some(now_rfc3339());
        pull.closed_at = pull.merged_at.clone();
        true
    }

    /// Closes PR `number` without merging, as a person would.
    pub fn close_pull(&mut self, number: u64) {
        if let Some(pull) = self.git.pulls.iter_mut().find(|p| p.number == number) {
            pull.state = "closed".into();
            pull.closed_at = Some(now_rfc3339());
        }
    }

    pub fn open_pulls(&self) -> Vec<&FakePull> {
        self.git
            .pulls
            .iter()
            .filter(|p| p.state == "open")
            .collect()
    }
}

fn pull_json(base: &str, full_name: &str, owner: &str, pull: &FakePull, head_sha: &str) -> Value {
    json!({
        "url": format!("{base}/repos/{full_name}/pulls/{}", pull.number),
        "html_url": format!("https://github.com/{full_name}/pull/{}", pull.number),
        "number": pull.number, "state": pull.state, "title": pull.title, "body": pull.body,
        "user": { "login": "shipshape[bot]" },
        "created_at": pull.created_at, "updated_at": pull.created_at,
        "closed_at": pull.closed_at, "merged_at": pull.merged_at, "merged": pull.merged,
        "head": { "label": format!("{owner}:{}", pull.head), "ref": pull.head, "sha": head_sha },
        "base": { "label": format!("{owner}:{}", pull.base), "ref": pull.base },
        "labels": pull.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
        "requested_reviewers": pull.reviewers.iter().map(|r| json!({ "login": r })).collect::<Vec<_>>(),
    })
}

fn invalid(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
    )
}

fn validation_failed(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "PullRequest", "code": "custom", "message": message }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        }),
    )
}

fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

/// Answers a Git data, pulls or issues request on `repo`; `None` when the
/// path is not one of them. `rest` is the path after `/repos/{o}/{r}/`.
pub fn answer(
    base: &str,
    full_name: &str,
    repo: &mut FakeRepo,
    method: &Method,
    rest: &[&str],
    query: &str,
    body: &Value,
) -> Option<(StatusCode, Value)> {
    let owner = full_name.split('/').next().unwrap_or_default().to_string();
    let git_url = |kind: &str, sha: &str| format!("{base}/repos/{full_name}/git/{kind}/{sha}");
    let created = StatusCode::CREATED;
    Some(match (method.as_str(), rest) {
        ("POST", ["git", "blobs"]) => {
            let content = field(body, "content").unwrap_or_default();
            let text = if field(body, "encoding") == Some("base64") {
                use base64::Engine;
                let packed: String = content.split_whitespace().collect();
                match base64::engine::general_purpose::STANDARD.decode(packed) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(_) => return Some(invalid("content is not valid Base64")),
                }
            } else {
                content.to_string()
            };
            let sha = digest(&format!("blob\0{text}"))[..40].to_string();
            repo.git.blobs.insert(sha.clone(), text);
            (
                created,
                json!({ "sha": sha, "url": git_url("blobs", &sha) }),
            )
        }
        ("POST", ["git", "trees"]) => {
            let mut files = match field(body, "base_tree") {
                Some(base_tree) => match repo.tree_files(base_tree) {
                    Some(files) => files,
                    None => return Some(invalid("base_tree is not a valid tree")),
                },
                None => BTreeMap::new(),
            };
            for entry in body
                .get("tree")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(path) = field(entry, "path") else {
                    return Some(invalid("tree.path wasn't supplied."));
                };
                let content = match (field(entry, "sha"), field(entry, "content")) {
                    (Some(sha), _) => match repo.git.blobs.get(sha) {
                        Some(text) => text.clone(),
                        None => return Some(invalid("tree.sha is not a valid blob")),
                    },
                    (None, Some(content)) => content.to_string(),
                    (None, None) => {
                        files.remove(path);
                        continue;
                    }
                };
                files.insert(path.to_string(), content);
            }
            let sha = digest(&format!("tree\0{files:?}"))[..40].to_string();
            repo.git.trees.insert(sha.clone(), files);
            (
                created,
                json!({ "sha": sha, "url": git_url("trees", &sha), "truncated": false }),
            )
        }
        ("POST", ["git", "commits"]) => {
            let Some(tree) = field(body, "tree").filter(|t| repo.tree_files(t).is_some()) else {
                return Some(invalid("Tree SHA does not exist"));
            };
            let parents: Vec<String> = body
                .get("parents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect();
            if parents.iter().any(|p| repo.commit(p).is_none()) {
                return Some(invalid(
                    "Parent SHA does not exist or is not a commit object",
                ));
            }
            let message = field(body, "message").unwrap_or_default().to_string();
            let sha = digest(&format!(
                "commit\0{tree}\0{parents:?}\0{message}\0{}",
                repo.git.commits.len()
            ))[..40]
                .to_string();
            repo.git.commits.insert(
                sha.clone(),
                FakeCommit {
                    tree: tree.to_string(),
                    parents: parents.clone(),
                    message: message.clone(),
                },
            );
            (
                created,
                json!({
                    "sha": sha, "url": git_url("commits", &sha), "message": message,
                    "tree": { "sha": tree, "url": git_url("trees", tree) },
                    "parents": parents.iter().map(|p| json!({ "sha": p })).collect::<Vec<_>>(),
                }),
            )
        }
        ("GET", ["git", "commits", sha]) => match repo.commit(sha) {
            Some(commit) => (
                StatusCode::OK,
                json!({
                    "sha": sha, "url": git_url("commits", sha), "message": commit.message,
                    "tree": { "sha": commit.tree, "url": git_url("trees", &commit.tree) },
                    "parents": commit.parents.iter().map(|p| json!({ "sha": p })).collect::<Vec<_>>(),
                }),
            ),
            None => not_found(),
        },
        ("GET", ["git", "ref", "heads", branch @ ..]) => {
            let branch = branch.join("/");
            match repo.branch_head(&branch) {
                Some(sha) => (
                    StatusCode::OK,
                    json!({
                        "ref": format!("refs/heads/{branch}"),
                        "url": format!("{base}/repos/{full_name}/git/refs/heads/{branch}"),
                        "object": { "type": "commit", "sha": sha, "url": git_url("commits", &sha) },
                    }),
                ),
                None => not_found(),
            }
        }
        ("POST", ["git", "refs"]) => {
            let (Some(reference), Some(sha)) = (field(body, "ref"), field(body, "sha")) else {
                return Some(invalid("ref and sha are required"));
            };
            let Some(branch) = reference.strip_prefix("refs/heads/") else {
                return Some(invalid("Reference name must start with 'refs/'."));
            };
            if repo.branch_head(branch).is_some() {
                return Some(invalid("Reference already exists"));
            }
            if repo.commit(sha).is_none() {
                return Some(invalid("Object does not exist"));
            }
            repo.git
                .branches
                .insert(branch.to_string(), sha.to_string());
            (
                created,
                json!({ "ref": reference, "object": { "type": "commit", "sha": sha } }),
            )
        }
        ("PATCH", ["git", "refs", "heads", branch @ ..]) => {
            let branch = branch.join("/");
            let Some(sha) = field(body, "sha").filter(|s| repo.commit(s).is_some()) else {
                return Some(invalid("Object does not exist"));
            };
            if !repo.git.branches.contains_key(&branch) {
                return Some(invalid("Reference does not exist"));
            }
            repo.git.branches.insert(branch.clone(), sha.to_string());
            (
                StatusCode::OK,
                json!({ "ref": format!("refs/heads/{branch}"), "object": { "type": "commit", "sha": sha } }),
            )
        }
        ("DELETE", ["git", "refs", "heads", branch @ ..]) => {
            match repo.git.branches.remove(&branch.join("/")) {
                Some(_) => (StatusCode::NO_CONTENT, Value::Null),
                None => invalid("Reference does not exist"),
            }
        }
        ("POST", ["pulls"]) => {
            let (Some(title), Some(head), Some(base_branch)) = (
                field(body, "title"),
                field(body, "head"),
                field(body, "base"),
            ) else {
                return Some(validation_failed("title, head and base are required"));
            };
            let head = head.split_once(':').map_or(head, |(_, branch)| branch);
            if repo.branch_head(head).is_none() {
                return Some(validation_failed(&format!("head: {head} does not exist")));
            }
            if repo.open_pulls().iter().any(|p| p.head == head) {
                return Some(validation_failed(&format!(
                    "A pull request already exists for {owner}:{head}."
                )));
            }
            let number = 1 + repo.git.pulls.iter().map(|p| p.number).max().unwrap_or(0);
            let pull = FakePull {
                number,
                title: title.to_string(),
                body: field(body, "body").unwrap_or_default().to_string(),
                head: head.to_string(),
                base: base_branch.to_string(),
                state: "open".into(),
                merged: false,
                created_at: now_rfc3339(),
                closed_at: None,
                merged_at: None,
                labels: Vec::new(),
                reviewers: Vec::new(),
            };
            let sha = repo.branch_head(head).unwrap_or_default();
            let answer = pull_json(base, full_name, &owner, &pull, &sha);
            repo.git.pulls.push(pull);
            (created, answer)
        }
        ("GET", ["pulls"]) => {
            let state = crate::query_param(query, "state").unwrap_or("open");
            let head = crate::query_param(query, "head").map(crate::percent_decode);
            let list: Vec<Value> = repo
                .git
                .pulls
                .iter()
                .rev()
                .filter(|p| state == "all" || p.state == state)
                .filter(|p| {
                    head.as_deref()
                        .is_none_or(|h| h == format!("{owner}:{}", p.head))
                })
                .map(|p| {
                    let sha = repo.branch_head(&p.head).unwrap_or_default();
                    pull_json(base, full_name, &owner, p, &sha)
                })
                .collect();
            (StatusCode::OK, Value::Array(list))
        }
        (_, ["pulls", number, more @ ..]) | (_, ["issues", number, more @ ..]) => {
            let number: u64 = number.parse().ok()?;
            let is_issue = rest[0] == "issues";
            let index = repo.git.pulls.iter().position(|p| p.number == number)?;
            match (method.as_str(), more, is_issue) {
                ("GET", [], false) => {}
                ("PATCH", [], false) => {
                    let pull = &mut repo.git.pulls[index];
                    if let Some(title) = field(body, "title") {
                        pull.title = title.to_string();
                    }
                    if let Some(text) = field(body, "body") {
                        pull.body = text.to_string();
                    }
                    match field(body, "state") {
                        Some("closed") if pull.state == "open" => {
                            pull.state = "closed".into();
                            pull.closed_at = Some(now_rfc3339());
                        }
                        Some("open") if !pull.merged => {
                            pull.state = "open".into();
                            pull.closed_at = None;
                        }
                        _ => {}
                    }
                }
                ("POST", ["requested_reviewers"], false) => {
                    let pull = &mut repo.git.pulls[index];
                    for reviewer in body
                        .get("reviewers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !pull.reviewers.iter().any(|r| r == reviewer) {
                            pull.reviewers.push(reviewer.to_string());
                        }
                    }
                }
                ("POST", ["labels"], true) => {
                    let pull = &mut repo.git.pulls[index];
                    for label in body
                        .get("labels")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !pull.labels.iter().any(|l| l == label) {
                            pull.labels.push(label.to_string());
                        }
                    }
                    let labels: Vec<Value> =
                        pull.labels.iter().map(|l| json!({ "name": l })).collect();
                    return Some((StatusCode::OK, Value::Array(labels)));
                }
                ("POST", ["comments"], true) => {
                    let text = field(body, "body").unwrap_or_default().to_string();
                    repo.git.comments.push((number, text.clone()));
                    return Some((
                        created,
                        json!({ "id": repo.git.comments.len(), "body": text, "user": { "login": "shipshape[bot]" } }),
                    ));
                }
                _ => return None,
            }
            let pull = &repo.git.pulls[index];
            let sha = repo.branch_head(&pull.head).unwrap_or_default();
            let status = if more.is_empty() {
                StatusCode::OK
            } else {
                created
            };
            (status, pull_json(base, full_name, &owner, pull, &sha))
        }
        _ => return None,
    })
}

fn not_found() -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }),
    )
}
