//! A run's outcome as text for the terminal (`shipshape upgrade`). Pure.

use shipshape_types::upgrades::{EventLevel, RunOutcomeView};

pub fn render_outcome(outcome: &RunOutcomeView) -> String {
    let mut out = String::new();
    let run = &outcome.run;
    out.push_str(&format!(
        "{} {}: {}\n",
        if run.dry_run { "Dry run" } else { "Run" },
        run.id,
        if run.dry_run {
            "nothing was written to GitHub".to_string()
        } else {
            run.status.to_string()
        }
    ));
    for service in &outcome.services {
        out.push_str(&format!(
            "\n== {} ({})\n",
            service.service,
            service.repository.as_deref().unwrap_or("no repository")
        ));
        if let Some(error) = &service.error {
            out.push_str(&format!("error: {error}\n"));
        }
        if service.groups.is_empty() && service.error.is_none() {
            out.push_str("no upgrade PR to write\n");
        }
        for group in &service.groups {
            out.push_str(&format!(
                "\n-- {} [{}] ({})\n",
                group.title, group.branch, group.action
            ));
            for file in &group.files {
                out.push_str(&file.diff);
            }
            out.push_str("\nPR text:\n");
            for line in group.body.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        for held in &service.held {
            out.push_str(&format!(
                "held: {} {}: {}\n",
                held.name, held.version, held.reason
            ));
        }
    }
    let events: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.level != EventLevel::Info)
        .collect();
    if !events.is_empty() {
        out.push('\n');
        for event in events {
            out.push_str(&format!(
                "{}: {}{}\n",
                event.level,
                event
                    .service
                    .as_deref()
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default(),
                event.message
            ));
        }
    }
    out
}
