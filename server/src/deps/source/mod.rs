//! Where a repository's manifests come from. Each source lists the
//! repository's files, names its revision, and hands over the text of the
//! manifests and lock files only; a revision the caller already has is
//! answered with `Unchanged` so that nothing is read or parsed again.

pub mod cargo_metadata;
pub mod git;
pub mod github;
pub mod local;

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use super::discover::ManifestFile;
use super::model::DeclaredDependency;

/// A repository as read from its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// A commit, a tree SHA, or a digest of a local folder's manifests.
    pub revision: String,
    pub manifests: Vec<ManifestFile>,
    /// Path → text of every manifest and lock file in `manifests`.
    pub texts: BTreeMap<String, String>,
    /// Cargo manifest path → its dependencies as `cargo metadata` gave them,
    /// for repositories on disk where cargo could run (empty otherwise).
    pub cargo_resolved: BTreeMap<String, Vec<DeclaredDependency>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// Still at the revision the caller has.
    Unchanged {
        revision: String,
    },
    Changed(Snapshot),
}

/// Why a repository could not be read; said so the owner can act.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{repository}: {reason}")]
pub struct SourceError {
    /// The repository as configured, without credentials.
    pub repository: String,
    pub reason: String,
}

pub trait RepositoryReader: Send + Sync {
    /// Reads the repository; `known_revision` is the one already stored.
    fn fetch<'a>(
        &'a self,
        known_revision: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, SourceError>>;
}

/// FNV-1a of `bytes` as 16 hex digits: a stable name for content, not a
/// defence against anyone.
pub(crate) fn fnv1a_hex(bytes: impl IntoIterator<Item = u8>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// A local folder's revision: a digest of its manifests' paths and texts.
pub(crate) fn digest_texts(texts: &BTreeMap<String, String>) -> String {
    fnv1a_hex(
        texts
            .iter()
            .flat_map(|(path, text)| path.bytes().chain([0]).chain(text.bytes()).chain([0])),
    )
}
