//! `shipshape scan` and `shipshape check`: the drift of one repository,
//! without a server or a database. Reading and measuring are the server's
//! own (sources, registries, `measure_all`); the table and the budget check
//! are pure and tested here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use shipshape_app::drift::{DependencyView, DriftSummary};

use super::crawl::measure_all;
use super::read::read_snapshot;
use super::service::{registries_from_config, sources_from_config};
use super::source::Fetched;
use crate::config::DriftConfig;
use crate::fleet::spec::RepositorySource;

pub struct ScanResult {
    pub dependencies: Vec<DependencyView>,
    /// Manifests that could not be read ("file:line: message").
    pub problems: Vec<String>,
}

/// Reads `target` (a path, a git URL or `github:owner/repo`) and measures it.
pub async fn scan(
    target: &str,
    config: &DriftConfig,
    env: &BTreeMap<String, String>,
    now_ms: i64,
) -> Result<ScanResult, String> {
    let source = RepositorySource::parse(
        target,
        &std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    )?;
    let sources = sources_from_config(config, env);
    let reader = sources.reader(&source)?;
    let snapshot = match reader.fetch(None).await.map_err(|e| e.to_string())? {
        Fetched::Changed(snapshot) => snapshot,
        Fetched::Unchanged { .. } => return Err("the repository answered as unchanged".into()),
    };
    let reading = read_snapshot(&snapshot);
    let registries = registries_from_config(config, env);
    let answers = registries.ask(&reading.dependencies).await;
    Ok(ScanResult {
        dependencies: measure_all(&reading.dependencies, &answers, now_ms),
        problems: reading.errors.iter().map(ToString::to_string).collect(),
    })
}

fn cell(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

/// A plain-text table, one dependency a line, worst gaps first.
pub fn render_table(result: &ScanResult, now_ms: i64) -> String {
    let mut rows: Vec<&DependencyView> = result.dependencies.iter().collect();
    let rank = |gap: Option<&str>| match gap {
        Some("major") => 0,
        Some("minor") => 1,
        Some("patch") => 2,
        Some("up-to-date") => 3,
        _ => 4,
    };
    rows.sort_by(|a, b| {
        rank(a.gap.as_deref())
            .cmp(&rank(b.gap.as_deref()))
            .then(
                b.libyears
                    .unwrap_or(0.0)
                    .total_cmp(&a.libyears.unwrap_or(0.0)),
            )
            .then(a.name.cmp(&b.name))
    });
    let table: Vec<[String; 8]> = rows
        .iter()
        .map(|d| {
            let mut flags = Vec::new();
            if d.yanked {
                flags.push("yanked".to_string());
            }
            if d.deprecated.is_some() {
                flags.push("deprecated".to_string());
            }
            flags.extend(d.advisories.iter().cloned());
            if let Some(note) = &d.note {
                flags.push(note.clone());
            }
            [
                d.ecosystem.clone(),
                d.name.clone(),
                d.kind.clone(),
                cell(d.current.as_deref()).to_string(),
                cell(d.wanted.as_deref()).to_string(),
                cell(d.latest.as_deref()).to_string(),
                d.gap_or_unknown().to_string(),
                format!(
                    "{}{}",
                    d.libyears.map_or("-".to_string(), |y| format!("{y:.2}")),
                    if flags.is_empty() {
                        String::new()
                    } else {
                        format!("  {}", flags.join("; "))
                    }
                ),
            ]
        })
        .collect();
    let header = [
        "ECOSYSTEM",
        "PACKAGE",
        "KIND",
        "CURRENT",
        "WANTED",
        "LATEST",
        "GAP",
        "LIBYEARS",
    ];
    let mut widths = header.map(str::len);
    for row in &table {
        for (i, value) in row.iter().enumerate().take(7) {
            widths[i] = widths[i].max(value.len());
        }
    }
    let line = |values: Vec<&str>| -> String {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if i < 7 {
                    format!("{v:<w$}", w = widths[i])
                } else {
                    (*v).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    for row in &table {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    let summary = DriftSummary::of(&result.dependencies, now_ms, "");
    out.push(String::new());
    out.push(format!(
        "{} dependencies: {} major, {} minor, {} patch, {} up to date, {} unknown; {:.2} libyears",
        summary.dependency_count,
        summary.major,
        summary.minor,
        summary.patch,
        summary.up_to_date,
        summary.unknown,
        summary.libyears
    ));
    for problem in &result.problems {
        out.push(format!("problem: {problem}"));
    }
    out.join("\n") + "\n"
}

/// Why a repository is over its budget; empty when it is within it.
pub fn over_budget(
    dependencies: &[DependencyView],
    max_libyears: Option<f64>,
    fail_on: Option<&str>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let total: f64 = dependencies.iter().filter_map(|d| d.libyears).sum();
    if let Some(max) = max_libyears
        && total > max
    {
        reasons.push(format!("{total:.2} libyears is over the budget of {max}"));
    }
    if let Some(fail_on) = fail_on {
        let threshold = shipshape_app::drift::GAPS
            .iter()
            .position(|g| *g == fail_on)
            .unwrap_or(3);
        for d in dependencies {
            let at = d
                .gap
                .as_deref()
                .and_then(|g| shipshape_app::drift::GAPS.iter().position(|x| *x == g));
            if at.is_some_and(|at| at >= threshold && at > 0) {
                reasons.push(format!(
                    "{} {} is {} behind ({} → {})",
                    d.name,
                    cell(d.current.as_deref()),
                    d.gap.as_deref().unwrap_or_default(),
                    cell(d.current.as_deref()),
                    cell(d.latest.as_deref())
                ));
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, gap: Option<&str>, libyears: Option<f64>) -> DependencyView {
        DependencyView {
            ecosystem: "cargo".into(),
            manifest: "Cargo.toml".into(),
            name: name.into(),
            requirement: Some("1".into()),
            kind: "normal".into(),
            optional: false,
            source: None,
            locked: vec![],
            current: Some("1.0.0".into()),
            wanted: Some("1.2.0".into()),
            latest: Some("2.0.0".into()),
            gap: gap.map(str::to_string),
            releases_behind: Some(3),
            libyears,
            age_days: Some(400),
            yanked: false,
            deprecated: None,
            advisories: vec![],
            note: None,
        }
    }

    #[test]
    fn the_budget_fails_on_libyears_and_on_gaps_at_or_above_the_threshold() {
        let deps = [
            dep("a", Some("major"), Some(2.5)),
            dep("b", Some("minor"), Some(1.0)),
            dep("c", Some("up-to-date"), None),
        ];
        assert!(over_budget(&deps, Some(4.0), None).is_empty());
        assert_eq!(
            over_budget(&deps, Some(3.0), None),
            ["3.50 libyears is over the budget of 3"]
        );
        assert_eq!(
            over_budget(&deps, None, Some("major")),
            ["a 1.0.0 is major behind (1.0.0 → 2.0.0)"]
        );
        assert_eq!(over_budget(&deps, None, Some("minor")).len(), 2);
    }

    #[test]
    fn the_table_lists_worst_first_with_totals_and_problems() {
        let result = ScanResult {
            dependencies: vec![
                dep("small", Some("patch"), Some(0.1)),
                dep("big", Some("major"), Some(2.0)),
            ],
            problems: vec!["Cargo.toml:3: bad".into()],
        };
        let table = render_table(&result, 0);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("ECOSYSTEM  PACKAGE  KIND"), "{table}");
        assert!(
            lines[1].contains("big") && lines[1].ends_with("2.00"),
            "{table}"
        );
        assert!(lines[2].contains("small"), "{table}");
        assert_eq!(
            lines[4],
            "2 dependencies: 1 major, 0 minor, 1 patch, 0 up to date, 0 unknown; 2.10 libyears"
        );
        assert_eq!(lines[5], "problem: Cargo.toml:3: bad");
    }
}
