//! Upgrade runs end to end below the web layer: a repository on the fake
//! GitHub (which keeps git objects, branches and PRs as GitHub does),
//! registries over loopback HTTP, and runs recorded in SQLite and
//! PostgreSQL. The tests read what was written on the fake GitHub.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::{ManualClock, TestDb, services, upgrade_service};
use shipshape_fakes::{FakePackage, FakeRepo, FakeState, Fakes};
use shipshape_server::config::parse_fleet_file;
use shipshape_server::fleet::FleetService;
use shipshape_server::upgrade::service::{RunCause, UpgradeService};
use shipshape_server::upgrade::settings::UpgradeSettings;
use shipshape_types::upgrades::{EventLevel, PrState, PrStep, RunStatus, WaveState, WaveTierState};

const NOW: i64 = 1_795_424_000_000; // 2026-11-23
const REPO: &str = "acme/checkout";

const CARGO_TOML: &str = r#"[package]
name = "checkout"
version = "0.1.0"

[dependencies]
# web
axum = { version = "0.7.5", features = ["macros"] }
serde = "1.0.190"   # keep
tokio = { version = "1.36", features = ["full"] }
"#;

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "axum"
version = "0.7.5"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.190"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tokio"
version = "1.36.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

const PACKAGE_JSON: &str = r#"{
  "name": "checkout-web",
  "dependencies": {
    "react": "^18.2.0"
  }
}
"#;

fn state() -> FakeState {
    let mut state = FakeState::default();
    state.add(
        "cargo",
        "serde",
        FakePackage::of(&["1.0.190@2024-01-10", "1.0.210@2026-10-01"]),
    );
    state.add(
        "cargo",
        "tokio",
        FakePackage::of(&["1.36.0@2024-02-01", "1.41.0@2026-10-15"]).with_features(&["full"]),
    );
    state.add(
        "cargo",
        "axum",
        FakePackage::of(&["0.7.5@2024-03-01", "0.7.9@2026-09-01", "0.8.1@2026-11-01"])
            .with_features(&["macros"]),
    );
    state.add(
        "npm",
        "react",
        FakePackage::of(&["18.2.0@2023-06-14", "19.0.0@2026-11-10"]),
    );
    state.repos.insert(
        REPO.into(),
        FakeRepo::with_files(&[
            ("Cargo.toml", CARGO_TOML),
            ("Cargo.lock", CARGO_LOCK),
            ("web/package.json", PACKAGE_JSON),
        ]),
    );
    state
}

// Lock-file maintenance PRs have their own tests (lock_files.rs); here
// every PR is a version bump.
const FLEET: &str = r#"
[upgrades.policy]
reviewers = ["payments-leads"]
lock_maintenance = "off"

[[service]]
slug = "checkout"
team = "payments"
repository = "github:acme/checkout"
"#;

struct Setup {
    upgrades: UpgradeService,
    fakes: Fakes,
    clock: Arc<ManualClock>,
    _cache: tempfile::TempDir,
}

async fn setup(db: &TestDb, fleet_text: &str) -> Setup {
    let fakes = Fakes::start(state(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("fakes listen");
    with_fakes(db, fleet_text, fakes).await
}

async fn with_fakes(db: &TestDb, fleet_text: &str, fakes: Fakes) -> Setup {
    let store = db.store().await;
    let clock = ManualClock::at(NOW);
    let fleet = FleetService::new(store.clone(), clock.clone());
    fleet
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &services(fleet_text))
        .await
        .expect("sync fleet");
    let settings: UpgradeSettings =
        parse_fleet_file(Path::new("/fleet/shipshape.toml"), fleet_text)
            .expect("valid")
            .upgrades;
    let cache = tempfile::tempdir().expect("cache dir");
    let upgrades = upgrade_service(store, clock.clone(), &fakes.base(), cache.path(), settings);
    Setup {
        upgrades,
        fakes,
        clock,
        _cache: cache,
    }
}

/// Open PRs on the fake: head branch → (number, title).
fn open_pulls(fakes: &Fakes) -> BTreeMap<String, (u64, String)> {
    fakes.lock().repos[REPO]
        .open_pulls()
        .into_iter()
        .map(|p| (p.head.clone(), (p.number, p.title.clone())))
        .collect()
}

fn branch_file(fakes: &Fakes, branch: &str, path: &str) -> String {
    fakes.lock().repos[REPO]
        .branch_files(branch)
        .unwrap_or_else(|| panic!("no branch {branch}"))
        .get(path)
        .cloned()
        .unwrap_or_default()
}

fn writes(fakes: &Fakes) -> usize {
    fakes
        .lock()
        .log
        .iter()
        .filter(|line| !line.starts_with("GET "))
        .count()
}

#[tokio::test]
async fn a_run_opens_one_pr_per_group_and_later_runs_update_supersede_and_track_them() {
    for db in TestDb::all().await {
        let setup = setup(&db, FLEET).await;
        let fakes = &setup.fakes;
        let outcome = setup
            .upgrades
            .run(RunCause::Manual, None, false, true)
            .await
            .expect("run");
        assert_eq!(
            outcome.run.status,
            RunStatus::Done,
            "{}: {:?}",
            db.label,
            outcome.run
        );
        let pulls = open_pulls(fakes);
        assert_eq!(
            pulls.keys().cloned().collect::<Vec<_>>(),
            [
                "shipshape/major-cargo-axum-0.8",
                "shipshape/major-npm-react-19",
                "shipshape/minor-patch"
            ],
            "{}",
            db.label
        );
        assert_eq!(
            pulls["shipshape/minor-patch"].1,
            "Update 3 dependencies (patch and minor)"
        );

        // Only the version text changed, and only on the branch.
        let manifest = branch_file(fakes, "shipshape/minor-patch", "Cargo.toml");
        assert_eq!(
            manifest,
            CARGO_TOML
                .replace("\"0.7.5\"", "\"0.7.9\"")
                .replace("\"1.0.190\"", "\"1.0.210\"")
                .replace("\"1.36\"", "\"1.41\"")
        );
        assert_eq!(branch_file(fakes, "main", "Cargo.toml"), CARGO_TOML);
        assert!(
            branch_file(fakes, "shipshape/major-npm-react-19", "web/package.json")
                .contains("\"react\": \"^19.0.0\"")
        );
        {
            let state = fakes.lock();
            let pull = state.repos[REPO]
                .git
                .pulls
                .iter()
                .find(|p| p.head == "shipshape/minor-patch")
                .cloned()
                .expect("the minor-patch PR");
            assert_eq!(pull.base, "main");
            assert_eq!(pull.labels, ["dependencies"]);
            assert_eq!(pull.reviewers, ["payments-leads"]);
            assert!(pull.body.contains("| `serde` (cargo, `Cargo.toml`) | 1.0.190 | **1.0.210** | patch | 52 days ago |"), "{}", pull.body);
            assert!(
                pull.body
                    .contains("`Cargo.lock`: regenerated by `cargo` and checked by it"),
                "{}",
                pull.body
            );
            assert!(
                pull.body
                    .contains("<!-- shipshape: service=checkout group=minor-patch -->")
            );
        }
        let tracked = setup.upgrades.prs(Some(PrState::Open)).await.expect("prs");
        assert_eq!(tracked.len(), 3);
        assert!(
            tracked
                .iter()
                .all(|pr| pr.step == PrStep::Complete && pr.number.is_some())
        );

        // Nothing new: nothing is written.
        let before = writes(fakes);
        let again = setup
            .upgrades
            .run(RunCause::Manual, None, false, true)
            .await
            .expect("run");
        assert_eq!(
            writes(fakes),
            before,
            "{}: {:?}",
            db.label,
            again.run.events
        );
        assert!(
            again
                .run
                .events
                .iter()
                .any(|e| e.message.starts_with("unchanged #"))
        );

        // A newer serde: the same PR gets a new commit and a new body.
        fakes.lock().add(
            "cargo",
            "serde",
            FakePackage::of(&[
                "1.0.190@2024-01-10",
                "1.0.210@2026-10-01",
                "1.0.215@2026-11-02",
            ]),
        );
        // A newer major of axum supersedes the 0.8 PR.
        fakes.lock().add(
            "cargo",
            "axum",
            FakePackage::of(&[
                "0.7.5@2024-03-01",
                "0.7.9@2026-09-01",
                "0.8.1@2026-11-01",
                "0.9.0@2026-11-15",
            ]),
        );
        setup
            .upgrades
            .run(RunCause::Manual, None, false, true)
            .await
            .expect("run");
        let pulls_now = open_pulls(fakes);
        assert_eq!(
            pulls_now["shipshape/minor-patch"].0, pulls["shipshape/minor-patch"].0,
            "same PR"
        );
        assert!(
            branch_file(fakes, "shipshape/minor-patch", "Cargo.toml")
                .contains("serde = \"1.0.215\"")
        );
        assert!(!pulls_now.contains_key("shipshape/major-cargo-axum-0.8"));
        assert!(pulls_now.contains_key("shipshape/major-cargo-axum-0.9"));
        {
            let state = fakes.lock();
            let closed = pulls["shipshape/major-cargo-axum-0.8"].0;
            assert!(
                state.repos[REPO]
                    .git
                    .comments
                    .iter()
                    .any(|(n, body)| *n == closed && body.starts_with("Superseded"))
            );
        }

        // People merge one PR and close another: both are tracked, and the
        // declined versions are not proposed again.
        let minor_patch = pulls_now["shipshape/minor-patch"].0;
        let react = pulls_now["shipshape/major-npm-react-19"].0;
        {
            let mut state = fakes.lock();
            let repo = state.repos.get_mut(REPO).expect("repo");
            assert!(repo.merge_pull(minor_patch));
            repo.close_pull(react);
        }
        setup.clock.set(NOW + 3_600_000);
        let after = setup
            .upgrades
            .run(RunCause::Manual, None, false, true)
            .await
            .expect("run");
        let all = setup.upgrades.prs(None).await.expect("prs");
        let state_of = |group: &str| {
            all.iter()
                .filter(|p| p.group == group)
                .map(|p| p.state.name())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            state_of("minor-patch"),
            ["merged"],
            "{:?}",
            after.run.events
        );
        assert_eq!(state_of("major-npm-react-19"), ["closed"]);
        assert_eq!(state_of("major-cargo-axum-0.8"), ["superseded"]);
        assert_eq!(
            state_of("major-cargo-axum-0.9"),
            ["open"],
            "{:?}",
            after.run.events
        );
        assert!(
            all.iter()
                .find(|p| p.group == "minor-patch")
                .and_then(|p| p.merged_ms)
                .is_some()
        );
        let open_now = open_pulls(fakes);
        assert_eq!(
            open_now.keys().collect::<Vec<_>>(),
            ["shipshape/major-cargo-axum-0.9"]
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_dry_run_shows_branches_diffs_and_texts_and_writes_nothing() {
    let db = TestDb::sqlite().await;
    let setup = setup(&db, FLEET).await;
    let outcome = setup
        .upgrades
        .run(RunCause::Manual, Some("checkout"), true, true)
        .await
        .expect("dry run");
    assert_eq!(writes(&setup.fakes), 0, "a dry run writes nothing");
    assert!(open_pulls(&setup.fakes).is_empty());
    let service = &outcome.services[0];
    let minor = service
        .groups
        .iter()
        .find(|g| g.group == "minor-patch")
        .unwrap_or_else(|| {
            panic!(
                "minor-patch previewed: {service:?} {:?}",
                outcome.run.events
            )
        });
    assert_eq!(minor.branch, "shipshape/minor-patch");
    assert_eq!(minor.action, "open");
    let paths: Vec<&str> = minor.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["Cargo.lock", "Cargo.toml"],
        "the manifest and its lock"
    );
    let lock_diff = &minor.files[0].diff;
    assert!(
        lock_diff.contains("+version = \"1.0.210\""),
        "the lock moves serde too: {lock_diff}"
    );
    let diff = &minor.files[1].diff;
    assert!(diff.contains("\n-serde = \"1.0.190\"   # keep\n"), "{diff}");
    assert!(diff.contains("\n+serde = \"1.0.210\"   # keep\n"), "{diff}");
    assert!(
        diff.contains("\n # web\n"),
        "context lines are kept: {diff}"
    );
    assert!(minor.body.contains("**1.0.210**"));
    assert!(setup.upgrades.prs(None).await.expect("prs").is_empty());
    assert!(outcome.run.dry_run);
}

#[tokio::test]
async fn the_open_pr_limit_holds_new_groups_back() {
    let db = TestDb::sqlite().await;
    let fleet = FLEET.replace(
        "[upgrades.policy]\n",
        "[upgrades.policy]\nmax_open_prs = 1\n",
    );
    let setup = setup(&db, &fleet).await;
    let outcome = setup
        .upgrades
        .run(RunCause::Manual, None, false, true)
        .await
        .expect("run");
    assert_eq!(
        open_pulls(&setup.fakes).keys().collect::<Vec<_>>(),
        ["shipshape/minor-patch"]
    );
    assert!(
        outcome.run.events.iter().any(|e| e
            .message
            .contains("waiting: 1 upgrade PRs are open (the policy allows 1)")),
        "{:?}",
        outcome.run.events
    );
}

#[tokio::test]
async fn rate_limits_are_waited_for_and_writes_stay_under_the_secondary_limit() {
    let db = TestDb::sqlite().await;
    let setup = setup(&db, FLEET).await;
    {
        let mut state = setup.fakes.lock();
        state.github_secondary_limit_once = Some(1);
        // The client sends at most 6000 writes a minute in tests; the fake
        // refuses a write beyond 6000 in any minute.
        state.github_writes_per_minute = Some(6000);
    }
    let outcome = setup
        .upgrades
        .run(RunCause::Manual, None, false, true)
        .await
        .expect("run");
    assert_eq!(
        open_pulls(&setup.fakes).len(),
        3,
        "{:?}",
        outcome.run.events
    );
    assert!(
        outcome
            .run
            .events
            .iter()
            .all(|e| e.level != EventLevel::Error),
        "{:?}",
        outcome.run.events
    );
}

/// Kills a run at every write (before GitHub carried it out, and after it
/// did but before Shipshape heard), then runs again: each time, exactly one
/// PR per group, all of them known to Shipshape.
#[tokio::test]
async fn a_run_killed_at_any_write_is_finished_by_the_next_without_duplicates() {
    // How many writes a clean run makes.
    let db = TestDb::sqlite().await;
    let clean = setup(&db, FLEET).await;
    clean
        .upgrades
        .run(RunCause::Manual, None, false, true)
        .await
        .expect("clean run");
    let total = writes(&clean.fakes);
    let expected: Vec<String> = open_pulls(&clean.fakes).keys().cloned().collect();
    assert!(total >= 15, "a clean run made {total} writes");

    for nth in 1..=total {
        for applied in [false, true] {
            let db = TestDb::sqlite().await;
            let setup = setup(&db, FLEET).await;
            setup.fakes.lock().github_hang_on_write = Some((nth, applied));
            let upgrades = setup.upgrades.clone();
            let killed =
                tokio::spawn(
                    async move { upgrades.run(RunCause::Manual, None, false, true).await },
                );
            while !setup.fakes.lock().github_hung {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            killed.abort();
            let _ = killed.await;
            {
                let mut state = setup.fakes.lock();
                state.github_hang_on_write = None;
                state.github_hung = false;
            }
            let finish = setup
                .upgrades
                .run(RunCause::Manual, None, false, true)
                .await
                .expect("the next run");
            let mut pulls: Vec<String> = setup.fakes.lock().repos[REPO]
                .git
                .pulls
                .iter()
                .map(|p| p.head.clone())
                .collect();
            pulls.sort();
            assert_eq!(
                pulls, expected,
                "write {nth} (carried out: {applied}): {:?}",
                finish.run.events
            );
            let tracked = setup.upgrades.prs(Some(PrState::Open)).await.expect("prs");
            let numbers: Vec<(String, i64)> = tracked
                .iter()
                .map(|p| (p.branch.clone(), p.number.unwrap_or(-1)))
                .collect();
            let on_github: Vec<(String, i64)> = setup.fakes.lock().repos[REPO]
                .open_pulls()
                .iter()
                .map(|p| (p.head.clone(), i64::try_from(p.number).unwrap_or(0)))
                .collect();
            let sorted = |mut v: Vec<(String, i64)>| {
                v.sort();
                v
            };
            assert_eq!(
                sorted(numbers),
                sorted(on_github),
                "write {nth} (carried out: {applied})"
            );
            assert!(tracked.iter().all(|p| p.step == PrStep::Complete));
        }
    }
}

/// The REST API over the real router: a dry run for one service, the run
/// listed with what it did, PRs filtered by state, the schedule, and
/// mistakes answered with what is wrong.
#[tokio::test]
async fn the_api_runs_lists_and_explains() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};

    let db = TestDb::sqlite().await;
    let setup = setup(&db, FLEET).await;
    let store = db.store().await;
    let fleet = FleetService::new(store.clone(), setup.clock.clone());
    let cache = tempfile::tempdir().expect("cache");
    let drift = common::drift_service(
        store.clone(),
        setup.clock.clone(),
        Some(&setup.fakes.base()),
        cache.path(),
    );
    let mut state = common::app_state(store, fleet, drift);
    state.ops.upgrades = setup.upgrades.clone();
    let app = common::admin_app(state).await;
    let post = |body: &str| {
        Request::post("/api/v1/upgrades/runs")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };

    let (status, _, body) =
        common::answer(&app, post(r#"{"service": "checkout", "dry_run": true}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcome: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(outcome["run"]["dry_run"], true);
    let groups = outcome["services"][0]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3, "{body}");
    assert!(groups.iter().any(|g| {
        g["branch"] == "shipshape/minor-patch"
            && g["files"].as_array().is_some_and(|files| {
                files.iter().any(|f| {
                    f["path"] == "Cargo.toml"
                        && f["diff"]
                            .as_str()
                            .is_some_and(|d| d.contains("+serde = \"1.0.210\""))
                })
            })
    }));

    let (status, _, body) = common::answer(
        &app,
        Request::get("/api/v1/upgrades/runs")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    let runs = &page["items"];
    assert_eq!(runs[0]["status"], "done");
    // The fixture's web/package.json has no lock: the run says so too.
    assert!(
        runs[0]["events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|e| e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("dry run: 3 PR(s)")))),
        "{body}"
    );

    let (status, _, body) = common::answer(&app, post(r#"{"service": "checkout"}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, body) = common::answer(
        &app,
        Request::get("/api/v1/upgrades/prs?state=open")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    let prs = &page["items"];
    assert_eq!(prs.as_array().map(Vec::len), Some(3), "{body}");
    assert!(
        prs[0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://github.com/acme/checkout/pull/"))
    );

    let (_, _, body) = common::answer(
        &app,
        Request::get("/api/v1/upgrades/schedule")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    let schedule = &page["items"];
    assert_eq!(schedule[0]["expression"], "0 6 * * MON");
    // The clock stands at Monday 2026-11-23 08:53 UTC: past this week's
    // 06:00, so next Monday's (2026-11-30T06:00:00Z).
    assert_eq!(schedule[0]["next_run_ms"], 1_796_018_400_000_i64);

    let (status, _, body) = common::answer(&app, post(r#"{"service": "nope"}"#)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, body) = common::answer(&app, post(r#"{"servise": "checkout"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("unknown field `servise`"), "{body}");
    let (status, _, body) = common::answer(
        &app,
        Request::get("/api/v1/upgrades/prs?state=opne")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(
        status.is_client_error() && body.contains("`opne` is not a PR state"),
        "{status} {body}"
    );
}

/// A wave bumps serde across three services, least critical tier first:
/// the next tier's PR opens only once the tier before has merged (these
/// services have no healthcheck, so merged is enough).
#[tokio::test]
async fn a_wave_rolls_out_tier_by_tier_as_prs_are_merged() {
    for db in TestDb::all().await {
        let mut fake = state();
        for name in ["docs", "search", "ledger"] {
            let files = fake.repos[REPO].files.clone();
            let mut repo = FakeRepo::with_files(&[]);
            repo.files = files;
            fake.repos.insert(format!("acme/{name}"), repo);
        }
        let fakes = Fakes::start(fake, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("fakes listen");
        let fleet_text = r#"
[[service]]
slug = "docs"
team = "web"
tier = 5
repository = "github:acme/docs"

[[service]]
slug = "search"
team = "web"
tier = 3
repository = "github:acme/search"

[[service]]
slug = "ledger"
team = "payments"
tier = 1
repository = "github:acme/ledger"
"#;
        let setup = with_fakes(&db, fleet_text, fakes).await;
        let store = db.store().await;
        let cache = tempfile::tempdir().expect("cache");
        common::drift_service(
            store,
            setup.clock.clone(),
            Some(&setup.fakes.base()),
            cache.path(),
        )
        .refresh_fleet()
        .await
        .expect("drift refresh");
        let open_in = |repo: &str| -> Vec<String> {
            setup.fakes.lock().repos[&format!("acme/{repo}")]
                .open_pulls()
                .iter()
                .map(|p| p.head.clone())
                .collect()
        };

        let wave = setup
            .upgrades
            .create_wave(&shipshape_types::upgrades::NewWave {
                ecosystem: "cargo".into(),
                package: "serde".into(),
                target: "1.0.210".into(),
                soak: Some("1h".into()),
            })
            .await
            .expect("wave");
        let tiers: Vec<(u8, &str)> = wave
            .tiers
            .iter()
            .map(|t| (t.tier, t.state.name()))
            .collect();
        assert_eq!(
            tiers,
            [(5, "rolling-out"), (3, "waiting"), (1, "waiting")],
            "{}",
            db.label
        );
        assert_eq!(open_in("docs"), ["shipshape/wave-1-serde"]);
        assert!(open_in("search").is_empty() && open_in("ledger").is_empty());
        let docs_branch = setup.fakes.lock().repos["acme/docs"]
            .branch_files("shipshape/wave-1-serde")
            .expect("branch")["Cargo.toml"]
            .clone();
        assert_eq!(
            docs_branch,
            CARGO_TOML.replace("\"1.0.190\"", "\"1.0.210\""),
            "only serde moves"
        );

        // Nothing merged: another pass opens nothing more.
        assert_eq!(setup.upgrades.advance_waves().await.expect("advance"), 0);

        for (repo, next) in [
            ("docs", Some("search")),
            ("search", Some("ledger")),
            ("ledger", None),
        ] {
            {
                let mut state = setup.fakes.lock();
                let repo = state.repos.get_mut(&format!("acme/{repo}")).expect("repo");
                let number = repo.open_pulls()[0].number;
                assert!(repo.merge_pull(number));
            }
            setup.upgrades.sync_open_prs().await.expect("sync");
            setup.upgrades.advance_waves().await.expect("advance");
            if let Some(next) = next {
                assert_eq!(
                    open_in(next),
                    ["shipshape/wave-1-serde"],
                    "{} after {repo}",
                    db.label
                );
            }
        }
        let done = setup.upgrades.wave(wave.id).await.expect("wave");
        assert_eq!(done.state, WaveState::Done, "{done:?}");
        assert!(done.tiers.iter().all(|t| t.state == WaveTierState::Done));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_wave_for_a_package_nobody_uses_is_refused_with_why() {
    let db = TestDb::sqlite().await;
    let setup = setup(&db, FLEET).await;
    let error = setup
        .upgrades
        .create_wave(&shipshape_types::upgrades::NewWave {
            ecosystem: "cargo".into(),
            package: "left-pad".into(),
            target: "1.0.0".into(),
            soak: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "no service of the fleet uses cargo package `left-pad`"
    );
    let error = setup
        .upgrades
        .create_wave(&shipshape_types::upgrades::NewWave {
            ecosystem: "cobol".into(),
            package: "x".into(),
            target: "1".into(),
            soak: None,
        })
        .await
        .expect_err("refused");
    assert!(
        error.to_string().starts_with("`cobol` is not an ecosystem"),
        "{error}"
    );
}
