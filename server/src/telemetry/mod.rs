pub mod check_metrics;
pub mod logging;
pub mod metrics;
