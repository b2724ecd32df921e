//! Alerts and the event journal on SQLite and PostgreSQL, delivered over
//! real HTTP and SMTP to local receivers: the journal written with each
//! change and read by cursor; alerts that fire once, are grouped per team,
//! held behind a dependency that is down, and resolved; delivery through
//! failures, hangs, an open breaker and a restart; silences and
//! subscriptions through the API.

mod common;

use shipshape_server::common::outbound::NetworkPolicy;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{ManualClock, TestDb, answer, app_state, drift_service};
use serde_json::{Value, json};
use shipshape_fakes::smtp::{CA_PEM_PATH, SmtpSecurity};
use shipshape_fakes::{FakeSmtp, ReceiverKind, ReceiverMode, SmtpMode, WebhookReceiver};
use shipshape_server::alert::channel::{SIGNATURE_HEADER, signature};
use shipshape_server::alert::service::AlertService;
use shipshape_server::config::parse_fleet_file;
use shipshape_server::fleet::FleetService;
use shipshape_server::health::format::Verdict;
use shipshape_server::health::state::{CheckResult, Thresholds, Tracker, classify};
use shipshape_server::health::store::RecordedCheck;
use shipshape_server::store::Store;
use shipshape_server::store::events::EventFilter;
use shipshape_server::upgrade::store::NewPr;
use shipshape_types::drift::{DependencyView, Ecosystem, Gap};
use shipshape_types::journal::EventType;
use shipshape_types::upgrades::{EventLevel, PrState, PrStep, RunCause, RunStatus};

/// 2026-11-23T12:00Z.
const START: i64 = 1_795_435_200_000;
const SECOND: i64 = 1000;
const WEBHOOK_SECRET: &str = "whsec-test-4f1c";
const SMTP_PASSWORD: &str = "smtp-pass-9a2e";

/// Three services of two teams; checkout depends on ledger.
fn fleet(alerts: &str) -> String {
    format!(
        r#"
[[service]]
slug = "checkout"
team = "payments"
tier = 1
depends_on = ["ledger"]
[[service.health]]
url = "http://127.0.0.1:9/checkout"

[[service]]
slug = "ledger"
team = "payments"
tier = 1
[[service.health]]
url = "http://127.0.0.1:9/ledger"

[[service]]
slug = "search-api"
team = "search"
tier = 3
[[service.health]]
url = "http://127.0.0.1:9/search"

{alerts}
"#
    )
}

fn alerts_config(webhook: &str, smtp_port: u16) -> String {
    format!(
        r#"
[alerts]
group_wait = "10s"
dashboard_url = "https://shipshape.example"

[[alerts.rule]]
name = "down"
when = "unhealthy"
checks = 2
severity = "critical"

[[alerts.channel]]
name = "payments-hook"
kind = "webhook"
url = "{webhook}"
secret_env = "PAYMENTS_HOOK_SECRET"

[[alerts.channel]]
name = "payments-mail"
kind = "email"
to = ["oncall-payments@example.com"]

[[alerts.channel]]
name = "everyone"
kind = "slack"
url_env = "EVERYONE_SLACK_URL"

[alerts.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "starttls"
username = "shipshape"
password_env = "SMTP_PASSWORD"
from = "Shipshape <shipshape@example.com>"
ca_file = "{CA_PEM_PATH}"
timeout = "3s"

[[alerts.route]]
team = "payments"
channels = ["payments-hook", "payments-mail"]

[[alerts.route]]
channels = ["everyone"]
"#
    )
}

struct Setup {
    store: Store,
    clock: Arc<ManualClock>,
    alerts: AlertService,
    /// Slug → (endpoint id, its state machine).
    endpoints: BTreeMap<String, (i64, Tracker)>,
}

fn env(slack_url: &str) -> Arc<BTreeMap<String, String>> {
    Arc::new(BTreeMap::from([
        (
            "PAYMENTS_HOOK_SECRET".to_string(),
            WEBHOOK_SECRET.to_string(),
        ),
        ("SMTP_PASSWORD".to_string(), SMTP_PASSWORD.to_string()),
        ("EVERYONE_SLACK_URL".to_string(), slack_url.to_string()),
    ]))
}

async fn setup(store: Store, text: &str, slack_url: &str) -> Setup {
    let clock = ManualClock::at(START);
    let file = parse_fleet_file(Path::new("/fleet/shipshape.toml"), text).expect("valid fleet");
    FleetService::new(store.clone(), clock.clone())
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &file.services)
        .await
        .expect("sync");
    let endpoints = store
        .endpoints_to_poll()
        .await
        .expect("endpoints")
        .into_iter()
        .map(|e| (e.service_slug, (e.id, Tracker::default())))
        .collect();
    let alerts = AlertService::new(
        store.clone(),
        clock.clone(),
        file.alerts,
        env(slack_url),
        Arc::new(NetworkPolicy::open()),
    );
    Setup {
        store,
        clock,
        alerts,
        endpoints,
    }
}

impl Setup {
    /// One check of `slug`'s endpoint at the clock's time, recorded as the
    /// health monitor records it.
    async fn check(&mut self, slug: &str, passing: bool) {
        let now = self.clock.0.load(std::sync::atomic::Ordering::SeqCst);
        let (id, tracker) = self.endpoints.get_mut(slug).expect("endpoint");
        let result = CheckResult {
            at_ms: now,
            verdict: Some(if passing {
                Verdict::Pass
            } else {
                Verdict::Fail
            }),
            latency: std::time::Duration::from_millis(20),
            detail: (!passing).then(|| "answered 503".to_string()),
        };
        let thresholds = Thresholds {
            worse_after: 2,
            better_after: 1,
            slow_after: None,
        };
        let transition = tracker.observe(&result, &thresholds);
        self.store
            .record_checks(&[RecordedCheck {
                endpoint_id: *id,
                checked_ms: now,
                check_state: classify(&result, &thresholds),
                latency_ms: 20,
                status_code: Some(if passing { 200 } else { 503 }),
                format: None,
                reason: result.detail.clone(),
                excerpt: String::new(),
                components_json: "[]".into(),
                conforming: true,
                state: tracker.state,
                since_ms: tracker.since_ms.unwrap_or(now),
                transition,
            }])
            .await
            .expect("record");
    }

    fn advance(&self, ms: i64) {
        self.clock
            .0
            .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn get_json(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) =
        answer(app, Request::get(uri).body(Body::empty()).expect("request")).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn send_json(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Value,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, _, text) = answer(app, request).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn types_of(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("a list of events")
        .iter()
        .map(|e| e["type"].as_str().expect("a type").to_string())
        .collect()
}

#[tokio::test]
async fn the_journal_records_each_change_with_it_and_reads_by_cursor() {
    for db in TestDb::all().await {
        let label = db.label;
        let store = db.store().await;
        let mut setup = setup(store.clone(), &fleet(""), "http://127.0.0.1:9").await;
        // Down after two failures, an incident; up again after one pass.
        setup.check("checkout", false).await;
        setup.advance(30 * SECOND);
        setup.check("checkout", false).await;
        setup.advance(30 * SECOND);
        setup.check("checkout", true).await;

        // A drift snapshot with a dependency a major behind, over budget.
        let service_id = store
            .active_service("ledger")
            .await
            .expect("read")
            .expect("ledger")
            .id;
        let serde = DependencyView {
            current: Some("1.0.0".into()),
            latest: Some("2.0.0".into()),
            gap: Some(Gap::Major),
            libyears: Some(3.5),
            ..DependencyView::unmeasured(Ecosystem::Cargo, "Cargo.toml", "serde")
        };
        store
            .record_snapshot(
                service_id,
                START + 100 * SECOND,
                "abc",
                &[],
                &[serde],
                Some(2.0),
            )
            .await
            .expect("snapshot");

        let app = common::admin_app(app_state(
            store.clone(),
            FleetService::new(store.clone(), setup.clock.clone()),
            drift_service(store.clone(), setup.clock.clone(), None, Path::new("/tmp")),
        ))
        .await;
        let (status, all) = get_json(&app, "/api/v1/events").await;
        assert_eq!(status, StatusCode::OK, "{label}");
        assert_eq!(
            types_of(&all["items"]),
            [
                "health.changed",
                "incident.opened",
                "health.changed",
                "incident.closed",
                "dependency.major_behind",
                "drift.over_budget"
            ],
            "{label}"
        );
        let first = &all["items"][0];
        assert_eq!(first["service"], "checkout", "{label}");
        assert_eq!(first["team"], "payments", "{label}");
        assert_eq!(first["payload"]["from"], "unknown", "{label}");
        assert_eq!(first["payload"]["to"], "down", "{label}");
        assert_eq!(first["at"], "2026-11-23T12:00:00Z", "{label}");
        assert_eq!(all["items"][4]["payload"]["package"], "serde", "{label}");
        assert_eq!(all["items"][5]["payload"]["libyears"], 3.5, "{label}");

        // Page by page with the cursor.
        let (_, page) = get_json(&app, "/api/v1/events?limit=4").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 4, "{label}");
        let cursor = page["next_cursor"].as_str().expect("a cursor");
        let (_, rest) = get_json(&app, &format!("/api/v1/events?after={cursor}")).await;
        assert_eq!(
            types_of(&rest["items"]),
            ["dependency.major_behind", "drift.over_budget"],
            "{label}"
        );
        let (_, empty) = get_json(
            &app,
            &format!(
                "/api/v1/events?after={}",
                rest["next_cursor"].as_str().expect("a cursor")
            ),
        )
        .await;
        assert_eq!(empty["items"], json!([]), "{label}");
        assert_eq!(empty["next_cursor"], rest["next_cursor"], "{label}");

        // Filters.
        let (_, incidents) =
            get_json(&app, "/api/v1/events?type=incident.opened,incident.closed").await;
        assert_eq!(
            types_of(&incidents["items"]),
            ["incident.opened", "incident.closed"],
            "{label}"
        );
        let (_, ledger) = get_json(&app, "/api/v1/events?service=ledger").await;
        assert_eq!(ledger["items"].as_array().unwrap().len(), 2, "{label}");
        let (_, search) = get_json(&app, "/api/v1/events?team=search").await;
        assert_eq!(search["items"], json!([]), "{label}");
        let (status, error) = get_json(&app, "/api/v1/events?type=health.change").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            error["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("`health.change` is not an event type"),
            "{label}: {error}"
        );

        // The same feed, with the same ids, after the database is reopened.
        store.close().await;
        let reopened = db.store().await;
        let app = common::admin_app(app_state(
            reopened.clone(),
            FleetService::new(reopened.clone(), setup.clock.clone()),
            drift_service(
                reopened.clone(),
                setup.clock.clone(),
                None,
                Path::new("/tmp"),
            ),
        ))
        .await;
        let (_, again) = get_json(&app, "/api/v1/events").await;
        assert_eq!(again["items"], all["items"], "{label}");
        reopened.close().await;
        db.cleanup().await;
    }
}

/// The events of each message a receiver accepted, as `type service`.
fn webhook_messages(receiver: &WebhookReceiver) -> Vec<Vec<String>> {
    receiver
        .accepted()
        .iter()
        .map(|r| {
            r.json()["events"]
                .as_array()
                .expect("a list of events")
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["notification"].as_str().expect("a notification kind"),
                        e["service"].as_str().expect("a service")
                    )
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn alerts_fire_once_per_team_hold_dependents_and_resolve_on_every_channel() {
    for db in TestDb::all().await {
        let label = db.label;
        let hook = WebhookReceiver::start(ReceiverKind::Generic).await.unwrap();
        let slack = WebhookReceiver::start(ReceiverKind::Slack).await.unwrap();
        let smtp = FakeSmtp::start(SmtpSecurity::StartTls, Some(("shipshape", SMTP_PASSWORD)))
            .await
            .unwrap();
        let text = fleet(&alerts_config(
            &hook.url("/hooks/payments"),
            smtp.addr.port(),
        ));
        let mut setup = setup(db.store().await, &text, &slack.url("/services/T0/B0/XYZ")).await;

        // A fleet-wide outage: every service fails twice.
        for _ in 0..2 {
            for slug in ["checkout", "ledger", "search-api"] {
                setup.check(slug, false).await;
            }
            setup.advance(15 * SECOND);
        }
        let report = setup.alerts.evaluate().await.expect("evaluate");
        assert_eq!(report.fired, 3, "{label}");
        // Evaluating again changes nothing: each alert fires once.
        assert_eq!(setup.alerts.evaluate().await.unwrap().fired, 0, "{label}");
        let overview = setup.alerts.overview().await.unwrap();
        let checkout = overview
            .firing
            .iter()
            .find(|a| a.service == "checkout")
            .unwrap();
        assert_eq!(
            checkout.held_reason.as_deref(),
            Some("held: ledger, which checkout depends on, is down"),
            "{label}"
        );
        assert!(!checkout.notified, "{label}");

        // Grouped: nothing goes out before the group wait.
        setup.alerts.deliver().await.unwrap();
        assert_eq!(
            hook.attempts() + slack.attempts() + smtp.sessions(),
            0,
            "{label}"
        );
        setup.advance(10 * SECOND);
        let sent = setup.alerts.deliver().await.unwrap();
        assert_eq!(sent.messages_sent, 3, "{label}: {sent:?}");
        assert_eq!(webhook_messages(&hook), [["firing ledger"]], "{label}");
        let slack_text = slack.accepted()[0].json()["text"].clone();
        assert_eq!(slack_text, "Shipshape — team search: 1 firing", "{label}");
        let mail = smtp.mail();
        assert_eq!(mail.len(), 1, "{label}");
        assert!(mail[0].over_tls, "{label}: STARTTLS was used");
        assert_eq!(mail[0].user.as_deref(), Some("shipshape"), "{label}");
        assert_eq!(mail[0].to, ["oncall-payments@example.com"], "{label}");
        assert!(
            mail[0].data.contains("Subject: [Shipshape =?utf-8?")
                || mail[0].data.contains("Subject: [Shipshape"),
            "{label}: {}",
            mail[0].data
        );
        assert!(
            mail[0]
                .data
                .contains("https://shipshape.example/services/ledger"),
            "{label}"
        );

        // The webhook is signed with the shared secret; ids let receivers de-duplicate.
        let received = &hook.accepted()[0];
        assert_eq!(
            received.header(SIGNATURE_HEADER),
            Some(signature(WEBHOOK_SECRET, received.body.as_bytes()).as_str()),
            "{label}"
        );
        let event_id = received.json()["events"][0]["id"].as_i64().unwrap();
        assert_eq!(
            received.header("x-shipshape-event-ids"),
            Some(event_id.to_string().as_str()),
            "{label}"
        );

        // Ledger recovers; checkout still fails and is no longer held.
        setup.check("ledger", true).await;
        setup.check("checkout", false).await;
        let report = setup.alerts.evaluate().await.unwrap();
        assert_eq!((report.resolved, report.notified), (1, 1), "{label}");
        setup.advance(10 * SECOND);
        setup.alerts.deliver().await.unwrap();
        assert_eq!(
            webhook_messages(&hook),
            [
                vec!["firing ledger"],
                vec!["firing checkout", "resolved ledger"]
            ],
            "{label}: one message for the team"
        );
        assert_eq!(smtp.mail().len(), 2, "{label}");

        // Everything recovers: every firing told is followed by its resolution.
        setup.check("checkout", true).await;
        setup.check("search-api", true).await;
        setup.alerts.evaluate().await.unwrap();
        setup.advance(10 * SECOND);
        setup.alerts.deliver().await.unwrap();
        assert_eq!(
            webhook_messages(&hook).concat(),
            [
                "firing ledger",
                "firing checkout",
                "resolved ledger",
                "resolved checkout"
            ],
            "{label}"
        );
        let slack_texts: Vec<Value> = slack
            .accepted()
            .iter()
            .map(|r| r.json()["text"].clone())
            .collect();
        assert_eq!(
            slack_texts,
            [
                "Shipshape — team search: 1 firing",
                "Shipshape — team search: 1 resolved"
            ],
            "{label}"
        );
        let overview = setup.alerts.overview().await.unwrap();
        assert!(overview.firing.is_empty(), "{label}");
        assert_eq!(overview.resolved.len(), 3, "{label}");
        let channel = |name: &str| {
            overview
                .channels
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .clone()
        };
        assert_eq!(channel("payments-hook").status, "ok", "{label}");
        assert_eq!(channel("payments-hook").delivered, 4, "{label}");
        assert_eq!(channel("everyone").receives, "default", "{label}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn delivery_survives_failures_hangs_an_open_breaker_and_a_restart() {
    for db in TestDb::all().await {
        let label = db.label;
        let hook = WebhookReceiver::start(ReceiverKind::Generic).await.unwrap();
        let slack = WebhookReceiver::start(ReceiverKind::Slack).await.unwrap();
        let smtp = FakeSmtp::start(SmtpSecurity::StartTls, Some(("shipshape", SMTP_PASSWORD)))
            .await
            .unwrap();
        let text = fleet(&alerts_config(
            &hook.url("/hooks/payments"),
            smtp.addr.port(),
        ));
        let mut setup = setup(db.store().await, &text, &slack.url("/services/T0/B0/XYZ")).await;
        hook.set_mode(ReceiverMode::Fail);
        smtp.set_mode(SmtpMode::Refuse);

        for _ in 0..2 {
            setup.check("ledger", false).await;
            setup.advance(15 * SECOND);
        }
        setup.alerts.evaluate().await.unwrap();
        setup.advance(10 * SECOND);
        // Five failures in a row open the webhook's breaker.
        for _ in 0..5 {
            let report = setup.alerts.deliver().await.unwrap();
            assert_eq!(
                report.messages_failed, 2,
                "{label}: webhook and mail failed"
            );
            setup.advance(16 * 60 * SECOND);
        }
        assert_eq!(hook.attempts(), 5, "{label}");
        let overview = setup.alerts.overview().await.unwrap();
        let hook_channel = overview
            .channels
            .iter()
            .find(|c| c.name == "payments-hook")
            .unwrap();
        assert_eq!(hook_channel.status, "failing", "{label}: {hook_channel:?}");
        assert!(
            hook_channel
                .problem
                .as_deref()
                .unwrap_or_default()
                .contains("answered 500"),
            "{label}: {hook_channel:?}"
        );
        assert_eq!(hook_channel.pending, 1, "{label}");
        // While the breaker is open, the webhook is not tried at all.
        setup
            .clock
            .0
            .fetch_sub(16 * 60 * SECOND - 1, std::sync::atomic::Ordering::SeqCst);
        let overview = setup.alerts.overview().await.unwrap();
        let paused = overview
            .channels
            .iter()
            .find(|c| c.name == "payments-hook")
            .unwrap();
        assert_eq!(paused.status, "paused", "{label}: {paused:?}");
        setup.alerts.deliver().await.unwrap();
        assert_eq!(
            hook.attempts(),
            5,
            "{label}: the open breaker held the attempt back"
        );
        setup.advance(16 * 60 * SECOND);

        // A receiver that hangs is given up on after the timeout.
        hook.set_mode(ReceiverMode::Hang);
        smtp.set_mode(SmtpMode::Hang);
        let report = setup.alerts.deliver().await.unwrap();
        assert_eq!(report.messages_failed, 2, "{label}");
        let overview = setup.alerts.overview().await.unwrap();
        let hook_channel = overview
            .channels
            .iter()
            .find(|c| c.name == "payments-hook")
            .unwrap();
        assert!(
            hook_channel
                .problem
                .as_deref()
                .unwrap_or_default()
                .contains("no answer within 10 s"),
            "{label}: {hook_channel:?}"
        );
        let mail_channel = overview
            .channels
            .iter()
            .find(|c| c.name == "payments-mail")
            .unwrap();
        assert_eq!(mail_channel.status, "paused", "{label}: {mail_channel:?}");
        assert_eq!(mail_channel.failed, 6, "{label}: {mail_channel:?}");
        assert!(
            mail_channel
                .problem
                .as_deref()
                .unwrap_or_default()
                .contains("did not finish within 3 s"),
            "{label}: {mail_channel:?}"
        );

        // Shipshape restarts with the messages still undelivered.
        let store_url = db.url.clone();
        setup.store.close().await;
        drop(setup.alerts);
        let reopened = Store::connect(&store_url, 4).await.expect("reopen");
        reopened.migrate().await.expect("migrate");
        let file = parse_fleet_file(Path::new("/fleet/shipshape.toml"), &text).unwrap();
        let restarted = AlertService::new(
            reopened.clone(),
            setup.clock.clone(),
            file.alerts,
            env(&slack.url("/services/T0/B0/XYZ")),
            Arc::new(NetworkPolicy::open()),
        );
        hook.set_mode(ReceiverMode::Accept);
        smtp.set_mode(SmtpMode::Accept);
        setup
            .clock
            .0
            .fetch_add(16 * 60 * SECOND, std::sync::atomic::Ordering::SeqCst);
        let report = restarted.deliver().await.unwrap();
        assert_eq!(report.messages_sent, 2, "{label}: {report:?}");
        assert_eq!(webhook_messages(&hook), [["firing ledger"]], "{label}");
        assert_eq!(smtp.mail().len(), 1, "{label}");
        let overview = restarted.overview().await.unwrap();
        let hook_channel = overview
            .channels
            .iter()
            .find(|c| c.name == "payments-hook")
            .unwrap();
        assert_eq!(hook_channel.status, "ok", "{label}: {hook_channel:?}");
        assert_eq!(
            (hook_channel.pending, hook_channel.delivered),
            (0, 1),
            "{label}"
        );
        // Nothing goes twice once it went.
        restarted.deliver().await.unwrap();
        assert_eq!(hook.accepted().len(), 1, "{label}");
        reopened.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn silences_and_subscriptions_through_the_api() {
    for db in TestDb::all().await {
        let label = db.label;
        let hook = WebhookReceiver::start(ReceiverKind::Generic).await.unwrap();
        let subscriber = WebhookReceiver::start(ReceiverKind::Generic).await.unwrap();
        let slack = WebhookReceiver::start(ReceiverKind::Slack).await.unwrap();
        let text = fleet(&alerts_config(&hook.url("/hooks/payments"), 9));
        let mut setup = setup(db.store().await, &text, &slack.url("/services/T0/B0/XYZ")).await;
        let mut state = app_state(
            setup.store.clone(),
            FleetService::new(setup.store.clone(), setup.clock.clone()),
            drift_service(
                setup.store.clone(),
                setup.clock.clone(),
                None,
                Path::new("/tmp"),
            ),
        );
        state.ops.alerts = setup.alerts.clone();
        let app = common::admin_app(state).await;

        // A subscriber of alert events, with a secret.
        let (status, created) = send_json(
            &app,
            "POST",
            "/api/v1/subscriptions",
            json!({
                "url": subscriber.url("/intake?token=sub-token-77"),
                "secret": "sub-secret-31",
                "types": ["alert.firing", "alert.resolved"],
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {created}");
        let listed = get_json(&app, "/api/v1/subscriptions").await.1.to_string();
        assert!(
            listed.contains(&format!("http://{}/…", subscriber.addr)),
            "{label}: {listed}"
        );
        assert!(
            !listed.contains("sub-token-77") && !listed.contains("sub-secret-31"),
            "{label}: {listed}"
        );

        // Bad silences are refused with the reason.
        let (status, error) = send_json(
            &app,
            "POST",
            "/api/v1/silences",
            json!({"duration": "1h", "comment": "x"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            error
                .to_string()
                .contains("needs a rule, a service or a team"),
            "{label}: {error}"
        );
        let (status, error) = send_json(
            &app,
            "POST",
            "/api/v1/silences",
            json!({"team": "search", "duration": "soon", "comment": "x"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {error}");

        // The search team silences its service; it goes down.
        let (status, silence) = send_json(
            &app,
            "POST",
            "/api/v1/silences",
            json!({"service": "search-api", "duration": "2h", "comment": "reindexing"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{label}: {silence}");
        for _ in 0..2 {
            setup.check("search-api", false).await;
            setup.advance(15 * SECOND);
        }
        setup.alerts.evaluate().await.unwrap();
        setup.advance(10 * SECOND);
        setup.alerts.deliver().await.unwrap();
        assert!(slack.accepted().is_empty(), "{label}: silenced");
        let (_, overview) = get_json(&app, "/api/v1/alerts").await;
        assert_eq!(
            overview["firing"][0]["held_reason"], "silenced: reindexing",
            "{label}"
        );
        // Recording goes on: the subscriber has the firing.
        let events: Vec<Value> = subscriber
            .accepted()
            .iter()
            .flat_map(|r| r.json()["events"].as_array().unwrap().clone())
            .collect();
        assert_eq!(types_of(&json!(events)), ["alert.firing"], "{label}");
        let delivered = &subscriber.accepted()[0];
        assert_eq!(delivered.path, "/intake", "{label}");
        assert_eq!(
            delivered.header(SIGNATURE_HEADER),
            Some(signature("sub-secret-31", delivered.body.as_bytes()).as_str()),
            "{label}"
        );

        // Expired early, the silence lets the firing out.
        let id = silence["id"].as_i64().unwrap();
        let (status, _) = send_json(
            &app,
            "POST",
            &format!("/api/v1/silences/{id}/expire"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{label}");
        let (status, _) = send_json(
            &app,
            "POST",
            &format!("/api/v1/silences/{id}/expire"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{label}");
        setup.alerts.evaluate().await.unwrap();
        setup.advance(10 * SECOND);
        setup.alerts.deliver().await.unwrap();
        assert_eq!(slack.accepted().len(), 1, "{label}");
        assert_eq!(slack.accepted()[0].path, "/services/T0/B0/XYZ", "{label}");

        // Deleted, the subscription receives nothing more.
        let sub_id = created["id"].as_i64().unwrap();
        let (status, _) = send_json(
            &app,
            "DELETE",
            &format!("/api/v1/subscriptions/{sub_id}"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{label}");
        setup.check("search-api", true).await;
        setup.alerts.evaluate().await.unwrap();
        setup.advance(10 * SECOND);
        setup.alerts.deliver().await.unwrap();
        assert_eq!(subscriber.accepted().len(), 1, "{label}");
        assert_eq!(slack.accepted().len(), 2, "{label}: resolved");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn email_goes_over_tls_from_the_first_byte_too() {
    let db = TestDb::sqlite().await;
    let smtp = FakeSmtp::start(SmtpSecurity::Tls, Some(("shipshape", SMTP_PASSWORD)))
        .await
        .unwrap();
    let text = fleet(
        &alerts_config("http://127.0.0.1:9/unused", smtp.addr.port())
            .replace("security = \"starttls\"", "security = \"tls\""),
    );
    let mut setup = setup(db.store().await, &text, "http://127.0.0.1:9/unused").await;
    for _ in 0..2 {
        setup.check("ledger", false).await;
        setup.advance(15 * SECOND);
    }
    setup.alerts.evaluate().await.unwrap();
    setup.advance(10 * SECOND);
    setup.alerts.deliver().await.unwrap();
    let mail = smtp.mail();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].over_tls);
    assert_eq!(mail[0].from, "shipshape@example.com");
    assert!(mail[0].data.contains("ledger"), "{}", mail[0].data);
    // The password never shows in what the page and the API show.
    let shown = serde_json::to_string(&setup.alerts.overview().await.unwrap()).unwrap();
    assert!(
        !shown.contains(SMTP_PASSWORD) && !shown.contains(WEBHOOK_SECRET),
        "{shown}"
    );
}

#[tokio::test]
async fn a_dead_targets_backlog_never_hides_another_targets_alert_and_a_removed_target_ends() {
    use shipshape_server::alert::records::NewAlert;
    for db in TestDb::all().await {
        let store = db.store().await;
        let now = 1_795_424_000_000;
        // Two thousand undelivered alerts for a subscriber that is gone,
        // then one for a live channel.
        let dead = vec!["subscription:999".to_string()];
        for index in 0..2_000 {
            let service = format!("svc-{index}");
            store
                .fire_alert(
                    &NewAlert {
                        rule: "down",
                        service: &service,
                        team: "payments",
                        severity: "critical",
                        summary: "down",
                        held_reason: None,
                        link: None,
                    },
                    &dead,
                    now,
                )
                .await
                .expect("fire");
        }
        store
            .fire_alert(
                &NewAlert {
                    rule: "down",
                    service: "checkout-api",
                    team: "payments",
                    severity: "critical",
                    summary: "down",
                    held_reason: None,
                    link: None,
                },
                &["channel:ops".to_string()],
                now,
            )
            .await
            .expect("fire");
        let pending = store.pending_deliveries(500, now + 1).await.expect("read");
        let live = pending
            .iter()
            .filter(|p| p.pending.target == "channel:ops")
            .count();
        assert_eq!(
            live, 1,
            "the live channel's alert is read despite the backlog"
        );
        assert_eq!(
            pending
                .iter()
                .filter(|p| p.pending.target == "subscription:999")
                .count(),
            500,
            "the backlog is read a bounded share at a time"
        );
        let ended = store
            .end_deliveries(
                "subscription:999",
                "not delivered: the target was removed",
                now + 2,
            )
            .await
            .expect("end");
        assert_eq!(ended, 2_000);
        let pending = store.pending_deliveries(500, now + 3).await.expect("read");
        assert_eq!(pending.len(), 1, "only the live channel's alert is left");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn snapshots_and_upgrade_steps_stored_while_the_monitor_writes_never_fail_on_sqlite() {
    // The case that failed: a transaction that reads, then writes (the
    // latest snapshot; a PR's state before it moves), while the monitor
    // commits checks every few milliseconds (`SQLITE_BUSY_SNAPSHOT`
    // without `BEGIN IMMEDIATE`). An upgrade run's steps lost that way
    // would open a PR twice or never journal it.
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let setup = setup(store.clone(), &fleet(""), "http://127.0.0.1:9").await;
    let (endpoint, _) = setup.endpoints["checkout"].clone();
    let service_id = store
        .active_service("ledger")
        .await
        .expect("read")
        .expect("ledger")
        .id;
    let monitor = {
        let store = store.clone();
        tokio::spawn(async move {
            for round in 0..300_i64 {
                store
                    .record_checks(&[RecordedCheck {
                        endpoint_id: endpoint,
                        checked_ms: START + round,
                        check_state: shipshape_server::health::state::HealthState::Up,
                        latency_ms: 5,
                        status_code: Some(200),
                        format: None,
                        reason: None,
                        excerpt: String::new(),
                        components_json: "[]".into(),
                        conforming: true,
                        state: shipshape_server::health::state::HealthState::Up,
                        since_ms: START,
                        transition: None,
                    }])
                    .await
                    .expect("the monitor's write");
                tokio::task::yield_now().await;
            }
        })
    };
    let writers = (0..4).map(|writer| {
        let store = store.clone();
        tokio::spawn(async move {
            for round in 0..25_i64 {
                let version = format!("1.{}.{writer}", round % 3);
                let serde = DependencyView {
                    current: Some(version),
                    latest: Some("2.0.0".into()),
                    gap: Some(Gap::Major),
                    libyears: Some(1.0),
                    ..DependencyView::unmeasured(Ecosystem::Cargo, "Cargo.toml", "serde")
                };
                store
                    .record_snapshot(service_id, START + round, "abc", &[], &[serde], None)
                    .await
                    .expect("a snapshot while the monitor writes");
            }
        })
    });
    let upgrade_runs = (0..2).map(|runner| {
        let store = store.clone();
        tokio::spawn(async move {
            for round in 0..10_i64 {
                let at = START + round;
                let run = store
                    .start_run(RunCause::Manual, Some("ledger"), false, at)
                    .await
                    .expect("a run starts while the monitor writes");
                let group = format!("group-{runner}-{round}");
                let branch = format!("shipshape/{group}");
                let mut pr = store
                    .insert_pr(
                        &NewPr {
                            service_id,
                            repository: "github:acme/ledger",
                            group_key: &group,
                            branch: &branch,
                            title: "Update serde to 2.0.0",
                            bumps: "[]",
                            content_key: &group,
                            wave_id: None,
                            run_id: run,
                        },
                        at,
                    )
                    .await
                    .expect("a PR recorded while the monitor writes");
                for step in [PrStep::Committed, PrStep::Pushed, PrStep::Opened] {
                    pr.step = step;
                    if step == PrStep::Opened {
                        pr.state = PrState::Open;
                        pr.number = Some(runner * 100 + round);
                        pr.opened_ms = Some(at);
                    }
                    store
                        .save_pr(&pr)
                        .await
                        .expect("a PR's step saved while the monitor writes");
                }
                store
                    .add_run_event(run, Some(service_id), EventLevel::Info, "opened", at)
                    .await
                    .expect("a run's journal line");
                store
                    .finish_run(run, RunStatus::Done, None, at)
                    .await
                    .expect("a run finished while the monitor writes");
            }
        })
    });
    let (snapshots, runs) = futures::future::join(
        futures::future::join_all(writers),
        futures::future::join_all(upgrade_runs),
    )
    .await;
    for writer in snapshots.into_iter().chain(runs) {
        writer.expect("the writer finished");
    }
    monitor.await.expect("the monitor finished");
    let open = store
        .upgrade_prs(Some(PrState::Open))
        .await
        .expect("read the PRs");
    assert_eq!(open.len(), 20, "every PR reached its last step once");
    let opened_events = store
        .events(&EventFilter {
            after: 0,
            limit: 1_000,
            types: vec![EventType::PrOpened],
            service: None,
            team: None,
        })
        .await
        .expect("read the journal")
        .len();
    assert_eq!(opened_events, 20, "each opening journaled once");
    db.cleanup().await;
}

#[tokio::test]
async fn a_channel_failing_too_long_raises_an_alert_through_the_others() {
    let db = TestDb::sqlite().await;
    let hook = WebhookReceiver::start(ReceiverKind::Generic).await.unwrap();
    let slack = WebhookReceiver::start(ReceiverKind::Slack).await.unwrap();
    let smtp = FakeSmtp::start(SmtpSecurity::StartTls, Some(("shipshape", SMTP_PASSWORD)))
        .await
        .unwrap();
    let text = fleet(&alerts_config(
        &hook.url("/hooks/payments"),
        smtp.addr.port(),
    ));
    let mut setup = setup(db.store().await, &text, &slack.url("/services/T0/B0/XYZ")).await;
    hook.set_mode(ReceiverMode::Fail);
    for _ in 0..2 {
        setup.check("ledger", false).await;
        setup.advance(15 * SECOND);
    }
    setup.alerts.evaluate().await.unwrap();
    setup.advance(10 * SECOND);
    setup.alerts.deliver().await.unwrap();
    let failing_rule = |alerts: &[shipshape_server::alert::records::StoredAlert]| {
        alerts
            .iter()
            .filter(|a| a.rule == "alert-channel-failing")
            .map(|a| a.service.clone())
            .collect::<Vec<_>>()
    };
    // Failing, but not for long yet: no alert about it.
    setup.alerts.evaluate().await.unwrap();
    assert_eq!(
        failing_rule(&setup.store.firing_alerts().await.unwrap()),
        Vec::<String>::new()
    );
    assert!(setup.alerts.failing_channels().await.unwrap().is_empty());

    // Sixteen minutes on, its first message still waits.
    setup.advance(16 * 60 * SECOND);
    setup.alerts.deliver().await.unwrap();
    setup.alerts.evaluate().await.unwrap();
    assert_eq!(
        failing_rule(&setup.store.firing_alerts().await.unwrap()),
        ["channel:payments-hook"]
    );
    let shown = setup.alerts.failing_channels().await.unwrap();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].starts_with("payments-hook: ") && shown[0].contains("500"),
        "{shown:?}"
    );
    // The others carry the news; the failing channel is not asked to.
    setup.advance(11 * SECOND);
    setup.alerts.deliver().await.unwrap();
    let told = slack
        .accepted()
        .iter()
        .any(|r| r.json().to_string().contains("payments-hook"));
    assert!(told, "the Slack channel said that the webhook fails");

    // It delivers again: the alert about it resolves.
    hook.set_mode(ReceiverMode::Accept);
    setup.advance(60 * 60 * SECOND);
    setup.alerts.deliver().await.unwrap();
    setup.alerts.evaluate().await.unwrap();
    assert_eq!(
        failing_rule(&setup.store.firing_alerts().await.unwrap()),
        Vec::<String>::new()
    );
    db.cleanup().await;
}
