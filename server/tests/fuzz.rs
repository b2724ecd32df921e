//! Fuzzing of every parser that reads what others wrote: manifests and lock
//! files from repositories, registry answers, healthcheck bodies, service
//! registrations and package searches from the API, and the config file.
//! Inputs are real examples mutated at random (bytes replaced, inserted,
//! deleted, slices repeated, cut short) and plain random text; a parser may
//! refuse any of them, but must never panic.
//!
//! Each parser gets `SHIPSHAPE_FUZZ_CASES` inputs (default 400), so CI
//! spends a bounded time here; proptest shrinks a failing input to a small
//! one and prints it.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shipshape_server::deps::manifest::{cargo, go, gradle, js_lock, maven, npm, python, ruby};
use shipshape_server::deps::model::DependencyKind;
use shipshape_server::deps::query::PackageQuery;
use shipshape_server::deps::registry::answers;
use shipshape_server::health::format::interpret;

fn example(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cases() -> u32 {
    std::env::var("SHIPSHAPE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}

#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Repeat(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to the formats read here, and any byte at all.
    let byte = prop_oneof![
        prop::sample::select(b"\"'{}[]<>=:,;#\\\n\r\t /.-^~*@!$0123456789abcxyz".to_vec()),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Repeat(at, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn mutate(seed: &str, edits: &[Edit]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Replace(at, b) if !bytes.is_empty() => bytes[at % len] = b,
            Edit::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Edit::Delete(at, n) if !bytes.is_empty() => {
                let start = at % len;
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Repeat(at, n) if !bytes.is_empty() => {
                let start = at % len;
                let end = (start + n).min(bytes.len());
                let slice = bytes[start..end].to_vec();
                bytes.splice(start..start, slice);
            }
            Edit::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs `parse` on mutations of `seeds` and on random text; any panic fails
/// the test with the (shrunk) input.
fn fuzz(name: &str, seeds: &[String], parse: impl Fn(&str)) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let seeds = seeds.to_vec();
    let input = prop_oneof![
        4 => (prop::sample::select(seeds), prop::collection::vec(edit(), 1..12))
            .prop_map(|(seed, edits)| mutate(&seed, &edits)),
        1 => ".{0,300}",
    ];
    if let Err(failure) = runner.run(&input, |text| {
        parse(&text);
        Ok(())
    }) {
        panic!("{name}: {failure}");
    }
}

#[test]
fn manifest_and_lock_readers_never_panic() {
    fuzz(
        "Cargo.toml",
        &[example("checkout-api/Cargo.toml")],
        |text| {
            let _ = cargo::parse_manifest("Cargo.toml", text, None);
        },
    );
    fuzz(
        "Cargo.lock",
        &[example("checkout-api/Cargo.lock")],
        |text| {
            let _ = cargo::parse_lock("Cargo.lock", text);
        },
    );
    fuzz(
        "package.json",
        &[example("storefront-web/package.json")],
        |text| {
            let _ = npm::parse_manifest("package.json", text);
        },
    );
    fuzz(
        "package-lock.json",
        &[example("storefront-web/package-lock.json")],
        |text| {
            let _ = npm::parse_lock("package-lock.json", text);
        },
    );
    fuzz(
        "requirements.txt",
        &[example("recommendations/requirements.txt")],
        |text| {
            let _ =
                python::parse_requirements_txt("requirements.txt", text, DependencyKind::Normal);
        },
    );
    fuzz(
        "pyproject.toml",
        &[example("recommendations/pyproject.toml")],
        |text| {
            let _ = python::parse_pyproject("pyproject.toml", text);
        },
    );
    fuzz(
        "poetry.lock",
        &["[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\n\n[[package]]\nname = \"idna\"\nversion = \"3.7\"\n".to_string()],
        |text| {
            let _ = python::parse_lock("poetry.lock", text);
        },
    );
    fuzz("go.mod", &[example("ledger/go.mod")], |text| {
        let _ = go::parse_go_mod("go.mod", text);
    });
    fuzz("Gemfile", &[example("billing-gateway/Gemfile")], |text| {
        let _ = ruby::parse_gemfile("Gemfile", text);
    });
    fuzz(
        "Gemfile.lock",
        &[example("billing-gateway/Gemfile.lock")],
        |text| {
            let _ = ruby::parse_lock("Gemfile.lock", text);
        },
    );
    fuzz("pom.xml", &[example("inventory/pom.xml")], |text| {
        let _ = maven::parse_pom("pom.xml", text);
    });
    // The other lock formats and manifests, seeded with the accuracy
    // suite's repositories (the shapes the tools write).
    for (fixture, file) in [
        ("pnpm-workspace", "pnpm-lock.yaml"),
        ("yarn-classic", "yarn.lock"),
        ("yarn-berry", "yarn.lock"),
        ("bun-text", "bun.lock"),
        ("npm-workspaces", "package-lock.json"),
    ] {
        fuzz(file, &[accuracy(fixture, file)], |text| {
            if let Ok(lock) = js_lock::JsLock::parse(file, text) {
                let _ = lock.resolve("packages/web", "react", "^18.2.0");
                let _ = lock.versions_by_name();
            }
        });
    }
    fuzz("Pipfile", &[accuracy("pipenv", "Pipfile")], |text| {
        let _ = python::parse_pipfile("Pipfile", text);
    });
    fuzz(
        "Pipfile.lock",
        &[accuracy("pipenv", "Pipfile.lock")],
        |text| {
            let _ = python::parse_pipfile_lock("Pipfile.lock", text);
        },
    );
    fuzz("uv.lock", &[accuracy("uv-workspace", "uv.lock")], |text| {
        let _ = python::local_packages("uv.lock", text);
    });
    fuzz(
        "build.gradle.kts",
        &[
            accuracy("gradle-multi-project", "app/build.gradle.kts"),
            accuracy("gradle-multi-project", "lib/build.gradle"),
        ],
        |text| {
            let _ = gradle::build_script_declarations(text);
        },
    );
    fuzz(
        "libs.versions.toml",
        &[accuracy(
            "gradle-multi-project",
            "gradle/libs.versions.toml",
        )],
        |text| {
            let _ = gradle::catalog_declarations("gradle/libs.versions.toml", text);
        },
    );
    fuzz(
        "gradle.lockfile",
        &[accuracy("gradle-multi-project", "app/gradle.lockfile")],
        |text| {
            let _ = gradle::parse_lockfile("gradle.lockfile", text);
        },
    );
}

fn accuracy(fixture: &str, file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/accuracy")
        .join(fixture)
        .join("repo")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn registry_answers_never_panic() {
    // The shapes each registry documents (trimmed).
    fuzz(
        "crates.io index",
        &[concat!(
            r#"{"name":"serde","vers":"1.0.200","deps":[],"cksum":"ab","features":{},"yanked":false}"#,
            "\n",
            r#"{"name":"serde","vers":"1.0.201","deps":[],"cksum":"cd","features":{},"yanked":true,"rust_version":"1.61"}"#,
        )
        .to_string()],
        |text| {
            let _ = answers::crates_index(text);
        },
    );
    fuzz(
        "npm packument",
        &[r#"{"name":"express","dist-tags":{"latest":"4.19.2","next":"5.0.0-beta.3"},"versions":{"4.19.2":{"name":"express","version":"4.19.2"},"5.0.0-beta.3":{"deprecated":"use 5.0.0"}},"time":{"created":"2010-12-29T19:38:25.450Z","4.19.2":"2024-03-25T14:56:29.170Z"}}"#.to_string()],
        |text| {
            let _ = answers::npm_packument(text);
        },
    );
    fuzz(
        "PyPI JSON",
        &[r#"{"info":{"name":"requests","version":"2.32.3","yanked":false},"releases":{"2.32.3":[{"upload_time_iso_8601":"2024-05-29T15:37:47.027Z","yanked":false}],"2.32.0":[{"upload_time_iso_8601":"2024-05-20T15:37:47Z","yanked":true,"yanked_reason":"broken"}]},"vulnerabilities":[{"id":"PYSEC-1","fixed_in":["2.32.0"]}]}"#.to_string()],
        |text| {
            let _ = answers::pypi_json(text);
        },
    );
    fuzz(
        "Go version list",
        &["v1.9.0\nv1.10.0\nv2.0.0+incompatible\n".to_string()],
        |text| {
            let _ = answers::go_version_list(text);
        },
    );
    fuzz(
        "Go version info",
        &[r#"{"Version":"v1.10.0","Time":"2024-01-02T03:04:05Z"}"#.to_string()],
        |text| {
            let _ = answers::go_version_info(text);
        },
    );
    fuzz(
        "RubyGems versions",
        &[r#"[{"number":"7.1.3","created_at":"2024-02-21T21:26:48.221Z","prerelease":false},{"number":"7.2.0.beta1","created_at":"2024-05-29T00:00:00Z","prerelease":true}]"#.to_string()],
        |text| {
            let _ = answers::rubygems_versions(text);
        },
    );
    fuzz(
        "maven-metadata.xml",
        &[r#"<?xml version="1.0" encoding="UTF-8"?><metadata><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><versioning><latest>2.0.13</latest><release>2.0.13</release><versions><version>1.7.36</version><version>2.0.13</version></versions><lastUpdated>20240408000000</lastUpdated></versioning></metadata>"#.to_string()],
        |text| {
            let _ = answers::maven_metadata(text);
        },
    );
}

#[test]
fn healthcheck_bodies_never_panic() {
    let seeds = [
        r#"{"status":"healthy"}"#,
        r#"{"status":"pass","checks":{"db:responseTime":[{"status":"warn","observedValue":250}]}}"#,
        r#"{"status":"UP","components":{"db":{"status":"DOWN","details":{"error":"timeout"}}}}"#,
        "OK",
    ]
    .map(str::to_string);
    for content_type in [
        Some("application/json"),
        Some("application/health+json"),
        Some("text/plain"),
        None,
    ] {
        fuzz("healthcheck body", &seeds, |text| {
            let _ = interpret(200, content_type, text.as_bytes());
            let _ = interpret(503, content_type, text.as_bytes());
        });
    }
}

#[test]
fn api_and_config_input_never_panics() {
    fuzz(
        "service registration",
        &[r#"{"slug":"payments-api","team":"payments","tags":["rust"],"tier":2,"repository":"github:demo-org/payments-api","health":[{"url":"http://10.0.0.1/_internal_/healthcheck","interval":"30s","expect_status":[200,"204-299"],"headers":{"authorization":{"env":"TOKEN"}}}]}"#.to_string()],
        |text| {
            if let Ok(declared) =
                serde_json::from_str::<shipshape_types::model::ServiceRegistration>(text)
            {
                use shipshape_server::fleet::registration::{
                    Declarer, HealthLimits, RegistrationRules, check_service,
                };
                let limits = HealthLimits::default();
                let _ = check_service(
                    &declared,
                    Declarer::FleetFile {
                        base_dir: Path::new("/fuzz"),
                    },
                    &limits,
                );
                let rules = RegistrationRules {
                    github_owners: ["demo-org".to_string()].into(),
                    ..RegistrationRules::default()
                };
                let _ = check_service(&declared, Declarer::Api(&rules), &limits);
            }
        },
    );
    fuzz(
        "package search",
        &[
            "npm:express@<5".to_string(),
            "serde >=1.0, <1.0.200".to_string(),
            "python:requests".to_string(),
        ],
        |text| {
            let _ = PackageQuery::parse(text);
        },
    );
    let config =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shipshape.toml"))
            .expect("the demo config");
    fuzz("shipshape.toml", &[config], |text| {
        let _ = shipshape_server::config::parse_fleet_file(Path::new("/fuzz/shipshape.toml"), text);
    });
}
