//! package.json, edited without re-serialising: a small JSON reader walks
//! the text and reports the span of each dependency's version string, so
//! key order, indentation and everything else stay as written.

use std::ops::Range;

use super::Occurrence;
use crate::deps::manifest::npm::read_spec;

const SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> String {
        let line = self.text[..self.at.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        format!("not valid package.json: {what} at line {line}")
    }

    fn skip_space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.as_bytes().get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", char::from(byte))))
        }
    }

    /// A string: the range of its inside, and its text (escapes kept raw:
    /// names and versions do not use them).
    fn string(&mut self) -> Result<(Range<usize>, &'a str), String> {
        self.expect(b'"')?;
        let start = self.at;
        let bytes = self.text.as_bytes();
        while let Some(&byte) = bytes.get(self.at) {
            match byte {
                b'\\' => self.at += 2,
                b'"' => {
                    let range = start..self.at;
                    self.at += 1;
                    return Ok((range.clone(), &self.text[range]));
                }
                _ => self.at += 1,
            }
        }
        Err(self.error("unterminated string"))
    }

    /// Skips any value.
    fn value(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => self.object(|reader, _, _| reader.value()),
            Some(b'[') => {
                self.at += 1;
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(());
                }
                loop {
                    self.value()?;
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(());
                        }
                        _ => return Err(self.error("expected `,` or `]`")),
                    }
                }
            }
            Some(_) => {
                let rest = &self.text[self.at..];
                let len = rest
                    .find(|c: char| matches!(c, ',' | '}' | ']') || c.is_whitespace())
                    .unwrap_or(rest.len());
                if len == 0 {
                    return Err(self.error("expected a value"));
                }
                self.at += len;
                Ok(())
            }
            None => Err(self.error("unexpected end")),
        }
    }

    /// Reads an object, calling `member` with the key positioned at its value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Range<usize>, &'a str) -> Result<(), String>,
    ) -> Result<(), String> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            let (range, key) = self.string()?;
            self.expect(b':')?;
            member(self, range, key)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }
}

/// The registry name and the range of the requirement in a spec string
/// (`^1.2`, or `npm:real-name@^1.2` for an alias), read as the manifest
/// reader reads it; `None` for a spec not from the registry.
fn spec_range(key: &str, range: Range<usize>, spec: &str) -> Option<(String, Range<usize>)> {
    let (name, requirement, source) = read_spec(key, spec);
    if source.is_some() {
        return None;
    }
    // The requirement is what ends the spec (after an alias's `@`).
    let end = range.start + spec.trim_end().len();
    let start = end - requirement.map_or(0, |r| r.len());
    Some((name, start..end))
}

pub(super) fn package_json(text: &str) -> Result<Vec<Occurrence>, String> {
    let mut reader = Reader { text, at: 0 };
    let mut found = Vec::new();
    reader.object(|reader, _, section| {
        if !SECTIONS.contains(&section) || reader.peek() != Some(b'{') {
            return reader.value();
        }
        reader.object(|reader, _, key| {
            if reader.peek() != Some(b'"') {
                return reader.value();
            }
            let (range, spec) = reader.string()?;
            if let Some((name, range)) = spec_range(key, range, spec) {
                found.push(Occurrence {
                    name,
                    range,
                    blocked: None,
                });
            }
            Ok(())
        })
    })?;
    if reader.peek().is_some() {
        return Err(reader.error("text after the top-level object"));
    }
    Ok(found)
}
