//! Line-oriented manifests: requirements.txt, go.mod and Gemfile. Each
//! line is read as its parser reads it; the requirement's position is kept
//! as a byte range of the whole text.

use super::{Occurrence, pep508_specifiers};

/// Lines with the byte offset each starts at.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// The part of `line` before a comment that starts with ` #` (or a whole
/// comment line).
fn before_comment<'a>(line: &'a str, marker: &str) -> &'a str {
    if line.trim_start().starts_with(marker.trim()) {
        return "";
    }
    line.find(marker).map_or(line, |i| &line[..i])
}

pub(super) fn requirements_txt(text: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    for (start, line) in lines_with_offsets(text) {
        let code = before_comment(line, " #");
        let trimmed = code.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('-') || trimmed.contains("://") {
            continue;
        }
        let hashed = code.contains("--hash");
        let end = code.find(" --").unwrap_or(code.len());
        let lead = code.len() - trimmed.len();
        if let Some((name, range)) = pep508_specifiers(text, start + lead..start + end) {
            found.push(Occurrence {
                name,
                range,
                blocked: hashed.then(|| {
                    "pinned with --hash; regenerate the file with its tool (pip-compile) so the hashes match".into()
                }),
            });
        }
    }
    found
}

pub(super) fn go_mod(text: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    let mut in_require = false;
    for (start, line) in lines_with_offsets(text) {
        let code = line.split("//").next().unwrap_or_default();
        let trimmed = code.trim();
        if in_require && trimmed == ")" {
            in_require = false;
            continue;
        }
        let entry = if in_require {
            trimmed
        } else if let Some(rest) = trimmed.strip_prefix("require") {
            if rest.trim() == "(" {
                in_require = true;
                continue;
            }
            rest.trim()
        } else {
            continue;
        };
        let mut words = entry.split_whitespace();
        let (Some(path), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let Some(at) = code.rfind(version) else {
            continue;
        };
        found.push(Occurrence {
            name: path.trim_matches('"').to_string(),
            range: start + at..start + at + version.len(),
            blocked: None,
        });
    }
    found
}

/// The quoted arguments of a `gem` line: (range of the inside, inside).
fn quoted(code: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let quote = bytes[i];
        if quote == b'"' || quote == b'\'' {
            if let Some(len) = code[i + 1..].find(char::from(quote)) {
                out.push((i + 1..i + 1 + len, &code[i + 1..i + 1 + len]));
                i += len + 2;
                continue;
            }
            break;
        }
        if bytes[i] == b':' || bytes[i] == b'=' && bytes.get(i + 1) == Some(&b'>') {
            // Options (`require: false`, `:git =>`) come after the versions.
            break;
        }
        i += 1;
    }
    out
}

pub(super) fn gemfile(text: &str) -> Vec<Occurrence> {
    let mut found = Vec::new();
    for (start, line) in lines_with_offsets(text) {
        let code = before_comment(line, " #");
        let trimmed = code.trim_start();
        let Some(rest) = trimmed
            .strip_prefix("gem ")
            .or_else(|| trimmed.strip_prefix("gem("))
        else {
            continue;
        };
        let rest_at = start + (code.len() - rest.len());
        let args = quoted(rest);
        let Some(((_, name), requirements)) = args.split_first() else {
            continue;
        };
        if code.contains("git:") || code.contains("path:") || code.contains(":git") {
            continue;
        }
        // Several requirements (`"~> 7.0", ">= 7.0.4"`) are read as one
        // text, which the bump sees as a range.
        let range = match (requirements.first(), requirements.last()) {
            (Some((first, _)), Some((last, _))) => rest_at + first.start..rest_at + last.end,
            _ => 0..0,
        };
        found.push(Occurrence {
            name: (*name).to_string(),
            range,
            blocked: None,
        });
    }
    found
}
