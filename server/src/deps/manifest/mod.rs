//! Reading manifests and lock files, one module per ecosystem. Each reader
//! takes the file's text and returns what it declares or a `ManifestError`
//! naming the file and line; none touches the disk.

pub mod cargo;
pub mod go;
pub mod gradle;
pub mod js_lock;
pub mod maven;
pub mod npm;
pub mod python;
pub mod ruby;
