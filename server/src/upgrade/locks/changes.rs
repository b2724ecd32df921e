//! What a regenerated lock file moved, read from the old and new texts by
//! the same lock readers drift uses. Pure.

use std::collections::BTreeSet;

use crate::deps::model::Ecosystem;
use crate::deps::read::parse_lock;

/// One package whose locked versions changed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockChange {
    pub name: String,
    /// `None`: newly pulled in.
    pub from: Option<String>,
    /// `None`: no longer locked.
    pub to: Option<String>,
}

/// Every package whose set of locked versions differs between `before`
/// and `after`. A name locked at several versions pairs them in order;
/// what is left over is added or removed.
pub fn lock_changes(
    ecosystem: Ecosystem,
    path: &str,
    before: &str,
    after: &str,
) -> Result<Vec<LockChange>, String> {
    let old = parse_lock(ecosystem, path, before).map_err(|e| e.to_string())?;
    let new = parse_lock(ecosystem, path, after).map_err(|e| e.to_string())?;
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changes = Vec::new();
    for name in names {
        let mut gone: Vec<&String> = old.get(name).into_iter().flatten().collect();
        let mut came: Vec<&String> = new.get(name).into_iter().flatten().collect();
        gone.sort();
        gone.dedup();
        came.sort();
        came.dedup();
        let kept: BTreeSet<&String> = gone.iter().filter(|v| came.contains(v)).copied().collect();
        gone.retain(|v| !kept.contains(v));
        came.retain(|v| !kept.contains(v));
        let pairs = gone.len().max(came.len());
        for index in 0..pairs {
            changes.push(LockChange {
                name: name.clone(),
                from: gone.get(index).map(|v| (*v).clone()),
                to: came.get(index).map(|v| (*v).clone()),
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cargo_lock(packages: &[(&str, &str)]) -> String {
        let mut text = String::from("version = 3\n");
        for (name, version) in packages {
            text.push_str(&format!(
                "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
            ));
        }
        text
    }

    #[test]
    fn moved_added_and_removed_packages_are_listed_and_unmoved_ones_are_not() {
        let before = cargo_lock(&[
            ("axum", "0.7.5"),
            ("serde", "1.0.190"),
            ("old-dep", "0.1.0"),
        ]);
        let after = cargo_lock(&[
            ("axum", "0.8.1"),
            ("serde", "1.0.190"),
            ("new-dep", "2.0.0"),
        ]);
        let changes = lock_changes(Ecosystem::Cargo, "Cargo.lock", &before, &after).expect("read");
        assert_eq!(
            changes,
            vec![
                LockChange {
                    name: "axum".into(),
                    from: Some("0.7.5".into()),
                    to: Some("0.8.1".into())
                },
                LockChange {
                    name: "new-dep".into(),
                    from: None,
                    to: Some("2.0.0".into())
                },
                LockChange {
                    name: "old-dep".into(),
                    from: Some("0.1.0".into()),
                    to: None
                },
            ]
        );
    }

    #[test]
    fn a_name_locked_twice_shows_only_the_version_that_moved() {
        let before = cargo_lock(&[("syn", "1.0.109"), ("syn", "2.0.50")]);
        let after = cargo_lock(&[("syn", "1.0.109"), ("syn", "2.0.60")]);
        assert_eq!(
            lock_changes(Ecosystem::Cargo, "Cargo.lock", &before, &after).expect("read"),
            vec![LockChange {
                name: "syn".into(),
                from: Some("2.0.50".into()),
                to: Some("2.0.60".into())
            }]
        );
    }

    #[test]
    fn an_unreadable_lock_is_an_error_naming_the_file() {
        let error = lock_changes(Ecosystem::Npm, "web/package-lock.json", "{}", "not json")
            .expect_err("unreadable");
        assert!(error.contains("web/package-lock.json"), "{error}");
    }
}
