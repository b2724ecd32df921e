//! Drift refreshes end to end below the web layer: real repositories (the
//! demo fleet's folders, a git repository cloned over `file://`, a GitHub
//! repository served by the fake REST API), registries over loopback HTTP,
//! and snapshots in SQLite and PostgreSQL.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{ManualClock, TestDb, drift_service, services};
use shipshape_fakes::{FakeRepo, Fakes, Fault, demo};
use shipshape_server::deps::service::DriftService;
use shipshape_server::fleet::FleetService;
use shipshape_types::drift::{DependencyKind, DependencyView, Gap, ServiceDrift, VersionSource};

const NOW: i64 = 1_795_424_000_000; // 2026-11-23

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

async fn fakes() -> Fakes {
    Fakes::start(demo::demo_state(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("fakes listen")
}

struct Setup {
    drift: DriftService,
    fleet: FleetService,
    clock: Arc<ManualClock>,
    _cache: tempfile::TempDir,
}

async fn setup(db: &TestDb, fakes: &Fakes, fleet_text: &str) -> Setup {
    let store = db.store().await;
    let clock = ManualClock::at(NOW);
    let fleet = FleetService::new(store.clone(), clock.clone());
    fleet
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &services(fleet_text))
        .await
        .expect("sync fleet");
    let cache = tempfile::tempdir().expect("cache dir");
    let drift = drift_service(store, clock.clone(), Some(&fakes.base()), cache.path());
    Setup {
        drift,
        fleet,
        clock,
        _cache: cache,
    }
}

fn demo_fleet_text() -> String {
    let dir = examples();
    [
        "checkout-api",
        "storefront-web",
        "recommendations",
        "ledger",
        "billing-gateway",
        "inventory",
    ]
    .iter()
    .map(|slug| {
        format!(
            "[[service]]\nslug = \"{slug}\"\nteam = \"t\"\nrepository = \"{}\"\n",
            dir.join(slug).display()
        )
    })
    .collect()
}

fn row<'a>(drift: &'a ServiceDrift, name: &str) -> &'a DependencyView {
    drift
        .dependencies
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", drift.dependencies))
}

async fn drift_of(setup: &Setup, slug: &str) -> ServiceDrift {
    setup
        .drift
        .service_drift(slug)
        .await
        .expect("drift")
        .expect("service exists")
}

#[tokio::test]
async fn the_demo_fleet_is_measured_and_an_unchanged_second_refresh_reuses_everything() {
    for db in TestDb::all().await {
        let fakes = fakes().await;
        let setup = setup(&db, &fakes, &demo_fleet_text()).await;
        let report = setup.drift.refresh_fleet().await.expect("refresh");
        assert_eq!(
            (report.services, report.failed, report.unchanged),
            (6, 0, 0),
            "{}",
            db.label
        );

        let checkout = drift_of(&setup, "checkout-api").await;
        let serde = row(&checkout, "serde");
        assert_eq!(serde.current.as_deref(), Some("1.0.229"));
        assert_eq!(serde.latest.as_deref(), Some("1.0.230"));
        assert_eq!(serde.gap, Some(Gap::Patch));
        assert_eq!(
            (serde.version_source, serde.lock_file.as_deref()),
            (VersionSource::Lock, Some("Cargo.lock")),
            "{}: where the version came from is stored",
            db.label
        );
        let tokio_row = row(&checkout, "tokio");
        assert_eq!(
            tokio_row.latest.as_deref(),
            Some("1.55.0"),
            "pre-releases are not latest"
        );
        let cc = row(&checkout, "cc");
        assert_eq!(
            (cc.kind, cc.gap),
            (DependencyKind::Build, Some(Gap::UpToDate)),
            "a yanked release is never latest"
        );
        let reqwest = row(&checkout, "reqwest");
        assert_eq!(
            (reqwest.kind, reqwest.gap),
            (DependencyKind::Dev, Some(Gap::Major)),
            "0.11 → 0.13 is major under 0.x rules"
        );
        assert!(checkout.latest.as_ref().is_some_and(|s| s.libyears > 0.0));

        let storefront = drift_of(&setup, "storefront-web").await;
        let express = row(&storefront, "express");
        assert_eq!(express.current.as_deref(), Some("4.22.3"));
        assert_eq!(express.gap, Some(Gap::Major));
        // recommendations: pyproject.toml has no lock, requirements.txt pins.
        let recommendations = drift_of(&setup, "recommendations").await;
        let httpx: Vec<(&str, VersionSource)> = recommendations
            .dependencies
            .iter()
            .filter(|d| d.name == "httpx")
            .map(|d| (d.manifest.as_str(), d.version_source))
            .collect();
        assert_eq!(
            httpx,
            [
                ("pyproject.toml", VersionSource::RangeOnly),
                ("requirements.txt", VersionSource::Pin)
            ],
            "{}",
            db.label
        );
        let summary = recommendations.latest.as_ref().expect("summary");
        let range_only_current = recommendations
            .dependencies
            .iter()
            .filter(|d| {
                d.version_source == VersionSource::RangeOnly && d.gap == Some(Gap::UpToDate)
            })
            .count();
        assert!(
            range_only_current > 0,
            "the demo has a range-only dependency on its newest release"
        );
        assert_eq!(
            summary.range_only,
            i64::try_from(range_only_current).expect("count"),
            "{}: range-only is counted apart, never as up to date",
            db.label
        );
        assert!(
            recommendations
                .problems
                .iter()
                .any(|p| p.starts_with("pyproject.toml:1: not locked")),
            "{:?}",
            recommendations.problems
        );
        let ledger = drift_of(&setup, "ledger").await;
        let sync = row(&ledger, "golang.org/x/sync");
        assert_eq!(
            sync.current.as_deref(),
            Some("v0.7.0"),
            "the replace directive wins"
        );
        let inventory = drift_of(&setup, "inventory").await;
        let jackson = row(&inventory, "com.fasterxml.jackson.core:jackson-databind");
        assert_eq!(
            (jackson.current.as_deref(), jackson.latest.as_deref()),
            (Some("2.16.1"), Some("2.20.1")),
            "POM properties are resolved"
        );

        let requests_after_first = fakes.lock().log.len();
        setup.clock.set(NOW + 3_600_000);
        let second = setup.drift.refresh_fleet().await.expect("second refresh");
        assert_eq!(second.unchanged, 6, "{}: nothing is parsed again", db.label);
        assert_eq!(
            fakes.lock().log.len(),
            requests_after_first,
            "fresh registry answers come from the cache"
        );
        let checkout_again = drift_of(&setup, "checkout-api").await;
        assert_eq!(
            checkout_again.history.len(),
            2,
            "each refresh is a snapshot"
        );
        assert_eq!(checkout_again.dependencies, checkout.dependencies);

        let packages = setup
            .drift
            .packages(Some(
                &shipshape_server::deps::query::PackageQuery::parse("serde <1.0.230")
                    .expect("query"),
            ))
            .await
            .expect("packages");
        assert_eq!(packages.len(), 1, "{packages:?}");
        assert_eq!(
            packages[0].versions,
            [("1.0.229".to_string(), vec!["checkout-api".to_string()])]
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_broken_manifest_a_missing_repository_and_a_dead_registry_are_each_reported_where_they_belong()
 {
    let db = TestDb::sqlite().await;
    let fakes = fakes().await;
    let repo = tempfile::tempdir().expect("repo");
    std::fs::create_dir_all(repo.path().join("web")).expect("mkdir");
    std::fs::write(
        repo.path().join("web/package.json"),
        "{\n  \"dependencies\": {\n    \"pino\": \n}\n",
    )
    .expect("write");
    std::fs::write(
        repo.path().join("requirements.txt"),
        "numpy==1.26.4\nhttpx==0.27.0\n",
    )
    .expect("write");
    let missing = repo.path().join("gone");
    std::fs::create_dir_all(&missing).expect("mkdir");
    std::fs::write(
        missing.join("go.mod"),
        "module x\n\nrequire golang.org/x/sync v0.6.0\n",
    )
    .expect("write");
    let text = format!(
        "[[service]]\nslug = \"mixed\"\nteam = \"t\"\nrepository = \"{}\"\n[[service]]\nslug = \"moving\"\nteam = \"t\"\nrepository = \"{}\"\n",
        repo.path().display(),
        missing.display()
    );
    let setup = setup(&db, &fakes, &text).await;
    fakes.lock().fault("pypi", "httpx", Fault::Status(500));
    setup.drift.refresh_fleet().await.expect("refresh");

    let mixed = drift_of(&setup, "mixed").await;
    assert_eq!(mixed.problems.len(), 1, "{:?}", mixed.problems);
    assert!(
        mixed.problems[0].starts_with("web/package.json:4: not valid package.json"),
        "{:?}",
        mixed.problems
    );
    assert_eq!(row(&mixed, "numpy").gap, Some(Gap::Major));
    let httpx = row(&mixed, "httpx");
    assert_eq!(httpx.gap, None);
    let note = httpx.note.as_deref().unwrap_or_default();
    assert!(
        note.contains("PyPI (http://127.0.0.1:")
            && note.contains("answered 500 Internal Server Error after 3 attempt(s)"),
        "{note}"
    );

    let moving = drift_of(&setup, "moving").await;
    assert_eq!(
        row(&moving, "golang.org/x/sync").current.as_deref(),
        Some("v0.6.0")
    );
    std::fs::remove_dir_all(&missing).expect("remove");
    setup.clock.set(NOW + 60_000);
    let report = setup.drift.refresh_fleet().await.expect("refresh");
    assert_eq!(report.failed, 1);
    let moving = drift_of(&setup, "moving").await;
    let error = moving.refresh.last_error.clone().unwrap_or_default();
    assert!(
        error.ends_with("gone: is not a folder (or cannot be read)"),
        "{error}"
    );
    assert_eq!(
        moving.dependencies.len(),
        1,
        "the previous snapshot stays visible"
    );
    let overview = setup.fleet.overview().await.expect("overview");
    let mut services = overview.services;
    setup.drift.annotate(&mut services).await.expect("annotate");
    let moving_summary = services
        .iter()
        .find(|s| s.slug == "moving")
        .expect("listed");
    assert!(moving_summary.drift.is_some() && moving_summary.drift_error.is_some());
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[tokio::test]
async fn a_git_repository_is_cloned_shallow_then_fetched_and_a_new_commit_is_measured() {
    let db = TestDb::sqlite().await;
    let fakes = fakes().await;
    let origin = tempfile::tempdir().expect("origin");
    git(origin.path(), &["init", "--quiet", "--initial-branch=main"]);
    std::fs::copy(
        examples().join("billing-gateway/Gemfile"),
        origin.path().join("Gemfile"),
    )
    .expect("copy");
    std::fs::copy(
        examples().join("billing-gateway/Gemfile.lock"),
        origin.path().join("Gemfile.lock"),
    )
    .expect("copy");
    git(origin.path(), &["add", "."]);
    git(origin.path(), &["commit", "--quiet", "-m", "first"]);
    let text = format!(
        "[[service]]\nslug = \"billing\"\nteam = \"t\"\nrepository = \"file://{}\"\n",
        origin.path().display()
    );
    let setup = setup(&db, &fakes, &text).await;
    setup.drift.refresh_fleet().await.expect("clone");
    let billing = drift_of(&setup, "billing").await;
    assert_eq!(row(&billing, "rails").current.as_deref(), Some("7.1.3.2"));
    assert_eq!(row(&billing, "rspec-rails").kind, DependencyKind::Dev);

    let unchanged = setup.drift.refresh_fleet().await.expect("fetch");
    assert_eq!(unchanged.unchanged, 1);

    std::fs::write(
        origin.path().join("Gemfile"),
        "source \"https://rubygems.org\"\ngem \"puma\", \">= 6.4\"\n",
    )
    .expect("edit");
    std::fs::remove_file(origin.path().join("Gemfile.lock")).expect("rm");
    git(origin.path(), &["commit", "--quiet", "-am", "second"]);
    let changed = setup.drift.refresh_fleet().await.expect("fetch again");
    assert_eq!(changed.unchanged, 0);
    let billing = drift_of(&setup, "billing").await;
    let names: Vec<&str> = billing
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, ["puma"]);
}

#[tokio::test]
async fn a_github_repository_is_read_without_cloning_and_an_unchanged_one_costs_only_304s() {
    let db = TestDb::sqlite().await;
    let fakes = fakes().await;
    let manifest =
        std::fs::read_to_string(examples().join("storefront-web/package.json")).expect("read");
    let lock =
        std::fs::read_to_string(examples().join("storefront-web/package-lock.json")).expect("read");
    fakes.lock().repos.insert(
        "acme/storefront".into(),
        FakeRepo::with_files(&[
            ("package.json", &manifest),
            ("package-lock.json", &lock),
            ("node_modules/express/package.json", "{}"),
            ("README.md", "# storefront"),
        ]),
    );
    fakes.lock().github_remaining = Some(100);
    let setup = setup(&db, &fakes, "[[service]]\nslug = \"storefront\"\nteam = \"t\"\nrepository = \"github:acme/storefront\"\n").await;
    setup.drift.refresh_fleet().await.expect("refresh");
    let storefront = drift_of(&setup, "storefront").await;
    assert_eq!(row(&storefront, "helmet").current.as_deref(), Some("7.2.0"));
    assert_eq!(
        fakes
            .lock()
            .count("/github/repos/acme/storefront/git/blobs/"),
        2,
        "only the manifest and its lock are fetched"
    );

    let remaining_before = fakes.lock().github_remaining;
    let second = setup.drift.refresh_fleet().await.expect("refresh");
    assert_eq!(second.unchanged, 1);
    assert_eq!(
        fakes.lock().not_modified,
        2,
        "repository and tree answered 304"
    );
    assert_eq!(
        fakes.lock().github_remaining,
        remaining_before,
        "304s cost no rate limit"
    );

    // A spent rate limit that resets far in the future is an error on the
    // service, not a stalled refresh.
    fakes.lock().github_remaining = Some(0);
    fakes
        .lock()
        .repos
        .get_mut("acme/storefront")
        .expect("repo")
        .files
        .insert("README.md".into(), "changed".into());
    fakes.lock().github_secondary_limit_once = None;
    let third = setup.drift.refresh_fleet().await.expect("refresh");
    assert_eq!(third.failed, 1);
    let error = drift_of(&setup, "storefront")
        .await
        .refresh
        .last_error
        .unwrap_or_default();
    assert!(
        error.starts_with("github:acme/storefront: GitHub's API rate limit is spent and resets in"),
        "{error}"
    );
}
