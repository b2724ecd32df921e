//! pom.xml: roxmltree reports where each element's text is, so the
//! `<version>` of a dependency (or the `<properties>` entry its
//! `${property}` names) is rewritten in place.

use std::ops::Range;

use roxmltree::{Document, Node};

use super::Occurrence;
use crate::deps::manifest::maven::{child, dependency_elements, properties_of, resolve, text_of};

/// The trimmed range of an element's text.
fn text_range(element: Node<'_, '_>, text: &str) -> Option<Range<usize>> {
    let node = element.first_child().filter(Node::is_text)?;
    let range = node.range();
    let raw = &text[range.clone()];
    let lead = raw.len() - raw.trim_start().len();
    Some(range.start + lead..range.start + lead + raw.trim().len())
}

pub(super) fn pom(text: &str) -> Result<Vec<Occurrence>, String> {
    let document = Document::parse(text).map_err(|e| format!("not valid XML: {e}"))?;
    let project = document.root_element();
    let properties = properties_of(project);
    let declared_properties = child(project, "properties");
    let mut found = Vec::new();
    for dependency in dependency_elements(project) {
        let field = |name: &str| {
            text_of(dependency, name).and_then(|value| resolve(&value, &properties).ok())
        };
        let (Some(group), Some(artifact)) = (field("groupId"), field("artifactId")) else {
            continue;
        };
        let name = format!("{group}:{artifact}");
        let Some(version) = child(dependency, "version") else {
            found.push(Occurrence {
                name,
                range: 0..0,
                blocked: Some("its version comes from a parent POM or a BOM; bump it there".into()),
            });
            continue;
        };
        let written = version.text().unwrap_or_default().trim();
        let (range, blocked) = match written.strip_prefix("${").and_then(|p| p.strip_suffix('}')) {
            Some(property) => {
                let defined = declared_properties.and_then(|props| {
                    props
                        .children()
                        .find(|p| p.is_element() && p.tag_name().name() == property)
                });
                match defined.and_then(|p| text_range(p, text)) {
                    Some(range) => (range, None),
                    None => (
                        0..0,
                        Some(format!(
                            "its version is the property `{property}`, which this POM does not define"
                        )),
                    ),
                }
            }
            None => (text_range(version, text).unwrap_or(0..0), None),
        };
        found.push(Occurrence {
            name,
            range,
            blocked,
        });
    }
    Ok(found)
}
