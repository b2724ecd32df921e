//! What a manifest declares, independent of the ecosystem.

pub use shipshape_types::drift::{DependencyKind, Ecosystem};

/// One dependency as a manifest declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredDependency {
    /// The name the registry knows (after Cargo's `package = ` renames).
    pub name: String,
    /// The requirement as written (`^1.2`, `~=2.6`, …); `None` when the
    /// manifest gives none (Cargo's `*`, a bare Gemfile entry).
    pub requirement: Option<String>,
    pub kind: DependencyKind,
    pub optional: bool,
    /// Where it comes from when not from the ecosystem's registry (a path or
    /// git dependency); such dependencies have no drift to measure.
    pub non_registry_source: Option<String>,
}

/// A problem with one manifest, said so a person can find and fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ManifestError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Reads TOML text into `T`; a syntax or shape error becomes a
/// `ManifestError` with the file, the line and `what` went wrong.
pub fn from_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    what: &str,
) -> Result<T, ManifestError> {
    toml::from_str(text).map_err(|e: toml::de::Error| ManifestError {
        file: file.to_string(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: format!("{what}: {}", e.message().trim()),
    })
}

/// Line (from 1) of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}
