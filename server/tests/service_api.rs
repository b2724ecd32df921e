//! Services and their health endpoints registered through the REST API,
//! on SQLite and PostgreSQL: checked by the fleet file's rules, polled like
//! the file's, owned by whoever declared them.

mod common;

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{ManualClock, TestDb, app_state, services};
use serde_json::{Value, json};
use shipshape_server::fleet::FleetService;
use shipshape_server::fleet::spec::HeaderSource;

const FILE: &str = r#"
[[service]]
slug = "checkout-api"
team = "payments"
"#;

async fn send(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .expect("request");
    let (status, _, text) = common::answer(app, request).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn services_registered_through_the_api_are_polled_and_owned_by_the_api() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let clock = ManualClock::at(1_795_424_000_000);
        let fleet = FleetService::new(store.clone(), clock.clone());
        let file = Path::new("/fleet/shipshape.toml");
        fleet
            .sync_from_file(file, &services(FILE))
            .await
            .expect("sync");
        let drift = common::drift_service(store.clone(), clock, None, Path::new("/nonexistent"));
        let app = common::admin_app(app_state(store.clone(), fleet.clone(), drift)).await;

        let service = json!({
            "slug": "search",
            "name": "Search",
            "team": "discovery",
            "tags": ["node"],
            "health": [{
                "url": "http://127.0.0.1:7200/health",
                "interval": "15s",
                "expect_status": [200, "204-299"],
                "headers": { "authorization": { "env": "SEARCH_HEALTH_TOKEN" } },
            }],
        });
        let (status, body) = send(&app, "POST", "/api/v1/services", Some(service.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["origin"], "Api");
        assert_eq!(body["health_endpoints"][0]["interval_secs"], 15);

        let polled = store.endpoints_to_poll().await.expect("endpoints");
        let search = polled
            .iter()
            .find(|e| e.service_slug == "search")
            .expect("polled");
        assert_eq!(search.interval_ms, 15_000);
        assert_eq!(search.expect.status, vec![(200, 200), (204, 299)]);
        assert_eq!(
            search.expect.headers,
            vec![(
                "authorization".to_string(),
                HeaderSource::Env("SEARCH_HEALTH_TOKEN".into())
            )]
        );

        // Replacing it keeps the endpoint (and so its history) when only its interval changes.
        let mut changed = service.clone();
        changed["health"][0]["interval"] = json!("1m");
        let (status, _) = send(&app, "PUT", "/api/v1/services/search", Some(changed)).await;
        assert_eq!(status, StatusCode::OK);
        let again = store.endpoints_to_poll().await.expect("endpoints");
        let replaced = again
            .iter()
            .find(|e| e.service_slug == "search")
            .expect("polled");
        assert_eq!((replaced.id, replaced.interval_ms), (search.id, 60_000));

        // The fleet file's rules, with the key that is wrong.
        let mut wrong = service.clone();
        wrong["health"][0]["interval"] = json!("often");
        let (status, body) = send(&app, "POST", "/api/v1/services", Some(wrong)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let error = body["detail"].as_str().expect("a problem");
        assert!(error.starts_with("health[0].interval: "), "{error}");
        let (status, body) = send(
            &app,
            "POST",
            "/api/v1/services",
            Some(json!({ "slug": "x", "team": "t", "tierr": 2 })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|e| e.contains("did you mean `tier`")),
            "{body}"
        );
        let (status, body) = send(
            &app,
            "PUT",
            "/api/v1/services/search",
            Some(json!({ "slug": "other", "team": "t" })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // The file's services belong to the file.
        let (status, body) = send(
            &app,
            "PUT",
            "/api/v1/services/checkout-api",
            Some(json!({ "team": "t" })),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            body["detail"],
            "`checkout-api` is declared in the fleet file; change it there"
        );
        let (status, _) = send(&app, "DELETE", "/api/v1/services/checkout-api", None).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // A reload of the file leaves what the API registered alone.
        fleet
            .sync_from_file(file, &services(FILE))
            .await
            .expect("sync");
        assert!(
            store
                .active_service("search")
                .await
                .expect("read")
                .is_some()
        );

        // Removing it retires it; it is no longer polled.
        let (status, _) = send(&app, "DELETE", "/api/v1/services/search", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let after = store.endpoints_to_poll().await.expect("endpoints");
        assert!(after.iter().all(|e| e.service_slug != "search"));
        let (status, _) = send(&app, "DELETE", "/api/v1/services/search", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        db.cleanup().await;
    }
}
