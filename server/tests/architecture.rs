//! The house's layering, checked on the source: a folder of `server/src`
//! may import (`crate::…`) only folders of lower layers, so the folders
//! point one way and a newcomer can draw them. The table is the one the
//! README's Layout section shows; a new folder must be placed in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of the server, bottom layer first. Modules of one
/// layer do not import each other either.
const LAYERS: &[&[&str]] = &[
    // Shared leaves: they use nothing of Shipshape's own.
    &["common", "telemetry"],
    // The database's connection, migrations and event journal.
    &["store"],
    // Clients of outside services several capabilities share.
    &["integrations"],
    // Who may do what.
    &["auth"],
    // The fleet: services and where their code lives.
    &["fleet"],
    // Health and drift, each of the fleet's services.
    &["health", "deps"],
    // The demo's healthchecks; upgrades read drift and health.
    &["demo", "upgrade"],
    // Alerts read everything below.
    &["alert"],
    // What callers may ask for (both web doors call these); the config
    // file, read into every capability's settings.
    &["operations", "config"],
    // The HTTP edge.
    &["web"],
    // The composition root: start-up, background loops, the command line.
    &["serve"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level modules a file names as `crate::NAME`.
fn imports(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (index, _) in text.match_indices("crate::") {
        // `shipshape_types::`, `$crate::` and the like are other crates.
        let before = text[..index].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let name: String = text[index + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

#[test]
fn every_folder_imports_only_folders_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut unplaced = Vec::new();
    let mut upward: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let mut parts = relative.components();
        let first = parts
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default();
        // lib.rs and main.rs sit above everything.
        let module = first.trim_end_matches(".rs");
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(module) else {
            unplaced.push(module.to_string());
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable");
        for imported in imports(&text) {
            if imported == module {
                continue;
            }
            match layer_of(&imported) {
                Some(layer) if layer < own => {}
                Some(_) => upward
                    .entry(format!("{module} → {imported}"))
                    .or_default()
                    .push(relative.display().to_string()),
                None => unplaced.push(imported),
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules missing from the layer table in tests/architecture.rs: {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "folders that import a folder of their own or a higher layer (move the piece down, or invert the call):\n{}",
        upward
            .iter()
            .map(|(pair, files)| format!("  {pair}: {}", files.join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_check_sees_imports_as_the_compiler_does() {
    assert_eq!(
        imports(
            "use crate::fleet::spec;\nlet x = crate::deps::scan(); use shipshape_types::drift; $crate::x"
        ),
        ["fleet", "deps"]
    );
}

/// Every colour of the stylesheet is a token of a `:root` block, so dark
/// mode (which redefines the tokens) reaches every rule.
#[test]
fn every_colour_of_the_stylesheet_is_a_token() {
    let css_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../style/main.css");
    let css = std::fs::read_to_string(&css_path).expect("the stylesheet");
    let mut outside = Vec::new();
    let mut in_root = false;
    let mut depth = 0usize;
    let mut root_depth = 0usize;
    for (number, line) in css.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(":root") {
            in_root = true;
            root_depth = depth;
        }
        let has_colour = line.contains("rgb(")
            || line.match_indices('#').any(|(i, _)| {
                line[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_hexdigit)
                    .count()
                    >= 3
            });
        if has_colour && !in_root && !trimmed.starts_with("/*") {
            outside.push(format!("{}: {}", number + 1, line.trim()));
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if in_root && depth == root_depth {
                        in_root = false;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        outside.is_empty(),
        "colours written outside the :root tokens (add a token, or use one):\n{}",
        outside.join("\n")
    );
}
