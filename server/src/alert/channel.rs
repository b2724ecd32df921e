//! Where messages go: a generic webhook (signed JSON; subscribers get the
//! same), a Slack-compatible incoming webhook, and e-mail over SMTP, behind
//! one small trait. Errors say what went wrong without the URL or any
//! credential: a Slack webhook URL is itself a secret.

use std::time::Duration;

use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use super::message::{Outgoing, email, slack_message, webhook_body};
use crate::alert::settings::{SmtpSecurity, SmtpSettings};
use crate::common::http::without_url;
use crate::common::secret::Secret;

/// The signature header of webhook bodies: `sha256=` and the hex HMAC of
/// the body under the shared secret (the scheme GitHub's webhooks use).
pub const SIGNATURE_HEADER: &str = "x-shipshape-signature-256";
/// The ids of the events in a message, comma-separated.
pub const EVENT_IDS_HEADER: &str = "x-shipshape-event-ids";

/// How long one delivery attempt may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub trait Channel: Send + Sync {
    /// Sends one message; the error says why it did not arrive.
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), String>>;
}

pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// A reqwest error in words, without the URL it carries.
fn http_error(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", SEND_TIMEOUT.as_secs());
    }
    without_url(error)
}

async fn post(
    client: &reqwest::Client,
    url: &Secret,
    body: String,
    headers: Vec<(&'static str, String)>,
) -> Result<(), String> {
    let mut request = client
        .post(url.expose())
        .timeout(SEND_TIMEOUT)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("Shipshape/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.body(body).send().await.map_err(http_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let excerpt: String = text.trim().chars().take(200).collect();
    Err(if excerpt.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {excerpt}")
    })
}

pub struct WebhookChannel {
    pub client: reqwest::Client,
    pub url: Secret,
    pub secret: Option<Secret>,
}

impl Channel for WebhookChannel {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let body = webhook_body(message);
            let mut headers = vec![(EVENT_IDS_HEADER, message.event_ids())];
            if let Some(secret) = &self.secret {
                headers.push((
                    SIGNATURE_HEADER,
                    signature(secret.expose(), body.as_bytes()),
                ));
            }
            post(&self.client, &self.url, body, headers).await
        })
    }
}

pub struct SlackChannel {
    pub client: reqwest::Client,
    pub url: Secret,
}

impl Channel for SlackChannel {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let body = slack_message(message).to_string();
            post(
                &self.client,
                &self.url,
                body,
                vec![(EVENT_IDS_HEADER, message.event_ids())],
            )
            .await
        })
    }
}

pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The whole conversation's limit: lettre bounds connecting, and a
    /// server that accepts and then says nothing must not hold delivery.
    timeout: Duration,
    from: lettre::message::Mailbox,
    to: Vec<lettre::message::Mailbox>,
}

impl EmailChannel {
    /// Sets up the SMTP client; the password is resolved by the caller.
    pub fn new(
        smtp: &SmtpSettings,
        password: Option<Secret>,
        to: &[String],
    ) -> Result<EmailChannel, String> {
        let tls = || -> Result<TlsParameters, String> {
            let mut builder = TlsParameters::builder(smtp.host.clone());
            if let Some(path) = &smtp.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("could not read the CA file {}: {e}", path.display()))?;
                let certificate = Certificate::from_pem(&pem).map_err(|e| {
                    format!(
                        "the CA file {} is not a PEM certificate: {e}",
                        path.display()
                    )
                })?;
                builder = builder.add_root_certificate(certificate);
            }
            builder
                .build_rustls()
                .map_err(|e| format!("could not set up TLS for {}: {e}", smtp.host))
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
                .port(smtp.port)
                .timeout(Some(smtp.timeout))
                .tls(match smtp.security {
                    SmtpSecurity::StartTls => Tls::Required(tls()?),
                    SmtpSecurity::Tls => Tls::Wrapper(tls()?),
                    SmtpSecurity::None => Tls::None,
                });
        if let Some(username) = &smtp.username {
            let password = password.ok_or_else(|| {
                format!("[alerts.smtp] has a username ({username}) but no password")
            })?;
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_string(),
            ));
        }
        let mailbox = |text: &str| {
            text.parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("`{text}` is not an e-mail address: {e}"))
        };
        Ok(EmailChannel {
            transport: builder.build(),
            timeout: smtp.timeout,
            from: mailbox(&smtp.from)?,
            to: to.iter().map(|a| mailbox(a)).collect::<Result<_, _>>()?,
        })
    }
}

impl Channel for EmailChannel {
    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let (subject, body) = email(message);
            let mut builder = Message::builder()
                .from(self.from.clone())
                .subject(subject)
                .header(ContentType::TEXT_PLAIN);
            for to in &self.to {
                builder = builder.to(to.clone());
            }
            let mail = builder
                .body(body)
                .map_err(|e| format!("could not write the e-mail: {e}"))?;
            match tokio::time::timeout(self.timeout, self.transport.send(mail)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("the SMTP server did not take the e-mail: {e}")),
                Err(_) => Err(format!(
                    "the SMTP server did not finish within {} s",
                    self.timeout.as_secs()
                )),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
