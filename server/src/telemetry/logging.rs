//! Logging, and how Shipshape logs.
//!
//! **A sentence, then fields.** Each line is a sentence a person on call can
//! read without the code ("the fleet file changed but is not valid, keeping
//! the fleet as last loaded: …"), followed by structured fields for machines
//! with dotted names: `service.slug`, `package.name`, `fleet.file`,
//! `github.org`, `http.method`, `took_ms`. Say what happened and what
//! Shipshape does about it ("keeping", "retrying in 30 s", "skipped").
//!
//! **Once, at the boundary.** A failure is logged where it stops travelling:
//! a background loop logs the round that failed and carries on; a request
//! logs the internal cause of a 5xx once, in `OperationError::problem`, and
//! the client gets a stable message instead. Code in between returns errors
//! with context (`thiserror`), it does not log and re-raise.
//!
//! **Levels.** `error`: Shipshape could not do its job (a refresh, a
//! delivery, a request's database call) and a person should look. `warn`:
//! something outside is wrong and Shipshape works around it (a file that
//! does not parse, a registry that does not answer, a refused cross-site
//! write). `info`: start-up, shutdown, what each loop did (one line per
//! round). `debug`: per-request and per-statement detail.
//!
//! **Never a secret.** Tokens, passwords, webhook URLs, SMTP credentials and
//! header values read from the environment never reach a log line: config
//! holds them as `Secret`/`SecretSource` (whose `Debug` says `[redacted]`),
//! URLs are logged through `redact_url_password`/`redacted_url`, HTTP errors
//! through `without_url`, and form arguments in the audit trail lose their
//! password fields. The browser suite's secrets test greps the log for them.

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
