//! A burst of parallel sign-ins with wrong passwords, as an attacker would
//! send them: from many addresses (so that the per-address limit does not
//! stop them) and against one account. Reports the process's peak memory
//! above its baseline, how long the burst took, and how the attempts were
//! answered. Argon2 as configured takes 19 MiB per hash: unbounded, a few
//! hundred at once take gigabytes.
//! Run with `cargo bench -p shipshape-server --bench sign_in_burst`
//! (`-- --attempts N` to change the burst).

mod support;

use std::sync::Arc;
use std::time::Instant;

use shipshape_server::auth::Role;
use shipshape_server::auth::service::{AuthService, SignInError};
use shipshape_server::auth::settings::AuthSettings;
use shipshape_server::common::clock::SystemClock;
use shipshape_server::common::secret::DatabaseUrl;
use shipshape_server::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let attempts = support::arg("--attempts", 400);
    let dir = tempfile::tempdir()?;
    let url = DatabaseUrl::new(format!(
        "sqlite://{}",
        dir.path().join("burst.db").display()
    ));
    let store = Store::connect(&url, 4).await?;
    store.migrate().await?;
    let auth = AuthService::new(store, Arc::new(SystemClock), AuthSettings::default());
    auth.add_user("ada", "correct horse battery", Role::Admin)
        .await?;
    // One honest sign-in first: the baseline includes one hash's memory.
    auth.sign_in("ada", "correct horse battery", "192.0.2.1", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let baseline = support::peak_rss_kib().unwrap_or(0);

    let started = Instant::now();
    let burst = (0..attempts).map(|i| {
        let auth = auth.clone();
        async move {
            let address = format!("198.51.{}.{}", i / 250, i % 250 + 1);
            auth.sign_in("ada", "a wrong guess", &address, None).await
        }
    });
    let answers = futures::future::join_all(burst).await;
    let took = started.elapsed();
    let peak = support::peak_rss_kib().unwrap_or(0);
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(SignInError::Refused)))
        .count();
    let limited = answers
        .iter()
        .filter(|a| matches!(a, Err(SignInError::TooMany { .. })))
        .count();
    // The owner, from their own address, is not locked out by the burst.
    let owner = auth
        .sign_in("ada", "correct horse battery", "192.0.2.1", None)
        .await
        .is_ok();
    println!("sign-in burst: {attempts} parallel wrong sign-ins from {attempts} addresses");
    println!(
        "  answered in {:.2} s: {refused} checked and refused, {limited} told to wait",
        took.as_secs_f64()
    );
    println!(
        "  peak memory {:.1} MiB, {:.1} MiB above the baseline of {:.1} MiB",
        peak as f64 / 1024.0,
        peak.saturating_sub(baseline) as f64 / 1024.0,
        baseline as f64 / 1024.0
    );
    println!("  the owner signs in afterwards from their own address: {owner}");
    Ok(())
}
