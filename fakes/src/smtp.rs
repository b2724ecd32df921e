//! A local SMTP server (RFC 5321) for the e-mail channel: `EHLO`,
//! `STARTTLS` (RFC 3207) or TLS from the first byte, `AUTH PLAIN`
//! (RFC 4954), `MAIL`, `RCPT`, `DATA` with dot-unstuffing, `RSET`, `NOOP`,
//! `QUIT`. Its certificate is `certs/server.pem`, signed by the test CA in
//! `certs/ca.pem`. It can refuse mail for a while (`451`, a transient
//! failure), hang, and come back; it records every message it accepted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The CA that signed the fake's certificate, for Shipshape's `ca_file`.
pub const CA_PEM_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/ca.pem");
const SERVER_PEM: &[u8] = include_bytes!("../certs/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("../certs/server.key");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain, with STARTTLS offered and required before AUTH and MAIL.
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// Plain only.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpMode {
    Accept,
    /// Answers `451 4.3.0` to the end of DATA.
    Refuse,
    /// Accepts connections and never says anything.
    Hang,
}

#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dots unstuffed.
    pub data: String,
    pub over_tls: bool,
    pub user: Option<String>,
}

struct State {
    mode: SmtpMode,
    mail: Vec<Mail>,
    sessions: usize,
}

#[derive(Clone)]
pub struct FakeSmtp {
    state: Arc<Mutex<State>>,
    pub addr: SocketAddr,
}

struct Settings {
    security: SmtpSecurity,
    credentials: Option<(String, String)>,
    acceptor: TlsAcceptor,
}

fn acceptor() -> TlsAcceptor {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(SERVER_PEM)
        .collect::<Result<_, _>>()
        .expect("the fake's certificate is PEM");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).expect("the fake's key is PEM");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("rustls supports its default versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("the fake's certificate and key match");
    TlsAcceptor::from(Arc::new(config))
}

impl FakeSmtp {
    /// Listens on 127.0.0.1; `credentials` makes AUTH required.
    pub async fn start(
        security: SmtpSecurity,
        credentials: Option<(&str, &str)>,
    ) -> std::io::Result<FakeSmtp> {
        let state = Arc::new(Mutex::new(State {
            mode: SmtpMode::Accept,
            mail: Vec::new(),
            sessions: 0,
        }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let settings = Arc::new(Settings {
            security,
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
            acceptor: acceptor(),
        });
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, settings) = (Arc::clone(&shared), Arc::clone(&settings));
                tokio::spawn(async move {
                    let _ = session(stream, &state, &settings).await;
                });
            }
        });
        Ok(FakeSmtp { state, addr })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn set_mode(&self, mode: SmtpMode) {
        self.lock().mode = mode;
    }

    pub fn mail(&self) -> Vec<Mail> {
        self.lock().mail.clone()
    }

    /// Connections made to it, whatever became of them.
    pub fn sessions(&self) -> usize {
        self.lock().sessions
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn session(
    stream: tokio::net::TcpStream,
    state: &Mutex<State>,
    settings: &Settings,
) -> std::io::Result<()> {
    let mode = {
        let mut state = lock(state);
        state.sessions += 1;
        state.mode
    };
    if mode == SmtpMode::Hang {
        let mut stream = stream;
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink).await;
        return Ok(());
    }
    match settings.security {
        SmtpSecurity::Tls => {
            let tls = settings.acceptor.accept(stream).await?;
            converse(tls, state, settings, true, true).await?;
        }
        SmtpSecurity::StartTls | SmtpSecurity::None => {
            if let Some(plain) = converse(stream, state, settings, false, true).await? {
                let tls = settings.acceptor.accept(plain).await?;
                converse(tls, state, settings, true, false).await?;
            }
        }
    }
    Ok(())
}

/// Talks SMTP on `stream` until QUIT or the end; returns the stream when
/// the client asked for STARTTLS (to be wrapped and talked to again).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    state: &Mutex<State>,
    settings: &Settings,
    over_tls: bool,
    greet: bool,
) -> std::io::Result<Option<S>> {
    let mut stream = BufReader::new(stream);
    if greet {
        stream
            .write_all(b"220 fake.smtp.test ESMTP ready\r\n")
            .await?;
    }
    let needs_tls = settings.security == SmtpSecurity::StartTls && !over_tls;
    let mut user: Option<String> = None;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => {
                let mut lines = vec!["250-fake.smtp.test".to_string()];
                if needs_tls {
                    lines.push("250-STARTTLS".into());
                } else if settings.credentials.is_some() {
                    lines.push("250-AUTH PLAIN".into());
                }
                lines.push("250 8BITMIME".into());
                lines.join("\r\n")
            }
            "HELO" => "250 fake.smtp.test".into(),
            "STARTTLS" if needs_tls => {
                stream
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                stream.flush().await?;
                return Ok(Some(stream.into_inner()));
            }
            "AUTH" if needs_tls => "530 5.7.0 Must issue a STARTTLS command first".into(),
            "AUTH" => {
                let mut parts = line.split(' ').skip(1);
                let mechanism = parts.next().unwrap_or_default().to_ascii_uppercase();
                let given = parts.next().map(str::to_string);
                let encoded = match given {
                    Some(encoded) => encoded,
                    None => {
                        stream.write_all(b"334 \r\n").await?;
                        let mut answer = String::new();
                        stream.read_line(&mut answer).await?;
                        answer.trim().to_string()
                    }
                };
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap_or_default();
                let fields: Vec<String> = decoded
                    .split(|b| *b == 0)
                    .map(|f| String::from_utf8_lossy(f).to_string())
                    .collect();
                match (&settings.credentials, mechanism.as_str(), fields.as_slice()) {
                    (Some((u, p)), "PLAIN", [_, given_user, given_pass])
                        if given_user == u && given_pass == p =>
                    {
                        user = Some(u.clone());
                        "235 2.7.0 Authentication successful".into()
                    }
                    _ => "535 5.7.8 Authentication credentials invalid".into(),
                }
            }
            "MAIL" if needs_tls => "530 5.7.0 Must issue a STARTTLS command first".into(),
            "MAIL" if settings.credentials.is_some() && user.is_none() => {
                "530 5.7.0 Authentication required".into()
            }
            "MAIL" => {
                from = Some(address_in(line));
                to.clear();
                "250 2.1.0 Ok".into()
            }
            "RCPT" if from.is_none() => "503 5.5.1 Error: need MAIL command".into(),
            "RCPT" => {
                to.push(address_in(line));
                "250 2.1.5 Ok".into()
            }
            "DATA" if to.is_empty() => "503 5.5.1 Error: need RCPT command".into(),
            "DATA" => {
                stream
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await? == 0 {
                        return Ok(None);
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let mode = lock(state).mode;
                if mode == SmtpMode::Refuse {
                    "451 4.3.0 Mail server temporarily rejected message".into()
                } else {
                    lock(state).mail.push(Mail {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                        over_tls,
                        user: user.clone(),
                    });
                    "250 2.0.0 Ok: queued".into()
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 Ok".into()
            }
            "NOOP" => "250 2.0.0 Ok".into(),
            "QUIT" => {
                stream.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(None);
            }
            _ => "502 5.5.2 Error: command not recognized".into(),
        };
        stream.write_all(format!("{reply}\r\n").as_bytes()).await?;
        stream.flush().await?;
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=1` or `RCPT TO:<a@b>`.
fn address_in(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_string())
        .unwrap_or_default()
}
