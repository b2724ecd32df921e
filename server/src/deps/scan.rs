//! `shipshape scan` and `shipshape check`: the drift of one repository,
//! without a server or a database. Reading and measuring are the server's
//! own (sources, registries, `measure_all`); the table and the budget check
//! are pure and tested here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use shipshape_types::drift::{DependencyView, DriftSummary, Gap, VersionSource};

use super::crawl::{measure_all, with_lock_problems};
use super::read::read_snapshot;
use super::service::{registries_from_config, sources_from_config};
use super::source::Fetched;
use crate::deps::settings::DriftConfig;
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
    let dependencies = measure_all(&reading.dependencies, &answers, now_ms);
    let problems = with_lock_problems(reading.problems(), &dependencies);
    Ok(ScanResult {
        dependencies,
        problems,
    })
}

fn cell(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

/// A plain-text table, one dependency a line, worst gaps first.
pub fn render_table(result: &ScanResult, now_ms: i64) -> String {
    let mut rows: Vec<&DependencyView> = result.dependencies.iter().collect();
    // Worst first (major, minor, patch, up to date); unmeasured rows last.
    let rank = |gap: Option<Gap>| gap.map_or(4, |gap| Gap::Major as u8 - gap as u8);
    rows.sort_by(|a, b| {
        rank(a.gap)
            .cmp(&rank(b.gap))
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
            if let Some(root) = &d.inherited_from {
                flags.push(format!("version set by {root} [workspace.dependencies]"));
            }
            if let Some(note) = &d.note {
                flags.push(note.clone());
            }
            [
                d.ecosystem.config_name().to_string(),
                d.name.clone(),
                d.kind.name().to_string(),
                match (d.current.as_deref(), d.version_source) {
                    (Some(current), VersionSource::RangeOnly) => format!("{current} (range)"),
                    (current, _) => cell(current).to_string(),
                },
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
        "{} dependencies: {} major, {} minor, {} patch, {} up to date, {}{} unknown; {:.2} libyears",
        summary.dependency_count,
        summary.major,
        summary.minor,
        summary.patch,
        summary.up_to_date,
        if summary.range_only > 0 {
            format!(
                "{} not locked (assumed newest in range), ",
                summary.range_only
            )
        } else {
            String::new()
        },
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
    fail_on: Option<Gap>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let total: f64 = dependencies.iter().filter_map(|d| d.libyears).sum();
    if let Some(max) = max_libyears
        && total > max
    {
        reasons.push(format!("{total:.2} libyears is over the budget of {max}"));
    }
    if let Some(fail_on) = fail_on {
        for d in dependencies {
            if d.gap
                .is_some_and(|gap| gap >= fail_on && gap > Gap::UpToDate)
            {
                reasons.push(format!(
                    "{} {} is {} behind ({} → {})",
                    d.name,
                    cell(d.current.as_deref()),
                    d.gap_or_unknown(),
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
    use shipshape_types::drift::Ecosystem;

    fn dep(name: &str, gap: Option<Gap>, libyears: Option<f64>) -> DependencyView {
        DependencyView {
            requirement: Some("1".into()),
            current: Some("1.0.0".into()),
            wanted: Some("1.2.0".into()),
            latest: Some("2.0.0".into()),
            gap,
            releases_behind: Some(3),
            libyears,
            age_days: Some(400),
            ..DependencyView::unmeasured(Ecosystem::Cargo, "Cargo.toml", name)
        }
    }

    #[test]
    fn the_budget_fails_on_libyears_and_on_gaps_at_or_above_the_threshold() {
        let deps = [
            dep("a", Some(Gap::Major), Some(2.5)),
            dep("b", Some(Gap::Minor), Some(1.0)),
            dep("c", Some(Gap::UpToDate), None),
        ];
        assert!(over_budget(&deps, Some(4.0), None).is_empty());
        assert_eq!(
            over_budget(&deps, Some(3.0), None),
            ["3.50 libyears is over the budget of 3"]
        );
        assert_eq!(
            over_budget(&deps, None, Some(Gap::Major)),
            ["a 1.0.0 is major behind (1.0.0 → 2.0.0)"]
        );
        assert_eq!(over_budget(&deps, None, Some(Gap::Minor)).len(), 2);
    }

    #[test]
    fn the_table_lists_worst_first_with_totals_and_problems() {
        let result = ScanResult {
            dependencies: vec![
                dep("small", Some(Gap::Patch), Some(0.1)),
                dep("big", Some(Gap::Major), Some(2.0)),
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
