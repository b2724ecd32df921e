//! The real router, driven request by request, over a real SQLite database.

mod common;

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestDb;
use shipshape_server::auth::settings::AuthSettings;
use shipshape_server::fleet::FleetService;
use shipshape_server::store::Store;

struct TestApp {
    router: Router,
    store: Store,
    fleet: FleetService,
    _db: TestDb,
}

async fn demo_app() -> TestApp {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let state = common::demo_state(store.clone(), AuthSettings::default()).await;
    let fleet = state.ops.fleet.clone();
    let router = common::admin_app(state).await;
    TestApp {
        router,
        store,
        fleet,
        _db: db,
    }
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let (status, _, body) =
        common::answer(app, Request::get(uri).body(Body::empty()).expect("request")).await;
    (status, body)
}

/// The `data-slug`s of the service cards on a rendered page, in order.
fn card_slugs(html: &str) -> Vec<String> {
    html.split("<li data-slug=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn overview_is_rendered_on_the_server_with_every_service() {
    let app = demo_app().await;
    let (status, html) = get(&app.router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        card_slugs(&html),
        ["checkout-api", "ledger", "search-gateway"],
        "{html}"
    );
    assert!(html.contains("Checkout API") && html.contains("Search Gateway"));
    assert!(html.contains("All 3 services"));
    // The hydration scripts point at the wasm bundle.
    assert!(
        html.contains("/pkg/shipshape.js"),
        "no hydration script in the page"
    );
    assert!(html.contains("<title>Overview · Shipshape</title>"));
}

#[tokio::test]
async fn overview_filter_works_without_javascript() {
    let app = demo_app().await;
    let (_, html) = get(&app.router, "/?team=payments").await;
    assert_eq!(card_slugs(&html), ["checkout-api", "ledger"]);
    assert!(html.contains("2 of 3 services"));

    let (_, html) = get(&app.router, "/?tag=public&team=").await;
    assert_eq!(card_slugs(&html), ["checkout-api", "search-gateway"]);

    let (_, html) = get(&app.router, "/?q=GATE").await;
    assert_eq!(card_slugs(&html), ["search-gateway"]);

    let (_, html) = get(&app.router, "/?team=payments&tag=go").await;
    assert_eq!(card_slugs(&html), ["ledger"]);

    let (_, html) = get(&app.router, "/?q=nothing-like-this").await;
    assert!(card_slugs(&html).is_empty());
    assert!(html.contains("No service of 3 matches this filter."));
}

#[tokio::test]
async fn service_page_shows_the_service_and_unknown_slugs_are_404() {
    let app = demo_app().await;
    let (status, html) = get(&app.router, "/services/checkout-api").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Checkout API"));
    assert!(html.contains("payments"));
    assert!(html.contains("http://127.0.0.1:7101/_internal_/healthcheck"));
    assert!(html.contains("15 s"), "the endpoint's interval is shown");
    assert!(
        html.contains("https://github.com/acme/checkout-api"),
        "GitHub repositories are linked"
    );
    assert!(
        html.contains("2026-11-23 08:53 UTC"),
        "first seen is shown in UTC"
    );

    let (status, html) = get(&app.router, "/services/no-such-service").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));

    let (status, html) = get(&app.router, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));
}

#[tokio::test]
async fn services_page_lists_every_service_in_a_table() {
    let app = demo_app().await;
    let (status, html) = get(&app.router, "/services").await;
    assert_eq!(status, StatusCode::OK);
    for slug in ["checkout-api", "ledger", "search-gateway"] {
        assert!(
            html.contains(&format!("<tr data-slug=\"{slug}\"")),
            "{slug} missing"
        );
    }
}

#[tokio::test]
async fn every_navigation_page_answers() {
    let app = demo_app().await;
    for page in [
        "/",
        "/services",
        "/dependencies",
        "/upgrades",
        "/alerts",
        "/status",
    ] {
        let (status, html) = get(&app.router, page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for link in [
            "Overview",
            "Services",
            "Dependencies",
            "Upgrades",
            "Alerts",
            "Status",
        ] {
            assert!(
                html.contains(&format!(">{link}</a>")),
                "{page} lacks the {link} link"
            );
        }
    }
}

#[tokio::test]
async fn healthcheck_is_healthy_then_names_the_database_when_it_fails() {
    let app = demo_app().await;
    let (status, body) = get(&app.router, "/_internal_/healthcheck").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("json"),
        serde_json::json!({"status": "healthy"})
    );

    app.store.close().await;
    let (status, body) = get(&app.router, "/_internal_/healthcheck").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["checks"]["database"]["status"], "unhealthy");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_services() {
    let app = demo_app().await;
    get(&app.router, "/services/checkout-api").await;
    get(&app.router, "/services/ledger").await;
    get(&app.router, "/services/nope").await;
    let (status, text) = get(&app.router, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("shipshape_http_requests_total{route=\"/services/{slug}\",method=\"GET\",status=\"200\"} 2\n"),
        "{text}"
    );
    assert!(text.contains("shipshape_http_requests_total{route=\"/services/{slug}\",method=\"GET\",status=\"404\"} 1\n"));
    assert!(text.contains("shipshape_http_request_duration_seconds_count{route=\"/services/{slug}\",method=\"GET\"} 3\n"));
    assert!(text.contains("shipshape_services 3\n"));
    assert!(text.contains("shipshape_database_up 1\n"));
}

#[tokio::test]
async fn rest_api_lists_filters_and_reads_services() {
    let app = demo_app().await;
    let (status, body) = get(&app.router, "/api/v1/services?team=payments").await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&body).expect("json");
    let slugs: Vec<&str> = list["items"]
        .as_array()
        .expect("a page of services")
        .iter()
        .map(|s| s["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, ["checkout-api", "ledger"]);

    let (status, body) = get(&app.router, "/api/v1/services/ledger").await;
    assert_eq!(status, StatusCode::OK);
    let detail: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(detail["summary"]["team"], "payments");
    assert_eq!(detail["summary"]["repository"]["kind"], "git");

    let (status, body) = get(&app.router, "/api/v1/services/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("json")["detail"],
        "no service with slug `nope`"
    );
}

#[tokio::test]
async fn a_broken_fleet_file_is_shown_on_the_overview() {
    let app = demo_app().await;
    app.fleet.record_file_error(
        Path::new("/fleet/shipshape.toml"),
        "/fleet/shipshape.toml:7:1: service[0]: unknown field `tierr`".into(),
    );
    let (_, html) = get(&app.router, "/").await;
    assert!(html.contains("/fleet/shipshape.toml could not be loaded"));
    assert!(html.contains("unknown field `tierr`"));
    assert!(html.contains("The fleet below is as last loaded"));
    assert_eq!(
        card_slugs(&html).len(),
        3,
        "the fleet as last loaded is still shown"
    );
}

#[tokio::test]
async fn a_database_failure_is_an_error_page_not_a_crash() {
    let mut app = demo_app().await;
    // Anonymous readers need no database to be let in, so the page itself
    // meets the failure.
    let state = common::demo_state(
        app.store.clone(),
        AuthSettings {
            anonymous: Some(shipshape_server::auth::Role::Viewer),
            ..AuthSettings::default()
        },
    )
    .await;
    app.router = shipshape_server::web::routes::build(state);
    app.store.close().await;
    let (_, html) = get(&app.router, "/").await;
    assert!(html.contains("The fleet could not be loaded"), "{html}");
    let (status, body) = get(&app.router, "/api/v1/services").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body.contains("could not finish reading the fleet"),
        "{body}"
    );
    assert!(
        !body.contains("sqlite"),
        "internals are not shown to clients: {body}"
    );
}

#[tokio::test]
async fn pages_and_api_answers_carry_the_security_headers() {
    let app = demo_app().await;
    let mut nonces = Vec::new();
    for uri in [
        "/",
        "/alerts",
        "/api/v1/services",
        "/no-such-page",
        "/status",
    ] {
        let (_, headers, body) = common::answer(
            &app.router,
            Request::get(uri).body(Body::empty()).expect("request"),
        )
        .await;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{uri}"
        );
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{uri}");
        assert_eq!(
            header("referrer-policy").as_deref(),
            Some("same-origin"),
            "{uri}"
        );
        let policy = header("content-security-policy").unwrap_or_default();
        assert!(policy.contains("frame-ancestors 'none'"), "{uri}: {policy}");
        assert!(policy.contains("form-action 'self'"), "{uri}: {policy}");
        if uri.starts_with("/api/") {
            continue;
        }
        if uri == "/no-such-page" {
            // Not found without rendering the app: no script at all.
            assert!(
                body.contains("Not found") && !body.contains("<script"),
                "{body}"
            );
            continue;
        }
        // Pages allow only the scripts that carry this answer's nonce, and
        // every script in the page carries it.
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{uri}: no script nonce in {policy}"))
            .to_string();
        assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
        let scripts = body.matches("<script").count();
        assert!(scripts > 0, "{uri}");
        assert_eq!(
            body.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + body.matches(&format!("<script nonce=\"{nonce}\"")).count(),
            scripts,
            "{uri}: a script without the nonce:\n{body}"
        );
        nonces.push(nonce);
    }
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a new nonce for every answer");
}

#[tokio::test]
async fn the_published_document_spells_states_as_the_answers_do() {
    let (_, _, document) = shipshape_server::web::routes::routes_rules_and_document();
    let json = serde_json::to_value(&document).expect("json");
    let values = |name: &str| -> Vec<String> {
        json["components"]["schemas"][name]["enum"]
            .as_array()
            .unwrap_or_else(|| {
                panic!(
                    "{name} has no enum: {}",
                    json["components"]["schemas"][name]
                )
            })
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let events = values("EventType");
    assert!(events.contains(&"health.changed".to_string()), "{events:?}");
    for event in shipshape_types::journal::EventType::ALL {
        assert!(events.contains(&event.name().to_string()), "{event}");
        assert_eq!(
            serde_json::to_value(event).expect("json"),
            serde_json::Value::String(event.name().to_string())
        );
    }
    let statuses = values("RunStatus");
    for status in shipshape_types::upgrades::RunStatus::ALL {
        assert!(
            statuses.contains(&status.name().to_string()),
            "{statuses:?}"
        );
    }
}
