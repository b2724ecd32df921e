//! `pom.xml`: dependencies (managed ones too), with `${property}` versions
//! resolved from the POM's `<properties>` and `${project.version}`. A parent
//! POM or BOM that is not in the repository cannot be read here; a version
//! that only it would give is reported as unknown rather than guessed.

use std::collections::HashMap;

use roxmltree::{Document, Node};

use crate::deps::model::{DeclaredDependency, DependencyKind, ManifestError};

pub(crate) fn child<'a>(node: Node<'a, 'a>, name: &str) -> Option<Node<'a, 'a>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

pub(crate) fn text_of(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Replaces every `${name}`; `Err` names the first property nobody defines.
pub(crate) fn resolve(text: &str, properties: &HashMap<String, String>) -> Result<String, String> {
    let mut out = text.to_string();
    // Properties may refer to properties; a few rounds settle any sane POM.
    for _ in 0..5 {
        let Some(start) = out.find("${") else {
            return Ok(out);
        };
        let end = out[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or_else(|| format!("`{text}` has an unclosed `${{`"))?;
        let name = &out[start + 2..end];
        let value = properties
            .get(name)
            .ok_or_else(|| format!("property `{name}` is not defined in this POM"))?;
        out.replace_range(start..=end, value);
    }
    Err(format!(
        "`{text}`: properties refer to each other too deeply"
    ))
}

/// The properties a POM's `${...}` may name: its own `<properties>`, the
/// project's version and group.
pub(crate) fn properties_of(project: Node<'_, '_>) -> HashMap<String, String> {
    let mut properties: HashMap<String, String> = HashMap::new();
    if let Some(version) = text_of(project, "version")
        .or_else(|| child(project, "parent").and_then(|p| text_of(p, "version")))
    {
        properties.insert("project.version".into(), version.clone());
        properties.insert("pom.version".into(), version);
    }
    if let Some(group) = text_of(project, "groupId") {
        properties.insert("project.groupId".into(), group);
    }
    if let Some(props) = child(project, "properties") {
        for property in props.children().filter(Node::is_element) {
            properties.insert(
                property.tag_name().name().to_string(),
                property.text().unwrap_or_default().trim().to_string(),
            );
        }
    }
    properties
}

/// The `<dependency>` elements of a POM: its own, then the managed ones.
pub(crate) fn dependency_elements<'a>(project: Node<'a, 'a>) -> impl Iterator<Item = Node<'a, 'a>> {
    let managed = child(project, "dependencyManagement").and_then(|m| child(m, "dependencies"));
    [child(project, "dependencies"), managed]
        .into_iter()
        .flatten()
        .flat_map(|list| {
            list.children()
                .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
        })
}

pub fn parse_pom(file: &str, text: &str) -> Result<Vec<DeclaredDependency>, ManifestError> {
    let document = Document::parse(text).map_err(|e| ManifestError {
        file: file.to_string(),
        line: e.pos().row as usize,
        message: format!("not valid XML: {e}"),
    })?;
    let project = document.root_element();
    if project.tag_name().name() != "project" {
        return Err(ManifestError {
            file: file.to_string(),
            line: 1,
            message: "the root element is not <project>".into(),
        });
    }
    let properties = properties_of(project);

    let mut dependencies = Vec::new();
    for dependency in dependency_elements(project) {
        let line = document.text_pos_at(dependency.range().start).row as usize;
        let error = |message: String| ManifestError {
            file: file.to_string(),
            line,
            message,
        };
        let field = |name: &str| -> Result<Option<String>, ManifestError> {
            text_of(dependency, name)
                .map(|value| resolve(&value, &properties).map_err(&error))
                .transpose()
        };
        let group =
            field("groupId")?.ok_or_else(|| error("a <dependency> without <groupId>".into()))?;
        let artifact = field("artifactId")?
            .ok_or_else(|| error("a <dependency> without <artifactId>".into()))?;
        let scope = field("scope")?.unwrap_or_default();
        if scope == "import" || scope == "system" {
            // A BOM import is a set of versions, not a dependency; system scope is a local jar.
            continue;
        }
        dependencies.push(DeclaredDependency {
            name: format!("{group}:{artifact}"),
            requirement: field("version")?,
            kind: if scope == "test" {
                DependencyKind::Dev
            } else {
                DependencyKind::Normal
            },
            optional: field("optional")?.as_deref() == Some("true"),
            non_registry_source: None,
        });
    }
    Ok(dependencies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_service_pom() {
        let deps = parse_pom(
            "pom.xml",
            include_str!("../../../../examples/inventory/pom.xml"),
        )
        .expect("pom");
        let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "com.fasterxml.jackson.core:jackson-databind",
                "org.postgresql:postgresql",
                "org.junit.jupiter:junit-jupiter"
            ]
        );
        assert_eq!(
            deps[0].requirement.as_deref(),
            Some("2.16.1"),
            "from ${{jackson.version}}"
        );
        assert_eq!(deps[2].kind, DependencyKind::Dev);
    }

    #[test]
    fn managed_dependencies_project_version_and_boms() {
        let deps = parse_pom(
            "pom.xml",
            r#"<project>
  <version>1.4.0</version>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>bom</artifactId><version>3</version><scope>import</scope></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>managed</artifactId><optional>true</optional></dependency>
  </dependencies>
</project>"#,
        )
        .expect("pom");
        assert_eq!(deps.len(), 2);
        assert_eq!(
            (
                deps[0].name.as_str(),
                deps[0].requirement.as_deref(),
                deps[0].optional
            ),
            ("com.acme:managed", None, true)
        );
        assert_eq!(deps[1].requirement.as_deref(), Some("1.4.0"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let error = parse_pom(
            "pom.xml",
            "<project>\n<dependencies>\n<dependency><groupId>a</groupId><artifactId>b</artifactId><version>${missing}</version></dependency>\n</dependencies>\n</project>",
        )
        .expect_err("undefined property");
        assert_eq!(
            error.to_string(),
            "pom.xml:3: property `missing` is not defined in this POM"
        );
        let error =
            parse_pom("pom.xml", "<project>\n<dependencies>\n</project>").expect_err("bad xml");
        assert_eq!(error.line, 3);
        assert!(error.message.starts_with("not valid XML"));
    }
}
