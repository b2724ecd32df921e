//! A receiver of webhooks, the way Shipshape's alert channels and event
//! subscribers meet them: a generic endpoint that answers any 2xx, or a
//! Slack incoming webhook, which answers `200 ok` as text (Slack's
//! documented answer) and `400 invalid_payload` to a body without `text`.
//! It can fail with 500, hang (never answer) and come back, and records
//! what it accepted and how many attempts it saw.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiverMode {
    Accept,
    /// Answers 500 Internal Server Error.
    Fail,
    /// Never answers.
    Hang,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiverKind {
    Generic,
    Slack,
}

/// One accepted request.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

struct State {
    mode: ReceiverMode,
    kind: ReceiverKind,
    accepted: Vec<Received>,
    attempts: usize,
}

#[derive(Clone)]
pub struct WebhookReceiver {
    state: Arc<Mutex<State>>,
    pub addr: SocketAddr,
}

impl WebhookReceiver {
    pub async fn start(kind: ReceiverKind) -> std::io::Result<WebhookReceiver> {
        let state = Arc::new(Mutex::new(State {
            mode: ReceiverMode::Accept,
            kind,
            accepted: Vec::new(),
            attempts: 0,
        }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::clone(&state);
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let shared = Arc::clone(&shared);
                async move { receive(&shared, uri.path().to_string(), &headers, &body).await }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(WebhookReceiver { state, addr })
    }

    /// The URL to configure; `path` is free (Slack's carry a token).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn set_mode(&self, mode: ReceiverMode) {
        self.lock().mode = mode;
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.lock().accepted.clone()
    }

    /// Every request that reached it, accepted or not.
    pub fn attempts(&self) -> usize {
        self.lock().attempts
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn receive(
    state: &Mutex<State>,
    path: String,
    headers: &HeaderMap,
    body: &[u8],
) -> axum::response::Response {
    let (mode, kind) = {
        let mut state = lock(state);
        state.attempts += 1;
        (state.mode, state.kind)
    };
    match mode {
        ReceiverMode::Hang => std::future::pending::<axum::response::Response>().await,
        ReceiverMode::Fail => {
            (StatusCode::INTERNAL_SERVER_ERROR, "receiver is down").into_response()
        }
        ReceiverMode::Accept => {
            let body = String::from_utf8_lossy(body).to_string();
            if kind == ReceiverKind::Slack {
                let parsed: serde_json::Value =
                    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
                if !parsed["text"].is_string() {
                    return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
                }
            }
            let headers = headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
                .collect();
            lock(state).accepted.push(Received {
                path,
                headers,
                body,
            });
            match kind {
                ReceiverKind::Slack => (StatusCode::OK, "ok").into_response(),
                ReceiverKind::Generic => StatusCode::NO_CONTENT.into_response(),
            }
        }
    }
}
