//! How a requirement's text changes when a dependency is bumped. Only the
//! version number changes: the operator, spaces, quotes and wildcards stay
//! as written, so a reviewer sees `^1.2` become `^1.5`, not a reformatted
//! line. Pure; the manifest editors apply it to the raw text they find.

use crate::deps::model::Ecosystem;

/// What a bump does to one requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequirementChange {
    /// The manifest's text becomes this.
    Rewrite(String),
    /// The manifest does not pin a version (`*`, none written, a range that
    /// already allows the target): only the lock file moves.
    LockOnly(String),
    /// Shipshape will not rewrite it; said so the owner can act.
    Blocked(String),
}

/// A version literal inside a requirement: where it is and its parts.
#[derive(Debug)]
struct Literal {
    start: usize,
    end: usize,
}

/// Finds the version literals of `text`: runs that start with a digit and
/// continue with digits, letters, `.`, `-`, `+`, `*` (`1.2.3-beta.1`, `1.x`).
fn literals(text: &str) -> Vec<Literal> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'))
            || (bytes[i] == b'v'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()));
        if starts_number {
            let start = if bytes[i] == b'v' { i + 1 } else { i };
            let mut end = start;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric()
                    || matches!(bytes[end], b'.' | b'-' | b'+' | b'*'))
            {
                end += 1;
            }
            // A trailing `.` or `-` belongs to the text around it.
            while end > start && matches!(bytes[end - 1], b'.' | b'-') {
                end -= 1;
            }
            found.push(Literal { start, end });
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

fn is_wildcard(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

/// The operator written before the literal, without spaces.
fn operator_before(text: &str, literal: &Literal) -> String {
    text[..literal.start]
        .chars()
        .rev()
        .skip_while(|c| *c == 'v')
        .take_while(|c| matches!(c, '=' | '^' | '~' | '>' | '<' | '!' | ' '))
        .filter(|c| *c != ' ')
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect()
}

/// Whether a requirement with `operator` pins one version exactly (so the
/// whole target is written, not only as many parts as were there).
fn pins_exactly(ecosystem: Ecosystem, operator: &str) -> bool {
    match operator {
        "=" | "==" | "===" => true,
        // A bare version means "compatible with" to Cargo, exactly that
        // version to the others.
        "" => ecosystem != Ecosystem::Cargo,
        _ => false,
    }
}

/// The new text of a requirement (`raw` as written in the manifest) so that
/// it asks for `target`.
pub fn bump_requirement(
    ecosystem: Ecosystem,
    raw: Option<&str>,
    target: &str,
) -> RequirementChange {
    let target = target.trim_start_matches('v');
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return RequirementChange::LockOnly("the manifest names no version".into());
    };
    let found = literals(raw);
    let ranged = raw.contains("||")
        || raw.contains(" - ")
        || raw.contains('<')
        || raw.contains("!=")
        || found.len() > 1;
    if found.is_empty() {
        return RequirementChange::LockOnly(format!("`{raw}` allows any version"));
    }
    if ranged {
        return RequirementChange::Blocked(format!(
            "`{raw}` is a range; Shipshape rewrites single versions only, so widen it by hand"
        ));
    }
    let literal = &found[0];
    let old = &raw[literal.start..literal.end];
    let old_parts: Vec<&str> = old.split('.').collect();
    let target_parts: Vec<&str> = target.split('.').collect();
    let operator = operator_before(raw, literal);
    let new = if pins_exactly(ecosystem, &operator) && !old_parts.iter().any(|p| is_wildcard(p)) {
        target.to_string()
    } else {
        // Keep the precision written (`1.2` stays two parts) and wildcards
        // where they were (`1.x` → `2.x`).
        let mut parts = Vec::with_capacity(old_parts.len());
        for (i, part) in old_parts.iter().enumerate() {
            if is_wildcard(part) {
                parts.push((*part).to_string());
            } else {
                let Some(number) = target_parts.get(i) else {
                    break;
                };
                parts.push((*number).to_string());
            }
        }
        parts.join(".")
    };
    if new == old {
        return RequirementChange::LockOnly(format!("`{raw}` already allows {target}"));
    }
    RequirementChange::Rewrite(format!(
        "{}{new}{}",
        &raw[..literal.start],
        &raw[literal.end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(ecosystem: Ecosystem, raw: &str, target: &str) -> String {
        match bump_requirement(ecosystem, Some(raw), target) {
            RequirementChange::Rewrite(text) => text,
            other => panic!("{raw} → {target}: {other:?}"),
        }
    }

    #[test]
    fn keeps_the_operator_and_the_precision_written() {
        assert_eq!(rewrite(Ecosystem::Cargo, "1.0.100", "1.0.200"), "1.0.200");
        assert_eq!(rewrite(Ecosystem::Cargo, "1.2", "1.5.3"), "1.5");
        assert_eq!(rewrite(Ecosystem::Cargo, "1", "2.0.1"), "2");
        assert_eq!(rewrite(Ecosystem::Cargo, "^0.8", "0.9.1"), "^0.9");
        assert_eq!(rewrite(Ecosystem::Cargo, "=1.2.3", "1.4.0"), "=1.4.0");
        assert_eq!(rewrite(Ecosystem::Npm, "^4.17.21", "5.0.0"), "^5.0.0");
        assert_eq!(rewrite(Ecosystem::Npm, "~1.2", "1.3.4"), "~1.3");
        assert_eq!(rewrite(Ecosystem::Npm, "1.x", "2.1.0"), "2.x");
        assert_eq!(rewrite(Ecosystem::Python, "==2.28.1", "2.31.0"), "==2.31.0");
        assert_eq!(rewrite(Ecosystem::Python, ">= 2.28", "2.31.0"), ">= 2.31");
        assert_eq!(rewrite(Ecosystem::Python, "~=2.6", "2.8.1"), "~=2.8");
        assert_eq!(rewrite(Ecosystem::Ruby, "~> 7.0.4", "7.1.2"), "~> 7.1.2");
        assert_eq!(rewrite(Ecosystem::Ruby, "~> 7.0", "7.1.2"), "~> 7.1");
        assert_eq!(rewrite(Ecosystem::Go, "v1.2.3", "v1.4.0"), "v1.4.0");
        assert_eq!(rewrite(Ecosystem::Maven, "2.15.2", "2.17.0"), "2.17.0");
    }

    #[test]
    fn an_exact_pin_takes_the_whole_target() {
        // A bare npm version is exact: `1.2` would change its meaning.
        assert_eq!(rewrite(Ecosystem::Npm, "1.2.3", "1.4.10"), "1.4.10");
        assert_eq!(rewrite(Ecosystem::Python, "==2.28", "2.31.4"), "==2.31.4");
    }

    #[test]
    fn ranges_are_left_to_people_and_wildcards_to_the_lock() {
        for raw in [">=1.0, <2.0", "^1.2 || ^2.0", "1.2 - 1.9", ">=2.0,!=2.1"] {
            assert!(matches!(
                bump_requirement(Ecosystem::Npm, Some(raw), "3.0.0"),
                RequirementChange::Blocked(_)
            ));
        }
        assert!(matches!(
            bump_requirement(Ecosystem::Cargo, Some("*"), "3.0.0"),
            RequirementChange::LockOnly(_)
        ));
        assert!(matches!(
            bump_requirement(Ecosystem::Ruby, None, "3.0.0"),
            RequirementChange::LockOnly(_)
        ));
        assert!(matches!(
            bump_requirement(Ecosystem::Cargo, Some("1"), "1.9.0"),
            RequirementChange::LockOnly(_)
        ));
    }
}
