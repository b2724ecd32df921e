//! A Cargo workspace on disk is read by cargo itself (`cargo metadata`),
//! with the TOML reading as the fallback when cargo cannot read it.

use std::path::Path;

use shipshape_server::deps::model::DependencyKind;
use shipshape_server::deps::read::read_snapshot;
use shipshape_server::deps::source::local::read_folder;

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, text).expect("write");
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.dependencies]\nserde = { version = \"1.0\", features = [\"derive\"] }\n",
    );
    write(
        root,
        "crates/api/Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = { workspace = true }\nrt = { package = \"tokio\", version = \"1.38\", optional = true }\ncore = { path = \"../core\" }\n\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n\n[dev-dependencies]\ninsta = \"1\"\n",
    );
    write(root, "crates/api/src/lib.rs", "");
    write(
        root,
        "crates/core/Cargo.toml",
        "[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(root, "crates/core/src/lib.rs", "");
    dir
}

#[test]
fn cargo_reads_a_workspace_with_inheritance_renames_and_targets() {
    let dir = workspace();
    let snapshot = read_folder(dir.path()).expect("read");
    assert_eq!(
        snapshot.cargo_resolved.keys().collect::<Vec<_>>(),
        ["crates/api/Cargo.toml", "crates/core/Cargo.toml"],
        "cargo answered for every member from the workspace root"
    );
    let reading = read_snapshot(&snapshot);
    // The workspace has no Cargo.lock: the service is told so.
    let errors = reading.problems();
    assert_eq!(
        errors,
        [
            "Cargo.toml:1: not locked: no lock file governs it; 1 dependency is measured from its range, not from what is installed",
            "crates/api/Cargo.toml:1: not locked: no lock file governs it; 4 dependencies are measured from their ranges, not from what is installed"
        ]
    );
    let find = |name: &str| {
        reading
            .dependencies
            .iter()
            .find(|d| d.declared.name == name && d.manifest == "crates/api/Cargo.toml")
            .unwrap_or_else(|| panic!("{name} in {:?}", reading.dependencies))
            .declared
            .clone()
    };
    // Cargo writes requirements in full (`1.0` is `^1.0`): proof the
    // answer came from cargo and not from the TOML reading.
    assert_eq!(find("serde").requirement.as_deref(), Some("^1.0"));
    let tokio = find("tokio");
    assert!(tokio.optional);
    assert_eq!(tokio.requirement.as_deref(), Some("^1.38"));
    assert_eq!(find("libc").kind, DependencyKind::Normal);
    assert_eq!(find("insta").kind, DependencyKind::Dev);
    assert!(
        find("core")
            .non_registry_source
            .is_some_and(|s| s.starts_with("path ") && s.ends_with("crates/core")),
        "a path dependency is not measured against a registry"
    );
}

#[test]
fn a_workspace_cargo_cannot_read_falls_back_to_the_toml_reading_with_its_line() {
    let dir = workspace();
    // A member the workspace names but that does not exist: cargo refuses
    // the whole workspace; the TOML reading still measures what it can.
    write(
        dir.path(),
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\", \"missing\"]\n\n[workspace.dependencies]\nserde = \"1.0\"\n",
    );
    let snapshot = read_folder(dir.path()).expect("read");
    assert!(snapshot.cargo_resolved.is_empty());
    let reading = read_snapshot(&snapshot);
    let serde = reading
        .dependencies
        .iter()
        .find(|d| d.declared.name == "serde")
        .expect("serde still read");
    assert_eq!(serde.declared.requirement.as_deref(), Some("1.0"));
}
