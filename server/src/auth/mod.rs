//! Who may do what: local accounts with Argon2id passwords, server-side
//! sessions, API tokens, the sign-in limiter and the access policy. Pure
//! parts (`limiter`, `policy`, `secret`) are kept apart from the service
//! that reads and writes the store.

pub mod hashing;
pub mod limiter;
pub mod password;
pub mod policy;
pub mod secret;
pub mod service;
pub mod settings;
pub mod store;

pub use shipshape_types::auth::{Caller, Denied, Role, Via};
