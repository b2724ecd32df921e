//! What an attacker can try from outside and through the API, over real
//! sockets: a name that resolves to the machine itself when it is used
//! (DNS rebinding: checked at connect time, not once), a redirect to a
//! denied address, and a client that opens a connection and never sends
//! its request (slowloris), next to one that does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use shipshape_server::common::listener::ListenerLimits;
use shipshape_server::common::outbound::NetworkPolicy;
use shipshape_server::health::poll::{Probe, check, health_client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A loopback server answering `/health` with 200 and `/away` with a
/// redirect to `to`.
async fn server(to: String) -> SocketAddr {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/away",
            get(move || {
                let to = to.clone();
                async move { axum::response::Redirect::temporary(&to) }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

fn probe(url: String) -> Probe {
    Probe {
        url,
        method: "GET".into(),
        timeout: Duration::from_secs(5),
        expected_status: None,
        headers: vec![],
        body_contains: None,
    }
}

#[tokio::test]
async fn a_name_is_checked_where_it_leads_at_every_connection() {
    let address = server(String::new()).await;
    // The name resolves to loopback only when the check runs: no check at
    // registration would have seen it. The guarded client refuses it at
    // connect time; the admin's own client reaches it.
    let url = format!("http://localhost:{}/health", address.port());
    let guarded = health_client(Some(&Arc::new(NetworkPolicy::default())));
    let outcome = check(&guarded, &probe(url.clone())).await;
    assert_eq!(outcome.status, None, "{outcome:?}");
    let reason = outcome.reason.clone().unwrap_or_default();
    assert!(reason.contains("may not be reached"), "{reason}");
    let trusted = health_client(None);
    assert_eq!(check(&trusted, &probe(url)).await.status, Some(200));
}

#[tokio::test]
async fn a_redirect_to_a_denied_address_is_not_followed() {
    // Only 127.0.0.2 is denied, so the endpoint itself may be reached.
    let policy = Arc::new(NetworkPolicy {
        allow: vec![],
        deny: vec!["127.0.0.2/32".parse().expect("net")],
        deny_own_addresses: false,
    });
    let address = server("http://127.0.0.2:9/metadata".to_string()).await;
    let guarded = health_client(Some(&policy));
    let outcome = check(
        &guarded,
        &probe(format!("http://127.0.0.1:{}/away", address.port())),
    )
    .await;
    let reason = outcome.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("127.0.0.2") || reason.contains("redirect"),
        "{outcome:?}"
    );
    assert_ne!(outcome.status, Some(200));
}

#[tokio::test]
async fn a_client_that_never_sends_its_request_is_cut_off_and_others_are_served() {
    let app = Router::new().route("/ping", get(|| async { "pong" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let limits = ListenerLimits {
        header_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(5),
        max_connections: 64,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(shipshape_server::serve::listener::serve(
        listener,
        app,
        limits,
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(1),
    ));

    // Forty slow clients, each with half a request head.
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("write");
        slow.push(stream);
    }
    // A normal client is served meanwhile.
    let started = Instant::now();
    let mut normal = TcpStream::connect(address).await.expect("connect");
    normal
        .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = String::new();
    normal.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("pong"), "{answer}");
    assert!(started.elapsed() < Duration::from_millis(400));

    // The slow ones are closed after the header timeout (EOF or a 408).
    let mut closed = 0;
    for mut stream in slow {
        let mut rest = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut rest)).await;
        if read.is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 40, "every slow client was cut off");
    let _ = stop.send(());
    serving.await.expect("the listener stops");
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_at_once() {
    let app = Router::new().route("/ping", get(|| async { "pong" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let limits = ListenerLimits {
        header_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        max_connections: 4,
    };
    tokio::spawn(shipshape_server::serve::listener::serve(
        listener,
        app,
        limits,
        std::future::pending(),
        Duration::from_secs(1),
    ));
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(address).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = TcpStream::connect(address).await.expect("connect");
    let _ = fifth
        .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), fifth.read_to_end(&mut rest))
        .await
        .expect("closed at once, not queued");
    assert!(read.is_err() || rest.is_empty(), "no answer past the limit");
    drop(held);
}
