pub mod logging;
pub mod metrics;
