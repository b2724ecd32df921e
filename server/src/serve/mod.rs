//! The composition root: configuration in, the running server out. The
//! services are built once (`services`), the HTTP app is built over them
//! (`web::routes`), the background loops run beside it (`loops`), and
//! everything stops in order on SIGINT or SIGTERM. The command line's
//! other commands are in `commands`, the fleet-file reload in `reload`.

pub mod commands;
pub mod listener;
mod loops;
mod reload;
mod services;

use std::collections::BTreeMap;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

pub use services::{Services, open_store};

use crate::config::Config;
use crate::web::routes;

/// Runs the server until SIGINT or SIGTERM. `env` is the environment the
/// config was loaded from; credentials named in the config (`token_env`)
/// are looked up in it.
pub async fn serve(
    config: Config,
    fleet_file_text: Option<String>,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    tracing::info!(
        listen = %config.server.listen,
        database = %config.database.url,
        fleet.file = %config.fleet.file.as_ref().map_or("(none)".to_string(), |p| p.display().to_string()),
        site_root = %config.server.site_root.display(),
        "starting Shipshape"
    );
    if !config.server.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %config.server.site_root.display(),
            "no built front end under the site root: pages render but will not become interactive; build with `cargo leptos build` or set SHIPSHAPE_SITE_ROOT"
        );
    }
    let services = Services::start(&config, env).await?;
    let app = routes::build(services.app_state(&config));
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("could not listen on {}", config.server.listen))?;
    tracing::info!(
        "Shipshape is listening on http://{}",
        listener.local_addr()?
    );

    let cancel = CancellationToken::new();
    let mut background = loops::spawn(&services, &config, fleet_file_text, env, &cancel);
    let shutdown = {
        let cancel = cancel.clone();
        let health = services.health.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            cancel.cancel();
            health.close_streams();
        }
    };
    listener::serve(
        listener,
        app,
        config.server.limits,
        shutdown,
        std::time::Duration::from_secs(30),
    )
    .await;

    cancel.cancel();
    while background.join_next().await.is_some() {}
    services.store.close().await;
    tracing::info!("Shipshape stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!("could not listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!("could not listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
