//! A folder on the machine Shipshape runs on (also a git clone's work tree).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use super::{Fetched, RepositoryReader, Snapshot, SourceError, digest_texts};
use crate::deps::discover::find_manifests;
use crate::deps::read::{included_files, paths_of, settle_locks};

/// Folders never worth walking into (their manifests are not the repository's own).
const NOT_WALKED: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
];

/// Manifests bigger than this are not manifests anyone wrote by hand.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub struct LocalFolder {
    pub path: PathBuf,
}

impl RepositoryReader for LocalFolder {
    fn fetch<'a>(
        &'a self,
        known_revision: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            let path = self.path.clone();
            let known = known_revision.map(str::to_string);
            // cargo runs only for a folder whose manifests changed: an
            // unchanged one costs a walk and a digest, not a process.
            let fetched = tokio::task::spawn_blocking(move || {
                let mut snapshot = read_manifests(&path)?;
                if known.as_deref() == Some(snapshot.revision.as_str()) {
                    return Ok(Fetched::Unchanged {
                        revision: snapshot.revision,
                    });
                }
                snapshot.cargo_resolved =
                    super::cargo_metadata::resolve(&path, &snapshot.manifests);
                Ok(Fetched::Changed(snapshot))
            })
            .await
            .map_err(|e| SourceError {
                repository: self.path.display().to_string(),
                reason: format!("reading was interrupted: {e}"),
            })??;
            Ok(fetched)
        })
    }
}

/// Lists and reads a folder's manifests, with cargo's reading of its Cargo
/// manifests (blocking).
pub fn read_folder(root: &Path) -> Result<Snapshot, SourceError> {
    let mut snapshot = read_manifests(root)?;
    snapshot.cargo_resolved = super::cargo_metadata::resolve(root, &snapshot.manifests);
    Ok(snapshot)
}

/// Lists and reads a folder's manifests and lock files (blocking).
fn read_manifests(root: &Path) -> Result<Snapshot, SourceError> {
    let error = |reason: String| SourceError {
        repository: root.display().to_string(),
        reason,
    };
    if !root.is_dir() {
        return Err(error("is not a folder (or cannot be read)".into()));
    }
    let mut paths = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let entries = std::fs::read_dir(root.join(&relative))
            .map_err(|e| error(format!("cannot list {}: {e}", relative.display())))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let child = relative.join(&name);
            if kind.is_dir() {
                if !NOT_WALKED.contains(&name.as_str()) {
                    pending.push(child);
                }
            } else if kind.is_file() {
                paths.push(child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut manifests = find_manifests(paths.iter().map(String::as_str));
    let mut texts = BTreeMap::new();
    for path in paths_of(&manifests) {
        let full = root.join(&path);
        let too_big = std::fs::metadata(&full).is_ok_and(|m| m.len() > MAX_FILE_BYTES);
        if too_big {
            continue; // reported by the reader as a file that could not be fetched
        }
        match std::fs::read_to_string(&full) {
            Ok(text) => {
                texts.insert(path, text);
            }
            Err(e) => return Err(error(format!("cannot read {path}: {e}"))),
        }
    }
    // Files the requirements files include or are constrained by (`-r`,
    // `-c`), a few levels deep; one that is missing is reported by the reader.
    for _ in 0..4 {
        let wanted = included_files(&texts);
        let mut added = false;
        // `included_files` gives only paths inside the repository.
        for path in wanted {
            let full = root.join(&path);
            if std::fs::metadata(&full).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE_BYTES)
                && let Ok(text) = std::fs::read_to_string(&full)
            {
                texts.insert(path, text);
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    settle_locks(&mut manifests, &texts);
    Ok(Snapshot {
        revision: digest_texts(&texts),
        manifests,
        texts,
        cargo_resolved: BTreeMap::new(),
    })
}
