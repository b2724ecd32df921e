//! GitHub organisation discovery against the fake GitHub REST API (the
//! documented `orgs/{org}/repos`, `git/trees` and `git/blobs` shapes), with
//! the services stored in SQLite and PostgreSQL.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use common::{ManualClock, TestDb, app_state, drift_service};
use shipshape_fakes::{FakeRepo, Fakes, demo};
use shipshape_server::config::parse_fleet_file;
use shipshape_server::deps::discover::is_manifest;
use shipshape_server::fleet::FleetService;
use shipshape_types::model::{OrgDiscoveryStatus, ServiceOrigin};

const NOW: i64 = 1_795_424_000_000; // 2026-11-23

const FLEET: &str = r#"
[[github.orgs]]
name = "acme"
team = "platform"
exclude = ["legacy-*"]
tags = ["discovered"]
tier = 2

# The file declares acme/web itself, under its own slug and team.
[[service]]
slug = "storefront"
team = "web"
repository = "github:acme/web"
"#;

const CARGO_TOML: &str =
    "[package]\nname = \"billing\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1.0\"\n";
const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.190\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

fn acme_repositories() -> Vec<(&'static str, FakeRepo)> {
    let with_manifest = || FakeRepo::with_files(&[("Cargo.toml", CARGO_TOML)]);
    let mut archived = with_manifest();
    archived.archived = true;
    let mut fork = with_manifest();
    fork.fork = true;
    vec![
        (
            "acme/Billing_API",
            FakeRepo::with_files(&[
                ("Cargo.toml", CARGO_TOML),
                ("Cargo.lock", CARGO_LOCK),
                ("README.md", "# billing"),
            ]),
        ),
        (
            "acme/web",
            FakeRepo::with_files(&[("package.json", "{\"dependencies\":{}}")]),
        ),
        (
            "acme/handbook",
            FakeRepo::with_files(&[("README.md", "# how we work")]),
        ),
        ("acme/old-monolith", archived),
        ("acme/serde-patched", fork),
        ("acme/legacy-billing", with_manifest()),
        ("acme/brand-new", FakeRepo::with_files(&[])),
        ("elsewhere/api", with_manifest()),
    ]
}

async fn fakes() -> Fakes {
    let fakes = Fakes::start(demo::demo_state(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("fakes listen");
    for (name, repo) in acme_repositories() {
        fakes.lock().repos.insert(name.into(), repo);
    }
    fakes
}

fn status_of(fleet: &FleetService, org: &str) -> OrgDiscoveryStatus {
    fleet
        .discovery_statuses()
        .into_iter()
        .find(|s| s.org == org)
        .unwrap_or_else(|| panic!("no discovery status for {org}"))
}

#[tokio::test]
async fn every_repository_of_an_org_that_holds_a_manifest_becomes_a_service() {
    for db in TestDb::all().await {
        let fakes = fakes().await;
        let store = db.store().await;
        let clock = ManualClock::at(NOW);
        let fleet = FleetService::new(store.clone(), clock.clone());
        let path = Path::new("/fleet/shipshape.toml");
        let file = parse_fleet_file(path, FLEET).expect("valid fleet file");
        fleet.set_org_rules(file.github_orgs.clone()).await;
        fleet
            .sync_from_file(path, &file.services)
            .await
            .expect("sync");
        let cache = tempfile::tempdir().expect("cache dir");
        let drift = drift_service(
            store.clone(),
            clock.clone(),
            Some(&fakes.base()),
            cache.path(),
        );
        let github = drift.github().expect("GitHub client");

        let plan = fleet
            .discover_orgs(&github, is_manifest)
            .await
            .expect("discover");
        assert_eq!(plan.create.len(), 1, "{plan:?}");
        let overview = fleet.overview().await.expect("overview");
        let slugs: Vec<&str> = overview.services.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(
            slugs,
            ["billing-api", "storefront"],
            "only repositories with a manifest; archived, forks, excluded, empty and other orgs' are not services"
        );
        let billing = fleet
            .service("billing-api")
            .await
            .expect("read")
            .expect("billing-api stored");
        assert_eq!(billing.origin, ServiceOrigin::GitHubOrg);
        assert_eq!(billing.summary.team, "platform");
        assert_eq!(billing.summary.tier, 2);
        assert_eq!(billing.summary.tags, ["discovered"]);
        assert_eq!(
            billing
                .summary
                .repository
                .as_ref()
                .map(|r| r.display.as_str()),
            Some("acme/Billing_API")
        );
        let storefront = fleet
            .service("storefront")
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(
            (storefront.origin, storefront.summary.team.as_str()),
            (ServiceOrigin::FleetFile, "web"),
            "the file's own declaration of a repository wins over discovery"
        );

        let status = status_of(&fleet, "acme");
        assert_eq!(status.listed, 7);
        assert_eq!(status.error, None);
        assert_eq!(status.last_success_ms, Some(NOW));
        let reason = |repo: &str| {
            status
                .skipped
                .iter()
                .find(|(name, _)| name == repo)
                .map(|(_, why)| why.clone())
                .unwrap_or_else(|| panic!("{repo} not among {:?}", status.skipped))
        };
        assert!(reason("acme/handbook").contains("no manifest"));
        assert!(reason("acme/old-monolith").contains("archived"));
        assert!(reason("acme/serde-patched").contains("fork"));
        assert_eq!(reason("acme/legacy-billing"), "excluded by `legacy-*`");
        assert!(reason("acme/brand-new").contains("empty"));
        assert_eq!(
            fakes.lock().count("/github/repos/acme/old-monolith"),
            0,
            "a repository passed over by its listing costs no request"
        );

        // A discovered service is refreshed like any other.
        let report = drift.refresh_fleet().await.expect("refresh");
        assert_eq!(report.failed, 0, "{report:?}");
        let billing_drift = drift
            .service_drift("billing-api")
            .await
            .expect("drift")
            .expect("billing-api has drift");
        assert!(
            billing_drift
                .dependencies
                .iter()
                .any(|d| d.name == "serde" && d.current.as_deref() == Some("1.0.190")),
            "{:?}",
            billing_drift.dependencies
        );

        // Discovering an unchanged organisation again costs only 304s.
        let requests_and_304s = || {
            let state = fakes.lock();
            (state.log.len(), state.not_modified)
        };
        let before = requests_and_304s();
        let again = fleet
            .discover_orgs(&github, is_manifest)
            .await
            .expect("discover");
        assert!(again.is_empty(), "{again:?}");
        let after = requests_and_304s();
        assert!(after.0 > before.0, "discovery asked GitHub again");
        assert_eq!(
            u64::try_from(after.0 - before.0).expect("count"),
            after.1 - before.1,
            "every request of the second discovery was answered 304"
        );

        // GitHub refusing the token: the services stay, the Overview says why.
        fakes.lock().github_token = Some("the-right-token".into());
        clock.set(NOW + 60_000);
        let refused = fleet
            .discover_orgs(&github, is_manifest)
            .await
            .expect("discover");
        assert!(refused.is_empty(), "nothing is retired when GitHub fails");
        let status = status_of(&fleet, "acme");
        let error = status.error.expect("the failure is recorded");
        assert!(error.contains("acme") && error.contains("401"), "{error}");
        assert_eq!(status.last_success_ms, Some(NOW), "the last success stays");
        assert_eq!(fleet.count().await.expect("count"), 2);
        let overview = overview_html(fleet.clone(), drift.clone(), store.clone()).await;
        assert!(
            overview.contains("GitHub organisation acme: 7 repositories listed, 2 with a manifest"),
            "the Overview says what discovery found"
        );
        assert!(
            overview.contains("GitHub rejected the token (401 Bad credentials)"),
            "the Overview says why discovery failed"
        );
        assert!(overview.contains("5 repositories passed over"));
        fakes.lock().github_token = None;

        // A repository deleted from the organisation retires its service.
        fakes.lock().repos.remove("acme/Billing_API");
        let shrunk = fleet
            .discover_orgs(&github, is_manifest)
            .await
            .expect("discover");
        assert_eq!(shrunk.retire.len(), 1);
        assert_eq!(shrunk.retire[0].slug, "billing-api");
        assert!(fleet.service("billing-api").await.expect("read").is_none());

        // The file no longer naming the organisation retires what it found.
        fakes.lock().repos.insert(
            "acme/payments".into(),
            FakeRepo::with_files(&[("go.mod", "module acme/payments\n\ngo 1.22\n")]),
        );
        fleet
            .discover_orgs(&github, is_manifest)
            .await
            .expect("discover");
        assert!(fleet.service("payments").await.expect("read").is_some());
        fleet.set_org_rules(vec![]).await;
        fleet
            .sync_from_file(path, &file.services)
            .await
            .expect("sync");
        assert!(fleet.service("payments").await.expect("read").is_none());
        assert!(fleet.discovery_statuses().is_empty());
        db.cleanup().await;
    }
}

/// The Overview as the server renders it.
async fn overview_html(
    fleet: FleetService,
    drift: shipshape_server::deps::service::DriftService,
    store: shipshape_server::store::Store,
) -> String {
    let router = common::admin_app(app_state(store, fleet, drift)).await;
    let (_, _, html) = common::answer(
        &router,
        Request::get("/").body(Body::empty()).expect("request"),
    )
    .await;
    html
}

#[test]
fn org_tables_with_mistakes_are_reported_with_their_line() {
    let path = Path::new("/fleet/shipshape.toml");
    let error = parse_fleet_file(path, "[[github.orgs]]\nname = \"acme\"\n")
        .expect_err("a table without a team")
        .to_string();
    assert!(error.contains("team"), "{error}");

    let error = parse_fleet_file(
        path,
        "[[github.orgs]]\nname = \"acme\"\nteam = \"t\"\ninclude_forked = true\n",
    )
    .expect_err("a typo in a key")
    .to_string();
    assert!(
        error.contains("/fleet/shipshape.toml:4") && error.contains("include_forked"),
        "{error}"
    );

    let error = parse_fleet_file(
        path,
        "[[github.orgs]]\nname = \"acme corp\"\nteam = \"t\"\n",
    )
    .expect_err("a name with a space")
    .to_string();
    assert!(
        error.contains("github.orgs[0].name") && error.contains("`acme corp`"),
        "{error}"
    );
}
