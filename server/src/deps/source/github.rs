//! A GitHub repository read through the shared client without cloning:
//! the repository (for its default branch), the recursive tree of that
//! branch, then the blobs of the manifests and lock files only.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::future::{BoxFuture, join_all};

use super::{Fetched, RepositoryReader, Snapshot, SourceError};
use crate::deps::discover::{ManifestFile, find_manifests};
use crate::deps::read::{included_files, paths_of, settle_locks};
use crate::integrations::github::GitHubClient;

/// A repository read through a shared [`GitHubClient`].
pub struct GitHubRepository {
    pub client: Arc<GitHubClient>,
    pub full_name: String,
}

impl GitHubRepository {
    /// Reads the manifests of the repository's default branch; `Unchanged`
    /// when its tree is the one read last time.
    async fn snapshot(&self, known_revision: Option<&str>) -> Result<Fetched, String> {
        let (client, full_name) = (self.client.as_ref(), self.full_name.as_str());
        let repo = client.repository(full_name).await?;
        let branch = repo.default_branch.unwrap_or_else(|| "main".into());
        let tree = client.tree(full_name, &branch).await?;
        if known_revision == Some(tree.sha.as_str()) {
            return Ok(Fetched::Unchanged { revision: tree.sha });
        }
        let shas: HashMap<&str, &str> = tree.files().collect();
        let mut manifests: Vec<ManifestFile> = find_manifests(shas.keys().copied());
        let wanted = paths_of(&manifests);
        let shas = &shas;
        let texts = join_all(wanted.iter().map(|path| async move {
            let sha = shas.get(path.as_str()).copied().unwrap_or_default();
            (path.clone(), client.blob(full_name, sha).await)
        }))
        .await;
        let mut files = BTreeMap::new();
        for (path, text) in texts {
            files.insert(path, text?);
        }
        // Files the requirements files include (`-r`, `-c`), a few levels deep.
        for _ in 0..4 {
            let wanted: Vec<String> = included_files(&files)
                .into_iter()
                .filter(|path| shas.contains_key(path.as_str()))
                .collect();
            if wanted.is_empty() {
                break;
            }
            let fetched = join_all(wanted.iter().map(|path| async move {
                let sha = shas.get(path.as_str()).copied().unwrap_or_default();
                (path.clone(), client.blob(full_name, sha).await)
            }))
            .await;
            for (path, text) in fetched {
                files.insert(path, text?);
            }
        }
        settle_locks(&mut manifests, &files);
        Ok(Fetched::Changed(Snapshot {
            revision: tree.sha.clone(),
            manifests,
            texts: files,
            // Nothing is on disk for cargo to read: the TOML reading decides.
            cargo_resolved: BTreeMap::new(),
        }))
    }
}

impl RepositoryReader for GitHubRepository {
    fn fetch<'a>(
        &'a self,
        known_revision: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            self.snapshot(known_revision)
                .await
                .map_err(|reason| SourceError {
                    repository: format!("github:{}", self.full_name),
                    reason,
                })
        })
    }
}
