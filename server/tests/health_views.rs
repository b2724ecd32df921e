//! What people see of health, on SQLite and PostgreSQL: two days of
//! checks written and rolled up as the server does, then the Overview's
//! summary, the service page's figures, the history API, incidents,
//! badges and the public status page, against figures computed by hand.
//! Live changes are read from the real event stream over loopback.

mod common;

use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::{ManualClock, TestDb, app_state, services};
use serde_json::Value;
use shipshape_server::fleet::FleetService;
use shipshape_server::health::format::Verdict;
use shipshape_server::health::rollup::{DAY_MS, HOUR_MS, MINUTE_MS};
use shipshape_server::health::service::HealthService;
use shipshape_server::health::state::{CheckResult, Thresholds, Tracker, classify};
use shipshape_server::health::store::RecordedCheck;
use shipshape_server::store::Store;
use shipshape_types::health::{HealthChange, HealthLevel, StatusGrouping};

/// 2026-11-20T00:00Z.
const START: i64 = 1_795_132_800_000;
/// The end of the two days of checks.
const NOW: i64 = START + 2 * DAY_MS;

const FLEET: &str = r#"
[[service]]
slug = "checkout-api"
name = "Checkout API"
team = "payments"
tags = ["rust"]
public = true
[[service.health]]
url = "http://127.0.0.1:7101/_internal_/healthcheck"

[[service]]
slug = "ledger"
name = "Ledger"
team = "payments"
[[service.health]]
url = "http://127.0.0.1:7102/health"

[[service]]
slug = "search"
name = "Search"
team = "discovery"
public = true
"#;

/// Checkout is down 15 minutes from 10:00 on day 1 and 5 minutes from
/// 06:00 on day 2; the ledger is always up.
fn failing(at_ms: i64) -> bool {
    let minute = (at_ms - START) / MINUTE_MS;
    (600..615).contains(&minute) || (1440 + 360..1440 + 365).contains(&minute)
}

/// Two days of checks every 30 s, written an hour at a time and rolled
/// up after each hour, as the monitor does.
async fn record_two_days(store: &Store) {
    let endpoints = store.endpoints_to_poll().await.expect("endpoints");
    let thresholds = Thresholds::default();
    let mut trackers = vec![Tracker::default(); endpoints.len()];
    let mut batch = Vec::new();
    for i in 0..2 * 2_880 {
        let at_ms = START + i * 30_000;
        for (endpoint, tracker) in endpoints.iter().zip(trackers.iter_mut()) {
            let fails = endpoint.service_slug == "checkout-api" && failing(at_ms);
            let result = CheckResult {
                at_ms,
                verdict: Some(if fails { Verdict::Fail } else { Verdict::Pass }),
                latency: Duration::from_millis(40),
                detail: fails.then(|| "answered HTTP 503".to_string()),
            };
            let transition = tracker.observe(&result, &thresholds);
            batch.push(RecordedCheck {
                endpoint_id: endpoint.id,
                checked_ms: at_ms,
                check_state: classify(&result, &thresholds),
                latency_ms: 40,
                status_code: Some(if fails { 503 } else { 200 }),
                format: Some("standard".into()),
                reason: result.detail.clone(),
                excerpt: r#"{"status":"healthy"}"#.into(),
                components_json: r#"[{"name":"db","verdict":"pass","detail":"4 ms"}]"#.into(),
                conforming: true,
                state: tracker.state,
                since_ms: tracker.since_ms.unwrap_or(at_ms),
                transition,
            });
        }
        if batch.len() >= 240 {
            store.record_checks(&batch).await.expect("record");
            batch.clear();
            store
                .roll_up_health(at_ms + 30_000 + 2 * MINUTE_MS)
                .await
                .expect("roll up");
        }
    }
    store.record_checks(&batch).await.expect("record");
}

async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    common::answer(app, request.body(Body::empty()).expect("request")).await
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = get(app, uri, &[]).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{uri}: {e}: {body}")),
    )
}

#[tokio::test]
async fn two_days_of_checks_read_back_as_summaries_history_badges_and_status() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let clock = ManualClock::at(START);
        let fleet = FleetService::new(store.clone(), clock.clone());
        fleet
            .sync_from_file(Path::new("/fleet/shipshape.toml"), &services(FLEET))
            .await
            .expect("sync");
        record_two_days(&store).await;
        clock.set(NOW);
        let health = HealthService::new(store.clone(), clock.clone());

        // The Overview's summary.
        let mut overview = fleet.overview().await.expect("overview");
        health
            .annotate(&mut overview.services)
            .await
            .expect("annotate");
        let checkout = overview
            .services
            .iter()
            .find(|s| s.slug == "checkout-api")
            .expect("checkout");
        let summary = checkout.health.as_ref().expect("checkout has health");
        assert_eq!(summary.level, HealthLevel::Up);
        assert_eq!(
            summary.uptime_24h,
            Some(2_870.0 / 2_880.0),
            "10 of day 2's 2,880 checks failed"
        );
        assert_eq!(summary.latency_sparkline.len(), 60);
        assert!(
            summary.latency_sparkline[..59]
                .iter()
                .all(|p| *p == Some(40)),
            "{:?}",
            summary.latency_sparkline
        );
        assert_eq!(
            summary.latency_sparkline[59], None,
            "nothing checked yet in the current minute"
        );
        let search = overview
            .services
            .iter()
            .find(|s| s.slug == "search")
            .expect("search");
        assert!(search.health.is_none(), "no endpoint, no health");

        // The service page.
        let page = health
            .service_health("checkout-api")
            .await
            .expect("read")
            .expect("known");
        assert_eq!(page.level, Some(HealthLevel::Up));
        assert_eq!(page.uptime.day, Some(2_870.0 / 2_880.0));
        assert_eq!(page.uptime.week, Some(5_720.0 / 5_760.0));
        assert_eq!(
            page.uptime.quarter,
            Some(5_720.0 / 5_760.0),
            "90 days hold only these two"
        );
        assert_eq!(page.days.len(), 90);
        let (day1, day2, today) = (&page.days[87], &page.days[88], &page.days[89]);
        assert_eq!(
            (day1.start_ms, day1.down_checks, day1.checks),
            (START, 30, 2_880)
        );
        assert_eq!((day2.down_checks, day2.checks), (10, 2_880));
        assert_eq!(today.uptime, None, "nothing checked today yet");
        assert!(page.days[..87].iter().all(|d| d.uptime.is_none()));
        assert_eq!(page.latency.len(), 96);
        assert!(page.latency.iter().filter(|p| p.p50_ms == Some(40)).count() >= 94);
        let endpoint = &page.endpoints[0];
        assert_eq!(endpoint.components[0].name, "db");
        assert_eq!(endpoint.p99_ms, Some(40));
        assert_eq!(endpoint.excerpt.as_deref(), Some(r#"{"status":"healthy"}"#));
        assert_eq!(page.incidents.len(), 2);
        let newest = &page.incidents[0];
        assert_eq!(
            newest.started_ms,
            START + DAY_MS + 6 * HOUR_MS,
            "starts at the first failure"
        );
        let lasted = newest.ended_ms.expect("closed") - newest.started_ms;
        assert!(
            (5 * MINUTE_MS..=6 * MINUTE_MS).contains(&lasted),
            "{lasted}"
        );
        assert_eq!(newest.first_detail.as_deref(), Some("answered HTTP 503"));
        assert!(health.service_health("nope").await.expect("read").is_none());

        // The public status page: public services only, grouped by team.
        let status = health
            .status_page(StatusGrouping::Team)
            .await
            .expect("status");
        let groups: Vec<(&str, Vec<&str>)> = status
            .groups
            .iter()
            .map(|g| {
                (
                    g.name.as_str(),
                    g.services.iter().map(|s| s.slug.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("discovery", vec!["search"]),
                ("payments", vec!["checkout-api"])
            ]
        );
        assert_eq!(status.overall, Some(HealthLevel::Up));
        assert_eq!(
            status.groups[1].services[0].uptime_90d,
            Some(5_720.0 / 5_760.0)
        );

        // Over HTTP.
        let mut state = app_state(
            store.clone(),
            fleet.clone(),
            common::drift_service(
                store.clone(),
                clock.clone(),
                None,
                Path::new("/nonexistent"),
            ),
        );
        state.ops.health = health.clone();
        let app = common::admin_app(state).await;

        let (code, body) = get_json(&app, &format!("/api/v1/services/checkout-api/health/history?from={START}&until={NOW}&resolution=day")).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        let points = &body["endpoints"][0]["points"];
        assert_eq!(points.as_array().map(Vec::len), Some(2), "{body}");
        assert_eq!(
            (points[0]["down"].as_u64(), points[0]["up"].as_u64()),
            (Some(30), Some(2_850))
        );
        assert_eq!(points[1]["down"].as_u64(), Some(10));
        let (_, body) = get_json(
            &app,
            &format!(
                "/api/v1/services/checkout-api/health/history?from={}&until={}&resolution=hour",
                START + 10 * HOUR_MS,
                START + 11 * HOUR_MS
            ),
        )
        .await;
        assert_eq!(body["endpoints"][0]["points"][0]["down"].as_u64(), Some(30));
        assert_eq!(
            body["endpoints"][0]["points"][0]["p95_ms"].as_u64(),
            Some(40)
        );
        let (_, body) = get_json(
            &app,
            &format!(
                "/api/v1/services/checkout-api/health/history?from={}&until={NOW}",
                NOW - 10 * MINUTE_MS
            ),
        )
        .await;
        assert_eq!(
            body["resolution"], "minute",
            "the finest resolution fits ten minutes"
        );
        assert_eq!(
            body["endpoints"][0]["points"].as_array().map(Vec::len),
            Some(10)
        );
        let (code, body) = get_json(
            &app,
            "/api/v1/services/checkout-api/health/history?resolution=week",
        )
        .await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|e| e.contains("resolution: must be minute, hour or day")),
            "{body}"
        );
        let (code, _) = get_json(&app, "/api/v1/services/nope/health/history").await;
        assert_eq!(code, StatusCode::NOT_FOUND);

        let (code, body) = get_json(&app, "/api/v1/services/checkout-api/incidents").await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body["items"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            body["items"][1]["started_ms"].as_i64(),
            Some(START + 10 * HOUR_MS)
        );
        let (_, open) = get_json(&app, "/api/v1/incidents?open=true").await;
        assert_eq!(
            open["items"].as_array().map(Vec::len),
            Some(0),
            "both incidents are over"
        );
        let (code, _) = get_json(&app, "/api/v1/incidents?open=perhaps").await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

        let (code, body) = get_json(&app, "/api/v1/health").await;
        assert_eq!(code, StatusCode::OK);
        let slugs: Vec<&str> = body["items"]
            .as_array()
            .expect("a page")
            .iter()
            .filter_map(|s| s["slug"].as_str())
            .collect();
        assert_eq!(slugs, ["checkout-api", "ledger"]);
        assert_eq!(body["items"][0]["health"]["level"], "up");

        // Badges: shields-style SVG, cached a minute, revalidated by ETag.
        let (code, headers, svg) = get(&app, "/badge/checkout-api/health.svg", &[]).await;
        assert_eq!(code, StatusCode::OK);
        assert!(
            svg.starts_with("<svg") && svg.contains("health: up"),
            "{svg}"
        );
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "image/svg+xml; charset=utf-8"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
        let etag = headers[header::ETAG].to_str().expect("etag").to_string();
        let (code, _, body) = get(
            &app,
            "/badge/checkout-api/health.svg",
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!((code, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
        let (_, _, svg) = get(&app, "/badge/checkout-api/uptime.svg?period=24h", &[]).await;
        assert!(svg.contains("uptime 24h: 99.65%"), "{svg}");
        let (_, _, svg) = get(&app, "/badge/checkout-api/uptime.svg", &[]).await;
        assert!(svg.contains("uptime 30d: 99.30%"), "{svg}");
        let (code, _, svg) = get(&app, "/badge/nope/health.svg", &[]).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(svg.contains("unknown service"));
        let (code, _, _) = get(&app, "/badge/checkout-api/uptime.svg?period=forever", &[]).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

        // The status page, rendered whole on the server (no JavaScript needed).
        let (code, _, html) = get(&app, "/status", &[]).await;
        assert_eq!(code, StatusCode::OK);
        assert!(html.contains("All systems operational"), "{html}");
        assert!(html.contains(r#"data-slug="checkout-api""#));
        assert!(
            !html.contains(r#"data-slug="ledger""#),
            "the ledger is not public"
        );
        assert!(html.contains("99.30% uptime, 90 days"));
        assert!(
            html.contains("2026-11-20: 98.9% up, 30 of 2880 checks down"),
            "hover detail of day 1"
        );
        let (_, _, by_tag) = get(&app, "/status?by=tag", &[]).await;
        assert!(
            by_tag.contains(">rust</h2>") && by_tag.contains(">untagged</h2>"),
            "{by_tag}"
        );

        // The service page and the Overview, rendered.
        let (_, _, html) = get(&app, "/services/checkout-api", &[]).await;
        assert!(html.contains("data-level=\"up\""));
        assert!(html.contains("99.65%"));
        assert!(html.contains("First failure: answered HTTP 503"));
        let (_, _, html) = get(&app, "/", &[]).await;
        assert!(
            html.contains("99.65% up, 24 h"),
            "the card shows 24-hour uptime"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn open_pages_hear_of_a_change_through_the_event_stream() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let clock = ManualClock::at(START);
    let fleet = FleetService::new(store.clone(), clock.clone());
    let health = HealthService::new(store.clone(), clock.clone());
    let mut state = app_state(
        store.clone(),
        fleet,
        common::drift_service(store.clone(), clock, None, Path::new("/nonexistent")),
    );
    state.ops.health = health.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, common::admin_app(state).await).into_future());

    let mut response = reqwest::get(format!("http://{addr}/api/v1/health/events"))
        .await
        .expect("connect");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    // Subscribed once the answer's head has come back.
    let sent = health
        .publisher()
        .send(HealthChange {
            slug: "checkout-api".into(),
            level: HealthLevel::Down,
            since_ms: START,
        })
        .expect("a subscriber");
    assert_eq!(sent, 1);
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk())
            .await
            .expect("an event within 5 s")
            .expect("read")
            .expect("stream still open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: health\n"), "{text}");
    assert!(
        text.contains(r#"data: {"slug":"checkout-api","level":"down","since_ms":1795132800000}"#),
        "{text}"
    );

    // Stopping the server ends the stream, so a graceful shutdown is not held open.
    health.close_streams();
    let end = tokio::time::timeout(Duration::from_secs(5), response.chunk())
        .await
        .expect("ended");
    assert!(matches!(end, Ok(None)), "{end:?}");
    server.abort();
    db.cleanup().await;
}
