//! Registries. `answers` turns each registry's documented response into
//! releases (pure, so garbage from a registry is an error, never a panic);
//! the HTTP clients, caching and circuit breakers build on it.

pub mod answers;
pub mod client;
pub mod time;
