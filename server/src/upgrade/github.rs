//! Where upgrade PRs are written: a small trait over the code host, and
//! GitHub's REST API behind it (through the shared [`GitHubClient`]). A
//! commit is made with the Git data API (blobs, a tree on the base tree, a
//! commit, a ref) without cloning.

use std::collections::BTreeMap;
use std::future::Future;

use http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::integrations::github::{GitHubClient, GitHubError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchHead {
    pub commit: String,
    pub tree: String,
}

/// A pull request as GitHub answers it (the fields Shipshape reads).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PullRequest {
    pub number: i64,
    /// `open` or `closed`.
    pub state: String,
    pub html_url: String,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub closed_at: Option<String>,
}

pub trait CodeHost: Send + Sync {
    fn default_branch(
        &self,
        repo: &str,
    ) -> impl Future<Output = Result<String, GitHubError>> + Send;
    /// `None` when the branch does not exist.
    fn branch_head(
        &self,
        repo: &str,
        branch: &str,
    ) -> impl Future<Output = Result<Option<BranchHead>, GitHubError>> + Send;
    /// Commits `files` (path → new text) on top of `base`; the commit's SHA.
    fn commit_files(
        &self,
        repo: &str,
        base: &BranchHead,
        files: &BTreeMap<String, String>,
        message: &str,
    ) -> impl Future<Output = Result<String, GitHubError>> + Send;
    /// Points `branch` at `commit`, creating it or moving it (forced).
    fn point_branch(
        &self,
        repo: &str,
        branch: &str,
        commit: &str,
        exists: bool,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
    fn open_pull_for(
        &self,
        repo: &str,
        branch: &str,
    ) -> impl Future<Output = Result<Option<PullRequest>, GitHubError>> + Send;
    fn pull(
        &self,
        repo: &str,
        number: i64,
    ) -> impl Future<Output = Result<PullRequest, GitHubError>> + Send;
    fn open_pull(
        &self,
        repo: &str,
        branch: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> impl Future<Output = Result<PullRequest, GitHubError>> + Send;
    fn update_pull(
        &self,
        repo: &str,
        number: i64,
        title: &str,
        body: &str,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
    /// Comments why, then closes.
    fn close_pull(
        &self,
        repo: &str,
        number: i64,
        comment: &str,
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
    fn label_and_request_review(
        &self,
        repo: &str,
        number: i64,
        labels: &[String],
        reviewers: &[String],
    ) -> impl Future<Output = Result<(), GitHubError>> + Send;
}

fn shape(what: &str, error: impl std::fmt::Display) -> GitHubError {
    GitHubError {
        status: None,
        message: format!("GitHub's {what} answer is not in the documented shape: {error}"),
    }
}

fn read<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, GitHubError> {
    serde_json::from_str(text).map_err(|e| shape(what, e))
}

fn sha_of(what: &str, text: &str) -> Result<String, GitHubError> {
    let value: Value = read(what, text)?;
    value
        .get("sha")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| shape(what, "no `sha`"))
}

impl CodeHost for GitHubClient {
    async fn default_branch(&self, repo: &str) -> Result<String, GitHubError> {
        let found = self.repository(repo).await.map_err(|message| GitHubError {
            status: None,
            message,
        })?;
        Ok(found.default_branch.unwrap_or_else(|| "main".into()))
    }

    async fn branch_head(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<BranchHead>, GitHubError> {
        let reference = match self
            .send(
                Method::GET,
                &format!("/repos/{repo}/git/ref/heads/{branch}"),
                None,
                false,
            )
            .await
        {
            Ok(text) => text,
            Err(error) if error.status == Some(404) => return Ok(None),
            Err(error) => return Err(error),
        };
        let reference: Value = read("ref", &reference)?;
        let commit = reference
            .pointer("/object/sha")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("ref", "no `object.sha`"))?
            .to_string();
        let text = self
            .send(
                Method::GET,
                &format!("/repos/{repo}/git/commits/{commit}"),
                None,
                false,
            )
            .await?;
        let detail: Value = read("commit", &text)?;
        let tree = detail
            .pointer("/tree/sha")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("commit", "no `tree.sha`"))?
            .to_string();
        Ok(Some(BranchHead { commit, tree }))
    }

    async fn commit_files(
        &self,
        repo: &str,
        base: &BranchHead,
        files: &BTreeMap<String, String>,
        message: &str,
    ) -> Result<String, GitHubError> {
        let mut entries = Vec::with_capacity(files.len());
        for (path, text) in files {
            let blob = self
                .send(
                    Method::POST,
                    &format!("/repos/{repo}/git/blobs"),
                    Some(&json!({ "content": text, "encoding": "utf-8" })),
                    false,
                )
                .await?;
            let sha = sha_of("blob", &blob)?;
            entries.push(json!({ "path": path, "mode": "100644", "type": "blob", "sha": sha }));
        }
        let tree = self
            .send(
                Method::POST,
                &format!("/repos/{repo}/git/trees"),
                Some(&json!({ "base_tree": base.tree, "tree": entries })),
                false,
            )
            .await?;
        let tree = sha_of("tree", &tree)?;
        let commit = self
            .send(
                Method::POST,
                &format!("/repos/{repo}/git/commits"),
                Some(&json!({ "message": message, "tree": tree, "parents": [base.commit] })),
                false,
            )
            .await?;
        sha_of("commit", &commit)
    }

    async fn point_branch(
        &self,
        repo: &str,
        branch: &str,
        commit: &str,
        exists: bool,
    ) -> Result<(), GitHubError> {
        if exists {
            self.send(
                Method::PATCH,
                &format!("/repos/{repo}/git/refs/heads/{branch}"),
                Some(&json!({ "sha": commit, "force": true })),
                false,
            )
            .await?;
        } else {
            self.send(
                Method::POST,
                &format!("/repos/{repo}/git/refs"),
                Some(&json!({ "ref": format!("refs/heads/{branch}"), "sha": commit })),
                false,
            )
            .await?;
        }
        Ok(())
    }

    async fn open_pull_for(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<PullRequest>, GitHubError> {
        let owner = repo.split('/').next().unwrap_or_default();
        let text = self
            .send(
                Method::GET,
                &format!("/repos/{repo}/pulls?state=open&head={owner}:{branch}&per_page=10"),
                None,
                false,
            )
            .await?;
        let pulls: Vec<PullRequest> = read("pull request list", &text)?;
        Ok(pulls.into_iter().next())
    }

    async fn pull(&self, repo: &str, number: i64) -> Result<PullRequest, GitHubError> {
        let text = self
            .send(
                Method::GET,
                &format!("/repos/{repo}/pulls/{number}"),
                None,
                false,
            )
            .await?;
        read("pull request", &text)
    }

    async fn open_pull(
        &self,
        repo: &str,
        branch: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, GitHubError> {
        let text = self
            .send(
                Method::POST,
                &format!("/repos/{repo}/pulls"),
                Some(&json!({ "title": title, "head": branch, "base": base, "body": body })),
                false,
            )
            .await?;
        read("pull request", &text)
    }

    async fn update_pull(
        &self,
        repo: &str,
        number: i64,
        title: &str,
        body: &str,
    ) -> Result<(), GitHubError> {
        self.send(
            Method::PATCH,
            &format!("/repos/{repo}/pulls/{number}"),
            Some(&json!({ "title": title, "body": body })),
            false,
        )
        .await?;
        Ok(())
    }

    async fn close_pull(&self, repo: &str, number: i64, comment: &str) -> Result<(), GitHubError> {
        self.send(
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/comments"),
            Some(&json!({ "body": comment })),
            false,
        )
        .await?;
        self.send(
            Method::PATCH,
            &format!("/repos/{repo}/pulls/{number}"),
            Some(&json!({ "state": "closed" })),
            false,
        )
        .await?;
        Ok(())
    }

    async fn label_and_request_review(
        &self,
        repo: &str,
        number: i64,
        labels: &[String],
        reviewers: &[String],
    ) -> Result<(), GitHubError> {
        if !labels.is_empty() {
            self.send(
                Method::POST,
                &format!("/repos/{repo}/issues/{number}/labels"),
                Some(&json!({ "labels": labels })),
                false,
            )
            .await?;
        }
        if !reviewers.is_empty() {
            self.send(
                Method::POST,
                &format!("/repos/{repo}/pulls/{number}/requested_reviewers"),
                Some(&json!({ "reviewers": reviewers })),
                false,
            )
            .await?;
        }
        Ok(())
    }
}
