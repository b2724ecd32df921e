//! The registries behind one small trait, and the real client for each
//! ecosystem over HTTP. URLs follow each registry's documentation:
//! - crates.io sparse index: `/{1,2,3/a,ab/cd}/{name}` (lowercased);
//! - npm: `/{name}` with a scope's slash escaped (`@types%2fnode`), asking
//!   for the full packument (the abbreviated one has no `time`);
//! - PyPI: `/pypi/{name}/json`;
//! - Go proxy: `/{module}/@v/list` and `/{module}/@v/{version}.info`, with
//!   capitals escaped as `!` + lowercase;
//! - RubyGems: `/api/v1/versions/{name}.json`;
//! - Maven: `/{group as path}/{artifact}/maven-metadata.xml`.

use std::sync::Arc;

use futures::future::{BoxFuture, join_all};

use super::answers::{self, PackageInfo};
use crate::deps::drift::Release;
use crate::deps::model::Ecosystem;
use crate::deps::version::{GoScheme, VersionScheme};
use crate::integrations::registry::{CountersSnapshot, FetchError, Fetcher};

pub trait Registry: Send + Sync {
    fn ecosystem(&self) -> Ecosystem;
    /// The registry as shown to people: "npm registry (https://…)".
    fn describe(&self) -> &str;
    /// What the registry knows of `name`. `in_use` are the versions the
    /// fleet uses (the Go proxy dates each version with a request of its own).
    fn package<'a>(
        &'a self,
        name: &'a str,
        in_use: &'a [String],
    ) -> BoxFuture<'a, Result<Arc<PackageInfo>, FetchError>>;
    fn counters(&self) -> CountersSnapshot;
    /// Makes the next refresh revalidate every cached answer.
    fn expire_cache(&self);
}

type ParseAnswer = fn(&str) -> Result<PackageInfo, String>;

pub struct HttpRegistry {
    ecosystem: Ecosystem,
    base: String,
    fetcher: Fetcher,
}

pub fn default_base_url(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Cargo => "https://index.crates.io",
        Ecosystem::Npm => "https://registry.npmjs.org",
        Ecosystem::Python => "https://pypi.org",
        Ecosystem::Go => "https://proxy.golang.org",
        Ecosystem::Ruby => "https://rubygems.org",
        Ecosystem::Maven => "https://repo.maven.apache.org/maven2",
    }
}

pub fn registry_name(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Cargo => "crates.io index",
        Ecosystem::Npm => "npm registry",
        Ecosystem::Python => "PyPI",
        Ecosystem::Go => "Go module proxy",
        Ecosystem::Ruby => "RubyGems",
        Ecosystem::Maven => "Maven repository",
    }
}

impl HttpRegistry {
    pub fn new(ecosystem: Ecosystem, base: &str, fetcher: Fetcher) -> Self {
        HttpRegistry {
            ecosystem,
            base: base.trim_end_matches('/').to_string(),
            fetcher,
        }
    }

    async fn go_package(&self, name: &str, in_use: &[String]) -> Result<PackageInfo, FetchError> {
        let module = go_escape(name);
        let list = self
            .fetcher
            .get(
                &format!("{}/{module}/@v/list", self.base),
                "text/plain",
                false,
                answers::go_version_list,
            )
            .await?;
        let scheme = GoScheme;
        let newest_stable = list
            .iter()
            .filter_map(|v| scheme.parse_version(v).ok())
            .filter(|v| !scheme.is_prerelease(v))
            .max()
            .map(|v| v.to_string());
        let mut to_date: Vec<&str> = in_use.iter().map(String::as_str).collect();
        to_date.extend(newest_stable.as_deref());
        to_date.sort_unstable();
        to_date.dedup();
        // A version's `.info` never changes: each is fetched once, ever.
        let info_urls: Vec<String> = to_date
            .iter()
            .map(|version| format!("{}/{module}/@v/{version}.info", self.base))
            .collect();
        let dated = join_all(info_urls.iter().map(|url| {
            self.fetcher
                .get(url, "application/json", true, answers::go_version_info)
        }))
        .await;
        let mut releases: Vec<Release> = list
            .iter()
            .map(|version| Release {
                version: version.clone(),
                published_ms: None,
                yanked: false,
            })
            .collect();
        for info in dated.into_iter().flatten() {
            match releases.iter_mut().find(|r| r.version == info.version) {
                Some(release) => release.published_ms = info.published_ms,
                // A version in use that the list leaves out (a pseudo-version).
                None => releases.push(info.as_ref().clone()),
            }
        }
        Ok(PackageInfo {
            releases,
            ..PackageInfo::default()
        })
    }
}

impl Registry for HttpRegistry {
    fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    fn describe(&self) -> &str {
        self.fetcher.registry()
    }

    fn package<'a>(
        &'a self,
        name: &'a str,
        in_use: &'a [String],
    ) -> BoxFuture<'a, Result<Arc<PackageInfo>, FetchError>> {
        Box::pin(async move {
            let base = &self.base;
            let (url, accept, parse): (String, &str, ParseAnswer) = match self.ecosystem {
                Ecosystem::Cargo => (
                    format!("{base}/{}", cargo_index_path(name)),
                    "text/plain",
                    answers::crates_index,
                ),
                Ecosystem::Npm => (
                    format!("{base}/{}", npm_escape(name)),
                    "application/json",
                    answers::npm_packument,
                ),
                Ecosystem::Python => (
                    format!("{base}/pypi/{name}/json"),
                    "application/json",
                    answers::pypi_json,
                ),
                Ecosystem::Ruby => (
                    format!("{base}/api/v1/versions/{name}.json"),
                    "application/json",
                    answers::rubygems_versions,
                ),
                Ecosystem::Maven => (
                    format!("{base}/{}/maven-metadata.xml", maven_path(name)),
                    "application/xml",
                    answers::maven_metadata,
                ),
                Ecosystem::Go => return self.go_package(name, in_use).await.map(Arc::new),
            };
            self.fetcher.get(&url, accept, false, parse).await
        })
    }

    fn counters(&self) -> CountersSnapshot {
        self.fetcher.counters.snapshot()
    }

    fn expire_cache(&self) {
        self.fetcher.expire_cache();
    }
}

/// The sparse index's path of a crate (lowercased, as the index stores them).
pub fn cargo_index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

fn npm_escape(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

/// The Go proxy's case encoding: `github.com/Azure/x` → `github.com/!azure/x`.
pub fn go_escape(module: &str) -> String {
    let mut escaped = String::with_capacity(module.len());
    for c in module.chars() {
        if c.is_ascii_uppercase() {
            escaped.push('!');
            escaped.push(c.to_ascii_lowercase());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// `org.slf4j:slf4j-api` → `org/slf4j/slf4j-api`.
fn maven_path(name: &str) -> String {
    match name.split_once(':') {
        Some((group, artifact)) => format!("{}/{artifact}", group.replace('.', "/")),
        None => name.replace('.', "/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_index_paths_follow_the_documented_layout() {
        assert_eq!(cargo_index_path("a"), "1/a");
        assert_eq!(cargo_index_path("cc"), "2/cc");
        assert_eq!(cargo_index_path("syn"), "3/s/syn");
        assert_eq!(cargo_index_path("Serde_JSON"), "se/rd/serde_json");
    }

    #[test]
    fn names_are_escaped_as_each_registry_documents() {
        assert_eq!(npm_escape("@types/node"), "@types%2fnode");
        assert_eq!(npm_escape("react"), "react");
        assert_eq!(
            go_escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert_eq!(
            maven_path("com.fasterxml.jackson.core:jackson-databind"),
            "com/fasterxml/jackson/core/jackson-databind"
        );
    }
}
