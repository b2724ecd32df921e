//! Test harness: real databases (an SQLite file in a temporary folder, and a
//! fresh PostgreSQL database per test when `SHIPSHAPE_TEST_POSTGRES_URL`
//! points at a server) and the real router.
#![expect(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use shipshape_server::common::clock::Clock;
use shipshape_server::common::secret::DatabaseUrl;
use shipshape_server::config::parse_fleet_file;
use shipshape_server::deps::model::Ecosystem;
use shipshape_server::deps::service::{DriftService, registries_from_config, sources_from_config};
use shipshape_server::deps::settings::RegistryConfig;
use shipshape_server::fleet::FleetService;
use shipshape_server::fleet::spec::ServiceSpec;
use shipshape_server::operations::Operations;
use shipshape_server::store::Store;
use shipshape_server::telemetry::metrics::HttpMetrics;
use shipshape_server::web::AppState;
use sqlx::Connection;
use tower::ServiceExt;

pub struct TestDb {
    pub url: DatabaseUrl,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("shipshape.db").display());
        TestDb {
            url: DatabaseUrl::new(url),
            label: "SQLite",
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new, empty database on the test PostgreSQL server, or `None` when
    /// no server is configured (and none is required).
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("SHIPSHAPE_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("SHIPSHAPE_TEST_REQUIRE_POSTGRES").is_err(),
                "SHIPSHAPE_TEST_REQUIRE_POSTGRES is set but SHIPSHAPE_TEST_POSTGRES_URL is not"
            );
            eprintln!("note: SHIPSHAPE_TEST_POSTGRES_URL is not set; PostgreSQL part skipped");
            return None;
        };
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "shipshape_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = replace_database(&admin_url, &name);
        Some(TestDb {
            url: DatabaseUrl::new(url),
            label: "PostgreSQL",
            _dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    /// SQLite, then PostgreSQL when a server is configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url, 4).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }

    /// Drops a PostgreSQL test database (SQLite's folder goes with the value).
    pub async fn cleanup(self) {
        if let Some((admin_url, name)) = &self.postgres {
            let mut admin = sqlx::PgConnection::connect(admin_url)
                .await
                .expect("connect for cleanup");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .ok();
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// A clock the test moves by hand.
#[derive(Default)]
pub struct ManualClock(pub std::sync::atomic::AtomicI64);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl ManualClock {
    pub fn at(ms: i64) -> Arc<ManualClock> {
        Arc::new(ManualClock(std::sync::atomic::AtomicI64::new(ms)))
    }
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

/// Services from config text, as the fleet file would give them.
pub fn services(text: &str) -> Vec<ServiceSpec> {
    parse_fleet_file(Path::new("/fleet/shipshape.toml"), text)
        .expect("valid fleet text")
        .services
}

/// A drift service whose registries are the fakes at `base` (or nowhere,
/// when `None`: every package is then "unknown").
pub fn drift_service(
    store: Store,
    clock: Arc<dyn Clock>,
    base: Option<&str>,
    cache_dir: &Path,
) -> DriftService {
    let config = drift_config(base, cache_dir);
    let env = std::collections::BTreeMap::new();
    DriftService::new(
        store,
        clock,
        registries_from_config(&config, &env),
        sources_from_config(&config, &env),
        config.libyear_budget,
    )
}

/// Upgrades against the fakes at `base` (registries and GitHub).
pub fn upgrade_service(
    store: Store,
    clock: Arc<dyn Clock>,
    base: &str,
    cache_dir: &Path,
    settings: shipshape_server::upgrade::settings::UpgradeSettings,
) -> shipshape_server::upgrade::service::UpgradeService {
    let config = drift_config(Some(base), cache_dir);
    let env = std::collections::BTreeMap::new();
    shipshape_server::upgrade::service::UpgradeService::new(
        store,
        clock,
        registries_from_config(&config, &env),
        sources_from_config(&config, &env),
        shipshape_server::upgrade::locks::LockRefresher::new(
            shipshape_server::upgrade::locks::LockSettings::from_config(&config, &settings),
        ),
        settings,
    )
}

/// Drift settings pointing every registry (and GitHub) at the fakes.
pub fn drift_config(
    base: Option<&str>,
    cache_dir: &Path,
) -> shipshape_server::deps::settings::DriftConfig {
    let mut config = shipshape_server::deps::settings::DriftConfig::default();
    for (ecosystem, path) in [
        (Ecosystem::Cargo, "cargo"),
        (Ecosystem::Npm, "npm"),
        (Ecosystem::Python, "pypi"),
        (Ecosystem::Go, "go"),
        (Ecosystem::Ruby, "ruby"),
        (Ecosystem::Maven, "maven"),
    ] {
        config.registries.insert(
            ecosystem,
            RegistryConfig {
                url: Some(base.map_or("http://127.0.0.1:9".to_string(), |b| format!("{b}/{path}"))),
                token_env: None,
            },
        );
    }
    if let Some(base) = base {
        config.github_api_url = format!("{base}/github");
    }
    config.cache_dir = cache_dir.to_path_buf();
    config.request_timeout = std::time::Duration::from_secs(2);
    // Fast enough for tests; the pacing itself is what the fake's limit checks.
    config.github_writes_per_minute = 6000;
    config
}

pub fn app_state(store: Store, fleet: FleetService, drift: DriftService) -> AppState {
    AppState {
        leptos_options: leptos::prelude::LeptosOptions::builder()
            .output_name("shipshape")
            .site_root("target/site")
            .build(),
        ops: Operations {
            health: shipshape_server::health::service::HealthService::new(
                store.clone(),
                Arc::new(shipshape_server::common::clock::SystemClock),
            ),
            // Registries and GitHub nowhere: pages and the API answer from the store.
            upgrades: upgrade_service(
                store.clone(),
                Arc::new(shipshape_server::common::clock::SystemClock),
                "http://127.0.0.1:9",
                &std::env::temp_dir().join("shipshape-test-cache"),
                shipshape_server::upgrade::settings::UpgradeSettings::default(),
            ),
            alerts: shipshape_server::alert::service::AlertService::new(
                store.clone(),
                Arc::new(shipshape_server::common::clock::SystemClock),
                shipshape_server::alert::settings::AlertSettings::default(),
                Arc::default(),
                Arc::new(shipshape_server::common::outbound::NetworkPolicy::open()),
            ),
            auth: shipshape_server::auth::service::AuthService::new(
                store.clone(),
                Arc::new(shipshape_server::common::clock::SystemClock),
                shipshape_server::auth::settings::AuthSettings::default(),
            ),
            // The fakes listen on loopback, which the default policy refuses;
            // `access.rs` tests the default.
            outbound: Arc::new(shipshape_server::common::outbound::NetworkPolicy::open()),
            registration: Arc::new(test_registration_rules()),
            store,
            fleet,
            drift,
        },
        metrics: Arc::new(HttpMetrics::default()),
        checks: Arc::default(),
        heartbeats: Default::default(),
    }
}

/// The app's state over `store` holding the demo fleet (clock fixed,
/// registries nowhere), with `auth` for accounts and anonymous access.
pub async fn demo_state(
    store: Store,
    auth: shipshape_server::auth::settings::AuthSettings,
) -> AppState {
    let clock = ManualClock::at(1_795_424_000_000);
    let fleet = FleetService::new(store.clone(), clock.clone());
    fleet
        .sync_from_file(Path::new("/fleet/shipshape.toml"), &services(DEMO_FLEET))
        .await
        .expect("sync");
    let drift = drift_service(store.clone(), clock, None, Path::new("/nonexistent"));
    let mut state = app_state(store.clone(), fleet, drift);
    state.ops.auth = shipshape_server::auth::service::AuthService::new(
        store,
        Arc::new(shipshape_server::common::clock::SystemClock),
        auth,
    );
    state
}

/// Names the admin tokens of `admin_app` apart (live names are unique).
static TOKENS_MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The app as an admin's script sees it: a request without credentials of
/// its own carries a real admin API token, created in the test's database.
/// The access tests use `routes::build` directly instead.
pub async fn admin_app(state: AppState) -> Router {
    let token = state
        .ops
        .auth
        .create_token(
            &format!("tests-{}", TOKENS_MADE.fetch_add(1, Ordering::SeqCst)),
            shipshape_server::auth::Role::Admin,
            "tests",
            None,
            None,
        )
        .await
        .expect("an admin token")
        .secret;
    let bearer = http::HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
    shipshape_server::web::routes::build(state).layer(axum::middleware::map_request(
        move |mut request: Request<Body>| {
            let bearer = bearer.clone();
            async move {
                let headers = request.headers_mut();
                if !headers.contains_key("authorization") && !headers.contains_key("cookie") {
                    headers.insert("authorization", bearer);
                }
                request
            }
        },
    ))
}

pub const DEMO_FLEET: &str = r#"
[[service]]
slug = "checkout-api"
name = "Checkout API"
team = "payments"
tags = ["rust", "public"]
tier = 1
repository = "github:acme/checkout-api"

  [[service.health]]
  url = "http://127.0.0.1:7101/_internal_/healthcheck"
  interval = "15s"

[[service]]
slug = "ledger"
name = "Ledger"
team = "payments"
tags = ["go"]
repository = "https://git.example.com/payments/ledger.git"

[[service]]
slug = "search-gateway"
name = "Search Gateway"
team = "discovery"
tags = ["node", "public"]
tier = 2
repository = "services/search"
"#;

/// Sends one request through the real router and reads the whole answer.
pub async fn answer(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = app.clone().oneshot(request).await.expect("response");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// What the tests' API registrations may use: the demo's organisation,
/// one token variable, and the default healthcheck bounds.
pub fn test_registration_rules() -> shipshape_server::fleet::registration::RegistrationRules {
    shipshape_server::fleet::registration::RegistrationRules {
        header_env: ["TOKEN".to_string(), "SEARCH_HEALTH_TOKEN".to_string()].into(),
        github_owners: ["demo-org".to_string(), "acme".to_string()].into(),
        git_hosts: Default::default(),
        limits: Default::default(),
    }
}
