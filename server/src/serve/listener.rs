//! Accepting connections with limits that `axum::serve` does not set: a
//! client must send its request head within `header_timeout` (slowloris),
//! at most `max_connections` are open at once (the next are closed at
//! once, not queued), and shutdown waits for requests in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

pub use crate::common::listener::ListenerLimits;

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish (up to `drain`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // An answer that has not begun by then is a 503; a stream that has
    // begun (the health events) is not cut.
    let app = app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        http::StatusCode::SERVICE_UNAVAILABLE,
        limits.request_timeout,
    ));
    // The client's address is kept for the sign-in limiter.
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut refused_logged_at: Option<tokio::time::Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most often: wait, then go on.
                    tracing::warn!("could not accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            if refused_logged_at.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connections refused: as many are open as [server] max_connections allows"
                );
                refused_logged_at = Some(tokio::time::Instant::now());
            }
            drop(stream);
            continue;
        };
        let Ok(service) = make_service.call(peer).await;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(30)));
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _open = permit;
            if let Err(error) = connection.await {
                tracing::debug!(%peer, "a connection ended with an error: {error}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still running after {drain:?}; they were cut off");
    }
}
