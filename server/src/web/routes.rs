use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use shipshape_app::backend::UiBackendHandle;
use shipshape_app::{App, shell};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use tower_http::limit::RequestBodyLimitLayer;

use super::access::{self, ApiRoutes, Guard};
use super::{
    AppState, alert_api, api, auth_api, fallback, health, health_api, metrics, openapi, ui_backend,
    upgrade_api,
};
use crate::auth::Role;
use crate::auth::policy::{Policy, RouteRule};
use crate::telemetry::metrics::HttpMetrics;
use utoipa_axum::routes;

/// The whole application: pages, server functions, REST API, health and
/// metrics, with request tracing and metrics around every route.
pub fn build(state: AppState) -> Router {
    let ui_backend = UiBackendHandle(Arc::new(ui_backend::UiOperations(state.ops.clone())));
    let ui_context = move || provide_context(ui_backend.clone());
    let leptos_options = state.leptos_options.clone();
    let page_routes = page_routes();

    let (router, rules, document) = routes_rules_and_document();
    let guard = Guard {
        auth: state.ops.auth.clone(),
        policy: Arc::new(Policy::new(rules)),
        reads: Arc::new(access::server_fn_reads()),
    };
    router
        .leptos_routes_with_context(&state, page_routes, ui_context, move || shell(leptos_options.clone()))
        // After routing, so that the policy sees which route matched; every
        // route (REST, server functions, pages) passes through it.
        .route_layer(middleware::from_fn_with_state(guard, access::authorize))
        // No page renders here: see `fallback`.
        .fallback(fallback::static_file_or_not_found)
        .layer(middleware::from_fn(fallback::canonical_pages))
        .layer(axum::Extension(Arc::new(document)))
        .layer(RequestBodyLimitLayer::new(super::MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.ops.auth.settings().secure_cookies,
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), track_requests))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    tracing::info_span!("http", http.method = %request.method(), http.path = %request.uri().path())
                })
                .on_request(())
                .on_response(|response: &Response, latency: std::time::Duration, _span: &tracing::Span| {
                    tracing::debug!(http.status = response.status().as_u16(), latency_ms = latency.as_millis() as u64, "answered");
                })
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .with_state(state)
}

/// Every route the server answers besides pages and server functions, the
/// access rule of every route including those, and the OpenAPI document of
/// the REST API. The authorisation tests and the published document read
/// this same list.
pub fn routes_rules_and_document() -> (Router<AppState>, Vec<RouteRule>, utoipa::openapi::OpenApi) {
    let (api, mut rules, described) = api::routes()
        .merge(health_api::api_routes())
        .merge(upgrade_api::api_routes())
        .merge(alert_api::api_routes())
        .merge(auth_api::api_routes())
        .into_parts("/api/v1");
    let document = openapi::document(described);
    let (top, top_rules, _) = ApiRoutes::default()
        .public(routes!(health::healthcheck))
        .public(routes!(health::ready))
        .public(routes!(openapi::serve_document))
        .needs(Role::Viewer, routes!(metrics::scrape))
        .merge(health_api::badge_routes())
        .merge(auth_api::form_routes())
        .into_parts("");
    rules.extend(top_rules);
    rules.extend(access::server_fn_rules());
    rules.extend(access::page_rules());
    (top.nest("/api/v1", api), rules, document)
}

/// The access rules alone (the tests walk them).
pub fn access_rules_and_router() -> (Router<AppState>, Vec<RouteRule>) {
    let (router, rules, _) = routes_rules_and_document();
    (router, rules)
}

/// The path of every page (`/services/{slug}` as a pattern).
pub fn page_paths() -> Vec<String> {
    page_routes()
        .iter()
        .map(|route| route.path().to_string())
        .collect()
}

/// The app's page routes, generated once per process. Generating them runs
/// the whole app with resource loading suppressed by a process-wide flag
/// (leptos_server's `SuppressResourceLoad`); a resource first polled by
/// another render while it is set never loads (leptos-rs/leptos#4773). The
/// server builds its router once, but tests build one each, concurrently.
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Counts every request by its route pattern (not its path, so that
/// `/services/{slug}` is one series however many services there are).
async fn track_requests(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/pkg/") {
                "/pkg/*".to_string()
            } else {
                "(unmatched)".to_string()
            }
        });
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Headers every answer carries, unless a handler set its own: no MIME
/// sniffing, no framing by other sites (clickjacking), no full URLs in the
/// `Referer` sent elsewhere, and forms and `<base>` kept to this origin.
/// Pages set their own, stricter policy with a per-response script nonce
/// (`shipshape_app::shell`); this one covers everything else. Where
/// cookies are `Secure` the site is served over HTTPS, and browsers are
/// told to keep to it (HSTS; ignored by them over plain HTTP).
async fn security_headers(
    State(secure): State<crate::auth::settings::SecureCookies>,
    request: Request,
    next: Next,
) -> Response {
    use axum::http::HeaderValue;
    use axum::http::header::{
        CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
        X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    let https = access::cookies_are_secure(secure, request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    for (name, value) in [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "same-origin"),
        (
            CONTENT_SECURITY_POLICY,
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        ),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
