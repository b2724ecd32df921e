//! Cargo.toml and pyproject.toml: toml_edit parses the file and reports
//! where each value is written; only those spans are rewritten.

use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use super::{Occurrence, inside_quotes, pep508_specifiers};

const CARGO_SECTIONS: [&str; 5] = [
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

fn parse(text: &str) -> Result<Document<&str>, String> {
    Document::parse(text).map_err(|e| format!("not valid TOML: {}", e.message()))
}

fn table(item: Option<&Item>) -> Option<&dyn TableLike> {
    item.and_then(Item::as_table_like)
}

/// A string value's inside, where the requirement text is.
fn string_span(text: &str, value: &Value) -> Option<Range<usize>> {
    value
        .as_str()
        .and(value.span())
        .map(|span| inside_quotes(text, span))
}

fn cargo_section(text: &str, section: &dyn TableLike, found: &mut Vec<Occurrence>) {
    for (key, item) in section.iter() {
        let Some(value) = item.as_value() else {
            // A `[dependencies.name]` table.
            if let Some(entry) = item.as_table_like() {
                cargo_entry(text, key, entry, found);
            }
            continue;
        };
        if let Some(range) = string_span(text, value) {
            found.push(Occurrence {
                name: key.to_string(),
                range,
                blocked: None,
            });
        } else if let Some(entry) = value.as_inline_table() {
            cargo_entry(text, key, entry, found);
        }
    }
}

fn cargo_entry(text: &str, key: &str, entry: &dyn TableLike, found: &mut Vec<Occurrence>) {
    if entry.get("workspace").and_then(Item::as_bool) == Some(true)
        || entry.contains_key("path") && !entry.contains_key("version")
        || entry.contains_key("git")
    {
        return;
    }
    let name = entry
        .get("package")
        .and_then(Item::as_str)
        .unwrap_or(key)
        .to_string();
    let range = entry
        .get("version")
        .and_then(Item::as_value)
        .and_then(|v| string_span(text, v));
    found.push(Occurrence {
        name,
        // No version written: an empty range after the entry's key.
        range: range.unwrap_or(0..0),
        blocked: None,
    });
}

pub(super) fn cargo(text: &str) -> Result<Vec<Occurrence>, String> {
    let document = parse(text)?;
    let root = document.as_table();
    let mut found = Vec::new();
    for section in CARGO_SECTIONS {
        if let Some(section) = table(root.get(section)) {
            cargo_section(text, section, &mut found);
        }
    }
    if let Some(workspace) = table(root.get("workspace"))
        && let Some(section) = table(workspace.get("dependencies"))
    {
        cargo_section(text, section, &mut found);
    }
    if let Some(targets) = table(root.get("target")) {
        for (_, target) in targets.iter() {
            let Some(target) = target.as_table_like() else {
                continue;
            };
            for section in CARGO_SECTIONS {
                if let Some(section) = table(target.get(section)) {
                    cargo_section(text, section, &mut found);
                }
            }
        }
    }
    Ok(found)
}

/// PEP 508 strings in an array (`[project] dependencies`, extras, groups).
fn pep508_array(text: &str, item: Option<&Item>, found: &mut Vec<Occurrence>) {
    let Some(array) = item.and_then(Item::as_array) else {
        return;
    };
    for value in array.iter() {
        if let Some(range) = string_span(text, value)
            && let Some((name, range)) = pep508_specifiers(text, range)
        {
            found.push(Occurrence {
                name,
                range,
                blocked: None,
            });
        }
    }
}

/// A Poetry dependency table: `name = "^2.28"` or `name = { version = … }`.
fn poetry_table(text: &str, section: Option<&dyn TableLike>, found: &mut Vec<Occurrence>) {
    let Some(section) = section else {
        return;
    };
    for (key, item) in section.iter() {
        if key == "python" {
            continue;
        }
        let range = match item.as_value() {
            Some(value) if value.is_str() => string_span(text, value),
            _ => item
                .as_table_like()
                .and_then(|t| t.get("version"))
                .and_then(Item::as_value)
                .and_then(|v| string_span(text, v)),
        };
        if let Some(range) = range {
            found.push(Occurrence {
                name: key.to_string(),
                range,
                blocked: None,
            });
        }
    }
}

/// A Pipfile's `[packages]` and `[dev-packages]`: their values are PEP 440
/// specifiers (`"==2.31.0"`, or a table's `version`), as Poetry's tables are
/// laid out.
pub(super) fn pipfile(text: &str) -> Result<Vec<Occurrence>, String> {
    let document = parse(text)?;
    let root = document.as_table();
    let mut found = Vec::new();
    poetry_table(text, table(root.get("packages")), &mut found);
    poetry_table(text, table(root.get("dev-packages")), &mut found);
    Ok(found)
}

pub(super) fn pyproject(text: &str) -> Result<Vec<Occurrence>, String> {
    let document = parse(text)?;
    let root = document.as_table();
    let mut found = Vec::new();
    if let Some(project) = table(root.get("project")) {
        pep508_array(text, project.get("dependencies"), &mut found);
        if let Some(extras) = table(project.get("optional-dependencies")) {
            for (_, list) in extras.iter() {
                pep508_array(text, Some(list), &mut found);
            }
        }
    }
    if let Some(groups) = table(root.get("dependency-groups")) {
        for (_, list) in groups.iter() {
            pep508_array(text, Some(list), &mut found);
        }
    }
    if let Some(poetry) = table(root.get("tool")).and_then(|t| table(t.get("poetry"))) {
        poetry_table(text, table(poetry.get("dependencies")), &mut found);
        poetry_table(text, table(poetry.get("dev-dependencies")), &mut found);
        if let Some(groups) = table(poetry.get("group")) {
            for (_, group) in groups.iter() {
                let dependencies = group
                    .as_table_like()
                    .and_then(|g| table(g.get("dependencies")));
                poetry_table(text, dependencies, &mut found);
            }
        }
    }
    Ok(found)
}
