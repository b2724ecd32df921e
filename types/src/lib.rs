//! What Shipshape's server and its pages say to each other, and the words
//! both use for the domain: health levels, roles, ecosystems, gaps and
//! dependency kinds. Below both the server's domain and the UI (neither owns
//! it), with serde as its only dependency, so the browser bundle carries no
//! server code and the server's domain carries no UI code. Nothing here does
//! I/O.

pub mod alerts;
pub mod auth;
pub mod drift;
pub mod format;
pub mod health;
pub mod model;
pub mod page;
pub mod upgrades;
