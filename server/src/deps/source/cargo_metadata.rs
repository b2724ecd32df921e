//! Asks cargo itself for the dependencies of the Cargo packages in a
//! repository on disk (a local folder or a git clone), so that everything
//! cargo knows (workspace inheritance, renames, target tables, path and git
//! sources) is read the way cargo reads it. Where cargo is not installed or
//! fails, the caller keeps its own TOML reading, which reports file and line.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::deps::discover::{ManifestFile, folders_above, join};
use crate::deps::manifest::cargo::parse_metadata;
use crate::deps::model::{DeclaredDependency, Ecosystem};

/// Longer than cargo ever takes for `--no-deps`; a hung cargo is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Manifest path → dependencies as cargo resolved them, for every Cargo
/// manifest under a root that `cargo metadata` could read. Blocking.
pub fn resolve(
    root: &Path,
    manifests: &[ManifestFile],
) -> BTreeMap<String, Vec<DeclaredDependency>> {
    let cargo_paths: Vec<&str> = manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Cargo)
        .map(|m| m.path.as_str())
        .collect();
    if cargo_paths.is_empty() {
        return BTreeMap::new();
    }
    let Ok(canonical_root) = root.canonicalize() else {
        return BTreeMap::new();
    };
    let canonical_root = canonical_root.to_string_lossy().replace('\\', "/");
    // Outermost manifests only: cargo answers for a workspace's members.
    let outermost = cargo_paths.iter().filter(|path| {
        folders_above(path)
            .skip(1)
            .all(|folder| !cargo_paths.contains(&join(folder, "Cargo.toml").as_str()))
    });
    let mut resolved = BTreeMap::new();
    for manifest in outermost {
        match run(&root.join(manifest)) {
            Ok(json) => match parse_metadata(&json, &canonical_root) {
                Ok(found) => resolved.extend(found),
                Err(error) => tracing::warn!(manifest, "{error}; reading Cargo.toml as TOML"),
            },
            Err(Unavailable::NotInstalled) => return resolved,
            Err(Unavailable::Failed(reason)) => {
                tracing::debug!(
                    manifest,
                    "cargo metadata failed, reading Cargo.toml as TOML: {reason}"
                );
            }
        }
    }
    resolved
}

enum Unavailable {
    NotInstalled,
    Failed(String),
}

/// `cargo metadata --no-deps --offline`: reads manifests only, never the
/// network, and builds nothing (no build script of the repository runs).
fn run(manifest: &Path) -> Result<String, Unavailable> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest)
        .env("CARGO_TERM_COLOR", "never")
        // A repository's `.cargo/config.toml` could name its own rustc or a
        // wrapper, which cargo may start to learn the host; the environment
        // wins over config files, so neither comes from the repository.
        .env(
            "RUSTC",
            std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()),
        )
        .env("CARGO_BUILD_RUSTC_WRAPPER", "")
        .env("CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Unavailable::NotInstalled,
            _ => Unavailable::Failed(format!("cannot start cargo: {e}")),
        })?;
    // Read while waiting: an answer bigger than the pipe would block cargo.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Unavailable::Failed(format!(
                    "cargo metadata took longer than {}s",
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Unavailable::Failed(format!("waiting for cargo: {e}"))),
        }
    };
    let json = reader.join().unwrap_or_default();
    if status.success() {
        Ok(json)
    } else {
        let mut errors = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut errors);
        }
        Err(Unavailable::Failed(
            errors
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("no message")
                .to_string(),
        ))
    }
}
