//! Golden tests: real-looking manifests with comments and odd formatting,
//! edited, compared byte for byte with the expected text, then parsed back
//! by Shipshape's own readers to exactly the intended requirements.

use std::collections::BTreeMap;

use super::*;
use crate::deps::manifest::{cargo, go, maven, npm, python, ruby};
use crate::deps::model::{DeclaredDependency, DependencyKind};

fn manifest(ecosystem: Ecosystem, path: &str) -> ManifestFile {
    ManifestFile {
        ecosystem,
        path: path.into(),
        lock: None,
        lock_note: None,
    }
}

fn bumps(list: &[(&str, &str)]) -> Vec<ManifestBump> {
    list.iter()
        .map(|(name, target)| ManifestBump {
            name: (*name).into(),
            target: (*target).into(),
        })
        .collect()
}

fn requirements(declared: &[DeclaredDependency]) -> BTreeMap<String, Option<String>> {
    declared
        .iter()
        .map(|d| (format!("{}/{:?}", d.name, d.kind), d.requirement.clone()))
        .collect()
}

/// Everything parsed before and after is the same except `changed`.
fn only_changed(
    before: &[DeclaredDependency],
    after: &[DeclaredDependency],
    changed: &[(&str, &str)],
) {
    let mut expected = requirements(before);
    for (key, requirement) in changed {
        assert!(
            expected.contains_key(*key),
            "{key} is not declared; have {expected:?}"
        );
        expected.insert((*key).to_string(), Some((*requirement).to_string()));
    }
    assert_eq!(requirements(after), expected);
}

const CARGO_TOML: &str = r#"[package]
name = "checkout"   # the service
version = "0.3.0"

[dependencies]
# HTTP
axum = { version = "0.7.5", features = ["macros"] }   # keep macros
serde   =   "1.0.190"
tokio = {version="1.36",features=["full"]}
renamed = { package = "uuid", version = '1.4' }
local = { path = "../local" }
anyhow = "*"

[dev-dependencies]
serde = "1.0.150"

[target.'cfg(unix)'.dependencies.nix]
version = "0.27.1"
default-features = false
"#;

#[test]
fn cargo_toml_changes_only_version_text() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Cargo, "Cargo.toml"),
        CARGO_TOML,
        &bumps(&[
            ("axum", "0.8.1"),
            ("serde", "1.0.210"),
            ("uuid", "1.10.0"),
            ("nix", "0.29.0"),
            ("anyhow", "1.0.90"),
        ]),
    )
    .expect("edits");
    let expected = CARGO_TOML
        .replace(r#"version = "0.7.5""#, r#"version = "0.8.1""#)
        .replace(r#""1.0.190""#, r#""1.0.210""#)
        .replace(r#"serde = "1.0.150""#, r#"serde = "1.0.210""#)
        .replace("version = '1.4'", "version = '1.10'")
        .replace(r#"version = "0.27.1""#, r#"version = "0.29.0""#);
    assert_eq!(edited.text, expected);
    assert_eq!(
        edited.lock_only.len(),
        1,
        "anyhow = \"*\" moves in the lock only"
    );
    assert!(edited.blocked.is_empty(), "{:?}", edited.blocked);

    let before = cargo::parse_manifest("Cargo.toml", CARGO_TOML, None).expect("parses");
    let after = cargo::parse_manifest("Cargo.toml", &edited.text, None).expect("parses back");
    only_changed(
        &before.dependencies,
        &after.dependencies,
        &[
            ("axum/Normal", "0.8.1"),
            ("serde/Normal", "1.0.210"),
            ("serde/Dev", "1.0.210"),
            ("uuid/Normal", "1.10"),
            ("nix/Normal", "0.29.0"),
        ],
    );
}

const PACKAGE_JSON: &str = r#"{
  "name": "storefront",
  "scripts": { "build": "vite build", "note": "react is \"great\"" },
  "dependencies": {
    "react":   "^18.2.0",
    "lodash": "4.17.20",
    "left-pad": "file:../left-pad",
    "my-fetch": "npm:node-fetch@^2.6.1"
  },
  "devDependencies" : {"vite":"~5.0.10", "typescript": "5.3.x"}
}
"#;

#[test]
fn package_json_keeps_order_and_spacing() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Npm, "web/package.json"),
        PACKAGE_JSON,
        &bumps(&[
            ("react", "19.0.0"),
            ("lodash", "4.17.21"),
            ("node-fetch", "3.3.2"),
            ("vite", "5.4.11"),
            ("typescript", "5.7.2"),
        ]),
    )
    .expect("edits");
    let expected = PACKAGE_JSON
        .replace(r#""^18.2.0""#, r#""^19.0.0""#)
        .replace(r#""4.17.20""#, r#""4.17.21""#)
        .replace("node-fetch@^2.6.1", "node-fetch@^3.3.2")
        .replace(r#""~5.0.10""#, r#""~5.4.11""#)
        .replace(r#""5.3.x""#, r#""5.7.x""#);
    assert_eq!(edited.text, expected);
    assert!(edited.blocked.is_empty(), "{:?}", edited.blocked);

    let before = npm::parse_manifest("package.json", PACKAGE_JSON).expect("parses");
    let after = npm::parse_manifest("package.json", &edited.text).expect("parses back");
    only_changed(
        &before.dependencies,
        &after.dependencies,
        &[
            ("react/Normal", "^19.0.0"),
            ("lodash/Normal", "4.17.21"),
            ("node-fetch/Normal", "^3.3.2"),
            ("vite/Dev", "~5.4.11"),
            ("typescript/Dev", "5.7.x"),
        ],
    );
}

#[test]
fn a_wildcard_keeps_its_place() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Npm, "package.json"),
        PACKAGE_JSON,
        &bumps(&[("typescript", "6.0.1")]),
    )
    .expect("edits");
    assert!(
        edited.text.contains(r#""typescript": "6.0.x""#),
        "{}",
        edited.text
    );
}

const REQUIREMENTS_TXT: &str = "# production pins\n\
requests==2.28.1  # HTTP\n\
Django >= 4.1, < 5   # range: left alone\n\
urllib3[socks]==1.26.5 ; python_version < \"3.12\"\n\
-r base.txt\n\
certifi==2023.7.22 --hash=sha256:abc\n\
";

#[test]
fn requirements_txt_line_edits() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Python, "requirements.txt"),
        REQUIREMENTS_TXT,
        &bumps(&[
            ("requests", "2.32.3"),
            ("django", "5.1.3"),
            ("urllib3", "2.2.3"),
            ("certifi", "2024.8.30"),
        ]),
    )
    .expect("edits");
    let expected = REQUIREMENTS_TXT
        .replace("requests==2.28.1", "requests==2.32.3")
        .replace("urllib3[socks]==1.26.5", "urllib3[socks]==2.2.3");
    assert_eq!(edited.text, expected);
    let blocked: Vec<&str> = edited.blocked.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(blocked, ["django", "certifi"]);
    assert!(edited.blocked[1].1.contains("--hash"));

    let read = |text| {
        python::parse_requirements_txt("requirements.txt", text, DependencyKind::Normal)
            .expect("parses")
            .dependencies
    };
    only_changed(
        &read(REQUIREMENTS_TXT),
        &read(&edited.text),
        &[
            ("requests/Normal", "==2.32.3"),
            ("urllib3/Normal", "==2.2.3"),
        ],
    );
}

const PYPROJECT: &str = r#"[project]
name = "ledger"
dependencies = [
    "httpx >= 0.25",      # client
    'pydantic[email]~=2.5',
]

[project.optional-dependencies]
test = ["pytest==7.4.3"]

[tool.poetry.dependencies]
python = "^3.11"
rich = { version = "^13.5", optional = true }
"#;

#[test]
fn pyproject_keeps_quotes_and_comments() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Python, "pyproject.toml"),
        PYPROJECT,
        &bumps(&[
            ("httpx", "0.28.1"),
            ("pydantic", "2.10.3"),
            ("pytest", "8.3.4"),
            ("rich", "13.9.4"),
        ]),
    )
    .expect("edits");
    let expected = PYPROJECT
        .replace("httpx >= 0.25", "httpx >= 0.28")
        .replace("'pydantic[email]~=2.5'", "'pydantic[email]~=2.10'")
        .replace("pytest==7.4.3", "pytest==8.3.4")
        .replace(r#"version = "^13.5""#, r#"version = "^13.9""#);
    assert_eq!(edited.text, expected);
    let before = python::parse_pyproject("pyproject.toml", PYPROJECT).expect("parses");
    let after = python::parse_pyproject("pyproject.toml", &edited.text).expect("parses back");
    let after_names = requirements(&after);
    assert_eq!(after_names.len(), requirements(&before).len());
    assert_eq!(after_names["httpx/Normal"].as_deref(), Some(">=0.28"));
    assert_eq!(after_names["pydantic/Normal"].as_deref(), Some("~=2.10"));
}

const GO_MOD: &str = "module example.com/payments\n\n\
go 1.22\n\n\
require github.com/google/uuid v1.4.0\n\n\
require (\n\
\tgithub.com/stretchr/testify v1.8.4 // tests\n\
\tgolang.org/x/net v0.19.0 // indirect\n\
\tgithub.com/jackc/pgx/v5 v5.5.0\n\
)\n";

#[test]
fn go_mod_moves_versions_but_not_module_paths() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Go, "go.mod"),
        GO_MOD,
        &bumps(&[
            ("github.com/google/uuid", "v1.6.0"),
            ("golang.org/x/net", "v0.31.0"),
            ("github.com/stretchr/testify", "v2.0.0"),
        ]),
    )
    .expect("edits");
    let expected = GO_MOD
        .replace("uuid v1.4.0", "uuid v1.6.0")
        .replace("net v0.19.0", "net v0.31.0");
    assert_eq!(edited.text, expected);
    assert_eq!(edited.blocked.len(), 1);
    assert!(edited.blocked[0].1.contains("/v2"), "{:?}", edited.blocked);
    let read = |text| -> Vec<DeclaredDependency> {
        go::parse_go_mod("go.mod", text)
            .expect("parses")
            .dependencies
            .into_iter()
            .map(|r| r.declared)
            .collect()
    };
    only_changed(
        &read(GO_MOD),
        &read(&edited.text),
        &[
            ("github.com/google/uuid/Normal", "v1.6.0"),
            ("golang.org/x/net/Normal", "v0.31.0"),
        ],
    );
}

const GEMFILE: &str = "source \"https://rubygems.org\"\n\n\
gem \"rails\", \"~> 7.0.4\"\n\
gem 'puma', '>= 5.0', '< 7' # range\n\
gem \"pg\"\n\
group :development, :test do\n  \
gem \"rspec-rails\", \"6.0.3\", require: false\n\
end\n";

#[test]
fn gemfile_line_edits() {
    let edited = edit_manifest(
        &manifest(Ecosystem::Ruby, "Gemfile"),
        GEMFILE,
        &bumps(&[
            ("rails", "7.2.2"),
            ("puma", "6.4.3"),
            ("pg", "1.5.9"),
            ("rspec-rails", "7.1.0"),
        ]),
    )
    .expect("edits");
    let expected = GEMFILE
        .replace("~> 7.0.4", "~> 7.2.2")
        .replace("\"6.0.3\"", "\"7.1.0\"");
    assert_eq!(edited.text, expected);
    assert_eq!(edited.lock_only.len(), 1, "pg names no version");
    assert_eq!(edited.blocked.len(), 1, "puma is a range");
    let read = |text| ruby::parse_gemfile("Gemfile", text).expect("parses");
    only_changed(
        &read(GEMFILE),
        &read(&edited.text),
        &[("rails/Normal", "~> 7.2.2"), ("rspec-rails/Dev", "7.1.0")],
    );
}

const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project>
  <groupId>com.example</groupId>
  <artifactId>orders</artifactId>
  <version>1.0.0</version>
  <properties>
    <jackson.version>2.15.2</jackson.version>  <!-- shared -->
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-core</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>
        2.0.7
      </version>
    </dependency>
  </dependencies>
</project>
"#;

#[test]
fn pom_edits_versions_and_shared_properties_together() {
    let pom = manifest(Ecosystem::Maven, "pom.xml");
    let edited = edit_manifest(
        &pom,
        POM,
        &bumps(&[
            ("com.fasterxml.jackson.core:jackson-databind", "2.18.2"),
            ("com.fasterxml.jackson.core:jackson-core", "2.18.2"),
            ("org.slf4j:slf4j-api", "2.0.16"),
        ]),
    )
    .expect("edits");
    let expected = POM
        .replace("<jackson.version>2.15.2<", "<jackson.version>2.18.2<")
        .replace("        2.0.7\n", "        2.0.16\n");
    assert_eq!(edited.text, expected);
    let read = |text| maven::parse_pom("pom.xml", text).expect("parses");
    only_changed(
        &read(POM),
        &read(&edited.text),
        &[
            (
                "com.fasterxml.jackson.core:jackson-databind/Normal",
                "2.18.2",
            ),
            ("com.fasterxml.jackson.core:jackson-core/Normal", "2.18.2"),
            ("org.slf4j:slf4j-api/Normal", "2.0.16"),
        ],
    );

    // One of the two alone would move the other: refused, file untouched.
    let alone = edit_manifest(
        &pom,
        POM,
        &bumps(&[("com.fasterxml.jackson.core:jackson-core", "2.18.2")]),
    )
    .expect("reads");
    assert_eq!(alone.text, POM);
    assert!(
        alone.blocked[0].1.contains("jackson-databind"),
        "{:?}",
        alone.blocked
    );
}

#[test]
fn a_malformed_manifest_is_an_error_naming_the_file() {
    let error = edit_manifest(
        &manifest(Ecosystem::Npm, "web/package.json"),
        "{ \"dependencies\": { \"a\": ",
        &bumps(&[("a", "1.0.0")]),
    )
    .expect_err("cannot be read");
    assert_eq!(error.path, "web/package.json");
    assert!(
        error.to_string().contains("not valid package.json"),
        "{error}"
    );
    let error = edit_manifest(
        &manifest(Ecosystem::Cargo, "Cargo.toml"),
        "[dependencies\nserde = 1",
        &bumps(&[("serde", "1.0.0")]),
    )
    .expect_err("cannot be read");
    assert!(
        error.to_string().starts_with("Cargo.toml: not valid TOML"),
        "{error}"
    );
}

#[test]
fn pipfile_pins_and_tables_are_rewritten_in_place() {
    let pipfile = "[[source]]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\nname = \"pypi\"\n\n[packages]\nrequests = \"==2.31.0\"\ndjango = {version = \"==4.2.7\", extras = [\"argon2\"]}\nflask = \"*\"\n\n[dev-packages]\npytest = \">=7.0\"\n";
    let edited = edit_manifest(
        &manifest(Ecosystem::Python, "Pipfile"),
        pipfile,
        &bumps(&[
            ("requests", "2.32.3"),
            ("django", "4.2.16"),
            ("flask", "3.1.0"),
        ]),
    )
    .expect("edits");
    assert_eq!(
        edited.text,
        pipfile
            .replace("\"==2.31.0\"", "\"==2.32.3\"")
            .replace("\"==4.2.7\"", "\"==4.2.16\"")
    );
    // `*` already allows 3.1.0: only a lock would move.
    assert_eq!(
        edited
            .lock_only
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["flask"]
    );
    let after = python::parse_pipfile("Pipfile", &edited.text).expect("parses back");
    assert_eq!(after.len(), 4);
    let requests = after
        .iter()
        .find(|d| d.name == "requests")
        .expect("requests");
    assert_eq!(requests.requirement.as_deref(), Some("==2.32.3"));
}

#[test]
fn gradle_scripts_and_the_catalog_are_rewritten_where_the_version_is_written() {
    let script = "dependencies {\n    implementation(\"org.postgresql:postgresql:42.7.2\")\n    implementation(\"io.ktor:ktor-client-core:$ktorVersion\")\n    testImplementation 'junit:junit:4.13.1'\n}\n";
    let edited = edit_manifest(
        &manifest(Ecosystem::Maven, "app/build.gradle.kts"),
        script,
        &bumps(&[
            ("org.postgresql:postgresql", "42.7.4"),
            ("io.ktor:ktor-client-core", "3.0.1"),
            ("junit:junit", "4.13.2"),
        ]),
    )
    .expect("edits");
    assert_eq!(
        edited.text,
        script
            .replace("42.7.2", "42.7.4")
            .replace("4.13.1", "4.13.2")
    );
    assert!(
        edited.blocked[0].1.contains("build variable"),
        "{:?}",
        edited.blocked
    );

    let catalog = "[versions]\njackson = \"2.15.2\"\n\n[libraries]\njackson-core = { module = \"com.fasterxml.jackson.core:jackson-core\", version.ref = \"jackson\" }\njackson-databind = { module = \"com.fasterxml.jackson.core:jackson-databind\", version.ref = \"jackson\" }\nguava = \"com.google.guava:guava:32.1.2-jre\"\n";
    let edited = edit_manifest(
        &manifest(Ecosystem::Maven, "gradle/libs.versions.toml"),
        catalog,
        &bumps(&[
            ("com.fasterxml.jackson.core:jackson-core", "2.18.1"),
            ("com.fasterxml.jackson.core:jackson-databind", "2.18.1"),
            ("com.google.guava:guava", "33.3.1-jre"),
        ]),
    )
    .expect("edits");
    assert_eq!(
        edited.text,
        catalog
            .replace("jackson = \"2.15.2\"", "jackson = \"2.18.1\"")
            .replace("32.1.2-jre", "33.3.1-jre")
    );
    // One of a shared version alone would move the other too.
    let alone = edit_manifest(
        &manifest(Ecosystem::Maven, "gradle/libs.versions.toml"),
        catalog,
        &bumps(&[("com.fasterxml.jackson.core:jackson-core", "2.18.1")]),
    )
    .expect("edits");
    assert_eq!(alone.text, catalog);
    assert!(
        alone.blocked[0].1.contains("shared with"),
        "{:?}",
        alone.blocked
    );
}
