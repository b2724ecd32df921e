//! What each registry answers, as releases. Shapes as documented:
//! - crates.io sparse index: one JSON object per line, `vers`, `yanked`, `pubtime`;
//! - npm packument: `versions` (with `deprecated`), `time`, `dist-tags`;
//! - PyPI JSON API: `releases` with files (`upload_time_iso_8601`, `yanked`), `vulnerabilities`;
//! - Go module proxy: `@v/list` (one version a line) and `@v/VERSION.info` (`Version`, `Time`);
//! - RubyGems: `/api/v1/versions/NAME.json`, an array with `number`, `created_at`, `platform`;
//! - Maven: `maven-metadata.xml` with `<versioning><versions>` (no dates).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::time::parse_rfc3339_ms;
use crate::deps::drift::Release;

/// What a registry knows of a package beyond its releases.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackageInfo {
    pub releases: Vec<Release>,
    /// Versions with a deprecation message (npm).
    pub deprecated: BTreeMap<String, String>,
    pub advisories: Vec<Advisory>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: String,
    /// Versions that fix it (PyPI's `fixed_in`).
    pub fixed_in: Vec<String>,
}

fn garbage(registry: &str, detail: impl std::fmt::Display) -> String {
    format!("the {registry} answer is not in the documented shape: {detail}")
}

/// A file of the crates.io sparse index.
pub fn crates_index(body: &str) -> Result<PackageInfo, String> {
    #[derive(Deserialize)]
    struct Line {
        vers: String,
        #[serde(default)]
        yanked: bool,
        pubtime: Option<String>,
    }
    let mut releases = Vec::new();
    for (index, line) in body
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: Line = serde_json::from_str(line)
            .map_err(|e| garbage("crates.io index", format!("line {}: {e}", index + 1)))?;
        releases.push(Release {
            published_ms: line.pubtime.as_deref().and_then(parse_rfc3339_ms),
            version: line.vers,
            yanked: line.yanked,
        });
    }
    Ok(PackageInfo {
        releases,
        ..PackageInfo::default()
    })
}

/// An npm packument (the full document, which carries `time`).
pub fn npm_packument(body: &str) -> Result<PackageInfo, String> {
    let document: Value = serde_json::from_str(body).map_err(|e| garbage("npm registry", e))?;
    let versions = document
        .get("versions")
        .and_then(Value::as_object)
        .ok_or_else(|| garbage("npm registry", "no `versions` object"))?;
    let times = document.get("time").and_then(Value::as_object);
    let mut info = PackageInfo::default();
    for (version, manifest) in versions {
        if let Some(message) = manifest
            .get("deprecated")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
        {
            info.deprecated.insert(version.clone(), message.to_string());
        }
        info.releases.push(Release {
            version: version.clone(),
            published_ms: times
                .and_then(|t| t.get(version))
                .and_then(Value::as_str)
                .and_then(parse_rfc3339_ms),
            // Unpublished versions disappear from `versions`; there is no yank.
            yanked: false,
        });
    }
    Ok(info)
}

/// PyPI's `/pypi/NAME/json`.
pub fn pypi_json(body: &str) -> Result<PackageInfo, String> {
    #[derive(Deserialize)]
    struct File {
        upload_time_iso_8601: Option<String>,
        #[serde(default)]
        yanked: bool,
    }
    #[derive(Deserialize)]
    struct Vulnerability {
        id: String,
        #[serde(default)]
        aliases: Vec<String>,
        #[serde(default)]
        summary: Option<String>,
        #[serde(default)]
        details: Option<String>,
        #[serde(default)]
        fixed_in: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        releases: BTreeMap<String, Vec<File>>,
        #[serde(default)]
        vulnerabilities: Vec<Vulnerability>,
    }
    let answer: Answer = serde_json::from_str(body).map_err(|e| garbage("PyPI", e))?;
    let releases = answer
        .releases
        .into_iter()
        // A release without files cannot be installed.
        .filter(|(_, files)| !files.is_empty())
        .map(|(version, files)| Release {
            published_ms: files
                .iter()
                .filter_map(|f| f.upload_time_iso_8601.as_deref().and_then(parse_rfc3339_ms))
                .min(),
            yanked: files.iter().all(|f| f.yanked),
            version,
        })
        .collect();
    let advisories = answer
        .vulnerabilities
        .into_iter()
        .map(|v| Advisory {
            summary: v.summary.or(v.details).unwrap_or_default(),
            id: v.id,
            aliases: v.aliases,
            fixed_in: v.fixed_in,
        })
        .collect();
    Ok(PackageInfo {
        releases,
        advisories,
        ..PackageInfo::default()
    })
}

/// The Go proxy's `@v/list`: versions, one a line (pseudo-versions are not listed).
pub fn go_version_list(body: &str) -> Result<Vec<String>, String> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if l.starts_with('v') && !l.contains(char::is_whitespace) {
                Ok(l.to_string())
            } else {
                Err(garbage("Go proxy list", format!("`{l}` is not a version")))
            }
        })
        .collect()
}

/// The Go proxy's `@v/VERSION.info`.
pub fn go_version_info(body: &str) -> Result<Release, String> {
    #[derive(Deserialize)]
    struct Info {
        #[serde(rename = "Version")]
        version: String,
        #[serde(rename = "Time")]
        time: Option<String>,
    }
    let info: Info = serde_json::from_str(body).map_err(|e| garbage("Go proxy info", e))?;
    Ok(Release {
        published_ms: info.time.as_deref().and_then(parse_rfc3339_ms),
        version: info.version,
        yanked: false,
    })
}

/// RubyGems' versions API. Platform builds of one version (`x86_64-linux`)
/// are one release, dated by the earliest build.
pub fn rubygems_versions(body: &str) -> Result<PackageInfo, String> {
    #[derive(Deserialize)]
    struct Entry {
        number: String,
        created_at: Option<String>,
    }
    let entries: Vec<Entry> = serde_json::from_str(body).map_err(|e| garbage("RubyGems", e))?;
    let mut by_number: BTreeMap<String, Option<i64>> = BTreeMap::new();
    for entry in entries {
        let published = entry.created_at.as_deref().and_then(parse_rfc3339_ms);
        let slot = by_number.entry(entry.number).or_insert(published);
        *slot = match (*slot, published) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let releases = by_number
        .into_iter()
        .map(|(version, published_ms)| Release {
            version,
            published_ms,
            yanked: false,
        })
        .collect();
    Ok(PackageInfo {
        releases,
        ..PackageInfo::default()
    })
}

/// `maven-metadata.xml`: versions without dates.
pub fn maven_metadata(body: &str) -> Result<PackageInfo, String> {
    let document = roxmltree::Document::parse(body).map_err(|e| garbage("Maven repository", e))?;
    let versions = document
        .descendants()
        .find(|n| n.has_tag_name("versions"))
        .ok_or_else(|| garbage("Maven repository", "no <versioning><versions>"))?;
    let releases = versions
        .children()
        .filter(|n| n.has_tag_name("version"))
        .filter_map(|n| n.text())
        .map(|v| Release {
            version: v.trim().to_string(),
            published_ms: None,
            yanked: false,
        })
        .collect();
    Ok(PackageInfo {
        releases,
        ..PackageInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_index_lines() {
        let body = concat!(
            r#"{"name":"serde","vers":"1.0.197","deps":[],"cksum":"ab","features":{},"yanked":false,"links":null,"v":2,"pubtime":"2024-02-20T02:46:10Z"}"#,
            "\n",
            r#"{"name":"serde","vers":"1.0.198","deps":[],"cksum":"cd","features":{},"yanked":true}"#,
            "\n"
        );
        let info = crates_index(body).expect("index");
        assert_eq!(info.releases.len(), 2);
        assert_eq!(
            info.releases[0].published_ms,
            parse_rfc3339_ms("2024-02-20T02:46:10Z")
        );
        assert!(info.releases[1].yanked);
        assert_eq!(
            info.releases[1].published_ms, None,
            "older lines carry no pubtime"
        );
        assert!(
            crates_index("{\"vers\": 1}\n")
                .expect_err("garbage")
                .contains("line 1")
        );
    }

    #[test]
    fn npm_packument_times_and_deprecations() {
        let body = r#"{"name":"request","dist-tags":{"latest":"2.88.2"},
            "versions":{"2.88.0":{"name":"request"},"2.88.2":{"name":"request","deprecated":"request has been deprecated"}},
            "time":{"created":"2011-01-22T02:27:16.000Z","2.88.0":"2018-08-10T19:51:09.000Z","2.88.2":"2020-02-11T16:35:38.000Z"}}"#;
        let info = npm_packument(body).expect("packument");
        assert_eq!(info.releases.len(), 2);
        assert_eq!(info.deprecated["2.88.2"], "request has been deprecated");
        assert!(info.releases.iter().all(|r| r.published_ms.is_some()));
        assert!(npm_packument("<html>rate limited</html>").is_err());
        assert!(
            npm_packument("{}")
                .expect_err("shape")
                .contains("no `versions`")
        );
    }

    #[test]
    fn pypi_releases_yanks_and_vulnerabilities() {
        let body = r#"{"info":{"name":"Django"},
            "releases":{
              "4.2.10":[{"upload_time_iso_8601":"2024-02-06T13:54:50.123456Z","yanked":false},{"upload_time_iso_8601":"2024-02-06T13:54:40.000Z","yanked":false}],
              "4.2.9":[{"upload_time_iso_8601":"2024-01-02T10:00:00Z","yanked":true}],
              "9.9":[]},
            "vulnerabilities":[{"id":"PYSEC-2024-1","aliases":["CVE-2024-24680"],"details":"DoS in intcomma","fixed_in":["4.2.10"]}]}"#;
        let info = pypi_json(body).expect("pypi");
        assert_eq!(
            info.releases.len(),
            2,
            "a release without files is left out"
        );
        let latest = info
            .releases
            .iter()
            .find(|r| r.version == "4.2.10")
            .expect("4.2.10");
        assert_eq!(
            latest.published_ms,
            parse_rfc3339_ms("2024-02-06T13:54:40Z"),
            "the earliest upload dates it"
        );
        assert!(
            info.releases
                .iter()
                .find(|r| r.version == "4.2.9")
                .expect("4.2.9")
                .yanked
        );
        assert_eq!(info.advisories[0].aliases, ["CVE-2024-24680"]);
        assert_eq!(info.advisories[0].summary, "DoS in intcomma");
    }

    #[test]
    fn go_proxy_answers() {
        assert_eq!(
            go_version_list("v1.0.0\nv1.1.0\n\n").expect("list"),
            ["v1.0.0", "v1.1.0"]
        );
        assert!(go_version_list("not found").is_err());
        let info =
            go_version_info(r#"{"Version":"v5.5.5","Time":"2024-03-04T14:40:48Z"}"#).expect("info");
        assert_eq!(info.version, "v5.5.5");
        assert!(info.published_ms.is_some());
    }

    #[test]
    fn rubygems_platform_builds_are_one_release() {
        let body = r#"[{"number":"1.16.2","created_at":"2024-02-04T22:23:11.000Z","platform":"x86_64-linux","prerelease":false},
                      {"number":"1.16.2","created_at":"2024-02-04T22:20:00.000Z","platform":"ruby","prerelease":false},
                      {"number":"1.16.0.rc1","created_at":"2023-12-01T00:00:00.000Z","platform":"ruby","prerelease":true}]"#;
        let info = rubygems_versions(body).expect("gems");
        assert_eq!(info.releases.len(), 2);
        let release = info
            .releases
            .iter()
            .find(|r| r.version == "1.16.2")
            .expect("1.16.2");
        assert_eq!(
            release.published_ms,
            parse_rfc3339_ms("2024-02-04T22:20:00Z")
        );
    }

    #[test]
    fn maven_metadata_versions() {
        let body = "<metadata><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><versioning><latest>42.7.3</latest><release>42.7.3</release><versions><version>42.7.2</version><version>42.7.3</version></versions><lastUpdated>20240314080310</lastUpdated></versioning></metadata>";
        let info = maven_metadata(body).expect("metadata");
        let versions: Vec<&str> = info.releases.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(versions, ["42.7.2", "42.7.3"]);
        assert!(maven_metadata("<metadata/>").is_err());
        assert!(maven_metadata("not xml").is_err());
    }
}
