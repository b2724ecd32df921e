//! Lock-file regeneration with the real tools against the local fake
//! registries: one PR's lock for a Cargo workspace of about 170 locked
//! crates and for an npm project of about 150 packages, then a fleet of
//! repositories refreshed under the concurrency limit. Reports wall time
//! and the peak memory of the tools (the resident memory of every process
//! the bench started, summed, sampled every 10 ms).
//! Run with `cargo bench -p shipshape-server --bench lock_regeneration`
//! (`-- --repositories N` for the fleet, default 100; `cargo` and `npm`
//! on the PATH).

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use shipshape_fakes::{FakePackage, FakeState, Fakes};
use shipshape_server::deps::model::Ecosystem;
use shipshape_server::upgrade::locks::{
    LockBump, LockOutcome, LockRefresher, LockSettings, StaleLock,
};

/// Crates in the Cargo registry; the root depends on the first 40, each
/// crate on the three after it, so the lock holds all of them.
const CRATES: usize = 170;
const PACKAGES: usize = 150;

fn registry() -> FakeState {
    let mut state = FakeState::default();
    for (registry, count) in [("cargo", CRATES), ("npm", PACKAGES)] {
        for i in 0..count {
            let name = format!("pkg-{i:03}");
            let after: Vec<(String, String)> = (i + 1..(i + 4).min(count))
                .map(|j| (format!("pkg-{j:03}"), "^1.0.0".to_string()))
                .collect();
            let pairs: Vec<(&str, &str)> = after
                .iter()
                .map(|(n, r)| (n.as_str(), r.as_str()))
                .collect();
            let package = if i == 0 {
                // The one bumped: 2.0.0 also pulls in a new package.
                let mut with_new = pairs.clone();
                with_new.push(("pkg-new", "^1.0.0"));
                FakePackage::of(&["1.0.0@2024-01-01", "2.0.0@2026-10-01"])
                    .requires("1.0.0", &pairs)
                    .requires("2.0.0", &with_new)
            } else {
                FakePackage::of(&["1.0.0@2024-01-01"]).requires("1.0.0", &pairs)
            };
            state.add(registry, &name, package);
        }
        state.add(registry, "pkg-new", FakePackage::of(&["1.0.0@2026-01-01"]));
    }
    state
}

fn cargo_files(direct: &str) -> BTreeMap<String, String> {
    let dependencies: String = (0..40)
        .map(|i| {
            let version = if i == 0 { direct } else { "1.0.0" };
            format!("pkg-{i:03} = \"{version}\"\n")
        })
        .collect();
    [
        ("Cargo.toml".to_string(), "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n".to_string()),
        (
            "app/Cargo.toml".to_string(),
            format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{dependencies}"),
        ),
    ]
    .into_iter()
    .collect()
}

fn npm_files(direct: &str) -> BTreeMap<String, String> {
    let dependencies: Vec<String> = (0..40)
        .map(|i| {
            let version = if i == 0 { direct } else { "1.0.0" };
            format!("    \"pkg-{i:03}\": \"^{version}\"")
        })
        .collect();
    [(
        "package.json".to_string(),
        format!(
            "{{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{\n{}\n  }}\n}}\n",
            dependencies.join(",\n")
        ),
    )]
    .into_iter()
    .collect()
}

/// The lock the repository has before the PR, written by the tool.
async fn initial_lock(
    fakes: &Fakes,
    ecosystem: Ecosystem,
    files: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let work = tempfile::tempdir()?;
    for (path, text) in files {
        let target = work.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(work.path()))?;
        std::fs::write(target, text)?;
    }
    std::fs::create_dir_all(work.path().join("app/src"))?;
    std::fs::write(work.path().join("app/src/lib.rs"), "")?;
    let home = work.path().join("home");
    std::fs::create_dir_all(&home)?;
    let (program, args, lock): (&str, Vec<String>, &str) = match ecosystem {
        Ecosystem::Cargo => (
            "cargo",
            vec![
                "--config".into(),
                "source.crates-io.replace-with=\"fake\"".into(),
                "--config".into(),
                format!("source.fake.registry=\"sparse+{}/\"", fakes.url("cargo")),
                "generate-lockfile".into(),
            ],
            "Cargo.lock",
        ),
        _ => (
            "npm",
            vec![
                "install".into(),
                "--package-lock-only".into(),
                "--ignore-scripts".into(),
            ],
            "package-lock.json",
        ),
    };
    let output = tokio::process::Command::new(program)
        .args(&args)
        .current_dir(work.path())
        .env("CARGO_HOME", home.join("cargo"))
        .env("npm_config_registry", fakes.url("npm"))
        .env("npm_config_cache", home.join("npm"))
        .output()
        .await?;
    anyhow::ensure!(
        output.status.success(),
        "{program} could not write the starting lock: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(std::fs::read_to_string(work.path().join(lock))?)
}

/// Samples the resident memory of every process descended from this one.
fn tool_memory_sampler(
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let me = std::process::id();
        while !stop.load(Ordering::Relaxed) {
            let mut parents: BTreeMap<u32, (u32, u64)> = BTreeMap::new();
            if let Ok(entries) = std::fs::read_dir("/proc") {
                for entry in entries.flatten() {
                    let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                        continue;
                    };
                    let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
                        continue;
                    };
                    let field = |name: &str| {
                        status
                            .lines()
                            .find_map(|l| l.strip_prefix(name))
                            .and_then(|v| {
                                v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
                            })
                    };
                    if let Some(ppid) = field("PPid:") {
                        parents.insert(
                            pid,
                            (
                                u32::try_from(ppid).unwrap_or(0),
                                field("VmRSS:").unwrap_or(0),
                            ),
                        );
                    }
                }
            }
            let descends = |mut pid: u32| {
                for _ in 0..32 {
                    match parents.get(&pid) {
                        Some((ppid, _)) if *ppid == me => return true,
                        Some((ppid, _)) if *ppid > 1 => pid = *ppid,
                        _ => return false,
                    }
                }
                false
            };
            let total: u64 = parents
                .iter()
                .filter(|(pid, _)| descends(**pid))
                .map(|(_, (_, rss))| rss)
                .sum();
            peak_kib.fetch_max(total, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(10));
        }
    })
}

struct Case {
    ecosystem: Ecosystem,
    lock: &'static str,
    files: BTreeMap<String, String>,
}

async fn case(fakes: &Fakes, ecosystem: Ecosystem) -> anyhow::Result<Case> {
    let (before, after, lock) = match ecosystem {
        Ecosystem::Cargo => (cargo_files("1.0.0"), cargo_files("2.0.0"), "Cargo.lock"),
        _ => (npm_files("1.0.0"), npm_files("2.0.0"), "package-lock.json"),
    };
    let locked = initial_lock(fakes, ecosystem, &before).await?;
    let mut files = after;
    files.insert(lock.to_string(), locked);
    Ok(Case {
        ecosystem,
        lock,
        files,
    })
}

async fn refresh(refresher: &LockRefresher, case: &Case) -> anyhow::Result<usize> {
    let stale = StaleLock {
        lock: case.lock.to_string(),
        ecosystem: case.ecosystem,
        maintenance: false,
        bumps: vec![LockBump {
            name: "pkg-000".into(),
            from: Some("1.0.0".into()),
            to: "2.0.0".into(),
        }],
    };
    match refresher.refresh(&case.files, &stale).await {
        LockOutcome::Updated { text, changes } => {
            let read = match case.ecosystem {
                Ecosystem::Cargo => {
                    shipshape_server::deps::manifest::cargo::parse_lock(case.lock, &text)
                }
                _ => shipshape_server::deps::manifest::npm::parse_lock(case.lock, &text),
            };
            let locked = read
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .values()
                .map(Vec::len)
                .sum();
            anyhow::ensure!(
                changes.len() == 2,
                "expected pkg-000 and pkg-new to move: {changes:?}"
            );
            Ok(locked)
        }
        LockOutcome::NotUpdated { why, .. } => anyhow::bail!("not updated: {why}"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let repositories = usize::try_from(support::arg("--repositories", 100))?;
    let fakes = Fakes::start(registry(), SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let cache = tempfile::tempdir()?;
    let settings = |concurrency: usize| LockSettings {
        concurrency,
        cache_dir: cache.path().to_path_buf(),
        cargo_registry: Some(fakes.url("cargo")),
        npm_registry: Some(fakes.url("npm")),
        ..LockSettings::default()
    };
    for ecosystem in [Ecosystem::Cargo, Ecosystem::Npm] {
        let case = case(&fakes, ecosystem).await?;
        let refresher = LockRefresher::new(settings(1));
        // The first run fills the tool's cache (index, packuments); the
        // second is what every later PR against the same registry costs.
        for label in ["cold cache", "warm cache"] {
            let stop = Arc::new(AtomicBool::new(false));
            let peak = Arc::new(AtomicU64::new(0));
            let sampler = tool_memory_sampler(stop.clone(), peak.clone());
            let started = Instant::now();
            let locked = refresh(&refresher, &case).await?;
            let took = started.elapsed();
            stop.store(true, Ordering::Relaxed);
            let _ = sampler.join();
            println!(
                "{} one PR's lock ({locked} locked packages), {label}: {:.2} s, tools' peak memory {} MiB",
                ecosystem.config_name(),
                took.as_secs_f64(),
                peak.load(Ordering::Relaxed) / 1024
            );
        }
    }
    // A fleet: half Cargo, half npm repositories, each one PR's lock,
    // under the default limit of two tools at once.
    let cargo = Arc::new(case(&fakes, Ecosystem::Cargo).await?);
    let npm = Arc::new(case(&fakes, Ecosystem::Npm).await?);
    let concurrency = LockSettings::default().concurrency;
    let refresher = LockRefresher::new(settings(concurrency));
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = tool_memory_sampler(stop.clone(), peak.clone());
    let started = Instant::now();
    let runs = (0..repositories).map(|i| {
        let refresher = refresher.clone();
        let case = if i % 2 == 0 {
            cargo.clone()
        } else {
            npm.clone()
        };
        async move { refresh(&refresher, &case).await }
    });
    let results = futures::future::join_all(runs).await;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
        println!("first failure: {error}");
    }
    println!(
        "fleet of {repositories} repositories (half Cargo, half npm), {concurrency} tools at once: {:.1} s, {failed} failed, tools' peak memory {} MiB, bench process peak memory {} MiB",
        took.as_secs_f64(),
        peak.load(Ordering::Relaxed) / 1024,
        support::peak_rss_kib().unwrap_or(0) / 1024
    );
    Ok(())
}
