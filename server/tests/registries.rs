//! The registry clients over real HTTP, against local servers that answer
//! in each registry's documented shape (see `shipshape-fakes`), including
//! 404, 429, 500, slow answers, garbage and ETag 304s.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use shipshape_fakes::{FakePackage, Fakes, Fault, demo};
use shipshape_server::deps::model::Ecosystem;
use shipshape_server::deps::registry::client::{HttpRegistry, Registry, registry_name};
use shipshape_server::deps::registry::time::parse_rfc3339_ms;
use shipshape_server::integrations::registry::{FetchError, FetchPolicy, Fetcher, http_client};

const ANY_PORT: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

async fn fakes() -> Fakes {
    Fakes::start(demo::demo_state(), SocketAddr::from(ANY_PORT))
        .await
        .expect("fakes listen")
}

fn quick_policy() -> FetchPolicy {
    FetchPolicy {
        timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(20),
        breaker_threshold: 3,
        breaker_cooldown: Duration::from_secs(60),
        ..FetchPolicy::default()
    }
}

fn registry(fakes: &Fakes, ecosystem: Ecosystem, policy: FetchPolicy) -> HttpRegistry {
    let path = match ecosystem {
        Ecosystem::Cargo => "cargo",
        Ecosystem::Npm => "npm",
        Ecosystem::Python => "pypi",
        Ecosystem::Go => "go",
        Ecosystem::Ruby => "ruby",
        Ecosystem::Maven => "maven",
    };
    let base = fakes.url(path);
    HttpRegistry::new(
        ecosystem,
        &base,
        Fetcher::new(
            format!("{} ({base})", registry_name(ecosystem)),
            http_client("shipshape-test"),
            None,
            policy,
        ),
    )
}

fn day(date: &str) -> Option<i64> {
    parse_rfc3339_ms(&format!("{date}T12:00:00Z"))
}

#[tokio::test]
async fn each_registry_answer_is_read_into_dated_releases() {
    let fakes = fakes().await;
    let cases: &[(Ecosystem, &str, &[&str], &str, &str)] = &[
        (Ecosystem::Cargo, "serde", &[], "1.0.229", "2026-02-10"),
        (Ecosystem::Npm, "pino", &[], "8.21.0", "2024-04-23"),
        (Ecosystem::Python, "numpy", &[], "1.26.4", "2024-02-05"),
        (
            Ecosystem::Go,
            "github.com/jackc/pgx/v5",
            &["v5.5.5"],
            "v5.5.5",
            "2024-03-09",
        ),
        (Ecosystem::Ruby, "rails", &[], "7.1.3.2", "2024-02-21"),
    ];
    for (ecosystem, name, in_use, version, date) in cases {
        let registry = registry(&fakes, *ecosystem, quick_policy());
        let info = registry
            .package(
                name,
                &in_use.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
            )
            .await
            .unwrap_or_else(|e| panic!("{ecosystem:?} {name}: {e}"));
        let release = info
            .releases
            .iter()
            .find(|r| r.version == *version)
            .unwrap_or_else(|| panic!("{name} has {version}: {:?}", info.releases));
        assert_eq!(release.published_ms, day(date), "{ecosystem:?} {name}");
    }

    let maven = registry(&fakes, Ecosystem::Maven, quick_policy());
    let info = maven
        .package("org.postgresql:postgresql", &[])
        .await
        .expect("maven metadata");
    let versions: Vec<&str> = info.releases.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["42.7.2", "42.7.5", "42.7.8"]);

    let npm = registry(&fakes, Ecosystem::Npm, quick_policy());
    let express = npm.package("express", &[]).await.expect("express");
    assert!(express.deprecated["4.18.2"].contains("vulnerability"));
    let cargo = registry(&fakes, Ecosystem::Cargo, quick_policy());
    let cc = cargo.package("cc", &[]).await.expect("cc");
    assert!(
        cc.releases
            .iter()
            .any(|r| r.version == "1.11.4" && r.yanked)
    );
    let pypi = registry(&fakes, Ecosystem::Python, quick_policy());
    let fastapi = pypi.package("fastapi", &[]).await.expect("fastapi");
    assert_eq!(fastapi.advisories[0].id, "PYSEC-2024-38");
}

#[tokio::test]
async fn a_fresh_answer_comes_from_the_cache_and_a_stale_one_is_revalidated_with_its_etag() {
    let fakes = fakes().await;
    let npm = registry(&fakes, Ecosystem::Npm, quick_policy());
    let first = npm.package("helmet", &[]).await.expect("first");
    let again = npm.package("helmet", &[]).await.expect("cached");
    assert_eq!(first, again);
    assert_eq!(
        fakes.lock().count("/npm/helmet"),
        1,
        "fresh: no second request"
    );

    npm.expire_cache();
    let revalidated = npm.package("helmet", &[]).await.expect("revalidated");
    assert_eq!(revalidated, first);
    assert_eq!(fakes.lock().count("/npm/helmet"), 2);
    assert_eq!(fakes.lock().not_modified, 1, "the registry answered 304");
    let counters = npm.counters();
    assert_eq!(
        (
            counters.requests,
            counters.not_modified,
            counters.cache_hits
        ),
        (2, 1, 1)
    );

    // A new release changes the ETag: the next revalidation gets it.
    fakes.lock().add(
        "npm",
        "helmet",
        FakePackage::of(&["7.1.0@2023-11-07", "9.0.0@2026-11-01"]),
    );
    npm.expire_cache();
    let changed = npm.package("helmet", &[]).await.expect("changed");
    assert!(changed.releases.iter().any(|r| r.version == "9.0.0"));
}

#[tokio::test]
async fn a_missing_package_is_named_with_its_registry_and_url() {
    let fakes = fakes().await;
    let pypi = registry(&fakes, Ecosystem::Python, quick_policy());
    let error = pypi.package("no-such-package", &[]).await.unwrap_err();
    let shown = error.to_string();
    assert!(matches!(error, FetchError::NotFound { .. }), "{shown}");
    assert!(shown.starts_with("PyPI (http://127.0.0.1:"), "{shown}");
    assert!(
        shown.ends_with("/pypi/pypi/no-such-package/json was not found (404)"),
        "{shown}"
    );
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_until_the_registry_answers() {
    let fakes = fakes().await;
    fakes.lock().fault(
        "ruby",
        "puma",
        Fault::FailFirst {
            times: 2,
            status: 503,
        },
    );
    fakes
        .lock()
        .fault("cargo", "uuid", Fault::RetryAfterOnce { seconds: 1 });
    let ruby = registry(&fakes, Ecosystem::Ruby, quick_policy());
    let puma = ruby
        .package("puma", &[])
        .await
        .expect("third attempt answers");
    assert_eq!(puma.releases.len(), 3);
    assert_eq!(fakes.lock().count("/ruby/api/v1/versions/puma.json"), 3);

    let cargo = registry(&fakes, Ecosystem::Cargo, quick_policy());
    let started = Instant::now();
    cargo
        .package("uuid", &[])
        .await
        .expect("answers after Retry-After");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
}

#[tokio::test]
async fn garbage_is_an_error_that_says_the_answer_is_not_the_documented_shape() {
    let fakes = fakes().await;
    fakes.lock().fault("npm", "pino", Fault::Garbage);
    let npm = registry(&fakes, Ecosystem::Npm, quick_policy());
    let error = npm.package("pino", &[]).await.unwrap_err().to_string();
    assert!(
        error.contains("/npm/pino: the npm registry answer is not in the documented shape"),
        "{error}"
    );
}

#[tokio::test]
async fn a_dead_registry_opens_its_circuit_and_never_stalls_the_others() {
    let fakes = fakes().await;
    for name in ["fastapi", "pydantic", "numpy", "httpx"] {
        fakes.lock().fault("pypi", name, Fault::Hang);
    }
    let pypi = registry(&fakes, Ecosystem::Python, quick_policy());
    let npm = registry(&fakes, Ecosystem::Npm, quick_policy());

    let started = Instant::now();
    let (hung, healthy) = tokio::join!(pypi.package("fastapi", &[]), npm.package("eslint", &[]));
    assert!(healthy.is_ok(), "npm answers while PyPI hangs");
    let hung = hung.unwrap_err().to_string();
    assert!(hung.contains("no answer within 500ms"), "{hung}");
    assert!(hung.contains("after 3 attempt(s)"), "{hung}");

    // Three failures in a row open the circuit: the next package fails at
    // once, without a request.
    let _ = pypi.package("pydantic", &[]).await;
    let _ = pypi.package("numpy", &[]).await;
    let requests_before = fakes.lock().count("/pypi/");
    let error = pypi.package("httpx", &[]).await.unwrap_err();
    assert!(matches!(error, FetchError::CircuitOpen { .. }), "{error}");
    assert_eq!(fakes.lock().count("/pypi/"), requests_before);
    assert!(
        error.to_string().starts_with("PyPI (http://127.0.0.1:"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}
