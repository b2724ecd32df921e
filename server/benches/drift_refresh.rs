//! A full drift refresh of a synthetic fleet, against the local registries
//! and GitHub REST API of `shipshape-fakes` with 20 ms added to every
//! answer. Run with `cargo bench -p shipshape-server --bench drift_refresh`
//! (`-- --repos N --deps N --latency-ms N` to change the shape).
//!
//! The fleet: 1,000 GitHub repositories, each with 40 direct dependencies
//! drawn from a Zipf popularity curve (a few packages in almost every
//! repository, a long tail in one or two), spread over npm, Cargo, PyPI and
//! the Go proxy, each with a manifest and the lock file that pins versions.
//! Snapshots go to a real SQLite file.
//!
//! Prints what the issue asks to be reported: wall time of the first and of
//! a second (unchanged) refresh, registry requests against unique packages,
//! GitHub requests and 304s, and the process's peak memory.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shipshape_fakes::{FakePackage, FakeRepo, FakeState, Fakes};
use shipshape_server::common::clock::SystemClock;
use shipshape_server::common::secret::DatabaseUrl;
use shipshape_server::config::Config;
use shipshape_server::deps::model::Ecosystem;
use shipshape_server::deps::service::{DriftService, registries_from_config, sources_from_config};
use shipshape_server::deps::settings::RegistryConfig;
use shipshape_server::fleet::FleetService;
use shipshape_server::fleet::spec::{RepositorySource, ServiceSpec};
use shipshape_server::store::Store;

struct Shape {
    repos: usize,
    deps: usize,
    latency: Duration,
    /// Packages each ecosystem has to draw from.
    pool: usize,
}

fn shape_from_args() -> Shape {
    Shape {
        repos: support::arg("--repos", 1000) as usize,
        deps: support::arg("--deps", 40) as usize,
        latency: Duration::from_millis(support::arg("--latency-ms", 20)),
        pool: support::arg("--pool", 1500) as usize,
    }
}

/// The registry path of the fakes, and share of repositories, per ecosystem.
const MIX: [(Ecosystem, &str, u32); 4] = [
    (Ecosystem::Npm, "npm", 40),
    (Ecosystem::Cargo, "cargo", 30),
    (Ecosystem::Python, "pypi", 20),
    (Ecosystem::Go, "go", 10),
];

fn package_name(ecosystem: Ecosystem, rank: usize) -> String {
    match ecosystem {
        Ecosystem::Go => format!("github.com/bench/mod{rank:04}"),
        _ => format!("pkg{rank:04}"),
    }
}

/// 14 releases a month apart, three majors; the version in use is one of them.
fn releases(ecosystem: Ecosystem, rank: usize) -> Vec<String> {
    let prefix = if ecosystem == Ecosystem::Go { "v" } else { "" };
    (0..14)
        .map(|i| {
            let month = (rank + i * 2) % 12 + 1;
            let year = 2023 + i / 6;
            format!(
                "{prefix}{}.{}.{}@{year}-{month:02}-15",
                1 + i / 6,
                (i % 6) / 2,
                i % 2
            )
        })
        .collect()
}

/// Cumulative Zipf weights (s = 1.07, close to what package download
/// counts follow) for sampling ranks.
fn zipf_cumulative(pool: usize) -> Vec<f64> {
    let mut total = 0.0;
    (1..=pool)
        .map(|rank| {
            total += 1.0 / (rank as f64).powf(1.07);
            total
        })
        .collect()
}

fn sample_ranks(rng: &mut fastrand::Rng, cumulative: &[f64], count: usize) -> Vec<usize> {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let mut chosen = BTreeSet::new();
    while chosen.len() < count.min(cumulative.len()) {
        let target = rng.f64() * total;
        chosen.insert(cumulative.partition_point(|c| *c < target));
    }
    chosen.into_iter().collect()
}

/// (name, version in use) → manifest and lock files for one repository.
fn repository_files(ecosystem: Ecosystem, pins: &[(String, String)]) -> Vec<(String, String)> {
    match ecosystem {
        Ecosystem::Npm => {
            let deps: Vec<String> = pins
                .iter()
                .map(|(n, v)| format!("    \"{n}\": \"^{v}\""))
                .collect();
            let locked: Vec<String> = pins
                .iter()
                .map(|(n, v)| format!("    \"node_modules/{n}\": {{ \"version\": \"{v}\", \"resolved\": \"https://registry.npmjs.org/{n}/-/{n}-{v}.tgz\" }}"))
                .collect();
            vec![
                (
                    "package.json".into(),
                    format!(
                        "{{\n  \"name\": \"svc\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{\n{}\n  }}\n}}\n",
                        deps.join(",\n")
                    ),
                ),
                (
                    "package-lock.json".into(),
                    format!(
                        "{{\n  \"name\": \"svc\",\n  \"lockfileVersion\": 3,\n  \"packages\": {{\n    \"\": {{ \"name\": \"svc\", \"version\": \"1.0.0\" }},\n{}\n  }}\n}}\n",
                        locked.join(",\n")
                    ),
                ),
            ]
        }
        Ecosystem::Cargo => {
            let deps: Vec<String> = pins.iter().map(|(n, v)| format!("{n} = \"{v}\"")).collect();
            let locked: Vec<String> = pins
                .iter()
                .map(|(n, v)| format!("[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"))
                .collect();
            vec![
                (
                    "Cargo.toml".into(),
                    format!(
                        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{}\n",
                        deps.join("\n")
                    ),
                ),
                (
                    "Cargo.lock".into(),
                    format!("version = 3\n\n{}", locked.join("\n")),
                ),
            ]
        }
        Ecosystem::Python => {
            let lines: Vec<String> = pins.iter().map(|(n, v)| format!("{n}=={v}")).collect();
            vec![("requirements.txt".into(), lines.join("\n") + "\n")]
        }
        _ => {
            let lines: Vec<String> = pins.iter().map(|(n, v)| format!("\t{n} {v}")).collect();
            vec![(
                "go.mod".into(),
                format!(
                    "module example.com/svc\n\ngo 1.22\n\nrequire (\n{}\n)\n",
                    lines.join("\n")
                ),
            )]
        }
    }
}

struct Fleet {
    state: FakeState,
    services: Vec<ServiceSpec>,
    /// Registry path → unique packages the fleet uses there.
    unique: BTreeMap<&'static str, usize>,
}

fn synthetic_fleet(shape: &Shape) -> Fleet {
    let mut rng = fastrand::Rng::with_seed(20_261_123);
    let cumulative = zipf_cumulative(shape.pool);
    let mut state = FakeState::default();
    let mut used: BTreeMap<&'static str, BTreeSet<usize>> = BTreeMap::new();
    let mut services = Vec::with_capacity(shape.repos);
    let total_share: u32 = MIX.iter().map(|(_, _, share)| share).sum();
    for index in 0..shape.repos {
        let mut pick = (index as u32 * 7919) % total_share;
        let (ecosystem, registry, _) = MIX
            .iter()
            .copied()
            .find(|(_, _, share)| {
                if pick < *share {
                    true
                } else {
                    pick -= share;
                    false
                }
            })
            .unwrap_or(MIX[0]);
        let ranks = sample_ranks(&mut rng, &cumulative, shape.deps);
        let pins: Vec<(String, String)> = ranks
            .iter()
            .map(|rank| {
                let all = releases(ecosystem, *rank);
                let in_use = &all[rng.usize(0..all.len())];
                let version = in_use.split('@').next().unwrap_or_default().to_string();
                (package_name(ecosystem, *rank), version)
            })
            .collect();
        used.entry(registry).or_default().extend(ranks);
        let files = repository_files(ecosystem, &pins);
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let slug = format!("svc-{index:04}");
        state
            .repos
            .insert(format!("bench/{slug}"), FakeRepo::with_files(&borrowed));
        services.push(ServiceSpec {
            slug: slug.clone(),
            name: slug.clone(),
            team: format!("team-{}", index % 12),
            tags: vec![],
            tier: 3,
            repository: Some(RepositorySource::GitHub {
                owner: "bench".into(),
                repo: slug,
            }),
            health_endpoints: vec![],
            public: false,
        });
    }
    for (ecosystem, registry, _) in MIX {
        for rank in used.get(registry).into_iter().flatten() {
            let all = releases(ecosystem, *rank);
            let borrowed: Vec<&str> = all.iter().map(String::as_str).collect();
            state.add(
                registry,
                &package_name(ecosystem, *rank),
                FakePackage::of(&borrowed),
            );
        }
    }
    state.latency = shape.latency;
    Fleet {
        state,
        services,
        unique: used
            .into_iter()
            .map(|(r, ranks)| (r, ranks.len()))
            .collect(),
    }
}

struct Counts {
    registry: BTreeMap<&'static str, usize>,
    github: usize,
    not_modified: u64,
}

fn counts(fakes: &Fakes) -> Counts {
    let state = fakes.lock();
    Counts {
        registry: MIX
            .iter()
            .map(|(_, registry, _)| (*registry, state.count(&format!("/{registry}/"))))
            .collect(),
        github: state.count("/github/"),
        not_modified: state.not_modified,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let shape = shape_from_args();
    let fleet = synthetic_fleet(&shape);
    let fakes = Fakes::start(fleet.state, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base = fakes.base();

    let work = tempfile::tempdir()?;
    let database = work.path().join("bench.db");
    let url = DatabaseUrl::new(format!("sqlite://{}", database.display()));
    let store = Store::connect(&url, 8).await?;
    store.migrate().await?;
    let clock = Arc::new(SystemClock);
    FleetService::new(store.clone(), clock.clone())
        .sync_from_file(Path::new("bench.toml"), &fleet.services)
        .await?;

    let mut config = Config::default().drift;
    for (ecosystem, registry, _) in MIX {
        config.registries.insert(
            ecosystem,
            RegistryConfig {
                url: Some(format!("{base}/{registry}")),
                token_env: None,
            },
        );
    }
    config.github_api_url = format!("{base}/github");
    config.cache_dir = work.path().join("cache");
    let env = BTreeMap::new();
    let drift = DriftService::new(
        store.clone(),
        clock,
        registries_from_config(&config, &env),
        sources_from_config(&config, &env),
        None,
    );

    let started = Instant::now();
    let first = drift.refresh_fleet().await?;
    let first_time = started.elapsed();
    let after_first = counts(&fakes);

    let started = Instant::now();
    let second = drift.refresh_fleet().await?;
    let second_time = started.elapsed();
    let after_second = counts(&fakes);

    let dependency_rows = store.fleet_dependencies().await?.len();
    let unique_total: usize = fleet.unique.values().sum();
    println!(
        "fleet: {} repositories x {} dependencies ({} dependency rows stored), {} ms per answer",
        shape.repos,
        shape.deps,
        dependency_rows,
        shape.latency.as_millis()
    );
    println!(
        "first refresh: {:.1} s ({} services, {} failed, {} packages)",
        first_time.as_secs_f64(),
        first.services,
        first.failed,
        first.packages
    );
    println!(
        "second refresh (unchanged): {:.1} s ({} unchanged, {} failed)",
        second_time.as_secs_f64(),
        second.unchanged,
        second.failed
    );
    println!("| registry | unique packages | requests, first refresh | requests, second refresh |");
    println!("|---|---|---|---|");
    for (registry, unique) in &fleet.unique {
        let first_requests = after_first.registry.get(registry).copied().unwrap_or(0);
        let second_requests =
            after_second.registry.get(registry).copied().unwrap_or(0) - first_requests;
        println!("| {registry} | {unique} | {first_requests} | {second_requests} |");
    }
    println!("total unique packages: {unique_total}");
    println!(
        "GitHub: {} requests in the first refresh; {} in the second, of which {} answered 304",
        after_first.github,
        after_second.github - after_first.github,
        after_second.not_modified - after_first.not_modified
    );
    if let Some(kib) = support::peak_rss_kib() {
        println!(
            "peak memory (VmHWM, server and fakes in one process): {} MiB",
            kib / 1024
        );
    }
    if first.failed > 0 || second.failed > 0 {
        anyhow::bail!("some services failed to refresh");
    }
    store.close().await;
    Ok(())
}
