pub mod access;
pub mod alert_banner;
pub mod drift_table;
pub mod health_charts;
pub mod health_section;
pub mod layout;
pub mod live_health;
pub mod service_bits;
pub mod trend_chart;

use leptos_router::NavigateOptions;

/// Options for a filter or search that rewrites the URL's query: the page
/// stays where it is and the back button skips each keystroke.
pub fn in_place() -> NavigateOptions {
    NavigateOptions {
        replace: true,
        scroll: false,
        ..Default::default()
    }
}
