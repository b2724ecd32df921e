use tracing_subscriber::EnvFilter;

/// Logs to standard error; the level comes from `RUST_LOG` (default: info
/// for Shipshape, warnings for the libraries under it).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info,leptos_axum=warn"));
    // A second init (tests that start several servers) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(std::io::stderr)
        .try_init();
}
