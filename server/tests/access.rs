//! Who may do what, over the real router on SQLite and PostgreSQL: every
//! route the router is built from (and every server function) refuses
//! callers without the role it needs; sign-in, sessions, cross-site writes,
//! API tokens, revocation, the audit trail and the body limit.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use common::TestDb;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use shipshape_server::auth::Role;
use shipshape_server::auth::policy::{Access, RouteRule};
use shipshape_server::auth::settings::AuthSettings;
use shipshape_server::web::AppState;
use shipshape_server::web::routes;

const HOST: &str = "127.0.0.1:3000";

async fn state_for(db: &TestDb, settings: AuthSettings) -> AppState {
    common::demo_state(db.store().await, settings).await
}

/// A request as a browser on this site or a script would send it.
fn request(method: &Method, uri: &str, credentials: &[(&str, &str)], body: Body) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header("host", HOST)
        .header("content-type", "application/json");
    for (name, value) in credentials {
        builder = builder.header(*name, *value);
    }
    builder.body(body).expect("request")
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    credentials: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, HeaderMap, String) {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    common::answer(app, request(&method, uri, credentials, body)).await
}

/// A concrete path for a route pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{slug}", "checkout-api")
        // No such id: a revocation must not revoke the test's own tokens.
        .replace("{id}", "999999")
        .replace("{session}", "0000000000000000")
}

async fn token(state: &AppState, role: Role) -> String {
    let created = state
        .ops
        .auth
        .create_token(&format!("test-{}", role.name()), role, "tests", None, None)
        .await
        .expect("token");
    format!("Bearer {}", created.secret)
}

async fn status_of(app: &Router, method: &Method, uri: &str, credential: &str) -> StatusCode {
    use tower::ServiceExt;
    app.clone()
        .oneshot(request(
            method,
            uri,
            &[("authorization", credential)],
            Body::empty(),
        ))
        .await
        .expect("response")
        .status()
}

/// The items of a page of a list.
fn items(body: &str) -> Vec<Value> {
    let page: Value = serde_json::from_str(body).expect("json");
    page["items"].as_array().cloned().expect("a page of items")
}

fn rules() -> Vec<RouteRule> {
    routes::access_rules_and_router().1
}

#[tokio::test]
async fn every_route_refuses_callers_without_the_role_it_needs() {
    let db = TestDb::sqlite().await;
    let state = state_for(&db, AuthSettings::default()).await;
    let viewer = token(&state, Role::Viewer).await;
    let operator = token(&state, Role::Operator).await;
    let admin = token(&state, Role::Admin).await;
    let app = routes::build(state);

    // Every server function the app registers has a declared rule: one
    // added without a rule would be closed to all but admins.
    let declared: BTreeSet<String> = rules().into_iter().map(|r| r.path).collect();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        assert!(
            declared.contains(path),
            "server function {path} has no access rule"
        );
    }

    let all = rules();
    let writes = all.iter().filter(|r| r.method != Method::GET).count();
    assert!(writes >= 20, "only {writes} writes declared: {all:?}");
    let mut checked = 0;
    for rule in &all {
        let uri = concrete(&rule.path);
        let method = rule.method.as_str();
        let same_site = ("sec-fetch-site", "same-origin");
        match rule.access {
            Access::Public => {
                let (status, _, body) = call(&app, method, &uri, &[same_site], None).await;
                assert_ne!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {uri} is public: {body}"
                );
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {uri} is public: {body}"
                );
            }
            Access::Needs(needed) => {
                let browser = [same_site, ("accept", "text/html,application/xhtml+xml")];
                let (status, headers, body) = call(&app, method, &uri, &browser, None).await;
                if rule.method == Method::GET && !uri.starts_with("/api/") {
                    // A page: the browser is sent to sign in, and back.
                    assert_eq!(status, StatusCode::SEE_OTHER, "{method} {uri}: {body}");
                    let location = headers["location"].to_str().expect("location");
                    assert!(
                        location.starts_with("/sign-in?next=%2F")
                            || location.starts_with("/sign-in?next=/"),
                        "{location}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "anonymous {method} {uri}: {body}"
                    );
                }
                for (role, credential) in [
                    (Role::Viewer, &viewer),
                    (Role::Operator, &operator),
                    (Role::Admin, &admin),
                ] {
                    if role.allows(needed) {
                        // The status only: some answers are endless streams.
                        let status = status_of(&app, &rule.method, &uri, credential).await;
                        assert!(
                            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                            "{} {method} {uri} was refused: {status}",
                            role.name()
                        );
                    } else {
                        let (status, _, body) =
                            call(&app, method, &uri, &[("authorization", credential)], None).await;
                        assert_eq!(
                            status,
                            StatusCode::FORBIDDEN,
                            "{} {method} {uri}: {body}",
                            role.name()
                        );
                        assert!(
                            body.contains(&format!("needs the {} role", needed.name())),
                            "{body}"
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "{checked}");

    // A script (no HTML wanted) is told 401 rather than sent to a page.
    let (status, _, _) = call(&app, "GET", "/metrics", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A write to a path no route declares is closed, not open.
    let (status, _, _) = call(
        &app,
        "POST",
        "/api/undeclared_function",
        &[("authorization", &operator)],
        None,
    )
    .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    db.cleanup().await;
}

fn cookie_from(headers: &HeaderMap) -> String {
    let set = headers["set-cookie"].to_str().expect("cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().expect("pair").to_string()
}

async fn sign_in(
    app: &Router,
    username: &str,
    password: &str,
    origin: &str,
) -> (StatusCode, HeaderMap) {
    send_sign_in(app, username, password, origin, None).await
}

/// Signs in as a browser connected from `peer`.
async fn sign_in_from(
    app: &Router,
    username: &str,
    password: &str,
    peer: &str,
) -> (StatusCode, HeaderMap) {
    send_sign_in(
        app,
        username,
        password,
        &format!("http://{HOST}"),
        Some(peer),
    )
    .await
}

/// The sign-in form's POST, asking to go on to /alerts, from `origin`
/// and (when given) connected from the address `peer`.
async fn send_sign_in(
    app: &Router,
    username: &str,
    password: &str,
    origin: &str,
    peer: Option<&str>,
) -> (StatusCode, HeaderMap) {
    let body = format!("username={username}&password={password}&next=%2Falerts");
    let mut request = Request::post("/auth/sign-in")
        .header("host", HOST)
        .header("origin", origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    if let Some(peer) = peer {
        let peer: std::net::SocketAddr = format!("{peer}:40000").parse().expect("peer");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
    }
    let (status, headers, _) = common::answer(app, request).await;
    (status, headers)
}

#[tokio::test]
async fn sessions_sign_in_refuse_cross_site_writes_and_end_on_sign_out() {
    for db in TestDb::all().await {
        let state = state_for(&db, AuthSettings::default()).await;
        state
            .ops
            .auth
            .add_user("ada", "correct horse battery", Role::Operator)
            .await
            .expect("user");
        state
            .ops
            .auth
            .add_user("vic", "viewer password 1", Role::Viewer)
            .await
            .expect("user");
        let admin = token(&state, Role::Admin).await;
        let app = routes::build(state);
        let here = format!("http://{HOST}");

        // A wrong password sends the browser back with a message, and so
        // does an unknown account: the answers do not tell them apart.
        let (status, headers) = sign_in(&app, "ada", "wrong password!", &here).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], "/sign-in?error=refused&next=/alerts");
        // Whatever `next` holds, the answer is a redirect on this site.
        for next in [
            "%0d%0aSet-Cookie:%20x=1",
            "https://evil.example/",
            "%2F%2Fevil.example",
        ] {
            let request = Request::post("/auth/sign-in")
                .header("host", HOST)
                .header("origin", here.as_str())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("username=ada&password=x&next={next}")))
                .expect("request");
            let (status, headers, _) = common::answer(&app, request).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{next}");
            assert_eq!(
                headers["location"], "/sign-in?error=refused&next=/",
                "{next}"
            );
        }
        assert!(!headers.contains_key("set-cookie"));
        let (_, unknown) = sign_in(&app, "nobody", "wrong password!", &here).await;
        assert_eq!(unknown["location"], headers["location"]);

        // A sign-in posted from another site is refused.
        let (status, _) =
            sign_in(&app, "ada", "correct horse battery", "https://evil.example").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, headers) = sign_in(&app, "ada", "correct horse battery", &here).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers["location"], "/alerts");
        let cookie = cookie_from(&headers);
        assert!(
            !headers["set-cookie"]
                .to_str()
                .expect("text")
                .contains("Secure"),
            "loopback: not Secure"
        );

        // Signed in, pages render and say who is signed in.
        let (status, _, html) = call(&app, "GET", "/alerts", &[("cookie", &cookie)], None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("ada (operator)"), "{html}");
        let (_, _, me) = call(&app, "GET", "/api/v1/me", &[("cookie", &cookie)], None).await;
        assert_eq!(
            serde_json::from_str::<Value>(&me).expect("json"),
            json!({"name": "ada", "role": "operator", "signed_in": true})
        );

        // Cookie writes must come from this site.
        let silence = json!({"service": "ledger", "duration": "1h", "comment": "deploying"});
        for evidence in [
            vec![("origin", "https://evil.example")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![],
        ] {
            let mut credentials = vec![("cookie", cookie.as_str())];
            credentials.extend(evidence.iter().copied());
            let (status, _, body) = call(
                &app,
                "POST",
                "/api/v1/silences",
                &credentials,
                Some(silence.clone()),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{evidence:?}: {body}");
            assert!(body.contains("cross-site request refused"), "{body}");
        }
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/silences",
            &[("cookie", &cookie), ("origin", &here)],
            Some(silence.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        // A viewer's session may read but not silence.
        let (_, headers) = sign_in(&app, "vic", "viewer password 1", &here).await;
        let viewer_cookie = cookie_from(&headers);
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/silences",
            &[("cookie", &viewer_cookie)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = call(
            &app,
            "POST",
            "/api/v1/silences",
            &[
                ("cookie", &viewer_cookie),
                ("sec-fetch-site", "same-origin"),
            ],
            Some(silence.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Signing out ends the session on the server, not only in the browser.
        let (status, headers, _) = call(
            &app,
            "POST",
            "/auth/sign-out",
            &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            headers["set-cookie"]
                .to_str()
                .expect("text")
                .contains("Max-Age=0")
        );
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/silences",
            &[("cookie", &cookie)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // The audit trail has who silenced what, for admins only.
        let (status, _, body) = call(
            &app,
            "GET",
            "/api/v1/audit",
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let audit: Vec<Value> = items(&body);
        assert!(
            audit.iter().any(|e| e["actor"] == "ada"
                && e["action"] == "POST /api/v1/silences"
                && e["status"] == 201),
            "{audit:?}"
        );
        assert!(
            audit
                .iter()
                .any(|e| e["actor"] == "ada" && e["action"] == "sign in"),
            "{audit:?}"
        );
        assert!(
            !body.contains("correct horse battery"),
            "no password in the audit trail"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn sign_ins_are_limited_per_account() {
    let db = TestDb::sqlite().await;
    let state = state_for(&db, AuthSettings::default()).await;
    state
        .ops
        .auth
        .add_user("ada", "correct horse battery", Role::Admin)
        .await
        .expect("user");
    let app = routes::build(state);
    let here = format!("http://{HOST}");
    for _ in 0..5 {
        let (status, _) = sign_in(&app, "ada", "guess guess guess", &here).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    // Now even the right password waits.
    let (status, headers) = sign_in(&app, "ada", "correct horse battery", &here).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers["location"]
            .to_str()
            .expect("text")
            .contains("error=limited")
    );
    assert!(!headers.contains_key("set-cookie"));

    // The owner, from their own address, is not locked out by guesses made
    // elsewhere; a guesser moving to another address starts a new count
    // that the address limit bounds.
    let (status, headers) =
        sign_in_from(&app, "ada", "correct horse battery", "198.51.100.20").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers.contains_key("set-cookie"), "{headers:?}");
    for attempt in 0..25 {
        let (_, headers) = sign_in_from(
            &app,
            &format!("user{attempt}"),
            "guess guess guess",
            "203.0.113.66",
        )
        .await;
        let location = headers["location"].to_str().expect("text").to_string();
        if attempt >= 20 {
            assert!(
                location.contains("error=limited"),
                "attempt {attempt}: {location}"
            );
        }
    }
    db.cleanup().await;
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_is_counted_before_any_is_checked() {
    let db = TestDb::sqlite().await;
    let state = state_for(&db, AuthSettings::default()).await;
    state
        .ops
        .auth
        .add_user("ada", "correct horse battery", Role::Admin)
        .await
        .expect("user");
    let app = routes::build(state);
    let guesses = (0..40).map(|_| {
        let app = app.clone();
        async move { sign_in_from(&app, "ada", "guess guess guess", "203.0.113.9").await }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|(_, headers)| {
            headers["location"]
                .to_str()
                .is_ok_and(|l| l.contains("error=refused"))
        })
        .count();
    assert_eq!(
        checked, 5,
        "only the first five guesses were checked at all"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn tokens_are_shown_once_work_until_revoked_and_register_services() {
    for db in TestDb::all().await {
        let state = state_for(&db, AuthSettings::default()).await;
        let admin = token(&state, Role::Admin).await;
        let app = routes::build(state);

        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/tokens",
            &[("authorization", &admin)],
            Some(json!({"name": "ci-registration", "role": "operator"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let created: Value = serde_json::from_str(&body).expect("json");
        let secret = created["secret"].as_str().expect("secret").to_string();
        assert!(secret.starts_with("shipshape_"), "{secret}");
        let (_, _, listed) = call(
            &app,
            "GET",
            "/api/v1/tokens",
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert!(
            listed.contains("ci-registration") && !listed.contains(&secret),
            "{listed}"
        );

        // Self-registration needs a token.
        let service = json!({"slug": "new-svc", "team": "payments"});
        let (status, _, _) =
            call(&app, "POST", "/api/v1/services", &[], Some(service.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let bearer = format!("Bearer {secret}");
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/services",
            &[("authorization", &bearer)],
            Some(service.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let id = created["token"]["id"].as_i64().expect("id");
        let (status, _, _) = call(
            &app,
            "POST",
            &format!("/api/v1/tokens/{id}/revoke"),
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, body) = call(
            &app,
            "GET",
            "/api/v1/services",
            &[("authorization", &bearer)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body.contains("unknown or revoked") && !body.contains(&secret),
            "{body}"
        );

        let (_, _, body) = call(
            &app,
            "GET",
            "/api/v1/audit",
            &[("authorization", &admin)],
            None,
        )
        .await;
        let audit: Vec<Value> = items(&body);
        assert!(
            audit.iter().any(|e| e["actor"] == "token:ci-registration"
                && e["action"] == "POST /api/v1/services"
                && e["status"] == 201),
            "{audit:?}"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn anonymous_callers_see_only_public_things_unless_allowed_to_view() {
    let db = TestDb::sqlite().await;
    let closed = routes::build(state_for(&db, AuthSettings::default()).await);
    for public in ["/status", "/_internal_/healthcheck", "/sign-in"] {
        let (status, _, body) = call(&closed, "GET", public, &[], None).await;
        assert_eq!(status, StatusCode::OK, "{public}: {body}");
    }
    // A badge is public only for a public service; for the others an
    // anonymous caller hears what an unknown slug gets (no enumeration).
    let (status, _, svg) = call(&closed, "GET", "/badge/checkout-api/health.svg", &[], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{svg}");
    assert!(svg.contains("unknown service"), "{svg}");
    let (status, _, svg) = call(
        &closed,
        "GET",
        "/badge/no-such-service/health.svg",
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{svg}");
    let (status, _, _) = call(&closed, "GET", "/api/v1/services", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let open = routes::build(
        state_for(
            &db,
            AuthSettings {
                anonymous: Some(Role::Viewer),
                ..AuthSettings::default()
            },
        )
        .await,
    );
    let (status, _, _) = call(&open, "GET", "/api/v1/services", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, html) = call(&open, "GET", "/alerts", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("silences-heading"),
        "the alerts were rendered: {html}"
    );
    assert!(
        !html.contains("data-testid=\"silence-form\""),
        "no silence form for anonymous viewers"
    );
    let (status, _, _) = call(
        &open,
        "POST",
        "/api/v1/silences",
        &[("sec-fetch-site", "same-origin")],
        Some(json!({"service": "ledger", "duration": "1h", "comment": "x"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "anonymous viewers never write"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn urls_entered_through_the_api_may_not_lead_to_the_machine_or_metadata() {
    let db = TestDb::sqlite().await;
    let mut state = state_for(&db, AuthSettings::default()).await;
    state.ops.outbound =
        std::sync::Arc::new(shipshape_server::common::outbound::NetworkPolicy::default());
    let admin = token(&state, Role::Admin).await;
    let app = routes::build(state);
    for (url, host) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://127.0.0.1:3000/api/v1/tokens", "127.0.0.1"),
        ("http://localhost:9090/admin?token=hunter2", "localhost"),
    ] {
        let service = json!({"slug": "sneaky", "team": "t", "health": [{"url": url}]});
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/services",
            &[("authorization", &admin)],
            Some(service),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert!(
            body.contains(&format!(
                "health[0].url: {host} may not be reached from here"
            )),
            "{body}"
        );
        assert!(!body.contains("hunter2"), "{body}");
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/subscriptions",
            &[("authorization", &admin)],
            Some(json!({"url": url})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert!(body.contains("may not be reached from here"), "{body}");
    }
    let (status, _, body) = call(
        &app,
        "GET",
        "/api/v1/services/sneaky",
        &[("authorization", &admin)],
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nothing was registered: {body}"
    );
    let fine = json!({"slug": "internal", "team": "t", "health": [{"url": "http://10.20.30.40/_internal_/healthcheck"}]});
    let (status, _, body) = call(
        &app,
        "POST",
        "/api/v1/services",
        &[("authorization", &admin)],
        Some(fine),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn large_bodies_are_refused_and_the_first_admin_comes_from_the_environment() {
    let db = TestDb::sqlite().await;
    let state = state_for(&db, AuthSettings::default()).await;
    let auth = state.ops.auth.clone();
    let admin = token(&state, Role::Admin).await;
    let app = routes::build(state);
    let huge = json!({"slug": "x", "team": "t", "padding": "a".repeat(2 * 1024 * 1024)});
    let (status, _, _) = call(
        &app,
        "POST",
        "/api/v1/services",
        &[("authorization", &admin)],
        Some(huge),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let mut env = BTreeMap::new();
    assert_eq!(
        auth.ensure_first_admin(&env).await.expect("none"),
        None,
        "no default admin"
    );
    env.insert("SHIPSHAPE_ADMIN_USER".to_string(), "root".to_string());
    env.insert(
        "SHIPSHAPE_ADMIN_PASSWORD".to_string(),
        "tiny-pw".to_string(),
    );
    let error = auth.ensure_first_admin(&env).await.expect_err("too short");
    assert!(
        error.to_string().contains("at least 12 characters"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("tiny-pw"),
        "the password is not repeated: {error}"
    );
    env.insert(
        "SHIPSHAPE_ADMIN_PASSWORD".to_string(),
        "a long enough password".to_string(),
    );
    assert_eq!(
        auth.ensure_first_admin(&env).await.expect("created"),
        Some("root".to_string())
    );
    assert_eq!(
        auth.ensure_first_admin(&env).await.expect("again"),
        None,
        "only on a database without accounts"
    );
    let accounts = auth.accounts().await.expect("accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].role, Role::Admin);
    db.cleanup().await;
}

/// The id of the session `cookie` belongs to, as its owner's list shows it.
async fn own_session_id(app: &Router, cookie: &str) -> String {
    let (status, _, body) = call(
        app,
        "GET",
        "/api/v1/me/sessions",
        &[("cookie", cookie)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mine: Value = serde_json::from_str(&body).expect("json");
    let current: Vec<&Value> = mine["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter(|s| s["current"] == json!(true))
        .collect();
    assert_eq!(current.len(), 1, "{mine}");
    current[0]["id"].as_str().expect("id").to_string()
}

async fn account(app: &Router, admin: &str, name: &str) -> Value {
    let (status, _, body) = call(
        app,
        "GET",
        "/api/v1/accounts",
        &[("authorization", admin)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    items(&body)
        .into_iter()
        .find(|a| a["username"] == json!(name))
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn admins_manage_accounts_and_people_end_their_own_sessions() {
    for db in TestDb::all().await {
        let state = state_for(&db, AuthSettings::default()).await;
        state
            .ops
            .auth
            .add_user("boss", "boss password 1", Role::Admin)
            .await
            .expect("user");
        state
            .ops
            .auth
            .add_user("ada", "ada password 12", Role::Operator)
            .await
            .expect("user");
        let admin = token(&state, Role::Admin).await;
        let app = routes::build(state);
        let here = format!("http://{HOST}");
        let as_ada = |cookie: &str| vec![("cookie", cookie.to_string()), ("origin", here.clone())];

        // Ada signs in from two places.
        let (_, first) = sign_in(&app, "ada", "ada password 12", &here).await;
        let first = cookie_from(&first);
        let (_, second) = sign_in(&app, "ada", "ada password 12", &here).await;
        let second = cookie_from(&second);
        let listed = account(&app, &admin, "ada").await;
        assert_eq!(listed["live_sessions"], json!(2), "{listed}");
        assert_eq!(listed["disabled"], Value::Null);
        assert!(listed["last_sign_in"].is_string(), "{listed}");
        let ada = listed["id"].as_i64().expect("id");

        // A new role applies from the account's next request.
        let (status, _, body) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{ada}"),
            &[("authorization", &admin)],
            Some(json!({"role": "viewer"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("json")["role"],
            json!("viewer")
        );
        let silence = json!({"service": "ledger", "duration": "1h", "comment": "deploy"});
        let headers = as_ada(&first);
        let creds: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/silences",
            &creds,
            Some(silence.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("ada has the viewer role"), "{body}");
        let (status, _, body) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{ada}"),
            &[("authorization", &admin)],
            Some(json!({"role": "operator", "colour": "blue"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a typo is named: {body}"
        );
        assert!(body.contains("colour"), "{body}");
        let (status, _, _) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{ada}"),
            &[("authorization", &admin)],
            Some(json!({"role": "operator"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, body) = call(&app, "POST", "/api/v1/silences", &creds, Some(silence)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        // The admin sees both sessions and ends one; the other goes on.
        let (_, _, body) = call(
            &app,
            "GET",
            &format!("/api/v1/accounts/{ada}/sessions"),
            &[("authorization", &admin)],
            None,
        )
        .await;
        let sessions: Vec<Value> = serde_json::from_str(&body).expect("json");
        assert_eq!(sessions.len(), 2, "{body}");
        let second_id = own_session_id(&app, &second).await;
        assert!(
            sessions.iter().any(|s| s["id"] == json!(second_id)),
            "{body}"
        );
        assert!(
            !body.contains(second.trim_start_matches("shipshape_session=")),
            "no secret in the list"
        );
        let (status, _, _) = call(
            &app,
            "DELETE",
            &format!("/api/v1/accounts/{ada}/sessions/{second_id}"),
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/services",
            &[("cookie", &second)],
            None,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the ended session is refused"
        );
        let (status, _, _) =
            call(&app, "GET", "/api/v1/services", &[("cookie", &first)], None).await;
        assert_eq!(status, StatusCode::OK, "the other session goes on");

        // Ada ends her other sessions herself, keeping this one.
        let (_, third) = sign_in(&app, "ada", "ada password 12", &here).await;
        let third = cookie_from(&third);
        let (status, _, body) = call(&app, "DELETE", "/api/v1/me/sessions", &creds, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("json")["ended"],
            json!(1)
        );
        let (status, _, _) =
            call(&app, "GET", "/api/v1/services", &[("cookie", &third)], None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Without the origin check passing, a cookie cannot end sessions.
        let (status, _, _) = call(
            &app,
            "DELETE",
            "/api/v1/me/sessions",
            &[("cookie", &first)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Her own password: the current one must be right; other sessions end.
        let (_, fourth) = sign_in(&app, "ada", "ada password 12", &here).await;
        let fourth = cookie_from(&fourth);
        let change = |current: &str| json!({"current_password": current, "new_password": "a new password 34"});
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/me/password",
            &creds,
            Some(change("guess guess guess")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("the current password is wrong"), "{body}");
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/me/password",
            &creds,
            Some(change("ada password 12")),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, _, _) =
            call(&app, "GET", "/api/v1/services", &[("cookie", &first)], None).await;
        assert_eq!(status, StatusCode::OK, "the session that asked stays");
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/services",
            &[("cookie", &fourth)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the others end");
        let (_, refused) = sign_in(&app, "ada", "ada password 12", &here).await;
        assert_eq!(refused["location"], "/sign-in?error=refused&next=/alerts");
        // A token has no password of its own.
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/me/password",
            &[("authorization", &admin)],
            Some(change("x")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("API token has no account"), "{body}");

        // Disabled: her session ends and she cannot sign in; the right
        // password is told so, a wrong one is told nothing new.
        let (status, _, body) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{ada}"),
            &[("authorization", &admin)],
            Some(json!({"disabled": true})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(serde_json::from_str::<Value>(&body).expect("json")["disabled"].is_string());
        let (status, _, _) =
            call(&app, "GET", "/api/v1/services", &[("cookie", &first)], None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, told) = sign_in(&app, "ada", "a new password 34", &here).await;
        assert_eq!(told["location"], "/sign-in?error=disabled&next=/alerts");
        let (_, wrong) = sign_in(&app, "ada", "not her password", &here).await;
        assert_eq!(wrong["location"], "/sign-in?error=refused&next=/alerts");
        call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{ada}"),
            &[("authorization", &admin)],
            Some(json!({"disabled": false})),
        )
        .await;
        let (status, back) = sign_in(&app, "ada", "a new password 34", &here).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(back["location"], "/alerts");

        // The last enabled admin can be neither demoted, disabled nor deleted.
        let boss = account(&app, &admin, "boss").await["id"]
            .as_i64()
            .expect("id");
        for (method, body) in [
            ("PATCH", Some(json!({"role": "operator"}))),
            ("PATCH", Some(json!({"disabled": true}))),
            ("DELETE", None),
        ] {
            let (status, _, answer) = call(
                &app,
                method,
                &format!("/api/v1/accounts/{boss}"),
                &[("authorization", &admin)],
                body,
            )
            .await;
            assert_eq!(status, StatusCode::CONFLICT, "{method}: {answer}");
            assert!(
                answer.contains("`boss` is the last enabled admin"),
                "{answer}"
            );
        }
        assert_eq!(account(&app, &admin, "boss").await["role"], json!("admin"));
        let (status, _, _) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{ada}"),
            &[("authorization", &admin)],
            Some(json!({"role": "admin"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, body) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{boss}"),
            &[("authorization", &admin)],
            Some(json!({"role": "viewer"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "with another admin, boss can step down: {body}"
        );

        // A page's form creates an account; its password stays out of the audit trail.
        let (_, ada_again) = sign_in(&app, "ada", "a new password 34", &here).await;
        let ada_cookie = cookie_from(&ada_again);
        let request = Request::post(shipshape_app::api::CreateAccount::PATH)
            .header("host", HOST)
            .header("origin", here.as_str())
            .header("cookie", ada_cookie.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(
                "username=zed&password=zeds+secret+words&role=viewer",
            ))
            .expect("request");
        let (status, _, body) = common::answer(&app, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Created the viewer account zed"), "{body}");
        let (_, _, trail) = call(
            &app,
            "GET",
            "/api/v1/audit",
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert!(trail.contains("password=[hidden]"), "{trail}");
        assert!(!trail.contains("zeds"), "{trail}");
        assert!(trail.contains("PATCH /api/v1/accounts/{id}"), "{trail}");
        assert!(trail.contains("POST /api/v1/me/password"), "{trail}");
        assert!(trail.contains("DELETE /api/v1/me/sessions"), "{trail}");
        assert!(!trail.contains("GET "), "reads are not audited: {trail}");

        // Deleted: gone from the list, cannot sign in, a second delete is 404.
        let zed = account(&app, &admin, "zed").await["id"]
            .as_i64()
            .expect("id");
        let (status, _, _) = call(
            &app,
            "DELETE",
            &format!("/api/v1/accounts/{zed}"),
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(account(&app, &admin, "zed").await, Value::Null);
        let (status, _, _) = call(
            &app,
            "DELETE",
            &format!("/api/v1/accounts/{zed}"),
            &[("authorization", &admin)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, gone) = sign_in(&app, "zed", "zeds secret words", &here).await;
        assert_eq!(gone["location"], "/sign-in?error=refused&next=/alerts");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    use shipshape_server::auth::service::AccountError;
    for db in TestDb::all().await {
        let state = state_for(&db, AuthSettings::default()).await;
        let auth = &state.ops.auth;
        let first = auth
            .add_user("first", "first admin password", Role::Admin)
            .await
            .expect("user");
        let second = auth
            .add_user("second", "second admin password", Role::Admin)
            .await
            .expect("user");
        for round in 0..5 {
            let (a, b) = tokio::join!(
                auth.set_role(first, Role::Viewer),
                auth.set_role(second, Role::Viewer)
            );
            let refused = [&a, &b]
                .iter()
                .filter(|r| matches!(r, Err(AccountError::LastAdmin(_))))
                .count();
            assert_eq!(refused, 1, "round {round}: {a:?} {b:?}");
            assert!(a.is_ok() || b.is_ok(), "round {round}: {a:?} {b:?}");
            let admins = auth
                .accounts()
                .await
                .expect("accounts")
                .into_iter()
                .filter(|account| account.role == Role::Admin)
                .count();
            assert_eq!(admins, 1, "round {round}");
            // Both admins again for the next round.
            auth.set_role(first, Role::Admin).await.expect("promote");
            auth.set_role(second, Role::Admin).await.expect("promote");
        }
        db.cleanup().await;
    }
}

/// Other spellings of a page's path, as an attacker would try them.
fn spellings(path: &str) -> Vec<String> {
    let rest = path.trim_start_matches('/');
    let mut spelled = vec![
        format!("{path}/"),
        format!("/.{path}"),
        format!("/%2e{path}"),
        format!("/%2E/{rest}/."),
        format!("/x/..{path}"),
        format!("/{path}"),
        format!("{path}//"),
        path.to_uppercase(),
        format!("{path}%2F"),
    ];
    if let Some(first) = rest.chars().next() {
        spelled.push(format!(
            "/%{:02x}{}",
            first as u32,
            &rest[first.len_utf8()..]
        ));
    }
    spelled
}

/// Follows same-site redirects other than to sign in; the last answer.
async fn follow(
    app: &Router,
    uri: &str,
    credentials: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String, String) {
    let mut uri = uri.to_string();
    for _ in 0..4 {
        let (status, headers, body) = call(app, "GET", &uri, credentials, None).await;
        let location = headers
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        match location {
            Some(next) if status.is_redirection() && !next.starts_with("/sign-in") => {
                assert!(
                    next.starts_with('/') && !next.starts_with("//"),
                    "{uri} → {next}"
                );
                uri = next;
            }
            _ => return (status, headers, body, uri),
        }
    }
    panic!("{uri}: too many redirects");
}

#[tokio::test]
async fn no_spelling_of_a_page_path_renders_it_without_the_role_it_needs() {
    let db = TestDb::sqlite().await;
    let state = state_for(&db, AuthSettings::default()).await;
    let viewer = token(&state, Role::Viewer).await;
    let operator = token(&state, Role::Operator).await;
    let admin = token(&state, Role::Admin).await;
    state
        .ops
        .auth
        .create_token("zq-marker-token", Role::Viewer, "tests", None, None)
        .await
        .expect("marker token");
    let app = routes::build(state);
    let (status, _, body) = call(
        &app,
        "POST",
        "/api/v1/services",
        &[("authorization", &operator)],
        Some(
            json!({"slug": "zq-private", "name": "Zq Private Service", "team": "zq-private-team"}),
        ),
    )
    .await;
    assert!(status.is_success(), "{status}: {body}");

    // What each caller must never see, and proof that the pages do show it
    // to those allowed (a test that passes on empty pages proves nothing).
    let viewer_only = ["Zq Private Service", "zq-private-team"];
    let admin_only = ["zq-marker-token"];
    let (_, _, overview) = call(&app, "GET", "/", &[("authorization", &viewer)], None).await;
    assert!(overview.contains(viewer_only[0]), "{overview}");
    let (_, _, admin_page) = call(&app, "GET", "/admin", &[("authorization", &admin)], None).await;
    assert!(admin_page.contains(admin_only[0]), "{admin_page}");

    let pages = routes::page_paths();
    assert!(pages.len() >= 8, "{pages:?}");
    let rules = rules();
    let needed = |path: &str| {
        rules
            .iter()
            .find(|r| r.method == Method::GET && r.path == path)
            .map_or(Access::Needs(Role::Viewer), |r| r.access)
    };
    let mut tried = 0;
    for pattern in &pages {
        let path = concrete(pattern);
        let access = needed(pattern);
        for spelled in spellings(&path) {
            for (who, credentials, role) in [
                ("anonymous", vec![], None),
                (
                    "viewer",
                    vec![("authorization", viewer.as_str())],
                    Some(Role::Viewer),
                ),
                (
                    "operator",
                    vec![("authorization", operator.as_str())],
                    Some(Role::Operator),
                ),
            ] {
                let mut credentials = credentials;
                credentials.push(("accept", "text/html"));
                let (status, headers, body, reached) = follow(&app, &spelled, &credentials).await;
                let allowed = match (access, role) {
                    (Access::Public, _) => true,
                    (Access::Needs(needed), Some(role)) => role.allows(needed),
                    (Access::Needs(_), None) => false,
                };
                let hidden: Vec<&str> = match role {
                    None => viewer_only.iter().chain(&admin_only).copied().collect(),
                    Some(_) => admin_only.to_vec(),
                };
                for secret in hidden {
                    assert!(
                        !body.contains(secret),
                        "{who} GET {spelled} (reached {reached}, {status}) shows {secret}"
                    );
                }
                if !allowed {
                    assert!(
                        status == StatusCode::SEE_OTHER
                            || status == StatusCode::FORBIDDEN
                            || status == StatusCode::NOT_FOUND,
                        "{who} GET {spelled} (reached {reached}): {status} {headers:?}"
                    );
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 200, "{tried}");
    db.cleanup().await;
}

#[tokio::test]
async fn tokens_end_with_their_creators_rights_expire_and_have_unique_names() {
    for db in TestDb::all().await {
        let state = state_for(&db, AuthSettings::default()).await;
        let admin = token(&state, Role::Admin).await;
        let app = routes::build(state);
        let here = format!("http://{HOST}");
        // Another admin, so that boss may be demoted.
        for name in ["deputy", "boss"] {
            let (status, _, body) = call(
                &app,
                "POST",
                "/api/v1/accounts",
                &[("authorization", &admin)],
                Some(json!({"username": name, "password": format!("{name} password 12"), "role": "admin"})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (_, _, body) = call(
            &app,
            "GET",
            "/api/v1/accounts",
            &[("authorization", &admin)],
            None,
        )
        .await;
        let boss = items(&body)
            .iter()
            .find(|a| a["username"] == "boss")
            .and_then(|a| a["id"].as_i64())
            .expect("boss's id");
        let (_, headers) = sign_in(&app, "boss", "boss password 12", &here).await;
        let cookie = cookie_from(&headers);
        let as_boss = [("cookie", cookie.as_str()), ("origin", here.as_str())];
        let create = |name: &'static str, expires: Option<&'static str>| {
            let app = app.clone();
            async move {
                let mut body = json!({"name": name, "role": "admin"});
                if let Some(expires) = expires {
                    body["expires_in"] = json!(expires);
                }
                call(&app, "POST", "/api/v1/tokens", &as_boss, Some(body)).await
            }
        };
        let (status, _, body) = create("boss-ci", None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let secret = serde_json::from_str::<Value>(&body).expect("json")["secret"]
            .as_str()
            .expect("secret")
            .to_string();
        let bearer = format!("Bearer {secret}");
        let (status, _, body) = create("boss-ci", None).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "a second live token of one name: {body}"
        );
        assert!(body.contains("boss-ci"), "{body}");

        let accounts = |credential: String| {
            let app = app.clone();
            async move {
                call(
                    &app,
                    "GET",
                    "/api/v1/accounts",
                    &[("authorization", &credential)],
                    None,
                )
                .await
                .0
            }
        };
        assert_eq!(accounts(bearer.clone()).await, StatusCode::OK);
        // Demoted: the admin token now acts as a viewer.
        let (status, _, body) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{boss}"),
            &[("authorization", &admin)],
            Some(json!({"role": "viewer"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(accounts(bearer.clone()).await, StatusCode::FORBIDDEN);
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/services",
            &[("authorization", &bearer)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "still a viewer");
        // Disabled: the token ends with the account.
        let (status, _, body) = call(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{boss}"),
            &[("authorization", &admin)],
            Some(json!({"disabled": true})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(accounts(bearer.clone()).await, StatusCode::UNAUTHORIZED);

        // An expiring token works until it expires.
        let (status, _, body) = call(
            &app,
            "POST",
            "/api/v1/tokens",
            &[("authorization", &admin)],
            Some(json!({"name": "short-lived", "role": "viewer", "expires_in": "300ms"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let created: Value = serde_json::from_str(&body).expect("json");
        assert!(created["token"]["expires"].is_string(), "{created}");
        let short = format!("Bearer {}", created["secret"].as_str().expect("secret"));
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/services",
            &[("authorization", &short)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let (status, _, _) = call(
            &app,
            "GET",
            "/api/v1/services",
            &[("authorization", &short)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_operator_token_cannot_turn_the_servers_secrets_against_it() {
    let db = TestDb::sqlite().await;
    let state = state_for(&db, AuthSettings::default()).await;
    let operator = token(&state, Role::Operator).await;
    let app = routes::build(state);
    let register = |body: Value| {
        let app = app.clone();
        let operator = operator.clone();
        async move {
            call(
                &app,
                "POST",
                "/api/v1/services",
                &[("authorization", &operator)],
                Some(body),
            )
            .await
        }
    };
    // The server's environment is not the caller's to read.
    let (status, _, body) = register(json!({
        "slug": "leaky", "team": "x",
        "health": [{"url": "http://10.0.0.9/health",
                    "headers": {"x-leak": {"env": "SHIPSHAPE_ADMIN_PASSWORD"}}}]
    }))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("health[0].headers.x-leak"), "{body}");
    assert!(body.contains("[registration] header_env"), "{body}");
    // Repositories: only the server's own organisations and hosts, over
    // https, never a folder or an option in disguise.
    for repository in [
        "github:someone-else/private",
        "https://evil.example/acme/checkout.git",
        "file:///etc",
        "/etc",
        "ssh://git@git.example.com/payments/ledger.git",
        "-oProxyCommand=touch@x:y",
        "--upload-pack=touch /tmp/pwned",
    ] {
        let (status, _, body) =
            register(json!({"slug": "sneaky", "team": "x", "repository": repository})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{repository}: {body}"
        );
        assert!(body.contains("repository"), "{repository}: {body}");
    }
    let (status, _, body) =
        register(json!({"slug": "fine", "team": "x", "repository": "github:acme/fine"})).await;
    assert!(status.is_success(), "{body}");
    // A schedule that would starve the monitor.
    let (status, _, body) = register(json!({
        "slug": "hammer", "team": "x",
        "health": [{"url": "http://10.0.0.9/health", "interval": "1ms"}]
    }))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("health[0].interval"), "{body}");
    db.cleanup().await;
}
