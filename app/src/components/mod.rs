pub mod drift_table;
pub mod layout;
pub mod service_bits;
pub mod trend_chart;
