//! The lock-file accuracy suite: each folder of `fixtures/accuracy` is a
//! repository in one real layout (npm, pnpm, yarn and bun workspaces,
//! aliases, a uv workspace, pins, a Cargo workspace) with a table of what
//! Shipshape must report, worked out by hand. Each is scanned from disk
//! against the fake registries over loopback HTTP, the way `shipshape scan`
//! does it.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use common::drift_config;
use shipshape_fakes::{FakePackage, FakeState, Fakes};
use shipshape_server::deps::scan::scan;
use shipshape_types::drift::DependencyView;

const NOW: i64 = 1_795_424_000_000; // 2026-11-23

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/accuracy")
}

/// `registry.txt`: `<registry> <name> <version>@<date> …` a line.
fn registry_state(text: &str) -> FakeState {
    let mut state = FakeState::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let (Some(registry), Some(name)) = (words.next(), words.next()) else {
            panic!("bad registry line: {line}");
        };
        let releases: Vec<&str> = words.collect();
        state.add(registry, name, FakePackage::of(&releases));
    }
    state
}

/// One row as `expected.txt` writes it.
fn row_of(d: &DependencyView) -> [String; 7] {
    let cell = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    [
        d.manifest.clone(),
        d.name.clone(),
        cell(&d.current),
        cell(&d.wanted),
        cell(&d.latest),
        d.gap_or_unknown().to_string(),
        d.version_source.name().to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_layout_reports_what_its_lock_files_really_say() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.join("expected.txt").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 11,
        "the suite covers every layout: {cases:?}"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let registry = std::fs::read_to_string(case.join("registry.txt")).expect("registry.txt");
        let fakes = Fakes::start(
            registry_state(&registry),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .expect("fakes listen");
        let cache = tempfile::tempdir().expect("cache");
        let config = drift_config(Some(&fakes.base()), cache.path());
        let result = scan(
            &case.join("repo").display().to_string(),
            &config,
            &BTreeMap::new(),
            NOW,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));

        let mut actual: Vec<([String; 7], Option<String>)> = result
            .dependencies
            .iter()
            .map(|d| (row_of(d), d.note.clone()))
            .collect();
        actual.sort();
        let mut expected: Vec<([String; 7], String)> =
            std::fs::read_to_string(case.join("expected.txt"))
                .expect("expected.txt")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|line| {
                    let cells: Vec<&str> = line.split('|').collect();
                    assert_eq!(cells.len(), 8, "{name}: bad expected line {line}");
                    let row: [String; 7] = std::array::from_fn(|i| cells[i].to_string());
                    (row, cells[7].to_string())
                })
                .collect();
        expected.sort();
        let actual_rows: Vec<&[String; 7]> = actual.iter().map(|(row, _)| row).collect();
        let expected_rows: Vec<&[String; 7]> = expected.iter().map(|(row, _)| row).collect();
        if actual_rows != expected_rows {
            failures.push(format!(
                "{name}:\n  expected {expected_rows:#?}\n  actual   {actual_rows:#?}\n  notes {:?}\n  problems {:?}",
                actual.iter().map(|(_, note)| note).collect::<Vec<_>>(),
                result.problems
            ));
            continue;
        }
        // A lock that disagrees with its manifest is the service's problem too.
        for (row, _) in actual.iter().filter(|(row, _)| row[6] == "unknown") {
            let named = result
                .problems
                .iter()
                .any(|p| p.contains(row[1].as_str()) && p.contains("lock does not satisfy"));
            let disagrees = expected
                .iter()
                .any(|(r, phrase)| r == row && phrase.starts_with("lock does not satisfy"));
            if disagrees && !named {
                failures.push(format!(
                    "{name}: {} is not among the problems {:?}",
                    row[1], result.problems
                ));
            }
        }
        for ((row, note), (_, phrase)) in actual.iter().zip(&expected) {
            let note = note.clone().unwrap_or_default();
            if phrase != "-" && !note.contains(phrase.as_str()) {
                failures.push(format!("{name}: {} note {note:?} lacks {phrase:?}", row[1]));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
