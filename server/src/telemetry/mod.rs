pub mod check_metrics;
pub mod heartbeat;
pub mod logging;
pub mod metrics;
