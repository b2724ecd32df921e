//! Checks over real HTTP against local healthchecks in every shape, and
//! against the ways healthchecks misbehave.

use std::net::SocketAddr;
use std::time::Duration;

use shipshape_fakes::{FakeHealth, FakeState, Fakes};
use shipshape_server::common::secret::Secret;
use shipshape_server::health::format::{Format, Verdict};
use shipshape_server::health::poll::{EXCERPT_BYTES, Outcome, Probe, check, health_client};

async fn fakes() -> Fakes {
    Fakes::start(FakeState::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("fakes listen")
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

async fn check_named(fakes: &Fakes, name: &str, health: FakeHealth) -> Outcome {
    fakes.lock().health.insert(name.into(), health);
    check(
        &health_client(None),
        &probe(format!("{}/health/{name}", fakes.base())),
    )
    .await
}

fn format_and_verdict(outcome: &Outcome) -> (Format, Verdict) {
    let reading = outcome.reading.as_ref().expect("an answer was read");
    (reading.format, reading.verdict)
}

#[tokio::test]
async fn every_standard_shape_is_read_and_a_failing_one_says_why() {
    let fakes = fakes().await;
    let healthy = check_named(&fakes, "a", FakeHealth::standard(true)).await;
    assert_eq!(
        format_and_verdict(&healthy),
        (Format::Standard, Verdict::Pass)
    );
    assert_eq!(healthy.status, Some(200));
    assert_eq!(healthy.excerpt, r#"{"status":"healthy"}"#);

    let sick = check_named(&fakes, "a", FakeHealth::standard(false)).await;
    assert_eq!(format_and_verdict(&sick), (Format::Standard, Verdict::Fail));
    assert_eq!(
        sick.reason.as_deref(),
        Some("answered HTTP 503 (status is `unhealthy`, not `healthy`)")
    );

    let warn = check_named(&fakes, "b", FakeHealth::health_json("warn")).await;
    assert_eq!(
        format_and_verdict(&warn),
        (Format::HealthJson, Verdict::Warn)
    );
    let reading = warn.reading.as_ref().expect("read");
    assert_eq!(reading.release_id.as_deref(), Some("2026.11.3"));
    assert_eq!(reading.components.len(), 2);
    let fail = check_named(&fakes, "b", FakeHealth::health_json("fail")).await;
    assert_eq!(
        format_and_verdict(&fail),
        (Format::HealthJson, Verdict::Fail)
    );
    assert!(
        fail.reason
            .as_deref()
            .is_some_and(|r| r.contains("connection refused")),
        "{:?}",
        fail.reason
    );

    let down = check_named(&fakes, "c", FakeHealth::actuator(false)).await;
    assert_eq!(
        format_and_verdict(&down),
        (Format::SpringActuator, Verdict::Fail)
    );
    assert!(
        down.reason
            .as_deref()
            .is_some_and(|r| r.contains("db is down: java.net.ConnectException")),
        "{:?}",
        down.reason
    );
    let up = check_named(&fakes, "c", FakeHealth::actuator(true)).await;
    assert_eq!(
        format_and_verdict(&up),
        (Format::SpringActuator, Verdict::Pass)
    );

    let plain = check_named(&fakes, "d", FakeHealth::plain(200)).await;
    assert_eq!(
        format_and_verdict(&plain),
        (Format::StatusCode, Verdict::Pass)
    );
    assert!(!plain.reading.as_ref().expect("read").conforming);
    let unavailable = check_named(&fakes, "d", FakeHealth::plain(503)).await;
    assert_eq!(unavailable.reason.as_deref(), Some("answered HTTP 503"));

    let garbage = check_named(
        &fakes,
        "e",
        FakeHealth::Answer {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"status\": healthy".into(),
        },
    )
    .await;
    assert_eq!(
        format_and_verdict(&garbage),
        (Format::StatusCode, Verdict::Pass)
    );
    assert!(
        !garbage.reading.as_ref().expect("read").conforming,
        "garbage is non-conforming"
    );
}

#[tokio::test]
async fn a_hanging_healthcheck_times_out_and_a_huge_body_is_read_only_so_far() {
    let fakes = fakes().await;
    fakes.lock().health.insert("hang".into(), FakeHealth::Hang);
    let mut hanging = probe(format!("{}/health/hang", fakes.base()));
    hanging.timeout = Duration::from_millis(300);
    let outcome = check(&health_client(None), &hanging).await;
    assert_eq!(outcome.reading, None);
    assert_eq!(outcome.reason.as_deref(), Some("no answer within 0.3 s"));
    assert!(
        outcome.latency >= Duration::from_millis(300) && outcome.latency < Duration::from_secs(3)
    );

    let huge = check_named(
        &fakes,
        "huge",
        FakeHealth::Huge {
            bytes: 10 * 1024 * 1024,
        },
    )
    .await;
    assert!(huge.body_truncated);
    assert_eq!(huge.excerpt.len(), EXCERPT_BYTES);
    assert_eq!(huge.status, Some(200));
}

#[tokio::test]
async fn redirects_are_followed_a_few_times_and_a_loop_is_reported() {
    let fakes = fakes().await;
    fakes
        .lock()
        .health
        .insert("ok".into(), FakeHealth::standard(true));
    let target = format!("{}/health/ok", fakes.base());
    let moved = check_named(&fakes, "moved", FakeHealth::Redirect { to: target }).await;
    assert_eq!(
        format_and_verdict(&moved),
        (Format::Standard, Verdict::Pass)
    );

    let looping = format!("{}/health/loop", fakes.base());
    let outcome = check_named(&fakes, "loop", FakeHealth::Redirect { to: looping }).await;
    assert_eq!(outcome.reading, None);
    assert_eq!(outcome.reason.as_deref(), Some("more than 5 redirects"));

    // Another host (here another name of the same machine) is not followed.
    let elsewhere = fakes.base().replace("127.0.0.1", "localhost") + "/health/ok";
    let outcome = check_named(&fakes, "away", FakeHealth::Redirect { to: elsewhere }).await;
    assert_eq!(outcome.reading, None);
    assert_eq!(
        outcome.reason.as_deref(),
        Some(
            "redirected to another host (localhost); redirects are followed only within the endpoint's own host"
        )
    );
}

#[tokio::test]
async fn a_closed_connection_or_a_refused_one_fails_without_showing_credentials() {
    // Accepts, reads the request, and hangs up without a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await;
            drop(socket);
        }
    });
    let closed = check(
        &health_client(None),
        &probe(format!("http://{address}/health")),
    )
    .await;
    assert_eq!(closed.reading, None);
    let reason = closed.reason.expect("a reason");
    assert!(
        reason.starts_with("the request failed") || reason.starts_with("the connection broke"),
        "{reason}"
    );

    // Nothing listens on port 9; the URL's password must not leak.
    let mut refused = probe("http://watcher:hunter2@127.0.0.1:9/health".into());
    refused.headers = vec![("authorization".into(), Secret::new("Bearer s3cret-token"))];
    let outcome = check(&health_client(None), &refused).await;
    let reason = outcome.reason.expect("a reason");
    assert!(reason.starts_with("could not connect"), "{reason}");
    assert!(
        !reason.contains("hunter2") && !reason.contains("s3cret"),
        "{reason}"
    );
}

#[tokio::test]
async fn expected_codes_and_body_text_are_the_endpoints_own() {
    let fakes = fakes().await;
    fakes
        .lock()
        .health
        .insert("teapot".into(), FakeHealth::plain(418));
    let mut teapot = probe(format!("{}/health/teapot", fakes.base()));
    teapot.expected_status = Some(vec![418..=418]);
    assert_eq!(
        check(&health_client(None), &teapot).await.verdict(),
        Some(Verdict::Pass)
    );

    fakes
        .lock()
        .health
        .insert("ok".into(), FakeHealth::plain(200));
    let mut wants_text = probe(format!("{}/health/ok", fakes.base()));
    wants_text.body_contains = Some("database: ok".into());
    let outcome = check(&health_client(None), &wants_text).await;
    assert_eq!(outcome.verdict(), Some(Verdict::Fail));
    assert_eq!(
        outcome.reason.as_deref(),
        Some("the answer does not contain `database: ok`")
    );
}
