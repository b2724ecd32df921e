//! PyPI's package index as installers read it, so that `uv lock` and
//! `pip-compile` resolve against the fakes: the simple API
//! (`/pypi/simple/{name}/`, PEP 691 JSON or PEP 503 HTML by the `Accept`
//! header) listing one wheel per release with its sha256 and upload time,
//! the wheel itself (`/pypi/files/{file}`, a real zip with `METADATA`,
//! `WHEEL` and `RECORD`) and its metadata alone (`{file}.metadata`, PEP 658
//! and 714), whose `Requires-Dist` lines are the release's dependencies.

use std::io::Write;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{FakePackage, FakeRelease};

/// PEP 503's normal form: lower case, runs of `-`, `_`, `.` as one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_run = false;
        }
    }
    out
}

/// The wheel's file name: `{distribution}-{version}-py3-none-any.whl`.
pub fn wheel_name(name: &str, version: &str) -> String {
    format!(
        "{}-{version}-py3-none-any.whl",
        normalize(name).replace('-', "_")
    )
}

/// The wheel's `METADATA`.
pub fn metadata(name: &str, release: &FakeRelease) -> String {
    let mut text = format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {}\nRequires-Python: >=3.8\n",
        release.version
    );
    for (dependency, requirement) in &release.dependencies {
        text.push_str(&format!("Requires-Dist: {dependency}{requirement}\n"));
    }
    text
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A wheel that installs: a module with the release's version, its
/// metadata and a `RECORD` of both.
pub fn wheel(name: &str, release: &FakeRelease) -> Vec<u8> {
    let module = normalize(name).replace('-', "_");
    let dist_info = format!("{module}-{}.dist-info", release.version);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{module}/__init__.py"),
            format!("__version__ = \"{}\"\n", release.version).into_bytes(),
        ),
        (
            format!("{dist_info}/METADATA"),
            metadata(name, release).into_bytes(),
        ),
        (
            format!("{dist_info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: shipshape-fakes\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_vec(),
        ),
    ];
    let mut record = String::new();
    for (path, bytes) in &files {
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
        record.push_str(&format!("{path},sha256={hash},{}\n", bytes.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    files.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    stored_zip(&files)
}

/// The JSON (PEP 691) or HTML (PEP 503) page for a project.
pub fn project_page(
    base: &str,
    name: &str,
    package: &FakePackage,
    json: bool,
) -> (String, &'static str) {
    let files: Vec<(String, &FakeRelease)> = package
        .releases
        .iter()
        .map(|release| (wheel_name(name, &release.version), release))
        .collect();
    if json {
        let entries: Vec<Value> = files
            .iter()
            .map(|(file, release)| {
                let bytes = wheel(name, release);
                let metadata_hash = sha256_hex(metadata(name, release).as_bytes());
                json!({
                    "filename": file,
                    "url": format!("{base}/files/{file}"),
                    "hashes": { "sha256": sha256_hex(&bytes) },
                    "requires-python": ">=3.8",
                    "core-metadata": { "sha256": metadata_hash },
                    "data-dist-info-metadata": { "sha256": metadata_hash },
                    "yanked": release.yanked,
                    "size": bytes.len(),
                    "upload-time": format!("{}T12:00:00.000000Z", release.date),
                })
            })
            .collect();
        let page = json!({
            "meta": { "api-version": "1.1" },
            "name": normalize(name),
            "versions": package.releases.iter().map(|r| r.version.clone()).collect::<Vec<_>>(),
            "files": entries,
        });
        (page.to_string(), "application/vnd.pypi.simple.v1+json")
    } else {
        let mut page = format!(
            "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for {name}</title></head><body><h1>Links for {name}</h1>\n"
        );
        for (file, release) in &files {
            let hash = sha256_hex(&wheel(name, release));
            let yanked = if release.yanked {
                " data-yanked=\"\""
            } else {
                ""
            };
            page.push_str(&format!(
                "<a href=\"{base}/files/{file}#sha256={hash}\" data-requires-python=\"&gt;=3.8\"{yanked}>{file}</a><br/>\n"
            ));
        }
        page.push_str("</body></html>\n");
        (page, "application/vnd.pypi.simple.v1+html")
    }
}

/// The release a `/files/` name is for, and whether only its metadata is
/// asked for.
pub fn find_file<'a>(
    packages: impl Iterator<Item = (&'a String, &'a FakePackage)>,
    file: &str,
) -> Option<(String, FakeRelease, bool)> {
    let (wheel_file, metadata_only) = match file.strip_suffix(".metadata") {
        Some(wheel_file) => (wheel_file, true),
        None => (file, false),
    };
    for (name, package) in packages {
        for release in &package.releases {
            if wheel_name(name, &release.version) == wheel_file {
                return Some((name.clone(), release.clone(), metadata_only));
            }
        }
    }
    None
}

/// A zip archive of `files`, stored (not compressed), as wheels may be.
fn stored_zip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    // 1980-01-01 00:00, zip's first day: the same bytes for the same files.
    const TIME: u16 = 0;
    const DATE: u16 = (1 << 5) | 1;
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    for (path, bytes) in files {
        let offset = out.len() as u32;
        let crc = crc32(bytes);
        let size = bytes.len() as u32;
        let name_len = path.len() as u16;
        let _ = out.write_all(&0x0403_4b50u32.to_le_bytes());
        for field in [20u16, 0, 0, TIME, DATE] {
            let _ = out.write_all(&field.to_le_bytes());
        }
        for field in [crc, size, size] {
            let _ = out.write_all(&field.to_le_bytes());
        }
        let _ = out.write_all(&name_len.to_le_bytes());
        let _ = out.write_all(&0u16.to_le_bytes());
        let _ = out.write_all(path.as_bytes());
        let _ = out.write_all(bytes);

        let _ = central.write_all(&0x0201_4b50u32.to_le_bytes());
        // Made by Unix (3), zip 2.0; regular file, rw-r--r--.
        for field in [0x0314u16, 20, 0, 0, TIME, DATE] {
            let _ = central.write_all(&field.to_le_bytes());
        }
        for field in [crc, size, size] {
            let _ = central.write_all(&field.to_le_bytes());
        }
        for field in [name_len, 0, 0, 0, 0] {
            let _ = central.write_all(&field.to_le_bytes());
        }
        let _ = central.write_all(&(0o100_644u32 << 16).to_le_bytes());
        let _ = central.write_all(&offset.to_le_bytes());
        let _ = central.write_all(path.as_bytes());
    }
    let central_offset = out.len() as u32;
    let central_size = central.len() as u32;
    out.extend_from_slice(&central);
    let count = files.len() as u16;
    let _ = out.write_all(&0x0605_4b50u32.to_le_bytes());
    for field in [0u16, 0, count, count] {
        let _ = out.write_all(&field.to_le_bytes());
    }
    let _ = out.write_all(&central_size.to_le_bytes());
    let _ = out.write_all(&central_offset.to_le_bytes());
    let _ = out.write_all(&0u16.to_le_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn names_are_normalised_as_pep_503_says() {
        assert_eq!(normalize("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize("zope..interface"), "zope-interface");
        assert_eq!(
            wheel_name("Typing-Extensions", "4.1"),
            "typing_extensions-4.1-py3-none-any.whl"
        );
    }
}
